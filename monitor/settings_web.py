"""The `[web]` and `[web.oidc]` sections of the district configuration."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from monitor.fieldtypes import Host, OptionalPublicUrl, SafePath, SecretName

LOOPBACK = ("127.0.0.1", "::1", "localhost")
Role = Literal["comms", "manager", "it"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Oidc(_Section):
    """Sign-in with the district's identity provider (Entra ID, Google Workspace)."""

    # e.g. https://login.microsoftonline.com/<tenant>/v2.0 or https://accounts.google.com
    issuer: str = Field(min_length=8, max_length=500)
    client_id: str = Field(min_length=1, max_length=500)
    # The *name* of the secret holding the client secret, never the secret itself.
    client_secret_secret: SecretName
    allowed_domains: tuple[str, ...] = Field(min_length=1)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    # A claim listing groups or app roles (Entra "groups"/"roles"); empty: roles come only
    # from `socmon users`.
    role_claim: str = Field("", max_length=100)
    # Claim value (group object id, role name) -> socmon role; the first match in
    # comms, it, manager order wins.
    role_map: dict[str, Role] = {}
    button_label: str = Field("Sign in with your district account", min_length=1, max_length=100)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        plain_loopback = parts.scheme == "http" and parts.hostname in LOOPBACK
        if parts.scheme != "https" and not plain_loopback:
            raise ValueError("must be an https:// URL (plain http only on 127.0.0.1 for tests)")
        return value.rstrip("/")

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for domain in value:
            if "@" in domain or "." not in domain or " " in domain:
                raise ValueError(f"{domain!r} is not a domain name like cmsd82.ca")
        return tuple(d.lower() for d in value)


class Web(_Section):
    # Never empty (that would listen on every interface); another address only when written.
    host: Host = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    unix_socket: SafePath | None = None
    # Public address of the web page, used for links in digests; empty: no links.
    public_url: OptionalPublicUrl = ""
    secret_key_secret: SecretName = "SOCMON_WEB_SECRET"
    trusted_user_header: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9-]*$")
    # A session ends this long after sign-in (absolute) or after this long unused (idle).
    session_hours: int = Field(12, ge=1, le=24 * 30)
    session_idle_minutes: int = Field(60, ge=5, le=24 * 60)
    link_valid_days: int = Field(7, ge=1, le=60)
    # Local passwords (argon2id); switch off when everyone signs in through [web.oidc].
    local_passwords: StrictBool = True
    # Sign-in throttling: failures counted over this window, per client address and per
    # (address, email typed); never a lock on the account itself.
    login_window_minutes: int = Field(15, ge=1, le=24 * 60)
    login_max_per_account: int = Field(5, ge=1, le=100)
    login_max_per_address: int = Field(30, ge=1, le=10_000)
    # Behind the district's reverse proxy: the header it sets to the client's address
    # (e.g. X-Forwarded-For; its last value is used). Empty: the connection's address.
    client_address_header: str = Field("", max_length=100)
    oidc: Oidc | None = None

    @model_validator(mode="after")
    def _some_sign_in(self) -> Web:
        if not self.local_passwords and self.oidc is None and not self.trusted_user_header:
            raise ValueError(
                "local_passwords is off and neither [web.oidc] nor trusted_user_header is set: "
                "no one could sign in"
            )
        if self.oidc is not None and not self.public_url:
            # The provider sends the browser back to public_url + /oidc/callback.
            raise ValueError("[web.oidc] needs public_url (the address registered at the provider)")
        return self
