"""Facebook groups: registered and attested, never read (the Groups API was removed in 2024)."""

from __future__ import annotations

from monitor.platforms.base import PlatformConfig, PlatformSpec

FACEBOOK_GROUP: PlatformSpec[PlatformConfig] = PlatformSpec(
    id="facebook_group",
    label="Facebook group",
    profile_url="https://www.facebook.com/groups/{id}",
    no_api_reason="the Facebook Groups API was removed on 2024-04-22",
)
