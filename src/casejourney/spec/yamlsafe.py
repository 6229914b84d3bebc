"""Safe YAML reading with line numbers: no tags that run code, no alias bombs, no surprise booleans.

Consumes a file's bytes; produces plain data plus a map from key path to line, so that validation
errors can name the line to mend.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from casejourney.spec.findings import Finding, Level, display_path

#: More aliases than this in one file is refused (a "billion laughs" file uses thousands).
MAX_ALIASES = 100
#: Aliases may add at most this many values in all once expanded: the classic "billion laughs"
#: uses only 72 aliases, but they expand to 9**9 values.
MAX_ALIAS_EXPANSION = 100_000
#: Deeper nesting is refused (the YAML parser recurses, so a deep file would crash it).
MAX_DEPTH = 100
#: Larger files are refused before parsing.
MAX_BYTES = 5_000_000

KeyPath = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) and an alias budget."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.expanded = 0
        self.depth = 0
        self._open_anchors: set[str] = set()
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _AliasBombError(line, f"more than {MAX_ALIASES} YAML aliases")
            if event.anchor in self._open_anchors:
                raise _AliasBombError(
                    line, f"alias *{event.anchor} refers to a value containing it"
                )
            target = self.anchors.get(event.anchor)
            if target is not None:
                self.expanded += _expanded_size(target, self._sizes)
                if self.expanded > MAX_ALIAS_EXPANSION:
                    msg = f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} values"
                    raise _AliasBombError(line, msg)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeepError(line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self._open_anchors.discard(anchor)


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for once every alias inside it is written out."""
    key = id(node)
    if key not in sizes:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        sizes[key] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[key]


class _AliasBombError(Exception):
    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem


class _TooDeepError(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


# YAML 1.1 reads yes/no/on/off as booleans: a state called `no` must stay a string.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class YamlDocument:
    """A file's data and the line of every key path within it."""

    path: Path
    data: Any
    lines: dict[KeyPath, int]

    def line_of(self, path: KeyPath) -> int:
        """The line of the longest prefix of ``path`` that is known (1 if none)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def read_yaml(path: Path) -> tuple[YamlDocument | None, list[Finding]]:
    """Read ``path`` safely. Returns the document, or ``None`` and the findings that stopped it."""
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [
            Finding(shown, 1, Level.ERROR, "unreadable", f"cannot read file: {exc.strerror}")
        ]
    if len(raw) > MAX_BYTES:
        msg = f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}"
        return None, [Finding(shown, 1, Level.ERROR, "too-large", msg)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return None, [Finding(shown, line, Level.ERROR, "encoding", msg)]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _AliasBombError as exc:
        msg = f"{exc.problem}; write the values out instead of using anchors"
        return None, [Finding(shown, exc.line, Level.ERROR, "yaml-alias-bomb", msg)]
    except _TooDeepError as exc:
        msg = f"values are nested more than {MAX_DEPTH} levels deep; flatten the file"
        return None, [Finding(shown, exc.line, Level.ERROR, "too-large", msg)]
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        tag = re.search(r"tag '([^']*)'", str(exc.problem))
        what = f"tag {tag.group(1)!r}" if tag else str(exc.problem)
        msg = f"{what} is not allowed: workflow files hold plain data only; remove the tag"
        return None, [Finding(shown, line, Level.ERROR, "yaml-unsafe", msg)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = f"YAML syntax at column {col}: {exc.problem}; check indentation and quoting"
        return None, [Finding(shown, line, Level.ERROR, "yaml-syntax", msg)]
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return YamlDocument(path, data, lines), []


def _index_lines(node: yaml.Node, path: KeyPath, out: dict[KeyPath, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key: Hashable = key_node.value
            child = (*path, str(key))
            out[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), out)
