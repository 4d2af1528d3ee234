import sys

from tinyflash.cli import main

sys.exit(main())
