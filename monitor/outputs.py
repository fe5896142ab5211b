"""Writing a user-named file: atomically, and replacing only a regular file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from monitor.errors import UserError


def check_writable(path: Path, *, force: bool) -> None:
    """Refuse before anything is built: an existing target without --force, or one that is
    not a regular file (a device, a directory, a symlink), or a missing folder."""
    src = str(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UserError.one(src, "", f"cannot be written: {exc.strerror or exc}") from None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise UserError.one(src, "", "is a symbolic link; name the file itself")
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise UserError.one(src, "", f"is {kind}; only a regular file is ever replaced")
        if not force:
            raise UserError.one(src, "", "already exists; use --force to replace it")
    parent = path.parent
    if not parent.is_dir():
        raise UserError.one(src, "", f"folder {str(parent)!r} does not exist")


def write_atomically(path: Path, text: str, *, force: bool) -> None:
    """Write via a temporary file in the same folder and rename it over the target.

    A crash never leaves half a file; a failure leaves no temporary file behind; the
    new file is created 0600 (it may hold staff emails and lapse history).
    """
    check_writable(path, force=force)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # Checked again just before the rename: the target may have changed meanwhile.
        check_writable(path, force=force)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UserError.one(str(path), "", f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
