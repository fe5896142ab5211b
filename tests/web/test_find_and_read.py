"""Find anything and read it anywhere: search, sorting, exact counts, district-wide lapses,
attest from an overdue lapse, platform links, zoned times, the chart's table, streamed CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import insert

from monitor.store.db import transaction
from monitor.store.models import AccountRow, CheckState, Lapse
from socmon.web.chart import open_lapses_svg
from tests.web.conftest import NOW, WebWorld, csrf_of, signed_in


def _district_lapse(world: WebWorld) -> None:
    with transaction(world.sessions) as s:
        s.add(Lapse(account_id="unregistered-facebook-777", check_id="registered", status="open",
                    opened_at=NOW - timedelta(days=1), last_seen_at=NOW, detail="Page 777 is not in the directory.",
                    evidence={}, muted_by="", mute_reason=""))  # fmt: skip


def test_district_wide_lapses_are_shown_and_exported_labelled_to_comms(world: WebWorld) -> None:
    _district_lapse(world)
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/").text
        rows = list(csv.DictReader(io.StringIO(c.get("/lapses.csv").text)))
        only = c.get("/", params={"school": "(district)"}).text
    assert "Page 777 is not in the directory." in html and "District-wide" in html
    [row] = [r for r in rows if r["account_id"] == "unregistered-facebook-777"]
    assert (row["scope"], row["school"], row["platform"]) == (
        "district-wide",
        "(district)",
        "facebook",
    )
    assert "Page 777" in only and "north-x fails comments" not in only


def test_district_wide_lapses_are_not_shown_to_a_manager(world: WebWorld) -> None:
    _district_lapse(world)
    with signed_in(world, "mia@lpsd.ca") as c:
        assert "Page 777" not in c.get("/").text
        assert "unregistered-facebook-777" not in c.get("/lapses.csv").text


def test_one_search_box_finds_by_account_id_handle_or_school_with_literal_wildcards(
    world: WebWorld,
) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        by_school = c.get("/", params={"q": "south elem"}).text
        by_handle = c.get("/", params={"q": "north-x-PID"}).text
        wildcard = c.get("/", params={"q": "%"}).text
        directory = c.get("/directory", params={"q": "north"}).text
    assert "south-ig fails two_admins" in by_school and "north-x fails" not in by_school
    assert "north-x fails comments" in by_handle and "south-ig" not in by_handle.split("<h1>")[1]
    assert "No lapses match these filters." in wildcard
    assert "2 accounts" in directory and "south-ig" not in directory.split("<h2>")[1]


def test_columns_sort_both_ways(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        up = c.get("/", params={"sort": "account", "order": "asc"}).text
        down = c.get("/", params={"sort": "account"}).text
    assert up.index("north-fb fails") < up.index("north-x fails") < up.index("south-ig fails")
    assert down.index("south-ig fails") < down.index("north-x fails") < down.index("north-fb fails")
    assert 'aria-sort="ascending"' in up


def test_the_unknown_count_is_exact_past_the_fifty_listed(world: WebWorld) -> None:
    with transaction(world.sessions) as s:
        rows = [dict(id=f"acct-{n:03}", platform="x", platform_id=f"h{n}", school="West", kind="club",
                     audience="public", managers=["mia@lpsd.ca"], data={}, active=True,
                     registered_at=NOW, updated_at=NOW, fetch_status="ok", last_error="")
                for n in range(1234)]  # fmt: skip
        s.execute(insert(AccountRow), rows)
        s.execute(insert(CheckState), [dict(account_id=r["id"], check_id="privacy", status="unknown",
                  detail="?", evidence={}, since=NOW, checked_at=NOW, run_id=None) for r in rows])  # fmt: skip
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/").text
    assert "<strong>1,235</strong> accounts with unknown status" in html
    assert "Accounts whose status is unknown (1,235, the 50 unknown longest shown)" in html


def test_the_directory_shows_open_lapse_counts_and_platform_links(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/directory").text
    row = html.split('href="/accounts/south-ig"')[1].split("</tr>")[0]
    # two_admins open and freshness muted: both still need a person's attention.
    assert 'data-label="Open or muted"><a class="bad" href="/?q=south-ig"><strong>2</strong>' in row
    assert 'href="https://www.instagram.com/south-ig-pid/"' in row


def test_an_attestation_overdue_lapse_offers_attest_right_there(world: WebWorld) -> None:
    with transaction(world.sessions) as s:
        s.add(Lapse(account_id="north-x", check_id="two_admins", status="open", opened_at=NOW,
                    last_seen_at=NOW, detail="north-x: attestation overdue: nobody has attested two_admins yet.",
                    evidence={}, muted_by="", mute_reason=""))  # fmt: skip
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/accounts/north-x").text
        lapse = html.split("attestation overdue")[1].split("</article>")[0]
        assert 'action="/accounts/north-x/attest"' in lapse and 'value="two_admins"' in lapse
        response = c.post("/accounts/north-x/attest",
                          data={"csrf": csrf_of(html), "check": "two_admins", "note": "two admins seen"})  # fmt: skip
    assert response.status_code == 303


def test_times_carry_the_districts_zone(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/accounts/north-fb").text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CST", html)


def test_the_summary_counts_what_the_chart_counts_after_a_mute(world: WebWorld) -> None:
    with signed_in(world, "comms@lpsd.ca") as c:
        html = c.get("/").text
    # 3 open + 1 muted are "open or muted"; the chart's last day and its table say the same.
    assert (
        f"<strong>4</strong> open or muted at the end of {(NOW - timedelta(hours=6)).date()}"
        in html
    )
    table = html.split('<table class="series">')[1]
    assert f"<tr><td>{(NOW - timedelta(hours=6)).date()}</td><td>4</td></tr>" in table


def test_the_chart_has_a_narrow_drawing_for_phones_with_readable_labels() -> None:
    series = [(NOW.date() - timedelta(days=k), 1200) for k in range(90, 0, -1)]
    wide, narrow = open_lapses_svg(series, "t"), open_lapses_svg(series, "t", "narrow")
    assert 'viewBox="0 0 720 240"' in wide and 'viewBox="0 0 360 220"' in narrow
    assert 'font-size="12"' in narrow and "1,200 on" in narrow


def test_the_csv_is_streamed_in_chunks_with_every_row(world: WebWorld) -> None:
    with transaction(world.sessions) as s:
        s.execute(insert(Lapse), [dict(account_id="north-x", check_id="freshness", status="resolved",
                  opened_at=NOW - timedelta(days=k + 3), last_seen_at=NOW, resolved_at=NOW - timedelta(days=k + 2),
                  detail="old", evidence={}, muted_by="", mute_reason="") for k in range(1200)])  # fmt: skip
    with (
        signed_in(world, "comms@lpsd.ca") as c,
        c.stream("GET", "/lapses.csv?status=all") as response,
    ):
        chunks = list(response.iter_text())
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in response.headers
    assert len(chunks) >= 3 and chunks[0].startswith("lapse_id,account_id,scope,")
    assert len(list(csv.reader(io.StringIO("".join(chunks))))) == 1 + 5 + 1200
