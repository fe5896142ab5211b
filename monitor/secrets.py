"""Secrets by name: `$NAME`, the file named by `$NAME_FILE`, or `$CREDENTIALS_DIRECTORY/NAME`.

Nothing here writes or logs a secret's value; callers keep it as `SecretStr`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr


class SecretMissing(LookupError):
    """No source provided the named secret."""


def resolve_secret(name: str, environ: Mapping[str, str] | None = None) -> SecretStr:
    """Read the secret called `name`; systemd credentials come last so an override is easy."""
    env = os.environ if environ is None else environ
    if env.get(name):
        return SecretStr(env[name])
    file_var = env.get(f"{name}_FILE")
    if file_var:
        return SecretStr(_read(Path(file_var), name))
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir and (Path(cred_dir) / name).is_file():
        return SecretStr(_read(Path(cred_dir) / name, name))
    raise SecretMissing(
        f"secret {name} is not set (set ${name}, ${name}_FILE, or a systemd credential {name})"
    )


def _read(path: Path, name: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretMissing(f"secret {name}: cannot read {path}: {exc.strerror}") from None
    if not value:
        raise SecretMissing(f"secret {name}: {path} is empty")
    return value
