"""Time `make book` from scratch and again with nothing changed (target: at most 15 s). Prints; asserts nothing.

    python benchmarks/book.py            # removes _build and exercises/student first: a clean build
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_book() -> float:
    started = time.perf_counter()
    subprocess.run(["make", "book"], cwd=ROOT, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    for generated in ("_build", "exercises/student"):
        shutil.rmtree(ROOT / generated, ignore_errors=True)
    print(f"make book, clean                   {make_book():7.1f} s", flush=True)
    print(f"make book, nothing changed         {make_book():7.1f} s  (target: 15 s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
