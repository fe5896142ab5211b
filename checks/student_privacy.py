"""Posts name students only as far as their consent allows (full names, media, account kind).

The roster reaches the check as keyed hashes (`account.roster`, prepared by the cycle);
the check never sees a name in clear and never writes one: its evidence shows the words
of the post around each match with the name replaced by the student's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.base import (
    CMSD82,
    CRPS,
    LPSD,
    NW,
    PARK_WEST,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Status,
    check,
)
from checks.names import FIRST, FULL, STRENGTH, Match, Roster, Student, normalise
from connectors.base import AccountSnapshot, Fact, Post

_MAX_EXAMPLES = 50  # findings kept in the evidence: each can be answered by id
_CONTEXT = 60  # characters of the post shown either side of a name

NOT_THIS_KIND = "full name on an account that may not share student information"
NO_FULL_CONSENT = "full name without full-name consent"
NO_MEDIA_CONSENT = "named without media consent on a post with a photo or video"
_IN_DETAIL = 3  # mentions spelled out in the one-sentence detail (all are in the evidence)


@dataclass(frozen=True, slots=True)
class _Hit:
    """The strongest mention of one student in one post, and the text it is in."""

    post: Post
    match: Match
    text: str
    spans: list[tuple[int, int]]

    @property
    def student(self) -> Student:
        return self.match.student

    @property
    def kind(self) -> str:
        return self.match.kind


def _texts(post: Post) -> list[str]:
    """Everything the account itself published on the post."""
    own = [c.text for c in post.comments if c.by_account and c.text]
    # Composed, so the matcher's offsets are offsets into the text the excerpt slices.
    return [normalise(t) for t in (post.text, *post.alt_texts, *own, *post.own_replies) if t]


def excerpt(text: str, match: Match, spans: list[tuple[int, int]]) -> str:
    """The words around `match`, every roster name in them masked ([student ID] or [name])."""
    lo, hi = max(0, match.start - _CONTEXT), min(len(text), match.end + _CONTEXT)
    while lo > 0 and not text[lo - 1].isspace():  # whole words only
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    for start, end in spans:  # a name cut by the window is never half shown
        if start < lo < end:
            lo = start
        if start < hi < end:
            hi = end
    # Longest phrase first at each start, so "Jane Doe" is masked whole, not as "Jane".
    masks = sorted(
        (
            (start, -end, f"[student {match.student.student_id}]")
            if (start, end) == (match.start, match.end)
            else (start, -end, "[name]")
        )
        for start, end in {*spans, (match.start, match.end)}
        if start < hi and end > lo
    )
    out: list[str] = []
    cursor = lo
    for start, negative_end, label in masks:
        end = -negative_end
        if start < cursor:  # a phrase inside one already masked
            cursor = max(cursor, end)
            continue
        out += [text[cursor:start], label]
        cursor = end
    out.append(text[cursor:hi])
    body = " ".join("".join(out).split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


def _hits(post: Post, roster: Roster, account: AccountView) -> list[_Hit]:
    """One hit per student named in the post, on this account's school (or district-wide)."""
    school = None if account.kind == "district" else account.school
    best: dict[str, _Hit] = {}
    for text in _texts(post):
        scan = roster.scan(text, school)
        for match in scan.matches:
            if match.kind not in (FULL, FIRST):
                continue  # a surname alone, a first name that is a common word
            held = best.get(match.student.student_id)
            if held is None or STRENGTH[match.kind] > STRENGTH[held.kind]:
                best[match.student.student_id] = _Hit(post, match, text, scan.spans)
    return list(best.values())


def _reason(hit: _Hit, may_share: bool) -> str | None:
    """Why this mention is a lapse; None when the student's consent covers it."""
    if hit.kind == FULL and not may_share:
        return NOT_THIS_KIND
    if hit.kind == FULL and hit.student.consent != "full":
        return NO_FULL_CONSENT
    if hit.student.consent == "none" and hit.post.has_media:
        return NO_MEDIA_CONSENT
    return None


