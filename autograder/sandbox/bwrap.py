"""The isolation boundary: a bubblewrap (``bwrap``) command line, and a check that it works here.

bubblewrap is Flatpak's sandbox: it builds a new mount tree in fresh user, PID,
network, IPC, UTS and cgroup namespaces. What a sandboxed run sees:

- read-only: ``/usr`` (and its ``/bin``, ``/lib`` links), the Python installation
  (``sys.base_prefix``), the virtual environment (``sys.prefix``), the course
  package and the data directory, each at its own path;
- writable: a private, size-limited tmpfs at ``/scratch`` (its working directory
  and ``HOME``) and another at ``/tmp``, both gone when it ends;
- nothing else: not the course directory (gradebook, ``source/``, ``release/``,
  other students' folders), not the repository's ``exercises/source/``, not the
  home directory, no network (only a loopback with nothing behind it), no other
  process (its PID 1 is bwrap's), no way to make a nested user namespace.

``--die-with-parent`` and the PID namespace end every process of the run with it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import autograder

INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`). "
    "On Ubuntu 24.04 and later, AppArmor may also block unprivileged user namespaces: see "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns`. To grade without isolation anyway (trusted "
    "submissions only), pass --unsandboxed."
)
SANDBOX_UID = 65534  # "nobody" inside the sandbox
SCRATCH = "/scratch"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here; the message says how to fix it."""


def course_package_dir() -> Path:
    return Path(autograder.__file__).resolve().parent


def data_dir() -> Path:
    from autograder.data import DATA_DIR

    return Path(DATA_DIR).resolve()


def readonly_paths() -> list[Path]:
    """What the sandbox may read, besides /usr: the interpreter, the environment, the package, the data."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), course_package_dir(), data_dir()}
    # An interpreter outside its prefix (e.g. a venv made from /usr/bin/python3) is under /usr already.
    return sorted(p for p in paths if p.exists() and not str(p).startswith("/usr/"))


def bwrap_command(argv: list[str], *, scratch_bytes: int, env: dict[str, str]) -> list[str]:
    """``bwrap ... argv`` with the mounts, namespaces and environment described above."""
    cmd = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
           "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
           # The writable tmpfs first: an environment or package that lives under /tmp (a CI clone)
           # is then bound on top of it, not hidden by it.
           "--proc", "/proc", "--dev", "/dev",
           "--size", str(scratch_bytes), "--tmpfs", "/tmp",
           "--size", str(scratch_bytes), "--tmpfs", SCRATCH,
           "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    for path in readonly_paths():
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--chdir", SCRATCH, "--clearenv"]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    return cmd + ["--", *argv]


@functools.cache
def check_available() -> None:
    """Raise SandboxUnavailable unless a trivial sandboxed Python run works on this machine."""
    if sys.platform != "linux":
        raise SandboxUnavailable(f"the grading sandbox (bubblewrap) needs Linux; this is {sys.platform}. "
                                 "Grade on a Linux machine, or pass --unsandboxed for trusted submissions.")
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (`bwrap`) is not installed, so submissions cannot be isolated. "
                                 + INSTALL_HINT)
    cmd = bwrap_command([sys.executable, "-s", "-c", "import os; assert not os.path.exists('/root/.bashrc')"],
                        scratch_bytes=1024**2, env={"PATH": "/usr/bin:/bin"})
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    if proc.returncode != 0:
        raise SandboxUnavailable("bubblewrap is installed but could not create a sandbox here "
                                 f"(exit {proc.returncode}: {proc.stderr.strip()[-500:]}). " + INSTALL_HINT)
