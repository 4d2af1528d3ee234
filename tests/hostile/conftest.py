"""tests/hostile: fuzzed model files, hostile inputs, sanitizers, killed exports, CLI errors.

pytest runs with --import-mode=importlib, so this folder is put on sys.path for fuzzlib and
its structure walkers (flatbuffer_sites, protobuf_sites), which bench/fuzz.py shares.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
