"""Run a learner's solution cell in a separate, time-limited process and bring back an artifact.

This is the only place learner code runs during judging. The worker process
executes the cell, calls the function the task asks for, and writes a plain
artifact (a model's JSON config and parameter count, or arrays): nothing it
does can reach the process that scores the artifact. A timeout, a crash, an
``exit()``, an exception or a missing function all come back as a
:class:`SandboxError` whose message is meant for the learner.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CELL_FILENAME = "<your solution cell>"
DEFAULT_TIMEOUT = 120.0
MEMORY_LIMIT_BYTES = 8 * 1024**3
FILE_SIZE_LIMIT_BYTES = 256 * 1024**2


class SandboxError(Exception):
    """The learner's code did not produce an artifact; the message says why, for the learner."""


@dataclass(frozen=True)
class Artifact:
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]


def _limit_resources() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT_BYTES, FILE_SIZE_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _strip_magics(source: str) -> str:
    """Notebook-only syntax (%magics, !shell) cannot run as plain Python; it is dropped."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def run_cell(task_name: str, source: str, *, timeout: float = DEFAULT_TIMEOUT) -> Artifact:
    """Execute ``source`` for ``task_name`` in a fresh interpreter; return its artifact."""
    with tempfile.TemporaryDirectory(prefix="judge-sandbox-") as tmp:
        work = Path(tmp)
        (work / "cell.py").write_text(_strip_magics(source))
        env = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "COURSE_DATA_DIR"}}
        env.update(HOME=str(work), MPLBACKEND="Agg", PYTHONHASHSEED="0")
        cmd = [sys.executable, "-m", "autograder.sandbox", task_name, str(work)]
        proc = subprocess.Popen(
            cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=_limit_resources, start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise SandboxError(
                f"your code did not finish within {timeout:g} s (an infinite loop, or far too much work); "
                "it was stopped."
            ) from None
        return _read_artifact(work, proc.returncode, output.decode(errors="replace"))


def _read_artifact(work: Path, returncode: int, output: str) -> Artifact:
    error_file = work / "error.json"
    if error_file.exists():
        raise SandboxError(json.loads(error_file.read_text())["message"])
    meta_file = work / "artifact.json"
    if not meta_file.exists():
        tail = "\n".join(output.strip().splitlines()[-5:])
        if returncode < 0:
            why = f"was killed by signal {-returncode} (often: it ran out of memory)"
        else:
            why = f"ended (exit code {returncode}) without a result (does it call exit()?)"
        raise SandboxError(f"your code {why}." + (f"\nLast output:\n{tail}" if tail else ""))
    meta = json.loads(meta_file.read_text())
    arrays: dict[str, np.ndarray] = {}
    if (work / "arrays.npz").exists():
        with np.load(work / "arrays.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    return Artifact(meta=meta, arrays=arrays)


# ----- the worker: everything below runs in the sandbox process --------------------------------


def _learner_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == CELL_FILENAME]
    where = f" (line {frames[-1].lineno} of your cell: {frames[-1].line})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _worker(task_name: str, work: Path) -> None:
    import autograder  # noqa: F401  (quiet TensorFlow before it loads)
    from autograder.checks import dropout_numpy
    from autograder.tasks import get_task
    from autograder.tasks.keras_task import KerasTask

    task = get_task(task_name)
    namespace: dict[str, Any] = {"__name__": "__submission__", "np": np, "numpy": np}
    if isinstance(task, KerasTask):
        import keras
        import tensorflow as tf
        from keras import constraints, layers, regularizers

        namespace.update(keras=keras, tf=tf, layers=layers, regularizers=regularizers, constraints=constraints)
        n_features = task.n_features
    source = (work / "cell.py").read_text()

    def fail(message: str) -> None:
        (work / "error.json").write_text(json.dumps({"message": message}))

    try:
        exec(compile(source, CELL_FILENAME, "exec"), namespace)
    except NotImplementedError:
        return fail("your solution cell still raises NotImplementedError: replace that line with your code.")
    except BaseException as exc:  # SystemExit too: the learner's code must not end the judge's run
        return fail("running your solution cell failed: " + _learner_traceback(exc))
    fn = namespace.get(task.function_name)
    if not callable(fn):
        return fail(f"your solution cell does not define a function named `{task.function_name}`.")

    if isinstance(task, KerasTask):
        try:
            model = fn(n_features)
        except NotImplementedError:
            return fail(f"`{task.function_name}` still raises NotImplementedError: write your model there.")
        except BaseException as exc:
            return fail(f"calling {task.function_name}({n_features}) failed: " + _learner_traceback(exc))
        if not hasattr(model, "to_json") or not hasattr(model, "count_params"):
            return fail(f"{task.function_name} must return a keras Model, it returned a {type(model).__name__}.")
        try:
            meta = {"model_json": model.to_json(), "n_params": int(model.count_params())}
        except BaseException as exc:
            return fail("your model could not be serialized: " + _learner_traceback(exc))
        (work / "artifact.json").write_text(json.dumps(meta))
    else:
        record = dropout_numpy.probe(fn)
        arrays, meta = dropout_numpy.record_to_arrays(record)
        np.savez(work / "arrays.npz", **arrays)
        (work / "artifact.json").write_text(json.dumps(meta))


if __name__ == "__main__":
    _worker(sys.argv[1], Path(sys.argv[2]))
    # Leave at once: no atexit hooks the learner's code may have registered.
    sys.stdout.flush()
    os._exit(0)
