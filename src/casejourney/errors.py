"""The one exception tree of casejourney; every error a user can cause is one of these.

CasejourneyError            base: the CLI prints it as a message, never a traceback
├── SpecError               a workflow or scenario file is wrong; carries every Finding
├── UnknownAuthorityError   no workflow file for the name asked for
├── DurationError           a duration such as "15 working days" cannot be read
│   └── TermDatesError      a school term-dates file is wrong (file and line named)
├── IllegalStepError        a journey step that the workflow does not allow from here
└── OutputFolderError       an output folder is not ours, is in use, or could not be written
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casejourney.spec.findings import Finding


class CasejourneyError(Exception):
    """Base class of every error casejourney raises on purpose."""


class SpecError(CasejourneyError):
    """A workflow or scenario file failed validation; ``findings`` holds every problem."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("\n".join(f.render() for f in self.findings))


class UnknownAuthorityError(CasejourneyError):
    """No workflow file exists for the authority asked for."""


class DurationError(CasejourneyError, ValueError):
    """A duration string such as ``"15 working days"`` is malformed."""


class TermDatesError(DurationError):
    """A school term-dates file cannot be read; the message names the file, the line and the fix."""

    def __init__(self, path: str, line: int, detail: str) -> None:
        self.path, self.line, self.detail = path, line, detail
        super().__init__(f"{path}:{line}: {detail}" if line else f"{path}: {detail}")


class IllegalStepError(CasejourneyError):
    """A journey step is not a legal move from the case's current state."""


class OutputFolderError(CasejourneyError):
    """An output folder cannot be used: not ours, in use by another run, unwritable, disk full."""
