"""The daily digest's view-model: per recipient, their accounts grouped by school.

Templates receive these prepared objects (grouped, sorted, dates formatted) and do no
logic of their own. Strings from platforms (page names, details quoting them) stay raw
here; the HTML template escapes them, the text template prints them as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from checks import ALL_CHECKS
from monitor.registry import PLATFORMS, Account
from monitor.settings import Settings
from notifications.links import PLATFORM_LABELS, Links, account_url
from notifications.outbox import FailedDigest
from notifications.recipients import Role, audience_of, recipients_for, spec_for, unknown_recipients
from notifications.schooldays import DayCounter
from notifications.state import LapseRow, StoreView

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ORDER = {spec.id: i for i, spec in enumerate(ALL_CHECKS)}


@dataclass(frozen=True, slots=True)
class LapseItem:
    """One lapse as a digest line: what is wrong, what to do, which clause."""

    id: int
    check_id: str
    title: str
    detail: str
    remediation: str
    clauses: str
    opened_on: str
    age_days: int
    resolved_on: str = ""
    escalated: bool = False


@dataclass
class AccountBlock:
    """One account in a digest, with its lapses in three sections."""

    account_id: str
    platform: str
    url: str
    role: str
    new: list[LapseItem] = field(default_factory=list)
    open: list[LapseItem] = field(default_factory=list)
    resolved: list[LapseItem] = field(default_factory=list)
    muted: int = 0
    unknown_since: str = ""
    unknown_days: int = 0
    unknown_reason: str = ""
    history_url: str = ""
    review_url: str = ""

    @property
    def has_news(self) -> bool:
        return bool(self.new or self.open or self.resolved or self.unknown_since)


@dataclass(frozen=True, slots=True)
class SchoolBlock:
    school: str
    accounts: list[AccountBlock]


@dataclass(frozen=True, slots=True)
class DailyDigest:
    """Everything the daily templates show to one recipient."""

    recipient: str
    period: str
    district: str
    date_label: str
    age_unit: str
    escalate_after_days: int
    schools: list[SchoolBlock]
    new_count: int
    open_count: int
    resolved_count: int
    unknown_count: int
    escalated_count: int
    lapse_ids: list[int]
    # "" or why the lapses may be out of date (no complete check cycle today).
    check_note: str = ""
    # IT's digest only: digests that used up their attempts.
    failed_digests: list[FailedDigest] = field(default_factory=list)


def fmt_day(day: date) -> str:
    """'Mon 23 Nov 2026', the same whatever the machine's locale."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def fmt_date(at: datetime, counter: DayCounter) -> str:
    return fmt_day(counter.local_date(at))


def _item(
    lapse: LapseRow, counter: DayCounter, now: datetime, escalate_after: int, platform: str = ""
) -> LapseItem:
    spec = spec_for(lapse.check_id)
    age = counter.age(lapse.opened_at, now)
    return LapseItem(
        id=lapse.id,
        check_id=lapse.check_id,
        title=spec.title if spec else lapse.check_id.replace("_", " "),
        detail=lapse.detail,
        remediation=(
            spec.remediation_for(platform) if spec else "Renew or fix the platform credential."
        ),
        clauses=spec.clause_text if spec else "operational",
        opened_on=fmt_date(lapse.opened_at, counter),
        age_days=age,
        resolved_on=fmt_date(lapse.resolved_at, counter) if lapse.resolved_at else "",
        escalated=lapse.status == "open" and age > escalate_after,
    )


class _Blocks:
    """recipient -> account id -> block, filled lapse by lapse."""

    def __init__(self, accounts: dict[str, Account]) -> None:
        self.accounts = accounts
        self.by_recipient: dict[str, dict[str, AccountBlock]] = {}

    def block(self, email: str, account: Account, role: Role) -> AccountBlock:
        mine = self.by_recipient.setdefault(email, {})
        block = mine.get(account.id)
        if block is None:
            block = AccountBlock(
                account_id=account.id,
                platform=PLATFORM_LABELS.get(account.platform, account.platform),
                url=account_url(account.platform, account.platform_id),
                role=role.value,
            )
            mine[account.id] = block
        elif role is Role.MANAGER:
            block.role = role.value  # a manager sees everything, whatever else they are
        return block


def _account_for(by_id: dict[str, Account], account_id: str, audience: str) -> Account | None:
    """The registry account, or for IT and communications lapses on a pseudo-account
    (credential-facebook, unregistered-facebook-123) a stand-in that names the district."""
    account = by_id.get(account_id)
    if account is None and audience in ("it", "communications"):
        platform = account_id.split("-")[1] if account_id.count("-") else ""
        account = Account.model_construct(
            id=account_id,
            platform=platform if platform in PLATFORMS else "facebook",
            platform_id=account_id.rsplit("-", 1)[-1],
            school="(district)",
            kind="school",
            audience="public",
            managers=(),
            principals=(),
            website="",
            approval="",
        )
        by_id[account_id] = account
    return account


