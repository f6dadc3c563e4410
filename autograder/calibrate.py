"""Calibrate the validation bound of each Keras exercise, and the tolerance of the decision exercise.

For every task: train the reference solution (taken from the nbgrader source
notebook, so it cannot drift from what instructors release) and typical wrong
answers with the grader's recipe under many seeds; save the scores; set the
bound between the worst reference score and the best score of the model
without the asked-for regularization, and fail loudly if they overlap.

    python -m autograder.calibrate run ex1_add_dropout --seeds 20   # one task -> calibration/<task>.csv
    python -m autograder.calibrate summarize                        # bounds.json, summary.csv, plot
    python -m autograder.calibrate choice ex6_choose_by_cv --fold-seeds 8   # -> calibration/<task>.csv

The decision exercise has no bound but a tolerance: the grade accepts any candidate within one
standard error of the best in the grader's own cross-validation. ``choice`` checks that an honest
learner whose folds differ from the grader's (another valid stratified assignment) still chooses
an accepted value: it reruns the whole cross-validation under other fold seeds.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from autograder.recipe import final_score, fit_from_json
from autograder.tasks import get_task
from autograder.tasks.keras_task import BOUNDS_FILE, CALIBRATION_DIR, KerasTask

SOURCE_DIR = Path(__file__).resolve().parent.parent / "exercises" / "source"
MARGIN_FRACTION = 0.5  # the bound sits this far from the worst reference towards the best wrong answer...
MAX_MARGIN_SD = 6.0  # ...but never more than this many reference SDs above it (a diverged run scores ~inf)
NO_FIX = "no_fix"  # the wrong answer the bound must reject: the given model, unchanged (see KerasTask)


def builder(task: KerasTask, source: str) -> Callable[[int], object]:
    """``build_model`` from solution-cell code the instructor wrote (trusted: it runs here, unsandboxed)."""
    from autograder.sandbox.runner import keras_namespace, run_solution

    return run_solution(source, task.function_name, keras_namespace())


def reference_source(task: KerasTask) -> str:
    """The source notebook's solution cell, so calibration cannot drift from what instructors release."""
    import nbformat

    from autograder.judge import solution_source

    nb = nbformat.read(SOURCE_DIR / task.name / f"{task.name}.ipynb", as_version=4)
    return solution_source(nb, task.solution_cell)


def run(task_name: str, seeds: list[int], other_seeds: int = 5) -> Path:
    """Train the variants under the seeds; one CSV row per run, appended as it goes.

    The reference and the unregularized model (the pair the bound must separate) get every
    seed; the other wrong answers, which only show how the bound treats partial fixes, get
    the first ``other_seeds``. Runs already in the CSV are skipped, so an interrupted
    calibration resumes where it stopped.
    """
    task = get_task(task_name)
    sources = {"reference": reference_source(task), **task.wrong_answers()}
    variants = {name: builder(task, source) for name, source in sources.items()}
    out = CALIBRATION_DIR / f"{task_name}.csv"
    done = set()
    if out.exists():
        with out.open() as fh:
            done = {(row["variant"], int(row["seed"])) for row in csv.DictReader(fh)}
    new_file = not out.exists()
    with out.open("a", newline="") as fh:
        writer = csv.writer(fh)
        if new_file:
            writer.writerow(["task", "variant", "seed", "score", "seconds"])
        for i, seed in enumerate([task.recipe.seed, *seeds]):
            for variant, build in variants.items():
                essential = variant in ("reference", NO_FIX)
                if (variant, seed) in done or (not essential and i > other_seeds):
                    continue
                started = time.perf_counter()
                history = fit_from_json(build(task.n_features).to_json(), task.recipe.with_seed(seed))
                score = final_score(history, task.recipe)
                seconds = time.perf_counter() - started
                writer.writerow([task_name, variant, seed, f"{score:.6f}", f"{seconds:.2f}"])
                fh.flush()
                print(f"{task_name} seed={seed} {variant:20s} score={score:.4f} ({seconds:.1f} s)", flush=True)
    return out


