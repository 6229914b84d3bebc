"""Findings: what ``check`` reports. One shape for every problem, from YAML syntax to a negative cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Level(StrEnum):
    """How serious a finding is; only errors make ``check`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Citation:
    """Where a rule comes from: the document, its section and its own words."""

    document: str
    section: str
    quote: str

    def render(self) -> str:
        """One line: ``document, section: "quote"``."""
        return f'{self.document}, {self.section}: "{self.quote}"'


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or note) in a workflow or scenario file."""

    file: str
    line: int
    level: Level
    code: str
    message: str
    citations: tuple[Citation, ...] = field(default=(), compare=False)

    def render(self) -> str:
        """``file:line: level CODE: message``, then one indented line per citation."""
        head = f"{self.file}:{self.line}: {self.level.value} {self.code}: {self.message}"
        return "\n".join([head, *(f"    {c.render()}" for c in self.citations)])

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready mapping."""
        return {
            "file": self.file,
            "line": self.line,
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "citations": [
                {"document": c.document, "section": c.section, "quote": c.quote}
                for c in self.citations
            ],
        }


@dataclass(frozen=True)
class Location:
    """A file and 1-based line, for pointing a person at the thing to mend."""

    file: Path
    line: int

    def finding(
        self, level: Level, code: str, message: str, citations: tuple[Citation, ...] = ()
    ) -> Finding:
        """A finding at this location."""
        return Finding(display_path(self.file), self.line, level, code, message, citations)


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # not below it; a symlink loop (3.11: RuntimeError)
        return str(path)
