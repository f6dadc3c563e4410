"""The sandbox itself, without nbgrader: what a run sees, where it can write, the limits, how it ends.

Every test runs real code in the real bubblewrap sandbox. A probe reports what it
found by raising it as an exception message, the one thing a learner's failed
cell always brings back.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
from dataclasses import replace

import pytest

from autograder.sandbox import Limits, Sandbox, SandboxError, SandboxUnavailable, check_available
from autograder.sandbox.bwrap import course_package_dir, data_dir, readonly_paths
from tests.helpers import ROOT

SANDBOX = Sandbox(Limits(wall_seconds=60))
STUB = "\ndef dropout_forward(x, rate, training, rng):\n    return x\n"


def run(code: str, sandbox: Sandbox = SANDBOX, wall: float = 60):
    request = {"mode": "extract", "kind": "calls", "source": code + STUB, "function": "dropout_forward",
               "calls": []}
    return sandbox.run(request, {}, wall_seconds=wall)


def probe(code: str, sandbox: Sandbox = SANDBOX) -> dict:
    """Run ``code``, which fills a dict ``found``; return that dict."""
    with pytest.raises(SandboxError) as info:
        run("import json, os\nfound = {}\n" + code + "\nraise RuntimeError('FOUND' + json.dumps(found))",
            sandbox)
    match = re.search(r"FOUND(\{.*\}) \(line", str(info.value), re.S)
    assert match, str(info.value)
    return json.loads(match.group(1))


def test_the_sandbox_is_available_here():
    check_available()  # CI installs bubblewrap (.ci/system-packages): a missing one must fail, not skip


def test_only_the_environment_the_package_and_the_data_are_visible():
    course = ROOT / "exercises"
    found = probe(f"""
found['root'] = sorted(os.listdir('/'))
found['repo'] = sorted(os.listdir({str(ROOT)!r}))
for p in [{str(course / 'source')!r}, {str(course / 'nbgrader_config.py')!r}, '/etc/passwd', '/root/.bashrc',
          os.path.expanduser('~/.ssh'), '/home']:
    found[p] = os.path.exists(p)
found['package'] = os.path.exists({str(course_package_dir() / 'judge.py')!r})
found['data'] = os.path.exists({str(data_dir() / 'sonar.csv')!r})
found['uid'] = os.getuid()
found['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
""")
    # The system's own tops plus the first directory of each read-only bind (wherever the clone is):
    # never /etc, /home, /var or anything else of the machine.
    bound_tops = {path.parts[1] for path in readonly_paths()}
    assert set(found["root"]) <= {"usr", "bin", "sbin", "lib", "lib32", "lib64", "proc", "dev", "tmp",
                                  "scratch"} | bound_tops
    assert not {"etc", "var", "srv", "mnt"} & set(found["root"])
    assert found["repo"] == sorted({course_package_dir().name, data_dir().name, ".venv"} & set(found["repo"]))
    assert "exercises" not in found["repo"] and "chapters" not in found["repo"]
    for path in (str(course / "source"), str(course / "nbgrader_config.py"), "/etc/passwd", "/root/.bashrc"):
        assert found[path] is False, path
    assert found["package"] and found["data"]
    assert found["uid"] == 65534
    assert max(found["pids"]) < 10  # its own PID namespace: none of the grader's processes


def test_only_the_scratch_space_is_writable():
    found = probe(f"""
for p in ['/scratch/x', '/tmp/x', {str(course_package_dir() / 'x.py')!r}, {str(data_dir() / 'x.csv')!r},
          '/usr/x', {str(ROOT / '.venv' / 'x')!r}]:
    try:
        open(p, 'w').write('x')
        found[p] = 'written'
    except OSError as exc:
        found[p] = exc.strerror
""")
    assert found["/scratch/x"] == "written" and found["/tmp/x"] == "written"
    assert {v for k, v in found.items() if not k.startswith(("/scratch", "/tmp"))} <= {
        "Read-only file system", "No such file or directory", "Permission denied"}
    assert not (course_package_dir() / "x.py").exists()


def test_no_network_not_even_to_this_machine():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    found = probe(f"""
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3)
    found['connect'] = 'connected'
except OSError as exc:
    found['connect'] = type(exc).__name__
