"""CPU seconds used by a process tree, from /proc/<pid>/stat (Linux).

A tree's CPU is the sum, over its living processes, of their own time (utime + stime)
and of their reaped children's (cutime + cstime): a gunicorn worker or a PostgreSQL
backend that exits during a measure still counts, in its parent's cutime. The delta of
two readings is the CPU the tree used between them, whatever started or ended.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, clock ticks of the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): field n is rest[n - 3].
    return int(rest[1]), sum(int(value) for value in rest[11:15])


def tree(root: int) -> dict[int, int]:
    """pid -> ticks for `root` and its descendants."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            stats[int(entry)] = stat
    if root not in stats:
        return {}
    children: dict[int, list[int]] = {}
    for pid, (parent, _ticks) in stats.items():
        children.setdefault(parent, []).append(pid)
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        found[pid] = stats[pid][1]
        todo.extend(children.get(pid, []))
    return found


def tree_seconds(root: int) -> float:
    return sum(tree(root).values()) / TICKS


@dataclass
class Meter:
    """CPU of named process trees between `start()` and `stop()`."""

    roots: dict[str, int]
    _start: dict[str, float] = field(default_factory=dict)

    def read(self) -> dict[str, float]:
        return {name: tree_seconds(pid) for name, pid in self.roots.items() if pid}

    def start(self) -> None:
        self._start = self.read()

    def stop(self) -> dict[str, float]:
        now = self.read()
        return {name: now[name] - self._start.get(name, 0.0) for name in now}


def postmaster_pid(data_directory: str) -> int | None:
    """The PostgreSQL server's pid from its data folder (None when not on this machine)."""
    try:
        return int(Path(data_directory, "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
