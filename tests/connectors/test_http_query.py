"""Requests carry their params encoded once onto the URL: the same params httpx would send."""

from __future__ import annotations

import httpx

from connectors.http import _describe, with_query

FIELDS = "id,name,cover{source},posts.limit(10){id,message,comments.limit(50){id,from}}"


def test_the_query_decodes_to_the_same_params_httpx_would_send() -> None:
    params = {"fields": FIELDS, "after": "QVFIUa+b/c==", "q": "a&b=c #d?"}
    ours = httpx.URL(with_query("https://graph.example/v19.0/42", params))
    theirs = httpx.URL("https://graph.example/v19.0/42", params=params)
    assert ours.params == theirs.params
    assert (ours.host, ours.path) == (theirs.host, theirs.path)


def test_the_expansion_characters_travel_unescaped() -> None:
    url = with_query("https://graph.example/v19.0/42", {"fields": FIELDS})
    assert url.endswith("?fields=" + FIELDS)


def test_a_url_with_a_query_gets_more_params_and_none_leaves_it_alone() -> None:
    assert with_query("https://g.example/x?a=1", {"b": "2"}) == "https://g.example/x?a=1&b=2"
    assert with_query("https://g.example/x", None) == "https://g.example/x"
    assert with_query("https://g.example/x", {}) == "https://g.example/x"


def test_messages_name_host_and_path_never_the_query() -> None:
    assert _describe("GET", "https://Graph.example:8443/v19.0/42?access_token=secret") == (
        "GET graph.example/v19.0/42"
    )