def run_choice(task_name: str, fold_seeds: list[int]) -> Path:
    """Cross-validate the decision task under other fold assignments; one CSV row per (seed, candidate)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from autograder.checks.cross_validation import accepted, lowest_mean

    task = get_task(task_name)
    x, y = task.training_data()
    grader = task.reference_losses(progress=False)
    ok = accepted(list(task.candidates), grader)
    out = CALIBRATION_DIR / f"{task_name}.csv"
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task", "fold_seed", "candidate", "mean_loss", "se", "chosen", "accepted_by_grader"])
        for seed in fold_seeds:
            folds = list(StratifiedKFold(task.k, shuffle=True, random_state=seed).split(x, y))
            started = time.perf_counter()
            losses = np.array([[task.fit_and_score(c, tr, va) for tr, va in folds] for c in task.candidates])
            chosen = lowest_mean(list(task.candidates), losses)
            for c, row in zip(task.candidates, losses, strict=True):
                writer.writerow([task_name, seed, c, f"{row.mean():.6f}", f"{row.std(ddof=1) / np.sqrt(len(row)):.6f}",
                                 int(c == chosen), int(c in ok)])
            fh.flush()
            print(f"{task_name} fold seed {seed}: chooses {chosen:g} ({'accepted' if chosen in ok else 'REJECTED'}) "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    return out


def summarize(task_names: list[str]) -> dict:
    """Bounds with their margins, a summary table and a plot, from the per-task CSVs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    bounds, rows = {}, []
    fig, axes = plt.subplots(1, len(task_names), figsize=(5 * len(task_names), 4.2))
    for ax, name in zip(axes if len(task_names) > 1 else [axes], task_names, strict=True):
        task = get_task(name)
        df = pd.read_csv(CALIBRATION_DIR / f"{name}.csv")
        ref, wrong = df[df.variant == "reference"].score, df[df.variant == NO_FIX].score
        worst_ref, best_wrong = float(ref.max()), float(wrong.min())
        if not worst_ref < best_wrong:
            raise SystemExit(f"{name}: the reference ({worst_ref:.4f}) and the unregularized model "
                             f"({best_wrong:.4f}) overlap: no bound separates them; change the recipe.")
        ref_sd = float(ref.std())
        bound = worst_ref + min(MARGIN_FRACTION * (best_wrong - worst_ref), MAX_MARGIN_SD * ref_sd)
        bounds[name] = {
            "bound": round(bound, 6),
            "score": task.score_label,
            "reference_max": round(worst_ref, 6),
            "no_fix_min": round(best_wrong, 6),
            "margin_above_reference": round(bound - worst_ref, 6),
            "margin_below_no_fix": round(best_wrong - bound, 6),
            "margin_above_reference_in_sd": round((bound - worst_ref) / ref_sd, 2),
            "margin_below_no_fix_in_sd": round(min((best_wrong - bound) / ref_sd, 1e6), 2),
            "reference_sd": round(ref_sd, 6),
            "seeds": int(df.seed.nunique()),
        }
        for variant, g in df.groupby("variant", sort=False):
            with np.errstate(invalid="ignore"):  # the sd of a column holding inf
                sd = g.score.std()
            rows.append({
                "task": name, "variant": variant, "runs": len(g), "mean": g.score.mean(), "sd": sd,
                "min": g.score.min(), "max": g.score.max(), "pass_rate": float((g.score < bound).mean()),
                "mean_seconds": g.seconds.mean(),
            })
        order = list(dict.fromkeys(df.variant))
        finite = df.score[np.isfinite(df.score)]
        ceiling = float(min(finite.max(), 100 * bound)) * 1.5  # diverged runs are drawn at the top
        for i, variant in enumerate(order):
            scores = df[df.variant == variant].score.clip(upper=ceiling)
            ax.scatter([i] * len(scores), scores, alpha=0.6, s=18, color=f"C{i}")
        if ceiling / float(finite.min()) > 20:
            ax.set_yscale("log")
        if (df.score > ceiling).any():
            ax.annotate("diverged runs (loss ~1e18 or inf) drawn at the top", (0.02, 0.97),
                        xycoords="axes fraction", va="top", fontsize="small")
        ax.axhline(bound, color="black", linestyle="--", label=f"bound = {bound:.4f}")
        ax.set_xticks(range(len(order)), order, rotation=25, ha="right")
        ax.set_ylabel(task.score_label)
        ax.set_title(f"{name}: {df.seed.nunique()} seeds")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(CALIBRATION_DIR / "calibration.png", dpi=110)
    pd.DataFrame(rows).to_csv(CALIBRATION_DIR / "summary.csv", index=False, float_format="%.6f")
    BOUNDS_FILE.write_text(json.dumps(bounds, indent=1) + "\n")
    return bounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="train the variants of one task under many seeds")
    p_run.add_argument("task")
    p_run.add_argument("--seeds", type=int, default=20, help="seeds for the reference and the given model")
    p_run.add_argument("--other-seeds", type=int, default=5, help="seeds for the other wrong answers")
    p_choice = sub.add_parser("choice", help="rerun a decision task's cross-validation under other fold seeds")
    p_choice.add_argument("task")
    p_choice.add_argument("--fold-seeds", type=int, default=8)
    p_sum = sub.add_parser("summarize", help="set the bounds from the saved runs")
    p_sum.add_argument("tasks", nargs="*", default=["ex1_add_dropout", "ex2_batch_normalization",
                                                    "ex3_weight_regularization"])
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.task, list(range(args.seeds)), args.other_seeds)
    elif args.command == "choice":
        run_choice(args.task, list(range(args.fold_seeds)))
    else:
        print(json.dumps(summarize(args.tasks), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
