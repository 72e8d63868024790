"""Paths that stay inside the store, and directory trees walked with their links followed.

Names are checked as text elsewhere (``project_path``, ``names``); that does not stop a symbolic
link *inside* the store (``datasets/x -> /etc``) from leading a read or a write outside it. Every
target is therefore resolved (all existing links followed) and refused unless the result is
still under the resolved store root.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mlsys.errors import InvalidArgumentError, InvalidNameError, NotFoundError


def resolved(path: Path, what: str) -> Path:
    """``path`` with every existing link followed; a link loop is an InvalidNameError."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as err:  # Python 3.11 raises RuntimeError on a loop
        raise InvalidNameError(f"{what} {str(path)!r} cannot be resolved ({err}); it goes "
                               "through a loop of symbolic links: remove the link") from None


def inside(root: Path, target: Path, what: str) -> Path:
    """``target`` (unchanged) if it resolves under ``root``; InvalidNameError naming where it
    leads otherwise."""
    base = resolved(root, "the store root")
    real = resolved(target, what)
    if real != base and not real.is_relative_to(base):
        raise InvalidNameError(
            f"{what} {str(target)!r} leads outside the store to {str(real)!r} through a "
            f"symbolic link; mlsys reads and writes only inside {str(base)!r}. Remove the link "
            "(or replace it by a copy of what it points to)")
    return target


def tree_inside(root: Path, directory: Path, what: str) -> None:
    """Every link under ``directory`` resolves inside ``root`` (checked before a tree is
    copied out of the store, since copying follows links)."""
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink():
                inside(root, p, what)


def tree_files(source: Path, what: str,
               folders: list[str] | None = None) -> list[tuple[Path, str]]:
    """``(file, relative posix path)`` of every regular file under ``source``, links followed.

    A model or upload directory may link to shared files (weights, a data folder); the store
    keeps self-contained copies, so links are followed as MLflow's ``log_artifacts`` does
    (``shutil.copytree`` follows links by default). A link back to a directory being walked (a
    loop), a dangling link or a special file (socket, FIFO, device) would otherwise be skipped
    or never end: those are refused, all of them listed. ``folders``, if given, receives
    every sub-folder's relative path (so empty ones can be made too).
    """
    source = Path(source)
    if not source.exists():
        raise NotFoundError(what, str(source), [])
    if not source.is_dir():
        return [(source, source.name)]
    out: list[tuple[Path, str]] = []
    problems: list[str] = []

    def walk(directory: Path, rel: str, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            problems.append(f"{rel or '.'}/ (unreadable: {err.strerror})")
            return
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            try:
                st = Path(entry.path).stat()  # follows the link, if it is one
            except OSError:
                problems.append(f"{child} (a dangling link to {str(Path(entry.path).readlink())!r})"
                                if entry.is_symlink() else f"{child} (unreadable)")
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    problems.append(f"{child} (a link back to a folder that contains it: a loop)")
                    continue
                if folders is not None:
                    folders.append(child)
                walk(Path(entry.path), child, ancestors | {key})
            elif stat.S_ISREG(st.st_mode):
                out.append((Path(entry.path), child))
            else:
                problems.append(f"{child} (not a regular file)")

    top = source.stat()
    walk(source, "", frozenset({(top.st_dev, top.st_ino)}))
    if problems:
        raise InvalidArgumentError(
            f"{what} {str(source)!r} holds entries that cannot be copied: "
            f"{'; '.join(problems)}. Nothing was saved; remove or replace them (links are "
            "followed, so a link to a real file or folder is fine)")
    return out




def outside_store(out: Path, root: Path, what: str = "output folder") -> Path:
    """``out`` unless it resolves into the store ``root`` (through a link or not), where
    written reports would land among, or over, the store's own files."""
    real = resolved(Path(out).expanduser(), what)
    base = resolved(root, "the store root")
    if real == base or real.is_relative_to(base):
        raise InvalidArgumentError(
            f"{what} {str(out)!r} is inside the store ({str(real)!r} under {str(base)!r}); "
            "write reports to a folder outside it, e.g. --out reports/quality")
    return out


__all__ = ["inside", "outside_store", "resolved", "tree_files", "tree_inside"]
