"""Reading users' files safely: regular files only, bounded size, a BOM accepted, errors by place.

Every file socmon reads on a user's say-so (config, registry, CSV) goes through
`read_text`, so a device, a FIFO, a directory, a huge file, bad UTF-8 or a NUL byte
is one `UserError` naming the file (or the config key that pointed at it) and the
line:column, never a hang, a traceback or memory running out.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from monitor.errors import Problem, UserError

MB = 1024 * 1024
CONFIG_MAX_BYTES = 1 * MB
DATA_MAX_BYTES = 50 * MB
BOM = "\ufeff"


def line_col(text: str, offset: int) -> str:
    """`line L:C` (1-based) of a character offset, the way editors show it."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}:{column}"


def _byte_place(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}:{column}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_text(
    path: Path,
    *,
    what: str,
    max_bytes: int,
    named_by: tuple[str, str] | None = None,
) -> str:
    """The text of a regular UTF-8 file of at most `max_bytes`, without its BOM.

    `what` names the file in messages ("config", "registry", "CSV"); `named_by`
    (config file, key) is where problems opening the file are reported, so that
    `registry = ""` names the key rather than a bare ".".
    """
    src = str(path)
    opener = Problem(named_by[0], named_by[1], "") if named_by else Problem(src, "", "")

    def cannot(why: str) -> UserError:
        detail = f"{what} {src!r} {why}" if named_by else f"{why}"
        return UserError.one(opener.source, opener.where, detail)

    if not str(path) or str(path) == ".":
        raise cannot("is empty: name a file")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise cannot("not found") from None
    except IsADirectoryError:
        raise cannot("is a directory, not a file") from None
    except OSError as exc:
        raise cannot(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise cannot(f"is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise cannot(f"is larger than {max_bytes:,} bytes ({info.st_size:,})")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # the file may grow while it is read
            chunk = os.read(fd, min(1 * MB, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise cannot(f"is larger than {max_bytes:,} bytes")
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise cannot("is a directory, not a file") from None
        raise cannot(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return decode(b"".join(chunks), src)


def decode(data: bytes, src: str) -> str:
    """UTF-8 text (BOM dropped); bad bytes and NUL bytes are errors at line:column."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UserError.one(src, _byte_place(data, nul), "NUL byte: not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError.one(
            src, _byte_place(data, exc.start), "not valid UTF-8 (save the file as UTF-8)"
        ) from None
    return text.removeprefix(BOM)
