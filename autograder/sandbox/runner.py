"""The trusted program that starts inside the sandbox and runs the learner's code there.

    python runner.py RESULT_FD LIMITS_JSON [keras]  < request payload

It sets its own resource limits, reads the request (see :mod:`channel`) from
stdin, then does one of two jobs and writes one payload to the result pipe:

``extract``
    Run the learner's solution cell and bring back a plain artifact: for a Keras
    exercise, the JSON config of the model ``build_model(*args)`` returns; for a
    function exercise, the raw outputs of the function on the inputs the judge
    chose (or each call's exception type and message). No check runs here.
``reference``
    A decision exercise's own cross-validation, by trusted code only.
``train``
    Rebuild a model from its JSON config and train it with the grader's recipe
    (:mod:`autograder.recipe`). No learner code runs in this process: it gets a
    fresh sandbox of its own, so a solution cell cannot tamper with training.

The learner's code runs in this process, so it could overwrite what the runner
sends back; that is why everything decided about it is decided outside, from
raw outputs whose correctness the learner cannot fake without doing the work.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

CELL_FILENAME = "<your solution cell>"


def _strip_magics(source: str) -> str:
    """Notebook-only syntax (%magics, !shell) cannot run as plain Python; it is dropped."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def learner_traceback(exc: BaseException) -> str:
    """``Type: message (line N of your cell: code)``, pointing into the learner's cell only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == CELL_FILENAME]
    where = f" (line {frames[-1].lineno} of your cell: {frames[-1].line})" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:500]}{where}"


class LearnerError(Exception):
    """The learner's code did not yield an artifact; the message is for the learner."""


def run_solution(source: str, function_name: str | None, namespace: dict[str, Any]) -> Any:
    """Execute the solution cell in ``namespace``; return the function it defines (``None``: no check)."""
    try:
        exec(compile(_strip_magics(source), CELL_FILENAME, "exec"), namespace)
    except NotImplementedError:
        raise LearnerError("your solution cell still raises NotImplementedError: replace that line with your "
                           "code.") from None
    except BaseException as exc:  # SystemExit too: the learner's code must not end the run silently
        raise LearnerError("running your solution cell failed: " + learner_traceback(exc)) from None
    if function_name is None:
        return None
    fn = namespace.get(function_name)
    if not callable(fn):
        raise LearnerError(f"your solution cell does not define a function named `{function_name}`.")
    return fn


def keras_namespace() -> dict[str, Any]:
    """What the exercise notebooks' set-up cells import, for a solution cell that relies on it."""
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import constraints, layers, regularizers

    return {"__name__": "__submission__", "keras": keras, "tf": tf, "layers": layers,
            "regularizers": regularizers, "constraints": constraints, "np": np, "numpy": np}


def extract_model(fn: Any, function_name: str, args: list) -> dict[str, Any]:
    """``build_model(*args)`` as JSON config and parameter count."""
    call = f"{function_name}({', '.join(map(repr, args))})"
    try:
        model = fn(*args)
    except NotImplementedError:
        raise LearnerError(f"`{function_name}` still raises NotImplementedError: write your model there.") from None
    except BaseException as exc:
        raise LearnerError(f"calling {call} failed: " + learner_traceback(exc)) from None
    if not hasattr(model, "to_json") or not hasattr(model, "count_params"):
        raise LearnerError(f"{function_name} must return a keras Model, it returned a {type(model).__name__}.")
    try:
        return {"model_json": str(model.to_json()), "n_params": int(model.count_params())}
    except BaseException as exc:
        raise LearnerError("your model could not be serialized: " + learner_traceback(exc)) from None


def run_calls(fn: Any, calls: list[dict], arrays: dict) -> tuple[dict[str, Any], dict]:
    """Call ``fn(x, rate, training, rng)`` once per planned call; record raw outputs or exceptions.

    Used in the sandbox for grading and in the learner's own kernel for the self-checks,
    so both see the same record. Each call gets a fresh copy of its input and a fresh
    generator from the planned seed.
    """
    import numpy as np

    record: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for call in calls:
        name = call["name"]
        original = arrays[call["input"]]
        x = np.array(original, copy=True)
        try:
            out = fn(x, call["rate"], call["training"], np.random.default_rng(call["seed"]))
        except Exception as exc:
            record[name] = {"raised": type(exc).__name__, "raised_mro": [c.__name__ for c in type(exc).__mro__],
                            "message": str(exc)[:300]}
            continue
        entry: dict[str, Any] = {"input_modified": not np.array_equal(x, original, equal_nan=True)}
        if not isinstance(out, np.ndarray):
            entry["returned_type"] = type(out).__name__
            try:
                out = np.asarray(out, dtype=float)
            except Exception:
                record[name] = {**entry, "raised": "BadReturn", "raised_mro": ["BadReturn"],
                                "message": f"returned a {type(out).__name__}, not an array"}
                continue
        if out.dtype.kind not in "biufc":
            record[name] = {**entry, "raised": "BadReturn", "raised_mro": ["BadReturn"],
                            "message": f"returned an array of {out.dtype}, not numbers"}
            continue
        record[name] = entry
        outputs[name] = out
    return record, outputs


