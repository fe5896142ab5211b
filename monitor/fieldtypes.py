"""Value types for the config, the registry and CSVs: bounded, checked where they are read.

Each is an `Annotated` pydantic type, so a model field reads `website: HttpUrl` and
its maximum length, syntax and message live here once. Maxima (characters):
names 200, free text 500, emails 254, hosts 253, URLs and paths 2,048.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

logger = logging.getLogger(__name__)

NAME_MAX = 200
TEXT_MAX = 500
EMAIL_MAX = 254
HOST_MAX = 253
URL_MAX = 2048
PATH_MAX = 2048
LIST_MAX = 100

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|localhost)$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
LOOPBACK_NAMES = ("localhost",)


def _no_control(value: str) -> str:
    match = _CONTROL.search(value)
    if match:
        raise ValueError(f"contains a control character ({match.group()!r})")
    return value


def valid_email(value: str) -> str:
    """A lower-cased email address, or ValueError saying why not."""
    value = value.strip()
    if len(value) > EMAIL_MAX:
        raise ValueError(f"is longer than {EMAIL_MAX} characters")
    if not _EMAIL.match(value):
        raise ValueError(f"{value[:80]!r} is not an email address")
    return value.lower()


def in_domains(email: str, domains: Iterable[str]) -> bool:
    """True when the address is in a district domain or one of its subdomains."""
    host = email.rsplit("@", 1)[-1].lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def valid_domain(value: str) -> str:
    """A DNS name with at least two labels (cmsd82.ca), lower-cased."""
    name = value.strip().lower().rstrip(".")
    if len(name) > HOST_MAX or "." not in name or not all(_LABEL.match(p) for p in name.split(".")):
        raise ValueError(f"{value[:80]!r} is not a domain name like cmsd82.ca")
    return name


def valid_host(value: str) -> str:
    """An IP address or a host name; empty is refused (it would mean every interface)."""
    name = value.strip()
    if not name:
        raise ValueError("is empty: write an address (127.0.0.1 listens on this machine only)")
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        pass
    lowered = name.lower().rstrip(".")
    if len(lowered) > HOST_MAX or not all(_LABEL.match(p) for p in lowered.split(".")):
        raise ValueError(f"{name[:80]!r} is not a host name or IP address")
    return lowered


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def valid_http_url(value: str) -> str:
    """An http(s) URL with a host, no spaces or control characters; trailing / dropped."""
    if len(value) > URL_MAX:
        raise ValueError(f"is longer than {URL_MAX} characters")
    if any(c.isspace() for c in value) or _CONTROL.search(value):
        raise ValueError("contains a space or a control character")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError as exc:
        raise ValueError(f"is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("has no host name")
    valid_host(parts.hostname)
    del port
    return value.rstrip("/")


def valid_public_url(value: str) -> str:
    """Like `valid_http_url`, but https unless the host is loopback (links go out in emails)."""
    value = valid_http_url(value)
    parts = urlsplit(value)
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise ValueError("must be https:// (http:// only for a loopback address)")
    return value


def _optional(check: Callable[[str], str]) -> AfterValidator:
    def run(value: str) -> str:
        return check(value) if value else value

    return AfterValidator(run)


def _path_text(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("is empty: name a file or folder")
    return value


def _path(value: Path) -> Path:
    text = str(value)
    if len(text) > PATH_MAX:
        raise ValueError(f"is longer than {PATH_MAX} characters")
    _no_control(text)
    return value


# A short name or label (school, district, person): 1..200 characters, no control characters.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    AfterValidator(_no_control),
]
# Free text (a signature, an approval reference): at most 500 characters.
Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_no_control)]
# An opaque platform id or token of at most 200 characters (may be empty).
Ident = Annotated[str, Field(max_length=NAME_MAX), AfterValidator(_no_control)]
Email = Annotated[str, Field(max_length=EMAIL_MAX + 10), AfterValidator(valid_email)]
OptionalEmail = Annotated[str, Field(max_length=EMAIL_MAX + 10), _optional(valid_email)]
Domain = Annotated[str, Field(max_length=HOST_MAX + 10), AfterValidator(valid_domain)]
Host = Annotated[str, Field(max_length=HOST_MAX + 10), AfterValidator(valid_host)]
OptionalHost = Annotated[str, Field(max_length=HOST_MAX + 10), _optional(valid_host)]
HttpUrl = Annotated[str, Field(max_length=URL_MAX), AfterValidator(valid_http_url)]
OptionalHttpUrl = Annotated[str, Field(max_length=URL_MAX), _optional(valid_http_url)]
OptionalPublicUrl = Annotated[str, Field(max_length=URL_MAX), _optional(valid_public_url)]
SafePath = Annotated[Path, BeforeValidator(_path_text), AfterValidator(_path)]
# A URL path segment (API version, business id): letters, digits, ".", "_", "-".
Segment = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9._-]*$")]
# The *name* of a secret (environment variable or systemd credential), never its value:
# a value pasted by mistake ("EAAB...") fails this shape and is never echoed back.
SECRET_NAME = r"^[A-Z][A-Z0-9_]*$"
SecretName = Annotated[str, Field(max_length=100, pattern=SECRET_NAME)]
OptionalSecretName = Annotated[str, Field(max_length=100, pattern=r"^$|" + SECRET_NAME)]