def build_daily(
    store: StoreView,
    accounts: Sequence[Account],
    settings: Settings,
    counter: DayCounter,
    links: Links,
    now: datetime,
    period: str,
) -> list[DailyDigest]:
    """One digest per recipient with something to say, sorted by recipient."""
    escalate_after = settings.digest.escalate_after_days
    by_id = {a.id: a for a in accounts}
    blocks = _Blocks(by_id)
    for lapse in store.active:
        audience = audience_of(lapse.check_id)
        account = _account_for(by_id, lapse.account_id, audience)
        if account is None:
            continue  # removed from the registry: nobody to tell
        item = _item(lapse, counter, now, escalate_after, account.platform)
        for email, role in recipients_for(account, audience, settings, escalated=item.escalated):
            block = blocks.block(email, account, role)
            if lapse.status == "muted":
                block.muted += 1
            elif role is Role.PRINCIPAL:
                block.open.append(item)  # escalated lapses are old by definition
            else:
                since = store.last_sent.get(email)
                (block.new if since is None or lapse.opened_at > since else block.open).append(item)
    for lapse in store.resolved:
        account = _account_for(by_id, lapse.account_id, audience_of(lapse.check_id))
        if account is None or lapse.resolved_at is None:
            continue
        item = _item(lapse, counter, now, escalate_after, account.platform)
        for email, role in recipients_for(account, audience_of(lapse.check_id), settings):
            since = store.last_sent.get(email)
            # Only what this person was told about: opened before, resolved after, their last digest.
            if since is not None and lapse.opened_at <= since < lapse.resolved_at:
                blocks.block(email, account, role).resolved.append(item)
    for unknown in store.unknown.values():
        account = by_id.get(unknown.account_id)
        if account is None:
            continue
        for email, role in unknown_recipients(account, settings):
            block = blocks.block(email, account, role)
            block.unknown_since = fmt_date(unknown.since, counter)
            block.unknown_days = (now - unknown.since).days
            block.unknown_reason = unknown.reason
    unit = "school days" if settings.digest.school_days_only else "days"
    digests = [
        digest
        for email in sorted(blocks.by_recipient)
        if (
            digest := _assemble(
                email,
                blocks.by_recipient[email],
                by_id,
                settings,
                links,
                now,
                period,
                unit,
                counter,
            )
        )
        is not None
    ]
    return _with_operations(digests, store, settings, now, period, unit, counter)


def _with_operations(
    digests: list[DailyDigest],
    store: StoreView,
    settings: Settings,
    now: datetime,
    period: str,
    unit: str,
    counter: DayCounter,
) -> list[DailyDigest]:
    """Every digest says when no complete check backs it; IT's lists the digests that failed."""
    out = [replace(d, check_note=store.check_note) for d in digests]
    it = settings.district.it_contact.lower()
    if not it or not store.failed_digests:
        return out
    mine = next((d for d in out if d.recipient == it), None)
    if mine is None:
        mine = DailyDigest(
            recipient=it,
            period=period,
            district=settings.district.name,
            date_label=fmt_date(now, counter),
            age_unit=unit,
            escalate_after_days=settings.digest.escalate_after_days,
            schools=[],
            new_count=0,
            open_count=0,
            resolved_count=0,
            unknown_count=0,
            escalated_count=0,
            lapse_ids=[],
            check_note=store.check_note,
        )
        out.append(mine)
        out.sort(key=lambda d: d.recipient)
    out[out.index(mine)] = replace(mine, failed_digests=list(store.failed_digests))
    return out


def _assemble(
    email: str,
    blocks: dict[str, AccountBlock],
    accounts: dict[str, Account],
    settings: Settings,
    links: Links,
    now: datetime,
    period: str,
    unit: str,
    counter: DayCounter,
) -> DailyDigest | None:
    schools: dict[str, list[AccountBlock]] = {}
    lapse_ids: list[int] = []
    for account_id in sorted(blocks):
        block = blocks[account_id]
        if not block.has_news:
            continue  # muted only: nothing to say about this account
        for section in (block.new, block.open, block.resolved):
            section.sort(key=lambda i: (_ORDER.get(i.check_id, len(_ORDER)), i.id))
            lapse_ids.extend(i.id for i in section)
        block.history_url = links.url("history", email, account_id)
        if any(i.check_id == "comments" for i in (*block.new, *block.open)):
            block.review_url = links.url("review", email, account_id)
        schools.setdefault(accounts[account_id].school, []).append(block)
    if not schools:
        return None
    all_blocks = [b for bs in schools.values() for b in bs]
    return DailyDigest(
        recipient=email,
        period=period,
        district=settings.district.name,
        date_label=fmt_date(now, counter),
        age_unit=unit,
        escalate_after_days=settings.digest.escalate_after_days,
        schools=[SchoolBlock(s, schools[s]) for s in sorted(schools)],
        new_count=sum(len(b.new) for b in all_blocks),
        open_count=sum(len(b.open) for b in all_blocks),
        resolved_count=sum(len(b.resolved) for b in all_blocks),
        unknown_count=sum(1 for b in all_blocks if b.unknown_since),
        escalated_count=sum(1 for b in all_blocks for i in (*b.new, *b.open) if i.escalated),
        lapse_ids=sorted(set(lapse_ids)),
    )
