"""Run `tinyflash <args>` and SIGKILL it in the middle of writing one artifact's temporary file.

    python -P tests/hostile/killhook.py FILE_NAME -- export RUN_DIR ...

When the atomic writer (tinyflash.atomic.write_bytes -> Path.write_bytes of the temporary
`.FILE_NAME.*.tmp` beside the final name) starts writing FILE_NAME, half the bytes are written
and synced, then the process kills itself with SIGKILL: no handler, no cleanup, exactly what a
power cut or the OOM killer does. Exit status -9 tells the test the kill happened where asked.
"""

import os
import signal
import sys
from pathlib import Path

target = sys.argv[1]
argv = sys.argv[sys.argv.index("--") + 1 :]
write_bytes = Path.write_bytes


def half_then_die(self: Path, data: bytes) -> int:
    if self.name.startswith(f".{target}.") and self.name.endswith(".tmp"):
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            os.fsync(f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)
    return write_bytes(self, data)


Path.write_bytes = half_then_die  # type: ignore[method-assign]

from tinyflash.cli import main  # noqa: E402

sys.exit(main(argv))
