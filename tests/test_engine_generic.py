"""The engine is generic: no social-care words in its code, so that it can be read, tested and
reused as a queueing engine (and the words stay in the compiler, ``simulate.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import casejourney.engine

ENGINE = Path(casejourney.engine.__file__).parent

#: Words that belong to the domain, not to an engine of states, tasks, servers, slots and places.
#: ("worker" is allowed: it names an event-log column that existing tools read.)
DOMAIN = (
    "child",
    "children",
    "social",
    "assessment",
    "referral",
    "contact",
    "conference",
    "icpc",
    "s47",
    "protection",
    "looked",
    "care",
    "court",
    "placement",
    "foster",
    "family",
    "authority",
    "caseload",
    "visit",
)


def test_the_engine_uses_no_social_care_words() -> None:
    found = []
    for path in sorted(ENGINE.glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for word in DOMAIN:
                if re.search(rf"\b{word}s?\b", line, flags=re.IGNORECASE):
                    found.append(f"{path.name}:{number}: '{word}' in: {line.strip()}")
    assert not found, "the engine must stay generic:\n" + "\n".join(found)
