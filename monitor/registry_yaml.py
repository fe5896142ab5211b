"""Reading the registry YAML one account at a time, with line numbers for messages.

A registry parsed whole holds a node tree several times its own size, and PyYAML's
composer costs more than the parse itself; so the accounts are built straight from
libyaml's events, one at a time (plain scalars typed by PyYAML's resolver and safe
constructor). While it builds, each account is bounded (nesting depth, values counted
through aliases), duplicate keys are refused and every key's line is noted: a bomb, a
600-level nesting or a key written twice is one error naming its line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
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
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

try:  # libyaml's parser, when PyYAML was built with it
    from yaml._yaml import CParser as _Parser

    def _parser(text: str) -> Any:
        return _Parser(text)
except ImportError:  # pragma: no cover

    def _parser(text: str) -> Any:
        return yaml.SafeLoader(text)


# Deepest nesting inside one account (account > principals > entry > key is 3).
MAX_DEPTH = 12
# Most values one account may expand to, aliases followed (a "billion laughs" stops here).
MAX_NODES = 10_000
STR = "tag:yaml.org,2002:str"
# Tags a registry may spell out; anything else (!!python/object, !custom) is refused.
KNOWN_TAGS = {
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")
}
Path = tuple[str | int, ...]
LineOf = Callable[[int, Path], int]
SHAPE = "must be a mapping with one key, 'accounts'"


class RegistryShapeError(ValueError):
    """The file is valid YAML but not `accounts:` followed by a list of sane accounts."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(what)
        self.where = where


def read_accounts(text: str) -> tuple[Iterator[Any], LineOf]:
    """The raw account mappings, lazily, and `line_of(index, path)` for problem messages.

    Problems are reported while their account is validated, so only the current
    account's line numbers are kept (a large registry keeps no table of them).
    """
    lines: dict[Path, int] = {}
    current = [-1]

    def line_of(index: int, path: Path) -> int:
        if index != current[0]:
            return 0
        for end in range(len(path), -1, -1):  # a missing key: the line of its parent
            if path[:end] in lines:
                return lines[path[:end]]
        return 0

    return _items(text, lines, current), line_of


def _items(text: str, lines: dict[Path, int], current: list[int]) -> Iterator[Any]:
    parser = _parser(text)
    builder = _Builder(parser, lines)
    try:
        _expect(parser, StreamStartEvent)
        if parser.check_event(StreamEndEvent):
            raise RegistryShapeError("line 1", f"is empty: {SHAPE}")
        _expect(parser, DocumentStartEvent)
        _expect(parser, MappingStartEvent)
        key = parser.get_event()
        if not isinstance(key, ScalarEvent) or key.value != "accounts":
            raise RegistryShapeError(_line(key), SHAPE)
        if parser.check_event(ScalarEvent) and parser.peek_event().value in ("", "~", "null"):
            parser.get_event()  # `accounts:` with nothing under it: an empty registry
        elif not parser.check_event(SequenceStartEvent):
            raise RegistryShapeError(_line(parser.peek_event()), "accounts: must be a list")
        else:
            parser.get_event()
            while not parser.check_event(SequenceEndEvent):
                lines.clear()
                item = builder.build()
                current[0] += 1
                yield item
            parser.get_event()
        if not parser.check_event(MappingEndEvent):
            extra = parser.peek_event()
            what = (
                "'accounts' appears twice" if getattr(extra, "value", "") == "accounts" else SHAPE
            )
            raise RegistryShapeError(_line(extra), what)
        parser.get_event()
        _expect(parser, DocumentEndEvent)
        if not parser.check_event(StreamEndEvent):
            raise RegistryShapeError(_line(parser.peek_event()), "must hold one YAML document")
    finally:
        parser.dispose()


class _Builder:
    """Python values from events, one account at a time: lines noted, size and depth bounded."""

    def __init__(self, parser: Any, lines: dict[Path, int]) -> None:
        self.parser = parser
        self.lines = lines
        self.resolver = Resolver()
        self.constructor = SafeConstructor()
        # anchor -> (value, how many values it expands to); aliases may cross accounts.
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.count = 0
        self.start = 0

    def build(self) -> Any:
        self.count = 0
        self.start = self.parser.peek_event().start_mark.line + 1
        return self._value((), 0)

    def _grow(self, by: int) -> None:
        self.count += by
        if self.count > MAX_NODES:
            raise RegistryShapeError(
                f"line {self.start}",
                f"the account expands to more than {MAX_NODES:,} values (aliases?)",
            )

    def _value(self, path: Path, depth: int) -> Any:
        event = self.parser.get_event()
        self.lines.setdefault(path, event.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise RegistryShapeError(_line(event), f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchors:
                raise RegistryShapeError(_line(event), f"unknown alias *{event.anchor}")
            value, size = self.anchors[event.anchor]
            self._grow(size)
            return value
        before = self.count
        self._grow(1)
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in KNOWN_TAGS:
            raise RegistryShapeError(_line(event), f"YAML tag {tag[:60]} is not allowed here")
        if isinstance(event, ScalarEvent):
            value = self._scalar(event)
        elif isinstance(event, SequenceStartEvent):
            value = []
            while not self.parser.check_event(SequenceEndEvent):
                value.append(self._value((*path, len(value)), depth + 1))
            self.parser.get_event()
        elif isinstance(event, MappingStartEvent):
            value = self._mapping(path, depth)
        else:  # pragma: no cover - libyaml only emits the events above here
            raise RegistryShapeError(_line(event), SHAPE)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, self.count - before)
        return value

    def _mapping(self, path: Path, depth: int) -> dict[Any, Any]:
        value: dict[Any, Any] = {}
        while not self.parser.check_event(MappingEndEvent):
            key_event: Any = self.parser.peek_event()
            if not isinstance(key_event, ScalarEvent):
                raise RegistryShapeError(_line(key_event), "a key must be plain text")
            self.parser.get_event()
            key = self._scalar(key_event)
            name = str(key)
            if key in value:
                raise RegistryShapeError(_line(key_event), f"key {name[:80]!r} appears twice")
            mark: Any = key_event.start_mark
            self.lines.setdefault((*path, name), mark.line + 1)
            value[key] = self._value((*path, name), depth + 1)
        self.parser.get_event()
        return value

    def _scalar(self, event: Any) -> Any:
        if event.tag in (None, "!") and not event.implicit[0]:
            return event.value  # quoted: always text
        tag = event.tag
        if tag in (None, "!"):
            tag = self.resolver.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == STR:
            return event.value
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise RegistryShapeError(_line(event), str(exc.problem or exc)) from None


def _line(event: Any) -> str:
    mark = getattr(event, "start_mark", None)
    return f"line {mark.line + 1}" if mark is not None else ""


def _expect(parser: Any, kind: type) -> None:
    if not parser.check_event(kind):
        raise RegistryShapeError(_line(parser.peek_event()), SHAPE)
    parser.get_event()
