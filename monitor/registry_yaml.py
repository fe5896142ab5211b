"""Reading the registry YAML one account at a time, with line numbers for messages.

A 10,000-account registry parsed whole holds a node tree several times its own size;
streaming keeps one account's nodes at a time (libyaml's parser when PyYAML has it,
PyYAML's composer and safe constructor on top).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.resolver import Resolver

Parser: type = getattr(yaml, "CParser", yaml.parser.Parser)
LineOf = Callable[[int, str | None], int]


class RegistryShapeError(ValueError):
    """The file is valid YAML but not `accounts:` followed by a list."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(what)
        self.where = where


class _Loader(Parser, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
    def __init__(self, text: str) -> None:
        Parser.__init__(self, text)  # type: ignore[misc]
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        if Parser is yaml.parser.Parser:  # the pure-Python parser needs a reader and scanner
            raise TypeError("use the pure loader")


def read_accounts(text: str) -> tuple[Iterator[Any], LineOf]:
    """The raw account mappings, lazily, and `line_of(index, key)` for problem messages.

    Problems are reported while their account is validated, so only the current
    account's line numbers are kept (a large registry keeps no table of them).
    """
    lines: list[tuple[int, dict[str, int]]] = []  # [(start, keys)] of the current account

    def line_of(index: int, key: str | None = None) -> int:
        if index != current[0] or not lines:
            return 0
        start, keys = lines[0]
        return keys.get(key, start) if key else start

    current = [-1]

    return _items(text, lines, current), line_of


def _items(text: str, lines: list[tuple[int, dict[str, int]]], current: list[int]) -> Iterator[Any]:
    try:
        loader: Any = _Loader(text)
    except TypeError:
        loader = yaml.SafeLoader(text)
    try:
        _expect(loader, StreamStartEvent)
        if loader.check_event(StreamEndEvent):
            raise RegistryShapeError("", "must be a mapping with one key, 'accounts'")
        _expect(loader, DocumentStartEvent)
        if not loader.check_event(MappingStartEvent):
            raise RegistryShapeError("", "must be a mapping with one key, 'accounts'")
        loader.get_event()
        key = loader.get_event()
        if not isinstance(key, ScalarEvent) or key.value != "accounts":
            raise RegistryShapeError("", "must be a mapping with one key, 'accounts'")
        if loader.check_event(ScalarEvent) and loader.peek_event().value in ("", "~", "null"):
            loader.get_event()  # `accounts:` with nothing under it: an empty registry
        elif not loader.check_event(SequenceStartEvent):
            raise RegistryShapeError("accounts", "must be a list of accounts")
        else:
            loader.get_event()
            while not loader.check_event(SequenceEndEvent):
                node = loader.compose_node(None, None)
                keys = {}
                if isinstance(node, yaml.MappingNode):
                    keys = {k.value: k.start_mark.line + 1 for k, _ in node.value}
                lines[:] = [(node.start_mark.line + 1, keys)]
                current[0] += 1
                yield loader.construct_document(node)
            loader.get_event()
        if not loader.check_event(MappingEndEvent):
            raise RegistryShapeError("", "must be a mapping with one key, 'accounts'")
        loader.get_event()
        _expect(loader, DocumentEndEvent)
        if not loader.check_event(StreamEndEvent):
            raise RegistryShapeError("", "must hold one YAML document")
    finally:
        loader.dispose()


def _expect(loader: Any, kind: type) -> None:
    if not loader.check_event(kind):
        raise RegistryShapeError("", "must be a mapping with one key, 'accounts'")
    loader.get_event()
