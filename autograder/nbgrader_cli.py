"""Run nbgrader's command-line apps from this environment.

nbgrader shells out to ``alembic`` (its database migrations), which lives next to
the Python interpreter; a run from a virtualenv that is not "activated" would not
find it. Every nbgrader call in the project goes through :func:`nbgrader`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def env_with_venv_bin() -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def nbgrader(*args: str, course_dir: Path, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` with ``course_dir`` as the course root (and as the working directory)."""
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_dir}"]
    return subprocess.run(
        cmd, cwd=course_dir, env=env_with_venv_bin(), check=check, text=True,
        capture_output=capture, stdin=subprocess.DEVNULL,
    )
