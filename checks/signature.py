"""The district signature text or the district logo appears on the profile."""

from __future__ import annotations

import unicodedata

from checks.base import (
    CMSD82,
    CRPS,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Status,
    check,
    unexposed,
)
from connectors.base import AccountSnapshot, Fact


def _norm(text: str) -> str:
    """Case-folded, compatibility-normalised text with runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@check(
    id="signature",
    title="District signature or logo on the profile",
    clauses=(Citation(CRPS, "1.a"), Citation(CMSD82, "C.2.d")),
    remediation=(
        "Add the district signature text to the profile's about/bio, or put the current "
        "district logo in the banner or profile picture."
    ),
    severity="low",
    reads=(Fact.PROFILE, Fact.IMAGES),
)
def signature(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """Pass on the signature text or a detected logo; lapse when neither is there."""
    who = account.account_id
    evidence: dict[str, object] = {
        "signature_texts": list(options.signature_texts),
        "logo_seen": dict(snapshot.logo_seen),
        # When each image's content was last analysed (a verdict is reused until it changes).
        "logo_analysed_at": {
            image: at.isoformat() for image, at in sorted(snapshot.logo_analysed_at.items())
        },
    }
    if snapshot.exposes(Fact.PROFILE):
        profile = _norm(snapshot.profile_text)
        for text in options.signature_texts:
            if _norm(text) and _norm(text) in profile:
                evidence["matched_text"] = text
                return Finding(
                    "signature",
                    Status.PASS,
                    f"{who}: the profile carries the signature text {text!r}.",
                    evidence,
                )
    seen = sorted(image for image, found in snapshot.logo_seen.items() if found is True)
    if seen:
        return Finding(
            "signature",
            Status.PASS,
            f"{who}: the district logo appears in the {' and '.join(seen)}.",
            evidence,
        )
    # The text is missing and no logo was seen: only a lapse once nothing is left undecided.
    if not snapshot.exposes(Fact.PROFILE):
        return unexposed("signature", account, snapshot, Fact.PROFILE)
    undecided = sorted(image for image, found in snapshot.logo_seen.items() if found is None)
    if undecided:
        return Finding(
            "signature",
            Status.UNKNOWN,
            f"{who}: no signature text, and the {' and '.join(undecided)} could not be "
            "checked for the logo.",
            evidence,
        )
    if not snapshot.logo_seen and not snapshot.exposes(Fact.IMAGES):
        return unexposed("signature", account, snapshot, Fact.IMAGES)
    # No logo results at all means no district logo is configured: the text is then the only way.
    images = " and ".join(sorted(snapshot.logo_seen)) or "images (no district logo configured)"
    return Finding(
        "signature",
        Status.LAPSE,
        f"{who}: the profile has no district signature text and the district logo is not in "
        f"the {images}.",
        evidence,
    )
