"""connector_health: a credential that is revoked, about to expire or short of a permission lapses."""

from __future__ import annotations

from datetime import timedelta

from check_factories import NOW, account, options, snapshot

from checks.connector_health import (
    BUSINESS_SCOPE,
    FACEBOOK_SCOPES,
    TokenFacts,
    connector_health,
    credential_finding,
    credential_id,
    needed_scopes,
)

ALL = (*FACEBOOK_SCOPES, BUSINESS_SCOPE)


def facebook(token: TokenFacts | None) -> tuple[str, str]:
    needed = needed_scopes("facebook", business_id="82")
    finding = credential_finding("facebook", NOW, label="Facebook", token=token, needed=needed)
    assert finding.check_id == "connector_health"
    return finding.status.value, finding.detail


def test_a_valid_token_with_every_scope_and_no_expiry_passes() -> None:
    status, detail = facebook(TokenFacts(True, scopes=ALL))
    assert status == "pass"
    assert detail == (
        "credential-facebook: the Facebook credential is valid with no expiry date and has "
        "every permission needed."
    )


def test_a_token_expiring_within_14_days_lapses_with_the_date() -> None:
    status, detail = facebook(TokenFacts(True, expires_at=NOW + timedelta(days=10), scopes=ALL))
    assert status == "lapse"
    assert "expires on 2025-03-20, in 10 days" in detail


def test_a_token_expiring_in_15_days_still_passes() -> None:
    assert facebook(TokenFacts(True, expires_at=NOW + timedelta(days=15), scopes=ALL))[0] == "pass"


def test_data_access_about_to_end_lapses_too() -> None:
    token = TokenFacts(True, data_access_expires_at=NOW + timedelta(days=3), scopes=ALL)
    status, detail = facebook(token)
    assert status == "lapse" and "loses data access on 2025-03-13" in detail


def test_a_token_missing_a_scope_a_check_needs_lapses_naming_it() -> None:
    scopes = tuple(s for s in ALL if s != "pages_manage_metadata")
    status, detail = facebook(TokenFacts(True, scopes=scopes))
    assert status == "lapse"
    assert "lacks the permission pages_manage_metadata" in detail


def test_business_management_is_needed_only_with_a_business_id() -> None:
    assert BUSINESS_SCOPE in needed_scopes("facebook", business_id="82")
    assert BUSINESS_SCOPE not in needed_scopes("facebook")
    assert needed_scopes("x") == ()


def test_an_invalid_or_revoked_token_lapses() -> None:
    status, detail = facebook(TokenFacts(False, error="Session has expired"))
    assert status == "lapse"
    assert "is invalid or revoked (Session has expired)" in detail


def test_an_authentication_failure_during_the_cycle_lapses_for_any_platform() -> None:
    finding = credential_finding(
        "x", NOW, label="X", auth_failures=["X token rejected"], accounts_read=0
    )
    assert finding.status == "lapse"
    assert finding.detail.startswith("credential-x: the X credential was refused for 1 account")


def test_a_credential_that_read_accounts_without_failure_passes() -> None:
    finding = credential_finding("youtube", NOW, label="YouTube", accounts_read=4)
    assert finding.status == "pass"


def test_a_token_that_could_not_be_inspected_and_read_nothing_is_unknown() -> None:
    finding = credential_finding(
        "facebook", NOW, label="Facebook", token_error="Facebook unavailable"
    )
    assert finding.status == "unknown"
    assert "Facebook unavailable" in finding.detail


def test_the_pseudo_account_is_named_after_the_platform() -> None:
    assert credential_id("youtube") == "credential-youtube"


def test_one_snapshot_alone_is_unknown_never_pass() -> None:
    assert connector_health.run(account(), snapshot(), options()).status == "unknown"


def test_a_spent_x_usage_cap_is_a_lapse_for_it_naming_the_cap() -> None:
    cap = "the X monthly read cap is reached. X said (HTTP 429): UsageCapExceeded"
    finding = credential_finding("x", NOW, label="X", capped=[cap, cap], accounts_read=0)
    assert finding.status == "lapse"
    assert "hit its usage cap: 2 accounts unread" in finding.detail
    assert "the X monthly read cap is reached" in finding.detail
    assert finding.evidence["capped"] == 2


def test_youtube_channels_without_their_own_grant_are_named_in_a_lapse() -> None:
    finding = credential_finding(
        "youtube", NOW, label="YouTube", without_grant=["bayview-yt"], accounts_read=3
    )
    assert finding.status == "lapse"
    assert "lacks the channel's own grant for 1 channel (bayview-yt)" in finding.detail
    assert "socmon connect youtube ACCOUNT" in finding.detail
    assert finding.evidence["without_grant"] == ["bayview-yt"]


def test_instagram_names_the_missing_instagram_permission() -> None:
    token = TokenFacts(is_valid=True, scopes=("instagram_basic", "pages_read_engagement"))
    needed = needed_scopes("instagram", business_id="300000000000082")
    finding = credential_finding("instagram", NOW, label="Instagram", token=token, needed=needed)
    assert finding.status == "lapse"
    assert "lacks the permission instagram_manage_comments, business_management" in finding.detail


def test_the_comments_remediation_never_asks_for_a_like_on_instagram() -> None:
    from checks.comments import comments

    assert "like" not in comments.remediation_for("instagram").lower()
    assert "like" in comments.remediation_for("facebook").lower()
