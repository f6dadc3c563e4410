"""Hostile submissions, one per class of attack, as the solution-cell code a student would hand in.

Each attack is wrapped so that, when it fails (as it must), the cell goes on to its
*honest part*; the end-to-end test asserts the submission scores exactly what that
honest part earns. Where an attack's success would show in the score (reading a
solution, rewriting a check), the honest part is the given, unchanged model, so
any success would raise a zero. Processes an attack leaves behind carry the
``MARKER`` so the test can look for survivors.
"""

from __future__ import annotations

from pathlib import Path

MARKER = "6133.77"  # seconds a left-behind `sleep` would run: unique enough to find with pgrep


def _try(code: str) -> str:
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return f"try:\n{body}\nexcept BaseException:\n    pass\n"


def writes_grader_package(package: Path) -> str:
    """Rewrite the structure check so that any model passes; and every other module it can reach."""
    return _try(f"""
import pathlib
root = pathlib.Path({str(package)!r})
(root / 'checks' / 'structure.py').write_text('def structure_problems(*a, **k):\\n    return []\\n')
for path in root.rglob('*.py'):
    path.write_text(path.read_text() + '\\n# tampered\\n')
""")


def writes_gradebook(course: Path) -> str:
    """Give itself full marks in gradebook.db now, and again later from a process left running."""
    edit = f"""
import sqlite3
db = sqlite3.connect({str(course / 'gradebook.db')!r})
db.execute('UPDATE grade SET auto_score = 99')
db.commit()
"""
    daemon = f"""
import os, subprocess, sys
script = 'import time; time.sleep(8)\\n' + {edit!r}
subprocess.Popen([sys.executable, '-c', script], start_new_session=True)
subprocess.Popen(['setsid', 'sleep', {MARKER!r}])
"""
    return _try(edit) + _try(daemon)


def overwrites_submissions(course: Path, assignment: str) -> str:
    """Blank out every other student's submitted notebook before it is graded."""
    return _try(f"""
import pathlib
for nb in pathlib.Path({str(course / 'submitted')!r}).glob('*/{assignment}/*.ipynb'):
    nb.write_text('{{}}')
""")


def reads_submission(course: Path, student: str, assignment: str, solution_cell: str) -> str:
    """Copy another student's solution cell, if it can be read (else hand in the given model)."""
    path = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    return _try(f"""
import json
cells = json.load(open({str(path)!r}))['cells']
exec(''.join(next(c['source'] for c in cells
                  if c.get('metadata', {{}}).get('nbgrader', {{}}).get('grade_id') == {solution_cell!r})))
STOLEN = True
""")


def reads_source_notebooks(paths: list[Path], solution_cell: str) -> str:
    """Run the instructor's solution from the source notebooks, if any can be read."""
    return "".join(_try(f"""
import json
cells = json.load(open({str(p)!r}))['cells']
exec(''.join(next(c['source'] for c in cells
                  if c.get('metadata', {{}}).get('nbgrader', {{}}).get('grade_id') == {solution_cell!r})))
""") for p in paths)


def kills_graders() -> str:
    """Signal every process it can see (the grader, nbgrader, the other students' runs)."""
    return _try("""
import os, signal
for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:
    if pid != os.getpid():
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
os.kill(os.getppid(), signal.SIGKILL)
""")


def opens_network(port: int) -> str:
    """Send something to a server on this machine (the test's, on the loopback)."""
    return _try(f"""
import socket
with socket.create_connection(('127.0.0.1', {port}), timeout=3) as s:
    s.sendall(b'exfiltrated')
""")


def leaves_daemon() -> str:
    """Double-fork a process that detaches from everything and sleeps on."""
    return _try(f"""
import os, subprocess
subprocess.Popen(['sh', '-c', 'nohup sleep {MARKER} >/dev/null 2>&1 &'])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp('sleep', ['sleep', {MARKER!r}])
    os._exit(0)
""")


def exhausts_memory() -> str:
    return _try("""
hoard = []
while True:
    hoard.append(bytearray(512 * 1024**2))
""") + "hoard = None\n"


def exhausts_processes() -> str:
    """A fork bomb whose children never exit."""
    return _try(f"""
import subprocess
while True:
    subprocess.Popen(['sleep', {MARKER!r}])
""")


def exhausts_disk() -> str:
    return _try("""
i = 0
while True:
    for where in ('/scratch', '/tmp', '.'):
        with open(f'{where}/fill{i}', 'wb') as fh:
            fh.write(b'x' * 32 * 1024**2)
    i += 1
""")


def forges_record() -> str:
    """Replace the recorder and the checks that used to run beside the learner's code."""
    return _try("""
import autograder.checks.dropout_numpy as d
import autograder.tasks.numpy_task as nt
from autograder.checks.result import CheckResult
perfect = lambda rec, grade_id, points: CheckResult(grade_id, points, points, 'OK')
for name in list(d.CHECKS):
    d.CHECKS[name] = perfect
nt.NumpyDropoutTask.grade_record = lambda self, *a, **k: []
import sys
main = sys.modules['__main__']
honest_calls = main.run_calls
main.run_calls = lambda fn, calls, arrays: ({c['name']: {'raised': 'ValueError', 'raised_mro': ['ValueError'],
                                                         'message': 'forged'} for c in calls}, {})
""")


def patches_choice_checks(course: Path) -> str:
    """Exercise 6: read the held-out images, make every decision acceptable, overwrite the cached
    reference table (with a table where the submitted 0.1 is best)."""
    return _try(f"""
import pathlib
from autograder.data import load_small_digits
import autograder.checks.cross_validation as c
import autograder.tasks.choice_task as ct
held_out = load_small_digits().x_test
c.accepted = lambda candidates, losses: {{float(x): (0.0, 0.0) for x in candidates}}
ct.ChoiceTask.grade_decision = lambda self, *a, **k: None
for path in pathlib.Path({str(course / '.grading_cache')!r}).glob('reference-*.json'):
    path.write_text('[[9, 9, 9, 9, 9], [9, 9, 9, 9, 9], [9, 9, 9, 9, 9], [9, 9, 9, 9, 9], [0, 0, 0, 0, 0]]')
""")


REUSED_LAYER = """
def build_model(n_features):
    inputs = keras.Input(shape=(n_features,))
    hidden_dropout = layers.Dropout(0.5)  # stateless: one instance, applied after both hidden layers
    x = layers.Dropout(0.1)(inputs)
    x = hidden_dropout(layers.Dense(256, activation="relu")(x))
    x = hidden_dropout(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
"""

HONEST_RETURN_X = """
def dropout_forward(x, rate, training, rng):
    return x
"""
