"""Results folders: recognisable as ours, claimed before work starts, never destroying the user's.

Consumes a folder path and the kind of folder (``simulate`` results or a ``sweep``); produces a
claimed folder: checked, locked against a second run, cleaned of what killed runs left, with a
marker file (``.casejourney-results``) that says casejourney made it. An existing folder that is not
one of ours is refused unless ``force``, and even then nothing in it is deleted or overwritten:
casejourney only ever removes entries whose names it writes (see :data:`SIMULATE`, :data:`SWEEP`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from casejourney.errors import OutputFolderError

#: The file that marks a folder as written by casejourney.
MARKER = ".casejourney-results"

#: A tree of name patterns: a file pattern maps to None, a folder pattern to the tree inside it.
Tree = Mapping[str, "Tree | None"]

# Temporary files of atomic writes (``.NAME.partial``, ``.NAME.tmp-PID``, ``.NAME.XXXX.tmp``).
_TEMPORARY: dict[str, Tree | None] = {r"\..+\.(partial|tmp|tmp-\d+)": None}


@dataclass(frozen=True)
class FolderKind:
    """What casejourney writes in one kind of folder, and how to recognise an unmarked old one."""

    name: str
    tree: Tree
    #: An unmarked folder holding only our names and this entry was written by an older version.
    legacy: str


SIMULATE = FolderKind(
    "simulate",
    {
        re.escape(MARKER): None,
        r"(summary|weekly|replications)\.(csv|parquet)": None,
        r"scenario\.resolved\.json|run\.json|metrics-tidy\.csv|report\.html": None,
        # Finished replications, kept while a run is staged (a killed run resumes from them).
        r"tasks": {r"[0-9a-f]{32}\.json": None, **_TEMPORARY},
        r"events": {
            r"(replication|counts)-\d+\.(parquet|csv|xes|xes\.gz)": None,
            r"replication-\d+-engine\.(xes|xes\.gz)": None,  # the engine records (report.xes)
            **_TEMPORARY,
        },
        **_TEMPORARY,
    },
    legacy="run.json",
)

SWEEP = FolderKind(
    "sweep",
    {
        re.escape(MARKER): None,
        r"sweep-summary\.csv|frontier\.csv|frontier\.svg": None,
        r"tasks": {r"[0-9a-f]{32}\.json": None, **_TEMPORARY},
        r"points": {
            r"point-\d+": {r"point\.json|summary\.csv": None, **_TEMPORARY},
            **_TEMPORARY,
        },
        **_TEMPORARY,
    },
    legacy="tasks",
)


def _match(tree: Tree, name: str) -> tuple[bool, Tree | None]:
    """Whether ``name`` is one casejourney writes here, and the tree inside it if a folder."""
    for pattern, inside in tree.items():
        if re.fullmatch(pattern, name):
            return True, inside
    return False, None


def _ours(tree: Tree, path: Path) -> bool:
    """Whether ``path`` (a child of a folder described by ``tree``) is a name we write there."""
    found, inside = _match(tree, path.name)
    if not found:
        return False
    if inside is None:
        return not path.is_dir() or path.is_symlink()
    return path.is_dir() and not path.is_symlink()


def discard(folder: Path, tree: Tree) -> list[Path]:
    """Remove what casejourney wrote in ``folder`` (by name), and the folder if it is then empty.

    Anything else (a user's file, a symlink where we write a folder) is kept and returned: this
    is the only way casejourney deletes files, so it never deletes what it did not write.
    """
    kept: list[Path] = []
    for entry in sorted(folder.iterdir()):
        found, inside = _match(tree, entry.name)
        if not found or not _ours(tree, entry):
            kept.append(entry)
        elif inside is None:
            entry.unlink()
        else:
            kept += discard(entry, inside)
    if not kept:
        folder.rmdir()
    return kept


def _marked_kind(folder: Path) -> str | None:
    marker = folder / MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = found.get("kind") if isinstance(found, dict) else None
    return kind if isinstance(kind, str) else None


def _show(paths: list[Path], limit: int = 5) -> str:
    names = [p.name + ("/" if p.is_dir() else "") for p in paths[:limit]]
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(names) + more


def check(out: Path, kind: FolderKind, force: bool = False) -> None:
    """Refuse ``out`` now (before any work) if writing results there could lose the user's files.

    Accepted: a folder that does not exist yet (its parent must be a folder we can write), an
    empty folder, a folder marked as casejourney's of this kind, or an unmarked one written by an
    older casejourney (only our names). With ``force``, any folder in which none of the user's
    entries has a name we write.

    Raises:
        OutputFolderError: what is wrong, and what to do instead.

    """
    if out.is_symlink():
        raise OutputFolderError(
            f"{out} is a symbolic link; give the folder it points to, or a new folder"
        )
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out} exists and is not a folder; choose a new folder for --out")
    if not out.exists():
        ancestor = out.absolute().parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise OutputFolderError(f"cannot create {out}: {ancestor} is not a folder")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise OutputFolderError(f"cannot create {out}: {ancestor} is not writable")
        return
    if not os.access(out, os.W_OK | os.X_OK) or not os.access(
        out.absolute().parent, os.W_OK | os.X_OK
    ):
        raise OutputFolderError(f"cannot write {out}: permission denied")
    marked = _marked_kind(out)
    if marked is not None:
        if marked != kind.name:
            raise OutputFolderError(
                f"{out} holds casejourney {marked} results, not {kind.name} results; "
                "choose another folder for --out"
            )
        return
    entries = sorted(out.iterdir())
    if not entries:
        return
    theirs = [e for e in entries if not _ours(kind.tree, e)]
    if not theirs and (out / kind.legacy).exists():
        return  # written by a casejourney from before the marker file
    if not force:
        raise OutputFolderError(
            f"{out} is not a casejourney results folder (it holds {_show(theirs or entries)}); "
            "choose a new or empty folder for --out, or add --force to write beside those files "
            "(nothing of yours is deleted or overwritten)"
        )
    clashes = [e for e in entries if _match(kind.tree, e.name)[0]]
    if clashes:
        raise OutputFolderError(
            f"{out} is not a casejourney results folder and holds {_show(clashes)}, names "
            "casejourney would write; move them or choose another folder for --out"
        )


def write_marker(folder: Path, kind: FolderKind) -> None:
    """Mark ``folder`` as casejourney's ``kind`` folder."""
    try:
        written_by = f"casejourney {version('casejourney')}"
    except PackageNotFoundError:
        written_by = "casejourney"
    text = json.dumps({"kind": kind.name, "written_by": written_by}) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


def _partials(out: Path) -> list[Path]:
    """Staging folders of ``out`` that runs left (``.NAME.partial-PID``), oldest first."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.partial-\d+")
    if not out.parent.is_dir():
        return []
    found = [
        e
        for e in out.parent.iterdir()
        if pattern.fullmatch(e.name) and e.is_dir() and not e.is_symlink()
    ]
    return sorted(found, key=lambda e: (e.stat().st_mtime_ns, e.name))


def staging_for(out: Path) -> Path:
    """The staging folder beside ``out`` (same file system, so publishing is a rename).

    Called with ``out`` claimed (no other run is writing beside it): the newest staging folder of
    simulate results that a killed or interrupted run left is taken over, so that its finished
    replications are kept (what else is in it is the caller's to prune); others are discarded.
    """
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    left = [p for p in _partials(out) if _marked_kind(p) == SIMULATE.name]
    for older in left[:-1]:
        discard(older, SIMULATE.tree)
    if left:
        if left[-1] != staging:
            left[-1].rename(staging)
        return staging
    staging.mkdir(parents=True)
    write_marker(staging, SIMULATE)
    return staging


def prune(folder: Path, tree: Tree, keep: Callable[[Path], bool]) -> None:
    """Remove what casejourney wrote in ``folder`` (by name) unless ``keep`` says otherwise.

    A folder kept is pruned inside; one not kept is discarded. A user's entry is never touched.
    """
    for entry in sorted(folder.iterdir()):
        found, inside = _match(tree, entry.name)
        if not found or not _ours(tree, entry):
            continue
        if inside is None:
            if not keep(entry):
                entry.unlink()
        elif keep(entry):
            prune(entry, inside, keep)
        else:
            discard(entry, inside)


def publish(staging: Path, out: Path) -> None:
    """Put the finished ``staging`` folder in place of ``out``, keeping the user's entries in it.

    Over earlier results the swap is two renames, so a reader sees the old results or the new
    ones; entries of ``out`` whose names casejourney does not write move into the new folder, and
    then only our old files go. Into a folder casejourney did not make (``--force``) each entry is
    moved in, and the folder itself is left as it was.
    """
    if not out.exists():
        staging.rename(out)
        return
    if _marked_kind(out) is None and not (out / SIMULATE.legacy).exists():
        for entry in sorted(staging.iterdir(), key=lambda e: e.name == MARKER):
            entry.rename(out / entry.name)  # ``check`` made sure none of these names is there
        staging.rmdir()
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    staging.rename(out)
    _restore(old, out, SIMULATE)


def _restore(old: Path, out: Path, kind: FolderKind) -> None:
    """Move the user's entries of an old results folder into ``out``; discard the rest."""
    _move_theirs(old, out, kind.tree)
    discard(old, kind.tree)


def _move_theirs(old: Path, new: Path, tree: Tree) -> None:
    for entry in sorted(old.iterdir()):
        target = new / entry.name
        if not _ours(tree, entry):
            if not target.exists() and not target.is_symlink():
                entry.rename(target)
            continue
        inside = _match(tree, entry.name)[1]
        if inside is not None and not target.is_symlink():
            if not target.exists():
                target.mkdir()
            if target.is_dir():
                _move_theirs(entry, target, inside)


def _clean_stale(out: Path, kind: FolderKind) -> None:
    """Remove what killed runs left (we hold the lock, so no live run is writing them)."""
    stale = re.compile(rf"\.{re.escape(out.name)}\.(partial|old)-\d+")
    if out.parent.is_dir():
        for entry in sorted(out.parent.iterdir()):
            match = stale.fullmatch(entry.name)
            if not match or entry.is_symlink() or not entry.is_dir():
                continue
            if match.group(1) == "old" and _marked_kind(entry) in (None, kind.name):
                if not out.exists():
                    entry.rename(out)  # killed mid-swap: the old results come back
                else:
                    _restore(entry, out, kind)
            elif kind is SIMULATE and _marked_kind(entry) == SIMULATE.name:
                continue  # a killed run's finished replications: ``staging_for`` resumes them
            else:
                discard(entry, kind.tree)  # only our names: a stray file of yours stays
    if out.is_dir() and not out.is_symlink():
        _discard_temporary(out, kind.tree)


def _discard_temporary(folder: Path, tree: Tree) -> None:
    for entry in sorted(folder.iterdir()):
        found, inside = _match(tree, entry.name)
        if not found or entry.is_symlink():
            continue
        if inside is None and re.fullmatch(next(iter(_TEMPORARY)), entry.name):
            if entry.is_file():
                entry.unlink()
        elif inside is not None and entry.is_dir():
            _discard_temporary(entry, inside)


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``out`` so two runs never write one folder."""
    if sys.platform == "win32":  # no flock; one run per folder is then the user's care
        yield
        return
    import fcntl

    path = out.parent / f".{out.name}.lock"
    while True:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise OutputFolderError(
                f"{out} is being written by another casejourney run ({holder}); wait for it to "
                "finish or choose another folder for --out"
            ) from None
        try:
            same = os.fstat(handle.fileno()).st_ino == path.stat().st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()  # the holder removed it as we opened it: take the new one
    try:
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        handle.close()


@contextlib.contextmanager
def claim(out: Path, kind: FolderKind, force: bool = False) -> Iterator[None]:
    """Check ``out``, lock it, clean what killed runs left, and turn OS errors into messages.

    Raises:
        OutputFolderError: the folder cannot be used, is in use, or writing it failed (disk full).

    """
    check(out, kind, force)
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        with _lock(out):
            check(out, kind, force)  # again, now that no other run can change it
            _clean_stale(out, kind)
            yield


def _disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(exc)


@contextlib.contextmanager
def writing(out: Path) -> Iterator[None]:
    """Turn an OS error while writing ``out`` into a message (the old results are untouched).

    Raises:
        OutputFolderError: the disk is full, or the folder could not be written.

    """
    try:
        yield
    except OutputFolderError:
        raise
    except OSError as exc:
        where = exc.filename or out
        if _disk_full(exc):
            raise OutputFolderError(
                f"the disk is full (writing {where}); free some space or choose another folder "
                f"for --out; earlier results in {out}, if any, are unchanged"
            ) from None
        raise OutputFolderError(
            f"cannot write {where}: {exc.strerror or exc}; choose another folder for --out"
        ) from None
