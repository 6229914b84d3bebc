"""Mutations of a workflow or scenario file's text, as a careless user or an attacker makes them.

Each operator takes the text and a ``random.Random`` and returns new bytes (some mutations make
text that is not UTF-8 on purpose). ``mutate`` applies one to three of them. Deterministic for a
seed, so every input of a run can be made again from its seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

#: Values that have broken parsers and validators somewhere: YAML's odd scalars, non-numbers,
#: numbers past every limit, impossible dates, tags, anchors, huge strings.
INTERESTING = [
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "1e999",
    "-1e999",
    "-1",
    "0",
    "-0.0",
    "1e-320",
    "1000000000",
    "99999999999999999999999999",
    "0x7fffffff",
    "0o777",
    "1_000",
    ".5",
    "+12",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "1066-10-14",
    "2026-04-06T25:00:00",
    "~",
    "null",
    "Null",
    "true",
    "no",
    "off",
    "yes",
    "''",
    '""',
    "[]",
    "{}",
    "[[]]",
    "{a: }",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2026-02-30",
    "!!float nan",
    "!!int 1e3",
    "&x 1",
    "*nowhere",
    "<<: *nowhere",
    "1 gazillion days",
    "0 days",
    "-5 working days",
    "1000000 months",
    "10000 years",
    "2 fortnights",
    "15 working day",
    "1.5 weeks",
    "one week",
    "52 weeks",
    "100000 hours",
    "'" + "x" * 5000 + "'",
    "a: b: c",
    "- a",
    "? complex",
    "|\n  block",
    ">-\n  folded",
    "%YAML 1.1",
    "---",
    "...",
    "#",
    "@",
    "`",
    "\t",
    "'\\u0000'",
    '"\\x01"',
    '"\\uD800"',
]

#: Characters that have shifted line numbers, crashed readers or fooled people.
UNICODE = [
    "\x00",
    "\x01",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\u00a0",
    "\u200b",
    "\u200e",
    "\u202e",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffd",
    "\ufffe",
    "\U0001f600",
    "e\u0301",
    "\u0130",
    "ß",
    "\r",
    "\r\n",
    "\t",
    "\\",
]

_SCALAR = re.compile(r"^(\s*(?:- )?[A-Za-z_][\w\-]*:[ \t]+)([^#\n]*?)(\s*(?:#.*)?)$", re.M)
_KEY = re.compile(r"^(\s*(?:- )?)([A-Za-z_][\w\-]*)(:)", re.M)
_NUMBER = re.compile(r"(?<![\w.\-])(\d+(?:\.\d+)?)(?![\w\-])")

Operator = Callable[[str, random.Random], str | bytes]


def _pick_match(pattern: re.Pattern[str], text: str, rng: random.Random) -> re.Match[str] | None:
    found = list(pattern.finditer(text))
    return rng.choice(found) if found else None


def byte_flip(text: str, rng: random.Random) -> bytes:
    """Flip, insert or delete a byte (may leave text that is not UTF-8)."""
    data = bytearray(text.encode("utf-8", "surrogateescape"))
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    action = rng.randrange(3)
    if action == 0:
        data[at] ^= 1 << rng.randrange(8)
    elif action == 1:
        data.insert(at, rng.randrange(256))
    else:
        del data[at]
    return bytes(data)


def line_edit(text: str, rng: random.Random) -> str:
    """Delete, duplicate, swap or re-indent lines."""
    lines = text.split("\n")
    at = rng.randrange(len(lines))
    action = rng.randrange(5)
    if action == 0:
        del lines[at]
    elif action == 1:
        lines.insert(at, lines[at])
    elif action == 2:
        other = rng.randrange(len(lines))
        lines[at], lines[other] = lines[other], lines[at]
    elif action == 3:
        lines[at] = "  " + lines[at]
    else:
        lines[at] = lines[at][2:] if lines[at].startswith("  ") else lines[at]
    return "\n".join(lines)


def value_swap(text: str, rng: random.Random) -> str:
    """Replace a scalar value with one of :data:`INTERESTING`."""
    match = _pick_match(_SCALAR, text, rng)
    if match is None:
        return text
    value = rng.choice(INTERESTING)
    return text[: match.start(2)] + value + text[match.end(2) :]


def type_swap(text: str, rng: random.Random) -> str:
    """A scalar becomes a list or a mapping, or a block becomes a scalar."""
    match = _pick_match(_SCALAR, text, rng)
    if match is None:
        return text
    value = match.group(2)
    shape = rng.choice([f"[{value}]", f"{{x: {value}}}", f"[{value}, {value}]", "", "{}"])
    return text[: match.start(2)] + shape + text[match.end(2) :]


def number_edit(text: str, rng: random.Random) -> str:
    """Scale, negate or stretch a number already in the file."""
    match = _pick_match(_NUMBER, text, rng)
    if match is None:
        return text
    digits = match.group(1)
    new = rng.choice(
        [
            digits + "0" * rng.randrange(1, 400),
            f"-{digits}",
            "0." + "0" * rng.randrange(1, 400) + digits.replace(".", ""),
            digits * rng.randrange(2, 40),
            f"{digits}e{rng.randrange(-400, 400)}",
            "0",
        ]
    )
    return text[: match.start(1)] + new + text[match.end(1) :]


def unicode_insert(text: str, rng: random.Random) -> str | bytes:
    """Insert a troublesome character (or an unpaired surrogate, as raw bytes)."""
    at = rng.randrange(len(text) + 1)
    if rng.random() < 0.1:
        return (text[:at] + "\ud800" + text[at:]).encode("utf-8", "surrogatepass")
    return text[:at] + rng.choice(UNICODE) + text[at:]


def nest(text: str, rng: random.Random) -> str:
    """Wrap a value in many brackets or braces."""
    match = _pick_match(_SCALAR, text, rng)
    if match is None:
        return text
    depth = rng.choice([5, 50, 99, 100, 101, 200, 1000])
    opening, closing = rng.choice([("[", "]"), ("{a: ", "}")])
    value = opening * depth + (match.group(2) or "1") + closing * depth
    return text[: match.start(2)] + value + text[match.end(2) :]


def alias(text: str, rng: random.Random) -> str:
    """Anchor a value and refer to it elsewhere, sometimes in chains or loops."""
    found = list(_SCALAR.finditer(text))
    if len(found) < 2:
        return text
    first, second = sorted(rng.sample(found, 2), key=lambda m: m.start())
    kind = rng.randrange(3)
    if kind == 0:  # a plain alias to an earlier value
        anchored = text[: first.start(2)] + "&a " + text[first.start(2) :]
        shift = 3
        return anchored[: second.start(2) + shift] + "*a" + anchored[second.end(2) + shift :]
    if kind == 1:  # a chain of nested aliases (deep once written out)
        chain = ["c0: &c0 [1]"] + [
            f"c{i}: &c{i} {'[' * 30}*c{i - 1}{']' * 30}" for i in range(1, rng.randrange(2, 60))
        ]
        return text + "\n" + "\n".join(chain) + "\n"
    laughs = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"] + [
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, rng.randrange(2, 10))
    ]
    return text + "\n" + "\n".join(laughs) + "\n"


def key_typo(text: str, rng: random.Random) -> str:
    """Misspell a key by one edit: the mistake a real user makes most."""
    match = _pick_match(_KEY, text, rng)
    if match is None:
        return text
    key = match.group(2)
    at = rng.randrange(len(key))
    edits = [
        key[:at] + key[at + 1 :],
        key[:at] + key[at] * 2 + key[at + 1 :],
        key[:at] + rng.choice("abcdefghijklmnopqrstuvwxyz_") + key[at + 1 :],
        key.upper(),
        key + "s",
    ]
    new = rng.choice(edits) or "x"
    return text[: match.start(2)] + new + text[match.end(2) :]


def splice(text: str, rng: random.Random, donors: tuple[str, ...] = ()) -> str:
    """Paste a run of lines from another file (or this one) somewhere else."""
    source = rng.choice(donors) if donors else text
    lines, theirs = text.split("\n"), source.split("\n")
    start = rng.randrange(len(theirs))
    block = theirs[start : start + rng.randrange(1, 12)]
    at = rng.randrange(len(lines) + 1)
    return "\n".join(lines[:at] + block + lines[at:])


OPERATORS: dict[str, Operator] = {
    "byte": byte_flip,
    "line": line_edit,
    "value": value_swap,
    "type": type_swap,
    "number": number_edit,
    "unicode": unicode_insert,
    "nesting": nest,
    "alias": alias,
    "key": key_typo,
    "splice": splice,
}


def mutate(text: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """One to three mutations of ``text``; the bytes and the operators' names."""
    names: list[str] = []
    current: str | bytes = text
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        name = rng.choice(list(OPERATORS))
        names.append(name)
        if isinstance(current, bytes):
            current = current.decode("utf-8", "surrogateescape")
        current = OPERATORS[name](current, rng)
    if isinstance(current, str):
        current = current.encode("utf-8", "surrogateescape")
    return current, names
