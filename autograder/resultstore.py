"""Grading results kept per submission, keyed by content, so a run can stop anywhere and resume.

A submission's key hashes its notebooks' bytes, the grader's fingerprint (its
source code, calibrated bounds and the package versions that change numbers) and
whether it was sandboxed. A result is written as soon as it arrives (write, then
rename); a later run re-grades only submissions whose key has no result, and
re-records into the gradebook only what the gradebook does not have yet.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import autograder
from autograder.tasks.keras_task import package_versions, write_json_atomically


@functools.cache
def grader_fingerprint() -> str:
    """What makes the grader give a different result: its code, its bounds, the versions it runs on."""
    package = Path(autograder.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".json"} and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    digest.update(json.dumps(package_versions()).encode())
    return digest.hexdigest()


def submission_key(notebooks: dict[str, bytes], *, unsandboxed: bool) -> str:
    digest = hashlib.sha256(grader_fingerprint().encode())
    digest.update(b"unsandboxed" if unsandboxed else b"bubblewrap")
    for name, raw in sorted(notebooks.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(raw).digest())
    return digest.hexdigest()


class ResultStore:
    """One JSON file per student and assignment under ``<course>/.grading_cache/results/``."""

    def __init__(self, course: Path, assignment: str) -> None:
        self.dir = course / ".grading_cache" / "results" / assignment

    def _path(self, student: str) -> Path:
        return self.dir / f"{student}.json"

    def get(self, student: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(student).read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, student: str, key: str, outcome: dict[str, Any], *, recorded: bool = False) -> None:
        write_json_atomically(self._path(student), {"key": key, "outcome": outcome, "recorded": recorded})

    def mark_recorded(self, student: str) -> None:
        entry = self.get(student)
        if entry is not None:
            self.put(student, entry["key"], entry["outcome"], recorded=True)
