"""The district's identity provider for tests: oidc-provider (npm) run with node on 127.0.0.1.

The first test that needs it installs it (`npm ci` in tests/web/oidc, as `.ci/run` also
does); without node, or when the install fails, those tests skip and say why.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "socmon", "test-oidc-client-secret-not-for-production"
ACCOUNTS = {
    "mia": {"email": "mia@lpsd.ca", "email_verified": True, "groups": []},
    "gwen": {"email": "gwen@lpsd.ca", "email_verified": True, "groups": ["g-comms"]},
    "nobody": {"email": "nobody@lpsd.ca", "email_verified": True, "groups": []},
    "eve": {"email": "eve@gmail.com", "email_verified": True, "groups": ["g-comms"]},
}


@functools.cache
def skip_reason() -> str:
    """ "" when the provider can run; installs it (`npm ci`, pinned by the lock file) once."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install -y nodejs): the OIDC provider cannot run"
    if not (HERE / "node_modules" / "oidc-provider").is_dir() and shutil.which("npm"):
        # The README's test command does all the set-up: the package comes from the npm
        # registry at the version package-lock.json pins.
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            timeout=300,
            check=False,
        )
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed and `npm ci` in tests/web/oidc did not install it"
    return ""


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[str]

    def advance(self, seconds: int) -> None:
        """Move the provider's clock forward (its codes expire without a sleep)."""
        httpx.post(f"{self.issuer}/__clock", params={"advance": seconds}).raise_for_status()

    def sign_in(self, authorize_url: str, login: str) -> str:
        """Drive the provider's login (and consent) forms; the URL it sends the browser back to."""
        with httpx.Client(follow_redirects=False, timeout=10) as http:
            url = authorize_url
            for _ in range(12):
                if not url.startswith(self.issuer):
                    return url  # back to the client: the callback with code and state
                response = http.get(url)
                if response.status_code in (302, 303):
                    url = urljoin(url, response.headers["location"])
                    continue
                form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
                assert form, response.text[:500]
                prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
                data = {
                    "prompt": prompt.group(1) if prompt else "login",
                    "login": login,
                    "password": "x",
                }
                posted = http.post(urljoin(url, unescape(form.group(1))), data=data)
                url = urljoin(url, posted.headers["location"])
        raise AssertionError("the provider never sent the browser back")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_provider(tmp_path: Path, redirect_uris: list[str]) -> Iterator[Provider]:
    """Start the provider; it prints "listening" once it accepts connections (no waiting loop)."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    config = tmp_path / "provider.json"
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris},
        {
            "client_id": "other-app",
            "client_secret": "other-app-secret-xxxxxxxx",
            "redirect_uris": redirect_uris,
        },
    ]
    config.write_text(json.dumps({"clients": clients, "accounts": ACCOUNTS}))
    port = _free_port()
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs"), str(port), str(config)],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the provider listens (or exits)
        if not line.startswith("listening "):
            raise RuntimeError(f"the OIDC provider did not start: {line!r}")
        yield Provider(line.split()[1], process)
    finally:
        process.terminate()
        process.wait(timeout=10)