def train(request: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the model from its config and train it with the recipe (trusted code only)."""
    from autograder.recipe import Recipe, fit_from_json, model_from_json

    recipe = Recipe(**{**request["recipe"], "metrics": tuple(request["recipe"]["metrics"])})
    if request["model_json"] is None:  # the exercise's given model, for the feedback's comparison curve
        from autograder.tasks import get_task

        request = {**request, "model_json": get_task(request["task"]).baseline_model().to_json()}
    try:
        n_params = int(model_from_json(request["model_json"]).count_params())
    except Exception as exc:
        raise LearnerError(f"the model could not be rebuilt from its configuration: {type(exc).__name__}: "
                           f"{str(exc)[:300]}") from None
    if n_params > request["max_params"]:
        raise LearnerError(f"the model has {n_params:,} parameters; this task allows at most "
                           f"{request['max_params']:,} (the given model has far fewer). It was not trained.")
    started = time.perf_counter()
    try:
        history = fit_from_json(request["model_json"], recipe)
    except Exception as exc:
        raise LearnerError(f"training your model with the grader's settings failed: {type(exc).__name__}: "
                           f"{str(exc)[:300]}") from None
    return {"history": history, "n_params": n_params, "fit_seconds": time.perf_counter() - started}


def reference(request: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """A decision exercise's own cross-validation table (trusted code only, no learner code)."""
    from autograder.tasks import get_task

    task = get_task(request["task"])
    return {"candidates": [float(c) for c in task.candidates]}, {"losses": task.reference_losses()}


def serve(request: dict[str, Any], arrays: dict) -> tuple[dict[str, Any], dict]:
    """Carry out one request. The functions used after the learner's code runs are bound first, so
    replacing this module's globals from a solution cell does not redirect them."""
    if request["mode"] == "train":
        return train(request), {}
    if request["mode"] == "reference":
        return reference(request)
    extract, calls = extract_model, run_calls
    if request["kind"] == "cv":
        import numpy as np

        from autograder.checks.cross_validation import run_plan

        namespace = {"__name__": "__submission__", "np": np, "numpy": np}
        run_solution(request["source"], None, namespace)
        record, outputs = run_plan(namespace, request["calls"], arrays)
        return {"calls": record}, outputs
    namespace = keras_namespace() if request["kind"] == "keras_model" else {"__name__": "__submission__"}
    if request["kind"] != "keras_model":
        import numpy as np

        namespace.update(np=np, numpy=np)
    fn = run_solution(request["source"], request["function"], namespace)
    if request["kind"] == "keras_model":
        return extract(fn, request["function"], request["args"]), {}
    record, outputs = calls(fn, request["calls"], arrays)
    return {"calls": record}, outputs


def main() -> None:
    result_fd, limits = int(sys.argv[1]), json.loads(sys.argv[2])
    preload = sys.argv[3] if len(sys.argv) > 3 else ""
    from autograder.sandbox.limits import apply_rlimits

    apply_rlimits(limits)  # before anything else: the limits hold for all that follows
    import autograder  # noqa: F401  (quiets TensorFlow, fixes thread counts, before it loads)
    from autograder.sandbox.channel import decode, encode

    if preload == "keras":  # a training run: load TensorFlow while the request is still being prepared
        import keras  # noqa: F401
        import tensorflow  # noqa: F401

        import autograder.recipe  # noqa: F401

    request, arrays = decode(sys.stdin.buffer.read(), max_bytes=limits["result_bytes"])
    try:
        meta, out = serve(request, arrays)
        meta = {"status": "ok", **meta}
    except LearnerError as exc:
        meta, out = {"status": "error", "message": str(exc)}, {}
    payload = encode(meta, out)
    sys.stdout.flush()
    sys.stderr.flush()
    with os.fdopen(result_fd, "wb") as channel:
        channel.write(payload)
    os._exit(0)  # no atexit hooks or finalizers the learner's code may have registered


if __name__ == "__main__":
    main()
