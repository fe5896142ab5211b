"""Accounts given the same keys share pydantic's set of given keys, and behave as before."""

from __future__ import annotations

from monitor.registry import Account, validate_accounts
from sandbox.world import synthetic_registry

RAW = [
    *synthetic_registry(3),
    *(
        {"id": f"bare-{n}-fb", "platform": "facebook", "platform_id": f"9{n}", "school": "Bare",
         "managers": ["a@cmsd82.ca"]}
        for n in (1, 2)
    ),
]  # fmt: skip


def _load() -> list[Account]:
    return validate_accounts("accounts.yaml", RAW, ["cmsd82.ca"], lambda i, loc: f"#{i}")


def test_accounts_given_the_same_keys_share_one_set_and_others_keep_their_own() -> None:
    first, second, third, bare, _ = _load()
    assert first.model_fields_set is second.model_fields_set is third.model_fields_set
    assert first.principals[0].model_fields_set is second.principals[0].model_fields_set
    assert bare.model_fields_set is not first.model_fields_set
    for account, raw in zip(_load(), RAW, strict=True):
        fresh = Account.model_validate(raw)
        assert account.model_fields_set == fresh.model_fields_set
        assert account.model_dump(exclude_unset=True) == fresh.model_dump(exclude_unset=True)


def test_a_changed_copy_gets_its_own_set_and_leaves_the_shared_one_alone() -> None:
    *_, bare, other = _load()
    assert bare.model_fields_set is other.model_fields_set
    changed = bare.model_copy(update={"kind": "club"})
    assert "kind" in changed.model_fields_set
    assert "kind" not in other.model_fields_set  # the shared set was not added to