def _example(hit: _Hit, reason: str, account: AccountView) -> dict[str, object]:
    example: dict[str, object] = {
        "post_id": hit.post.post_id,
        "permalink": hit.post.permalink,
        "student_id": hit.student.student_id,
        "reason": reason,
        "excerpt": excerpt(hit.text, hit.match, hit.spans),
    }
    marked = account.privacy_resolutions.get((hit.post.post_id, hit.student.student_id))
    if marked is not None and marked.kind == "edited":
        example["marked_edited"] = f"{marked.by} on {marked.at:%Y-%m-%d}"
    return example


@check(
    id="student_privacy",
    title="Posts respect students' consent",
    clauses=(
        Citation(PARK_WEST, "Guidelines: first name only unless full-name consent"),
        Citation(CMSD82, "C.3.e"),
        Citation(LPSD, "3.3"),
        Citation(NW, "1.10.1"),
        Citation(CRPS, "2.a"),
    ),
    remediation=(
        "Edit the post to use the first name only (or remove the photo), or record the "
        "consent on file with 'socmon students resolve'."
    ),
    severity="high",
    # Post texts, and the account's own replies among the comments.
    reads=(Fact.POSTS, Fact.COMMENTS),
)
def student_privacy(
    account: AccountView, snapshot: AccountSnapshot, options: CheckOptions
) -> Finding:
    """Lapse when a post names a student beyond the consent the roster records."""
    who = account.account_id
    roster = account.roster
    if roster is None:
        return Finding(
            "student_privacy",
            Status.UNKNOWN,
            f"{who}: students' names cannot be checked ({account.roster_missing}).",
            {"reason": account.roster_missing},
        )
    if not snapshot.exposes(Fact.POSTS):
        why = snapshot.unexposed.get(Fact.POSTS, "not exposed by the platform")
        return Finding(
            "student_privacy",
            Status.UNKNOWN,
            f"{who}: the posts cannot be read ({why}).",
            {"reason": why},
        )
    may_share = account.kind in options.student_info_kinds
    lapses: list[dict[str, object]] = []
    media_unknown: list[str] = []
    for post in snapshot.posts:
        for hit in _hits(post, roster, account):
            marked = account.privacy_resolutions.get((post.post_id, hit.student.student_id))
            reason = _reason(hit, may_share)
            if (
                reason in (NO_FULL_CONSENT, NO_MEDIA_CONSENT)
                and marked
                and marked.kind == "consent"
            ):
                continue  # a manager recorded the parents' consent for this post
            if reason is not None:
                lapses.append(_example(hit, reason, account))
            elif hit.student.consent == "none" and hit.post.has_media is None:
                media_unknown.append(post.post_id)
    evidence: dict[str, object] = {
        "posts_read": len(snapshot.posts),
        "account_kind": account.kind,
        "may_share_student_information": may_share,
    }
    if lapses:
        posts = {str(item["post_id"]) for item in lapses}
        evidence["findings"] = lapses[:_MAX_EXAMPLES]
        evidence["mentions"] = len(lapses)
        noun = "post names" if len(posts) == 1 else "posts name"
        # Each with its post id and link: what `socmon students resolve` and the manager need.
        listed = "; ".join(
            f"student {item['student_id']}, {item['reason']} (post {item['post_id']} "
            f"{item['permalink']})".replace(" )", ")")
            for item in lapses[:_IN_DETAIL]
        )
        more = f"; and {len(lapses) - _IN_DETAIL} more" if len(lapses) > _IN_DETAIL else ""
        return Finding(
            "student_privacy",
            Status.LAPSE,
            f"{who}: {len(posts)} {noun} students beyond their consent: {listed}{more}.",
            evidence,
        )
    if not snapshot.post_text_read:
        # What was read proves nothing, but some of what the account published was not read.
        why = "the connector did not read everything the account published on its posts"
        evidence["reason"] = why
        return Finding("student_privacy", Status.UNKNOWN, f"{who}: {why}.", evidence)
    if media_unknown:
        evidence["post_ids"] = sorted(set(media_unknown))[:_MAX_EXAMPLES]
        return Finding(
            "student_privacy",
            Status.UNKNOWN,
            f"{who}: a post names a student without media consent, and the platform does "
            "not say whether it carries a photo or video.",
            evidence,
        )
    return Finding(
        "student_privacy",
        Status.PASS,
        f"{who}: no post names a student beyond their consent.",
        evidence,
    )
