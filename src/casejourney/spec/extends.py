"""Which file an ``extends:`` names: an id beside the file (else the shipped one), or a path.

Used by workflow and scenario files alike, so that ``check`` and ``simulate`` read the same file.
"""

from __future__ import annotations

import re
from pathlib import Path

from casejourney.spec.findings import display_path
from casejourney.spec.yamlsafe import is_regular_file

_ID = r"[a-z][a-z0-9_\-]*"
#: What ``extends:`` may say: an id (``liverpool-baseline``) or a path from the file's own folder
#: to a YAML file (``../scenarios/liverpool-baseline.yaml``).
EXTENDS_PATTERN = rf"^({_ID}|[^/\\\s][^\\]*\.ya?ml)$"


def parent_file(
    path: Path, parent: str, shipped: Path | None, kind: str
) -> tuple[Path | None, str]:
    """The file that ``extends: parent`` in ``path`` names, or ``None`` and why not.

    Args:
        path: the file that extends another.
        parent: what its ``extends:`` says.
        shipped: the folder of shipped files of its kind, for an id not found beside it.
        kind: ``workflow`` or ``scenario``, for messages.

    """
    if parent.endswith((".yaml", ".yml")):
        if Path(parent).is_absolute() or re.match(r"^[A-Za-z]:", parent):
            return None, f"extends '{parent}': write the path from this file's folder, not the root"
        candidate = path.parent / parent
        if is_regular_file(candidate):
            return candidate, ""
        where = display_path(path.parent) or "."
        return None, f"extends '{parent}': no such file (a path is read from {where})"
    if not re.fullmatch(_ID, parent):
        return None, (
            f"extends '{parent}': not a {kind} id (lowercase letters, digits, _ and -), and not a "
            f"path (a path names a .yaml file: {parent}.yaml)"
        )
    beside = path.parent / f"{parent}.yaml"
    if is_regular_file(beside):
        return beside, ""
    if shipped is not None and is_regular_file(shipped / f"{parent}.yaml"):
        return shipped / f"{parent}.yaml", ""
    known = {p.stem for p in path.parent.glob("*.yaml")}
    also = ""
    if shipped is not None:
        known |= {p.stem for p in shipped.glob("*.yaml")}
        also = f" or among the shipped {kind}s"
    names = ", ".join(sorted(known - {path.stem})) or "none"
    return None, f"extends '{parent}': no {parent}.yaml beside this file{also}; known: {names}"
