"""Once per cycle: the business's owned pages against the directory, and each platform credential.

Reads Facebook's owned_pages and debug_token (connectors.ownership), looks at how this
cycle's fetches went, asks checks.registered and checks.connector_health for the
verdicts and records them with `record_findings`, like any account's findings. Lapses
with no account of their own sit on pseudo-accounts ("unregistered-facebook-<page>",
"credential-<platform>"). A failed read is an unknown finding, never a pass.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.base import Finding
from checks.connector_health import PSEUDO_PREFIX as CREDENTIAL_PREFIX
from checks.connector_health import (
    TokenFacts,
    credential_finding,
    credential_id,
    needed_scopes,
)
from checks.registered import PSEUDO_PREFIX as UNREGISTERED_PREFIX
from checks.registered import ownership_findings
from connectors.base import ConnectorError
from connectors.http import RetryPolicy, build_client
from connectors.ownership import BusinessGraph, TokenInfo
from monitor.context import App
from monitor.lapses import Changes, record_findings
from monitor.platforms import LABELS
from monitor.platforms.base import GraphConfig
from monitor.platforms.facebook import FACEBOOK
from monitor.platforms.instagram import INSTAGRAM
from monitor.platforms.youtube import YOUTUBE
from monitor.registry import Account
from monitor.secrets import SecretMissing, resolve_secret
from monitor.store.db import transaction
from monitor.store.models import OPEN_STATES, AccountRow, CheckRun, CheckState, Lapse
from monitor.youtube_grants import grants_folder, load_grants

logger = logging.getLogger(__name__)

AUTH_KINDS = ("auth", "permission")
CAP_KINDS = ("usage_cap",)


@dataclass
class FacebookFacts:
    """What Facebook said about the business and the system token this cycle."""

    owned: dict[str, str] | None = None  # page id -> name; None: not listed
    owned_error: str = ""
    token: TokenInfo | None = None
    token_error: str = ""


@dataclass
class Fetches:
    """One platform's fetches in a cycle: authentication failures and accounts read."""

    auth_failures: list[str] = field(default_factory=list)
    ok: int = 0
    # Reads refused because the platform's billing cap is spent (X's monthly cap).
    capped: list[str] = field(default_factory=list)


async def read_facebook(graph: BusinessGraph, business_id: str) -> FacebookFacts:
    """List the owned pages (when there is a business id) and inspect the system token."""
    facts = FacebookFacts()
    if business_id:
        try:
            pages = await graph.owned_pages(business_id)
            facts.owned = {p.page_id: p.name for p in pages}
        except ConnectorError as exc:
            facts.owned_error = str(exc)
            logger.warning("could not list the business's pages kind=%s error=%s", exc.kind, exc)
    try:
        facts.token = await graph.debug_token()
    except ConnectorError as exc:
        facts.token_error = str(exc)
        logger.warning("could not inspect the Facebook token kind=%s error=%s", exc.kind, exc)
    return facts


def cycle_fetches(session: Session, cycle_id: int) -> dict[str, Fetches]:
    """Per platform: this cycle's authentication failures (messages) and accounts read."""
    query = (
        select(AccountRow.platform, CheckRun.outcome, CheckRun.error_kind, CheckRun.error)
        .join(AccountRow, AccountRow.id == CheckRun.account_id)
        .where(CheckRun.cycle_id == cycle_id)
    )
    out: dict[str, Fetches] = {}
    for platform, outcome, kind, error in session.execute(query):
        fetches = out.setdefault(platform, Fetches())
        if outcome == "ok":
            fetches.ok += 1
        elif kind in AUTH_KINDS:
            fetches.auth_failures.append(error)
        elif kind in CAP_KINDS:
            fetches.capped.append(error)
    return out


def _open_pseudo(session: Session, prefix: str, check_id: str) -> list[str]:
    query = select(Lapse.account_id).where(
        Lapse.account_id.startswith(prefix, autoescape=True),
        Lapse.check_id == check_id,
        Lapse.status.in_(OPEN_STATES),
    )
    return list(session.scalars(query))


def _token_facts(info: TokenInfo | None) -> TokenFacts | None:
    if info is None:
        return None
    return TokenFacts(
        info.is_valid, info.expires_at, info.data_access_expires_at, info.scopes, info.error
    )


def health_findings(
    session: Session,
    *,
    accounts: Sequence[Account],
    platforms: Sequence[str],
    fetches: Mapping[str, Fetches],
    facebook: FacebookFacts | None,
    business_id: str,
    at: datetime,
    without_grant: Sequence[str] = (),
    instagram: FacebookFacts | None = None,
) -> dict[str, Finding]:
    """Account id (real or pseudo) -> this cycle's registered / connector_health finding.

    `without_grant`: YouTube accounts whose channel has no grant of its own.
    """
    findings: dict[str, Finding] = {}
    for platform in platforms:
        seen = fetches.get(platform, Fetches())
        facts = {"facebook": facebook, "instagram": instagram}.get(platform)
        ungranted = without_grant if platform == "youtube" else ()
        quiet = not (seen.ok or seen.auth_failures or seen.capped or ungranted)
        if facts is None and quiet:
            continue  # nothing was asked of this credential: nothing to say
        findings[credential_id(platform)] = credential_finding(
            platform,
            at,
            label=LABELS.get(platform, platform),
            token=_token_facts(facts.token) if facts else None,
            token_error=facts.token_error if facts else "",
            auth_failures=seen.auth_failures,
            capped=seen.capped,
            without_grant=ungranted,
            accounts_read=seen.ok,
            needed=needed_scopes(platform, business_id=business_id),
        )
    if facebook is not None and business_id:
        pages = {a.platform_id: a.id for a in accounts if a.platform == "facebook"}
        findings.update(
            ownership_findings(
                pages,
                facebook.owned,
                business_id=business_id,
                error=facebook.owned_error,
                open_unregistered=_open_pseudo(session, UNREGISTERED_PREFIX, "registered"),
            )
        )
    return findings


