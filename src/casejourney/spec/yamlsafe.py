"""Safe YAML reading with line numbers: no tags that run code, no alias bombs, no surprise booleans.

Consumes a file's bytes; produces plain data plus a map from key path to line, so that validation
errors can name the line to mend.
"""

from __future__ import annotations

import collections
import copy
import errno
import hashlib
import os
import re
import stat
import threading
from collections.abc import Hashable, Iterator
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
#: More values than this are refused as soon as they are read: with ``MAX_ALIAS_EXPANSION``, a
#: work budget that bounds time and memory, not only bytes. The largest shipped file has 2,200.
MAX_NODES = 20_000

# Characters YAML forbids (C0/C1 controls but tab, newline, return; DEL; surrogates; U+FFFE/F),
# and the line breaks only YAML counts (NEL, U+2028, U+2029), which would shift line numbers.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)

KeyPath = tuple[str | int, ...]

#: libyaml's C scanner and parser (in PyYAML's wheels for the usual platforms), or None.
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)

#: Read events with libyaml when PyYAML has it (``_FastLoader``); False forces pure Python.
USE_LIBYAML = True


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) and an alias budget."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start_budget()

    def _start_budget(self) -> None:
        self.alias_count = 0
        self.expanded = 0
        self.depth = 0
        self.nodes = 0
        self._open_anchors: set[str] = set()
        self._sizes: dict[int, int] = {}
        self._depths: dict[int, int] = {}

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
                size = _expanded_size(target, self._sizes)
                self.expanded += size
                if self.expanded > MAX_ALIAS_EXPANSION:
                    msg = f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} values"
                    raise _AliasBombError(line, msg)
                if self.depth + _expanded_depth(target, self._depths) > MAX_DEPTH:
                    raise _TooDeepError(line)  # chained aliases nest as deep as written out
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeepError(line)
        self._count(1, line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self._open_anchors.discard(anchor)

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        """Stop at the 101st open bracket: PyYAML's scanner slows with the square of the depth."""
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeepError(self.get_mark().line + 1)
        super().fetch_flow_collection_start(TokenClass)

    def _count(self, values: int, line: int) -> None:
        self.nodes += values
        if self.nodes > MAX_NODES:
            raise _TooLargeError(line, f"more than {MAX_NODES:,} values")

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date that does not exist (2026-02-30) stays text, for validation to name its key."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, AttributeError):  # AttributeError: `!!timestamp` on a non-date
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_depth(node: yaml.Node, depths: dict[int, int]) -> int:
    """How deep ``node`` nests once every alias inside it is written out."""
    key = id(node)
    if key not in depths:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        depths[key] = 1 + max((_expanded_depth(child, depths) for child in children), default=0)
    return depths[key]


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


class _TooLargeError(Exception):
    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem


# YAML 1.1 reads yes/no/on/off as booleans: a state called `no` must stay a string.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# YAML 1.1 reads 1e3 and 2.5e3 as text (its floats need a dot and a signed exponent); YAML 1.2,
# JSON and the editor's schema read them as numbers, and so does this reader.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


if _CParser is not None:

    class _FastLoader(_CParser, _Loader):  # type: ignore[misc]
        """``_Loader`` reading its events from libyaml's scanner and parser, written in C.

        Only the tokens and events come from C: the composer (with the alias, depth and size
        budget), the YAML 1.2 resolver and the safe constructor are ``_Loader``'s own Python code,
        so every guarantee above holds alike and the data and lines are the same. libyaml does not
        slow down with deep brackets (``fetch_flow_collection_start`` is the pure-Python
        scanner's), and the composer's depth limit still stops at the 101st level, as the events
        arrive one at a time. Six to seven times faster on the shipped workflows.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_budget()

        # The composer is Python's (``_Loader.compose_node`` keeps the budget), not libyaml's.
        check_node = yaml.composer.Composer.check_node
        get_node = yaml.composer.Composer.get_node
        get_single_node = yaml.composer.Composer.get_single_node
        compose_document = yaml.composer.Composer.compose_document


else:  # pragma: no cover - a PyYAML built without libyaml

    class _FastLoader(_Loader):  # type: ignore[no-redef]
        """Never made: stands for libyaml's loader in ``isinstance`` checks."""


def _new_loader(text: str) -> _Loader:
    """The fastest loader available with the same guarantees (libyaml's if PyYAML has it)."""
    if USE_LIBYAML and _CParser is not None:
        return _FastLoader(text)
    return _Loader(text)


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


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (following links); never raises.

    ``Path.is_file`` raises for a name the system refuses outright, such as a component longer
    than the file system allows (``ENAMETOOLONG``): here that is simply "no such file", so the
    caller's own message (naming the file, line and key that gave the name) is what the user sees.
    """
    try:
        return path.is_file()
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return False


def is_present(path: Path) -> bool:
    """Whether there is something at ``path`` to read, or to say why it cannot be read.

    A name the system refuses (too long, a loop of links) counts as present: reading it then
    gives a finding that says what is wrong, rather than "no such file".
    """
    try:
        return path.is_file() or path.is_symlink() or path.exists()
    except OSError:
        return True
    except ValueError:  # a NUL byte in the name: nothing can be there
        return False


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (following links); never raises (see ``is_regular_file``)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _read_regular_file(path: Path) -> bytes:
    """At most ``MAX_BYTES + 1`` bytes of ``path``, which must be a regular file.

    Opened without blocking and checked before reading, so a FIFO, a device such as /dev/zero or a
    folder named like a YAML file is refused at once rather than read for ever.

    Raises:
        OSError: it cannot be opened, or is not a regular file (``errno.EINVAL``, a message why).

    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            what = (
                "a folder"
                if stat.S_ISDIR(mode)
                else "a named pipe (FIFO)"
                if stat.S_ISFIFO(mode)
                else "a device or socket"
            )
            raise OSError(errno.EINVAL, f"it is {what}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(descriptor, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _why_unreadable(exc: OSError) -> str:
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        why = f"{why} for the file system; shorten the name"
    return f"cannot read file: {why}"


def _compose(loader: _Loader, text: str) -> tuple[_Loader, yaml.Node | None]:
    """The document's node tree, and the loader that composed it (to construct its data)."""
    try:
        return loader, loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem) or not isinstance(loader, _FastLoader):
            raise
    # libyaml stops at its own depth (1,000 brackets), scanning ahead of the composer: the
    # Python reader names the line of the 101st level, and stops there at once.
    loader.dispose()
    loader = _Loader(text)
    return loader, loader.get_single_node()


def read_yaml(path: Path) -> tuple[YamlDocument | None, list[Finding]]:
    """Read ``path`` safely. Returns the document, or ``None`` and the findings that stopped it.

    A file read before with the same bytes is not parsed again (``_CACHE``).
    """
    shown = display_path(path)
    try:
        raw = _read_regular_file(path)
    except OSError as exc:
        return None, [Finding(shown, 1, Level.ERROR, "unreadable", _why_unreadable(exc))]
    if len(raw) > MAX_BYTES:
        msg = f"file is over {MAX_BYTES:,} bytes, the limit; split it or remove what is unused"
        return None, [Finding(shown, 1, Level.ERROR, "too-large", msg)]
    key = (str(path), hashlib.sha256(raw).digest())
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
    if cached is not None:
        return YamlDocument(path, copy.deepcopy(cached[0]), dict(cached[1])), []
    doc, findings = _parse(path, shown, raw)
    if doc is not None and len(raw) <= _CACHE_MAX_BYTES:
        with _CACHE_LOCK:
            _CACHE[key] = (copy.deepcopy(doc.data), dict(doc.lines))
            while len(_CACHE) > _CACHE_FILES:
                _CACHE.popitem(last=False)
    return doc, findings


#: ``read_yaml`` keeps the data of this many files it read last (each at most this many bytes),
#: keyed by path and content, so a file read again unchanged (the root workflow every authority
#: extends, a baseline scenario others extend, every file in ``check FOLDER``) is parsed once.
#: Each caller gets its own deep copy, so nothing one changes can reach the next.
_CACHE_FILES = 32
_CACHE_MAX_BYTES = 1_000_000
_CACHE: collections.OrderedDict[tuple[str, bytes], tuple[Any, dict[KeyPath, int]]] = (
    collections.OrderedDict()
)
_CACHE_LOCK = threading.Lock()


def _parse(path: Path, shown: str, raw: bytes) -> tuple[YamlDocument | None, list[Finding]]:
    """``raw``'s document, or the findings that stopped it (``read_yaml`` without the cache)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return None, [Finding(shown, line, Level.ERROR, "encoding", msg)]
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        msg = (
            f"character U+{ord(bad.group()):04X} at column {column} is not allowed in YAML "
            "(a control character or a line separator); delete it or use a plain line break"
        )
        return None, [Finding(shown, line, Level.ERROR, "encoding", msg)]
    try:
        loader = _new_loader(text)
    except yaml.YAMLError as exc:  # the reader checks the text as it is handed over
        return None, [Finding(shown, 1, Level.ERROR, "encoding", f"unreadable text: {exc}")]
    try:
        loader, node = _compose(loader, text)
        data = loader.construct_document(node) if node is not None else None
    except _AliasBombError as exc:
        msg = f"{exc.problem}; write the values out instead of using anchors"
        return None, [Finding(shown, exc.line, Level.ERROR, "yaml-alias-bomb", msg)]
    except _TooDeepError as exc:
        msg = f"values are nested more than {MAX_DEPTH} levels deep; flatten the file"
        return None, [Finding(shown, exc.line, Level.ERROR, "too-large", msg)]
    except _TooLargeError as exc:
        msg = f"the file holds {exc.problem}, the limit; split it or remove what is unused"
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
    except yaml.YAMLError as exc:
        return None, [Finding(shown, 1, Level.ERROR, "yaml-syntax", f"YAML: {exc}")]
    except (ValueError, OverflowError) as exc:  # an explicit tag on a value it cannot hold
        msg = f"a tagged value YAML cannot read ({exc}); remove the !!tag"
        return None, [Finding(shown, 1, Level.ERROR, "yaml-syntax", msg)]
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        half = _SURROGATE_ESCAPE.search(text) and _half_a_pair(node)
        if half:
            msg = (
                f"YAML syntax at column {half.start_mark.column + 1}: an escape for half of a "
                "surrogate pair (\\uD800 to \\uDFFF) is not a character; write the character itself"
            )
            return None, [Finding(shown, half.start_mark.line + 1, Level.ERROR, "yaml-syntax", msg)]
        twice = _repeated_key(node)
        if twice is not None:
            first, again = twice
            msg = (
                f"'{again.value}' is given twice in one place (lines {first.start_mark.line + 1} "
                f"and {again.start_mark.line + 1}); YAML would keep only the last: remove one"
            )
            return None, [
                Finding(shown, again.start_mark.line + 1, Level.ERROR, "duplicate-key", msg)
            ]
        _index_lines(node, (), lines)
    return YamlDocument(path, data, lines), []


def _repeated_key(node: yaml.Node) -> tuple[yaml.Node, yaml.Node] | None:
    """The first key given twice in one mapping of ``node`` (its first and second key nodes)."""
    for mapping in _nodes(node):
        if not isinstance(mapping, yaml.MappingNode):
            continue
        keys: dict[tuple[str, str], yaml.Node] = {}
        for key_node, _ in mapping.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                first = keys.setdefault((key_node.tag, key_node.value), key_node)
                if first is not key_node:
                    return first, key_node
    return None


def _nodes(node: yaml.Node) -> Iterator[yaml.Node]:
    """Every node in ``node``, depth first, each once (an aliased node is one node)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        here = stack.pop()
        if id(here) in seen:
            continue
        seen.add(id(here))
        yield here
        if isinstance(here, yaml.MappingNode):
            stack.extend(part for pair in reversed(here.value) for part in reversed(pair))
        elif isinstance(here, yaml.SequenceNode):
            stack.extend(reversed(here.value))


# A double-quoted "\uD800" is half of a UTF-16 surrogate pair, not a character: libyaml refuses
# it, PyYAML's pure reader gives a string no file can hold. Both readers refuse it, alike.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _half_a_pair(node: yaml.Node) -> yaml.Node | None:
    """The first value in ``node`` holding half a surrogate pair, if any."""
    return next(
        (n for n in _nodes(node) if isinstance(n, yaml.ScalarNode) and _SURROGATE.search(n.value)),
        None,
    )


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
