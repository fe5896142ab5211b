"""What a district-scope check reads and what its findings are about.

A district check (`@check(scope="district")`) does not look at one account's snapshot:
it judges facts gathered once per cycle (the business's owned pages, each platform
credential) and answers for *subjects*. A subject is either a registered account (a
registered page the business no longer owns) or something no account stands for (a
platform's credential, an owned page missing from the directory); the latter is stored
and shown as district-wide, by its platform and key, never as a made-up account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from checks.finding import Finding


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """What a district finding is about: a registered account, or a district-wide key."""

    platform: str
    # District-wide: the platform itself (its credential) or an owned page's platform id.
    key: str = ""
    # Set when the finding is about a registered account (then `key` is unused).
    account_id: str = ""

    @property
    def scope(self) -> str:
        return "account" if self.account_id else "district"

    @property
    def label(self) -> str:
        """How people read it: the account id, or e.g. "facebook credential", "facebook page 99"."""
        return self.describe(self.platform)

    def describe(self, platform_label: str) -> str:
        """The label with the platform spelled as given ("Facebook credential")."""
        if self.account_id:
            return self.account_id
        if self.key == self.platform:
            return f"{platform_label} credential"
        return f"{platform_label} page {self.key}"

    @classmethod
    def account(cls, platform: str, account_id: str) -> Subject:
        return cls(platform, "", account_id)

    @classmethod
    def credential(cls, platform: str) -> Subject:
        """A platform's credential: the platform is its own key."""
        return cls(platform, platform)

    @classmethod
    def page(cls, platform: str, page_id: str) -> Subject:
        """A page with no account in the directory, by its platform id."""
        return cls(platform, page_id)


@dataclass(frozen=True, slots=True)
class DistrictFinding:
    """One district check's verdict on one subject."""

    subject: Subject
    finding: Finding


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """What the platform reports about a credential (Facebook's debug_token)."""

    is_valid: bool
    expires_at: datetime | None = None  # None: never expires
    data_access_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """One platform credential: what the platform says of it and how this cycle's reads went."""

    platform: str
    token: TokenFacts | None = None
    token_error: str = ""
    auth_failures: tuple[str, ...] = ()
    capped: tuple[str, ...] = ()
    without_grant: tuple[str, ...] = ()
    accounts_read: int = 0
    needed: tuple[str, ...] = ()
    label: str = ""  # the platform's name for people ("YouTube"); the id when empty


@dataclass(frozen=True, slots=True)
class OwnershipFacts:
    """The pages a business owns (None: not listed) against the directory's pages."""

    platform: str
    business_id: str
    registered_pages: Mapping[str, str]  # page id -> account id
    owned: Mapping[str, str] | None  # page id -> page name
    error: str = ""
    # Page ids with an open "unregistered" lapse, so a page since registered gets its pass.
    open_unregistered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DistrictView:
    """Everything a district check may read, gathered once per cycle."""

    now: datetime
    credentials: tuple[CredentialFacts, ...] = ()
    ownership: tuple[OwnershipFacts, ...] = field(default=())