async def check_health(
    app: App,
    cycle_id: int,
    env: Mapping[str, str] | None = None,
    *,
    client: httpx.AsyncClient | None = None,
) -> Changes:
    """Read Facebook's business and token facts, judge every credential, record the findings."""
    settings = app.settings
    cfg = FACEBOOK.configured(settings.platforms)
    facebook: FacebookFacts | None = None
    business_id = cfg.business_id if cfg is not None and cfg.enabled else ""
    if cfg is not None and cfg.enabled and cfg.token_secret:
        async with _business_graph("facebook", cfg, env, client) as graph:
            if graph is not None:
                facebook = await read_facebook(graph, business_id)
    platforms = [name for name, p in settings.platforms.items() if p.enabled]
    changes = Changes()
    at = app.clock()
    with transaction(app.sessions) as session:
        findings = health_findings(
            session,
            accounts=app.accounts,
            platforms=platforms,
            fetches=cycle_fetches(session, cycle_id),
            facebook=facebook,
            business_id=business_id,
            at=at,
            without_grant=_without_grant(app, env),
            instagram=await _inspect_instagram(app, env, client, business_id),
        )
        for account_id, finding in sorted(findings.items()):
            record_findings(session, account_id, [finding], at, changes=changes)
    return changes


@asynccontextmanager
async def _business_graph(
    platform: str, cfg: GraphConfig, env: Mapping[str, str] | None, client: httpx.AsyncClient | None
) -> AsyncIterator[BusinessGraph | None]:
    """A Graph client with `cfg`'s system token (its own HTTP client unless one is given).

    None, said once in the log, when the token's secret cannot be read.
    """
    try:
        token = resolve_secret(cfg.token_secret, env).get_secret_value()
    except SecretMissing as exc:
        logger.warning("credential health skipped for %s: %s", platform, exc)
        yield None
        return
    async with AsyncExitStack() as stack:
        http = client
        if http is None:
            http = await stack.enter_async_context(
                build_client(cfg.timeout_seconds, max_connections=2)
            )
        yield BusinessGraph(
            http,
            base_url=cfg.base_url,
            api_version=cfg.graph_version,
            system_token=token,
            retry=RetryPolicy(max_retries=cfg.max_retries),
        )


async def _inspect_instagram(
    app: App, env: Mapping[str, str] | None, client: httpx.AsyncClient | None, business_id: str
) -> FacebookFacts | None:
    """What debug_token says about the token Instagram is read with (its scopes)."""
    cfg = INSTAGRAM.configured(app.settings.platforms)
    if cfg is None or not cfg.enabled or not cfg.token_secret:
        return None
    facts = FacebookFacts()
    async with _business_graph("instagram", cfg, env, client) as graph:
        if graph is None:
            return None
        try:
            facts.token = await graph.debug_token()
        except ConnectorError as exc:
            facts.token_error = str(exc)
            logger.warning("could not inspect the Instagram token kind=%s error=%s", exc.kind, exc)
    return facts


def _without_grant(app: App, env: Mapping[str, str] | None) -> list[str]:
    """YouTube accounts whose channel has no grant of its own (none when one grant serves all)."""
    cfg = YOUTUBE.configured(app.settings.platforms)
    if cfg is None or not cfg.enabled or cfg.refresh_token_secret:
        return []
    grants = load_grants(grants_folder(app.settings.state_dir, env))
    return sorted(
        a.id for a in app.accounts if a.platform == "youtube" and a.platform_id not in grants
    )


@dataclass(frozen=True, slots=True)
class CredentialStatus:
    """One platform credential as `socmon status` shows it."""

    platform: str
    status: str  # pass | lapse | unknown
    detail: str
    checked_at: datetime
    since: datetime
    expires_at: str | None = None  # ISO date-time when the platform reports one


def credential_status(session: Session) -> list[CredentialStatus]:
    """The latest verdict on every platform credential, by platform."""
    query = (
        select(CheckState)
        .where(
            CheckState.account_id.startswith(CREDENTIAL_PREFIX, autoescape=True),
            CheckState.check_id == "connector_health",
        )
        .order_by(CheckState.account_id)
    )
    out = []
    for state in session.scalars(query):
        expires = state.evidence.get("expires_at")
        out.append(
            CredentialStatus(
                platform=state.account_id.removeprefix(CREDENTIAL_PREFIX),
                status=state.status,
                detail=state.detail,
                checked_at=state.checked_at,
                since=state.since,
                expires_at=expires if isinstance(expires, str) else None,
            )
        )
    return out
