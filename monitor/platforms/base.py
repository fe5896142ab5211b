"""What every platform declaration is made of: its config model, its connector factory, its facts.

A platform's `[platforms.<id>]` table is validated by that platform's own model, so a key
another platform uses (Facebook's `business_id` under `[platforms.x]`) is an unknown key,
not a setting silently ignored. The fields every platform shares, and their bounds, are
written once here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from checks.capabilities import CAPABILITIES, Capability
from connectors.base import Connector
from connectors.facebook import RolesApart
from connectors.graph_client import GraphClient
from connectors.graph_throttle import GraphThrottle
from connectors.http import RetryPolicy
from connectors.options import ReadOptions
from monitor.errors import UserError
from monitor.fieldtypes import HttpUrl, OptionalSecretName, Segment
from monitor.secrets import SecretMissing, resolve_secret

# The Graph API version Facebook and Instagram are read with when the config names none.
GRAPH_VERSION = "v26.0"


class PlatformConfig(BaseModel):
    """The keys every `[platforms.<id>]` table has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: StrictBool = True
    base_url: HttpUrl
    # Names of secrets (environment variable / credential name), never the values.
    token_secret: OptionalSecretName = ""
    # Accounts fetched at once: a cycle starts at `concurrency` and adapts to the platform's
    # usage and latency up to `max_concurrency` (monitor.concurrency); a maximum at or
    # below `concurrency` fixes it there.
    concurrency: int = Field(16, ge=1, le=256)
    max_concurrency: int = Field(64, ge=1, le=256)
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    max_retries: int = Field(3, ge=0, le=10)
    # Page sizes: posts and comments asked for per call (every page is followed to the end).
    max_posts: int = Field(10, ge=1, le=100)
    max_comments: int = Field(50, ge=1, le=500)
    # Requests one account may cost per cycle; past it the account's comments are unknown.
    max_calls_per_account: int = Field(50, ge=2, le=100_000)

    def read(self) -> ReadOptions:
        """How much of one account a cycle reads."""
        return ReadOptions(
            max_posts=self.max_posts,
            max_comments=self.max_comments,
            max_calls_per_account=self.max_calls_per_account,
        )

    @classmethod
    def secret_keys(cls) -> tuple[str, ...]:
        """The keys that name secrets (`*_secret`), in declaration order."""
        return tuple(name for name in cls.model_fields if name.endswith("_secret"))


class HorizonConfig(PlatformConfig):
    """A platform whose comments are read back a configurable number of days."""

    # Posts published or commented on in this many days have every comment read.
    comment_horizon_days: int = Field(90, ge=1, le=3650)

    def read(self) -> ReadOptions:
        return replace(super().read(), comment_horizon_days=self.comment_horizon_days)


class GraphConfig(HorizonConfig):
    """Facebook and Instagram: the same Graph host and version."""

    api_version: Segment = ""

    @property
    def graph_version(self) -> str:
        return self.api_version or GRAPH_VERSION

    def graph(self, client: httpx.AsyncClient, ctx: BuildContext) -> GraphClient:
        """The Graph client Facebook and Instagram read through (one app throttle for both)."""
        return GraphClient(
            client,
            base_url=self.base_url,
            api_version=self.graph_version,
            retry=RetryPolicy(max_retries=self.max_retries),
            throttle=ctx.graph_throttle,
        )


@dataclass(frozen=True)
class BuildContext:
    """What a connector factory may read besides its own config table."""

    source: str  # the config file, so a missing secret names file and key
    state_dir: Path
    env: Mapping[str, str] | None
    clock: Callable[[], datetime]
    # Facebook and Instagram count against one Graph app: one throttle for both.
    graph_throttle: GraphThrottle
    # Facebook pages whose roles Graph refuses inside the page call (kept across cycles).
    roles_apart: RolesApart

    def secret(self, platform: str, key: str, name: str) -> str:
        """The value of the secret `name` that `[platforms.<platform>] <key>` names."""
        return read_secret(self.source, platform, key, name, self.env)


def read_secret(
    source: str, platform: str, key: str, name: str, env: Mapping[str, str] | None
) -> str:
    """A platform secret's value; a UserError naming `platforms.<platform>.<key>` otherwise."""
    where = f"platforms.{platform}.{key}"
    if not name:
        raise UserError.one(source, where, "is not set")
    try:
        return resolve_secret(name, env).get_secret_value()
    except SecretMissing as exc:
        raise UserError.one(source, where, str(exc)) from None


C = TypeVar("C", bound=PlatformConfig)
Factory = Callable[[C, BuildContext, httpx.AsyncClient], Connector]


@dataclass(frozen=True)
class PlatformSpec(Generic[C]):
    """One platform, declared once: everything else in socmon derives from these fields.

    `config` and `connect` are None for a platform socmon cannot read through an API
    (Facebook groups): its accounts are registered and their checks attested or unknown.
    The capability row (what each check can read there) is `checks.capabilities`
    keyed by `id`, because checks sit below this package and cannot import it.
    """

    id: str
    label: str
    # The account's public address; `{id}` is the registry's platform_id, URL-quoted.
    profile_url: str
    # The local imitation serving it (demo, benchmarks, end-to-end tests); "" without an API.
    sandbox: str = ""
    config: type[C] | None = None
    connect: Factory[C] | None = None
    # Why no API reads it, for a platform without `connect`: every fact says so.
    no_api_reason: str = ""

    @property
    def capabilities(self) -> Mapping[str, Capability]:
        """Its capability row: how each check is answered on this platform."""
        return CAPABILITIES[self.id]

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The config keys naming this platform's secrets (none without a config)."""
        return self.config.secret_keys() if self.config is not None else ()

    def configured(self, platforms: Mapping[str, PlatformConfig]) -> C | None:
        """This platform's validated table from `Settings.platforms`, or None when absent."""
        cfg = platforms.get(self.id)
        if cfg is None or self.config is None:
            return None
        if not isinstance(cfg, self.config):
            # Settings validation builds each table with its own model: this is a bug.
            raise TypeError(f"platforms.{self.id} is a {type(cfg).__name__}")
        return cfg

    def build(
        self, cfg: PlatformConfig, ctx: BuildContext, client: httpx.AsyncClient
    ) -> Connector | None:
        """The platform's connector, or None when it has no API connector."""
        if self.connect is None or self.config is None:
            return None
        if not isinstance(cfg, self.config):
            raise TypeError(f"platforms.{self.id} is a {type(cfg).__name__}")
        return self.connect(cfg, ctx, client)
