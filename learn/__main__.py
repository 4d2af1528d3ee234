"""python -m tinyflash.learn: one epoch of training, every step shown."""

import sys

from tinyflash.learn.cli import main

sys.exit(main())
