"""Execute every chapter notebook once, as the book build does, and print how long each takes.

    python benchmarks/chapters.py         # target: at most 60 s per chapter on a 2-core laptop CPU
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    rows = []
    for path in sorted((ROOT / "chapters").glob("*.md")):
        nb = jupytext.read(path)
        started = time.perf_counter()
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        seconds = time.perf_counter() - started
        rows.append((path.stem, seconds))
        print(f"{path.stem:32s} {seconds:7.1f} s", flush=True)
    print(f"{'total':32s} {sum(s for _, s in rows):7.1f} s")
    print(f"{'slowest':32s} {max(s for _, s in rows):7.1f} s  (budget: 60 s per chapter)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
