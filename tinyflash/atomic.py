"""Atomic file writes: every artifact tinyflash produces goes through here.

A file is written to a temporary name in the same folder, flushed and fsync'ed, then renamed
over the final name, so a reader (or a crash) sees either the old complete file or the new
complete file, never a partial one.

The temporary name is `.FINAL.PID.RANDOM.tmp`. A process killed mid-write (SIGKILL, power cut)
leaves its temporary file behind; the next write of the same final name removes those whose
process is gone (never one a live writer on this machine still owns).
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ensure_writable_dir", "write_bytes", "write_text", "write_json", "write_with"]


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` if needed and check a file can be written in it, before any slow work."""
    from tinyflash.errors import UserError

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    return folder


def write_with(path: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """Call `writer(tmp_path)` to produce the file, then move it atomically to `path`.

    An OSError on the way (unwritable or missing folder, a folder or file in the way, disk
    full) is a UserError naming `path`, so the CLI reports it on one line with exit status 2."""
    from tinyflash.errors import UserError

    final = Path(path)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_orphans(final)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent
        )
    except OSError as exc:
        raise UserError(f"cannot write {final}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write {final}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def _remove_orphans(final: Path) -> None:
    """Delete `.FINAL.PID.*.tmp` files beside `final` left by processes that no longer run.
    POSIX only (os.kill(pid, 0) probes there; on Windows it would terminate the process)."""
    if os.name != "posix":
        return
    for tmp in final.parent.glob(f".{glob.escape(final.name)}.*.tmp"):
        parts = tmp.name[len(final.name) + 2 :].split(".")  # PID, RANDOM, "tmp"
        if len(parts) != 3 or not parts[0].isdigit():
            continue  # not ours, or another final name's (".a.5.PID.X.tmp" is "a.5"'s)
        pid = int(parts[0])
        if pid != os.getpid() and not _process_alive(pid):
            try:
                tmp.unlink(missing_ok=True)
            except OSError:  # not ours to delete: it never blocks a write
                pass


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically."""
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 `text` to `path` atomically (newlines are written as given)."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write `obj` as indented, key-sorted JSON with a trailing newline, atomically."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
