"""What ``Project.verify()`` returns: each damaged part of a store and how to repair it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One damaged part: what it is, what is wrong with it, and the repair.

    ``repairable`` problems are fixed by ``verify(repair=True)`` (``mlsys verify --repair``)
    without losing anything (e.g. an online store rebuilt from its offline table); the others
    need the store, or the named file, restored from a backup.
    """

    what: str
    damage: str
    repair: str
    repairable: bool = False

    def line(self) -> str:
        return f"{self.what}: {self.damage} -> {self.repair}"


@dataclass(frozen=True)
class VerifyResult:
    """Every problem found (``problems``: still there), the ones repaired, what was checked,
    and files that could not be checked (written before hashes were recorded)."""

    problems: tuple[Problem, ...]
    repaired: tuple[Problem, ...]
    checked: tuple[str, ...]
    unverified: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"DAMAGED {p.line()}" for p in self.problems]
        out += [f"repaired {p.what}: {p.damage}" for p in self.repaired]
        if self.unverified:
            out.append(f"{len(self.unverified)} file(s) written before mlsys recorded hashes "
                       f"were not checked: {', '.join(self.unverified[:5])}"
                       f"{' ...' if len(self.unverified) > 5 else ''}")
        out.append(f"checked {len(self.checked)} part(s): "
                   f"{'no damage found' if self.ok else f'{len(self.problems)} problem(s)'}")
        return out


__all__ = ["Problem", "VerifyResult"]