found['interfaces'] = sorted(name for _, name in socket.if_nameindex())
""")
    server.close()
    assert found["connect"] != "connected" and not accepted
    assert found["interfaces"] == ["lo"]


def test_the_graders_processes_cannot_be_signalled():
    found = probe(f"""
import signal
try:
    os.kill({os.getpid()}, signal.SIGKILL)
    found['kill'] = 'sent'
except OSError as exc:
    found['kill'] = type(exc).__name__
""")
    assert found["kill"] == "ProcessLookupError"


def test_wall_time_limit_stops_an_infinite_loop():
    started = time.monotonic()
    with pytest.raises(SandboxError, match="did not finish within 3 s"):
        run("while True:\n    pass", wall=3)
    assert time.monotonic() - started < 15


def test_memory_limit():
    with pytest.raises(SandboxError, match="MemoryError"):
        run("block = bytearray(20 * 1024**3)")


def test_process_limit_stops_a_fork_bomb():
    sandbox = Sandbox(replace(Limits(), processes=40))
    found = probe("""
import subprocess
children = []
try:
    for _ in range(200):
        children.append(subprocess.Popen(['sleep', '30']))
    found['stopped'] = False
except OSError as exc:
    found['stopped'] = type(exc).__name__
found['started'] = len(children)
""", sandbox)
    assert found["stopped"] in ("BlockingIOError", "OSError", "PermissionError"), found
    assert found["started"] < 40


def test_file_size_and_scratch_size_limits():
    found = probe("""
try:
    with open('/scratch/big', 'wb') as fh:
        fh.write(b'x' * (100 * 1024**2))
    found['big'] = 'written'
except OSError as exc:
    found['big'] = exc.strerror
written = 0
try:
    for i in range(100):
        with open(f'/tmp/part{i}', 'wb') as fh:
            fh.write(b'x' * (32 * 1024**2))
        written += 1
    found['fill'] = 'written'
except OSError as exc:
    found['fill'] = exc.strerror
found['parts'] = written
""")
    assert found["big"] == "File too large"
    assert found["fill"] == "No space left on device" and found["parts"] < 10


@pytest.mark.parametrize(("code", "fragment"), [
    ("import os\nos._exit(3)", "exit code 3"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "killed by signal SIGKILL"),
    ("import sys\nsys.exit(0)", "SystemExit"),
    ("import os\nos.close(int(__import__('sys').argv[1]))", "without a result"),
])
def test_every_way_of_ending_gives_a_reason(code, fragment):
    with pytest.raises(SandboxError, match=re.escape(fragment)):
        run(code)


def test_garbage_or_oversized_results_are_refused():
    write = "import os, sys\nos.write(int(sys.argv[1]), {payload})\nos._exit(0)"
    with pytest.raises(SandboxError, match="could not be read"):
        run(write.format(payload="b'not a payload'"))
    small = Sandbox(replace(Limits(), result_bytes=1024))
    with pytest.raises(SandboxError, match="larger than 1024 bytes"):
        run(write.format(payload="b'x' * 4096"), small)


def test_no_process_outlives_its_run():
    marker = "613.371"
    run(f"import subprocess\nsubprocess.Popen(['setsid', 'sleep', '{marker}'], start_new_session=True)\n"
        f"subprocess.Popen(['sh', '-c', 'nohup sleep {marker} &'])")
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", left.stdout


def test_unsandboxed_runs_the_same_request_with_the_same_limits():
    outcome = run("", Sandbox(Limits(wall_seconds=30), unsandboxed=True))
    assert outcome.meta == {"status": "ok", "calls": {}}
    with pytest.raises(SandboxError, match="did not finish within 2 s"):
        run("while True:\n    pass", Sandbox(Limits(), unsandboxed=True), wall=2)


def test_a_missing_bwrap_is_refused_with_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        check_available.__wrapped__()


def test_a_course_environment_under_tmp_is_not_hidden_by_the_sandboxes_tmp():
    """CI clones into /tmp: the private /tmp must be mounted before the read-only binds, not over them."""
    from autograder.sandbox.bwrap import bwrap_command

    cmd = bwrap_command(["python"], scratch_bytes=1024**2, env={})
    tmpfs = cmd.index("/tmp", cmd.index("--tmpfs"))
    binds = [i for i, arg in enumerate(cmd) if arg == "--ro-bind"]
    assert binds and tmpfs < min(binds)
