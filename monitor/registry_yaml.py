"""Reading the registry YAML one account at a time, with line numbers for messages.

A 10,000-account registry parsed whole holds a node tree several times its own size;
streaming keeps one account's nodes at a time (libyaml's parser when PyYAML has it,
PyYAML's composer and safe constructor on top). Each account's node tree is bounded
(nesting depth, nodes counted through aliases) and checked for duplicate keys before
it is built, so a bomb or a 600-level nesting is one error naming its line.
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
# Deepest nesting inside one account (account > principals > entry > key is 3).
MAX_DEPTH = 12
# Most nodes one account may expand to, aliases followed (a "billion laughs" stops here).
MAX_NODES = 10_000
Path = tuple[str | int, ...]
LineOf = Callable[[int, Path], int]
SHAPE = "must be a mapping with one key, 'accounts'"


class RegistryShapeError(ValueError):
    """The file is valid YAML but not `accounts:` followed by a list of sane accounts."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(what)
        self.where = where


class _Loader(Parser, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
    def __init__(self, text: str) -> None:
        Parser.__init__(self, text)  # type: ignore[misc]
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.depth = 0
        if Parser is yaml.parser.Parser:  # the pure-Python parser needs a reader and scanner
            raise TypeError("use the pure loader")

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Composer recurses once per level: bound it before Python's own limit is reached.
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise RegistryShapeError(
                    f"line {mark.line + 1}", f"nested more than {MAX_DEPTH} levels deep"
                )
            return Composer.compose_node(self, parent, index)
        finally:
            self.depth -= 1


class _PureLoader(yaml.SafeLoader):
    depth = 0
    compose_node = _Loader.compose_node


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
    try:
        loader: Any = _Loader(text)
    except TypeError:
        loader = _PureLoader(text)
    try:
        _expect(loader, StreamStartEvent)
        if loader.check_event(StreamEndEvent):
            raise RegistryShapeError("", f"is empty: {SHAPE}")
        _expect(loader, DocumentStartEvent)
        _expect(loader, MappingStartEvent)
        key = loader.get_event()
        if not isinstance(key, ScalarEvent) or key.value != "accounts":
            raise RegistryShapeError(_line(key), SHAPE)
        if loader.check_event(ScalarEvent) and loader.peek_event().value in ("", "~", "null"):
            loader.get_event()  # `accounts:` with nothing under it: an empty registry
        elif not loader.check_event(SequenceStartEvent):
            raise RegistryShapeError(_line(loader.peek_event()), "accounts: must be a list")
        else:
            loader.get_event()
            while not loader.check_event(SequenceEndEvent):
                node = loader.compose_node(None, None)
                lines.clear()
                _walk(node, lines)
                current[0] += 1
                yield loader.construct_document(node)
            loader.get_event()
        if not loader.check_event(MappingEndEvent):
            extra = loader.peek_event()
            what = (
                "'accounts' appears twice" if getattr(extra, "value", "") == "accounts" else SHAPE
            )
            raise RegistryShapeError(_line(extra), what)
        loader.get_event()
        _expect(loader, DocumentEndEvent)
        if not loader.check_event(StreamEndEvent):
            raise RegistryShapeError(_line(loader.peek_event()), "must hold one YAML document")
    finally:
        loader.dispose()


def _walk(root: Any, lines: dict[Path, int]) -> None:
    """Record each key's line; refuse duplicate keys and trees too big (aliases followed)."""
    count = 0
    stack: list[tuple[Any, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise RegistryShapeError(
                f"line {root.start_mark.line + 1}",
                f"the account expands to more than {MAX_NODES:,} values (aliases?)",
            )
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                if name in seen:
                    raise RegistryShapeError(
                        f"line {key.start_mark.line + 1}", f"key {name[:80]!r} appears twice"
                    )
                seen.add(name)
                lines.setdefault((*path, name), key.start_mark.line + 1)
                stack.append((value, (*path, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))


def _line(event: Any) -> str:
    mark = getattr(event, "start_mark", None)
    return f"line {mark.line + 1}" if mark is not None else ""


def _expect(loader: Any, kind: type) -> None:
    if not loader.check_event(kind):
        raise RegistryShapeError(_line(loader.peek_event()), SHAPE)
    loader.get_event()
