"""What a sandboxed run may use, and how each limit is enforced.

Per process, the runner sets resource limits (``setrlimit``) on itself before any
learner code runs: address space, file size, CPU time, no core files, and the
number of processes. The wall-clock limit is the trusted side's: it kills the
sandbox when time is up.

The process limit needs care. Linux exempts uid 0 from ``RLIMIT_NPROC``, and
inside bubblewrap's user namespace a grader run by root is still uid 0 to the
kernel; a fork bomb would then exhaust the machine's PIDs (32768 here) and hurt
every other submission. So when the grader runs as root, each sandbox also gets
its own pids cgroup (and memory cgroup, which caps the *total* memory of all its
processes), when the machine lets us create one. For other users the rlimit is
counted per user namespace, that is per sandbox, and suffices.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

GiB, MiB = 1024**3, 1024**2


@dataclass(frozen=True)
class Limits:
    """One sandboxed run's budget. Defaults fit a two-layer MLP on a laptop with room to spare."""

    wall_seconds: float = 120.0
    memory_bytes: int = 6 * GiB  # address space of each process (TensorFlow alone maps ~2 GiB)
    total_memory_bytes: int = 8 * GiB  # all processes together, where a memory cgroup is available
    processes: int = 256  # processes and threads (TensorFlow starts a few dozen threads)
    file_bytes: int = 64 * MiB  # the largest file a process may write
    scratch_bytes: int = 256 * MiB  # size of the writable tmpfs (/scratch and /tmp each)
    result_bytes: int = 32 * MiB  # the most the trusted side reads from the result channel
    output_bytes: int = 16 * 1024  # the tail of stdout/stderr kept for messages

    def with_wall(self, seconds: float) -> Limits:
        return replace(self, wall_seconds=float(seconds))

    def to_dict(self) -> dict:
        return asdict(self)


def apply_rlimits(limits: dict) -> None:
    """Set the per-process limits on the calling process (the runner calls this first thing)."""
    import resource

    cpu = int(limits["wall_seconds"] * 2 + 10)  # CPU time can exceed wall time with threads; this is a backstop
    for name, value in (
        ("RLIMIT_AS", limits["memory_bytes"]),
        ("RLIMIT_FSIZE", limits["file_bytes"]),
        ("RLIMIT_CPU", cpu),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_NPROC", limits["processes"]),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))


# ----- cgroups, for a grader that runs as root -------------------------------------------------

CGROUP_ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _own_cgroup_dirs() -> dict[str, Path]:
    """This process's cgroup directory per controller (cgroup v1), or under the unified tree (v2)."""
    dirs: dict[str, Path] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else ["unified"]:
            base = CGROUP_ROOT / controller if controller != "unified" else CGROUP_ROOT
            if controller == "unified" and (CGROUP_ROOT / "unified").is_dir():
                base = CGROUP_ROOT / "unified"
            dirs[controller] = base / path.lstrip("/")
    return dirs


class CgroupJail:
    """A fresh cgroup per sandbox with ``pids`` (and, if possible, ``memory``) limits.

    ``processes_limited`` tells whether a pids limit is in force. Every process left in
    the cgroup is killed on exit, whatever it did to detach itself.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.dirs: list[Path] = []
        self.processes_limited = False
        self.memory_limited = False

    def __enter__(self) -> CgroupJail:
        if os.geteuid() != 0:
            return self
        name = f"course-grade-{os.getpid()}-{next(_counter)}"
        try:
            own = _own_cgroup_dirs()
        except OSError:
            return self
        v1 = {"pids": ("pids.max", self.limits.processes),
              "memory": ("memory.limit_in_bytes", self.limits.total_memory_bytes)}
        for controller, (knob, value) in v1.items():
            if controller in own and self._make(own[controller] / name, knob, value):
                setattr(self, "processes_limited" if controller == "pids" else "memory_limited", True)
        if not self.processes_limited and "unified" in own:  # cgroup v2, if the pids controller is delegated
            group = own["unified"] / name
            if self._make(group, "pids.max", self.limits.processes):
                self.processes_limited = True
                self.memory_limited = self._write(group / "memory.max", self.limits.total_memory_bytes)
        return self

    def _make(self, group: Path, knob: str, value: int) -> bool:
        try:
            group.mkdir()
        except OSError:
            return False
        self.dirs.append(group)
        return self._write(group / knob, value)

    @staticmethod
    def _write(path: Path, value: int | str) -> bool:
        try:
            path.write_text(str(value))
            return True
        except OSError:
            return False

    def join(self) -> None:
        """Move the calling process into the jail (runs in the child, before exec)."""
        for group in self.dirs:
            with contextlib.suppress(OSError):
                (group / "cgroup.procs").write_text(str(os.getpid()))

    def kill_all(self) -> None:
        for _ in range(50):
            pids = [int(p) for g in self.dirs if (g / "cgroup.procs").exists()
                    for p in (g / "cgroup.procs").read_text().split()]
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self.kill_all()
        for group in reversed(self.dirs):
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
