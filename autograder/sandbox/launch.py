"""The trusted side of a sandboxed run: start it, feed it, time it, read its one result, clean up."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder.sandbox import bwrap
from autograder.sandbox.channel import ChannelError, decode, encode
from autograder.sandbox.limits import CgroupJail, Limits

RUNNER = Path(__file__).resolve().parent / "runner.py"


class SandboxError(Exception):
    """The learner's code did not produce a result; the message says why, for the learner."""


@dataclass
class RunOutcome:
    """What a run gave back: validated-as-a-payload metadata and arrays, plus how it ended."""

    meta: dict
    arrays: dict[str, np.ndarray]
    seconds: float
    output_tail: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sandbox:
    """Runs the runner (:mod:`autograder.sandbox.runner`) on a request, isolated unless told otherwise.

    ``unsandboxed=True`` runs the same runner as a plain child process with the same
    resource limits but no namespaces: it then sees the whole file system and network
    with the grader's rights. It exists for machines without bubblewrap and for
    trusted code; ``course-grade`` only uses it when asked with ``--unsandboxed``.
    """

    limits: Limits = Limits()
    unsandboxed: bool = False

    def run(self, request: dict, arrays: dict[str, np.ndarray] | None = None, *,
            wall_seconds: float | None = None) -> RunOutcome:
        """Run one request; raise SandboxError (a message for the learner) if no valid result came back."""
        with self.start(wall_seconds=wall_seconds) as started:
            return started.finish(request, arrays)

    def start(self, *, wall_seconds: float | None = None, preload: str = "") -> Started:
        """Start a run now and give it its request later (:meth:`Started.finish`).

        ``preload="keras"`` has the runner import TensorFlow while it waits, so a training
        run can warm up while the learner's cell is still being extracted elsewhere.
        """
        limits = self.limits if wall_seconds is None else self.limits.with_wall(wall_seconds)
        if not self.unsandboxed:
            bwrap.check_available()
        return Started(limits, self.unsandboxed, preload)


class Started:
    """One sandboxed run, started and waiting for its request; close it (or use ``with``) when done."""

    def __init__(self, limits: Limits, unsandboxed: bool, preload: str) -> None:
        self.limits, self._stack = limits, contextlib.ExitStack()
        self.jail = self._stack.enter_context(CgroupJail(limits))
        tmp = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="unsandboxed-"))
        self.result_r, result_w = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               "PYTHONDONTWRITEBYTECODE": "1", "COURSE_DATA_DIR": str(bwrap.data_dir())}
        argv = [sys.executable, "-s", "-B", str(RUNNER), str(result_w), json.dumps(limits.to_dict()), preload]
        if unsandboxed:
            cmd, cwd = argv, tmp
            env.update(HOME=tmp)
        else:
            cmd, cwd = bwrap.bwrap_command(argv, scratch_bytes=limits.scratch_bytes,
                                           env={**env, "HOME": bwrap.SCRATCH}), None
        self.started = time.perf_counter()
        try:
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, pass_fds=(result_w,), start_new_session=True,
                                         preexec_fn=self.jail.join if self.jail.dirs else None)
        except BaseException:
            os.close(self.result_r)
            self._stack.close()
            raise
        finally:
            os.close(result_w)
        self._done = False

    def __enter__(self) -> Started:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the run if it still goes, kill whatever it left, free its resources (idempotent)."""
        if not self._done:
            self._done = True
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    f.close()
            with contextlib.suppress(OSError):
                os.close(self.result_r)
        self._stack.close()

    def finish(self, request: dict, arrays: dict[str, np.ndarray] | None = None) -> RunOutcome:
        """Give the run its request, wait for its one result, and read it (strictly)."""
        limits = self.limits
        payload, output, timed_out, over_cap = _communicate(self.proc, encode(request, arrays), self.result_r,
                                                            limits)
        self._done = True
        self.jail.kill_all()
        seconds = time.perf_counter() - self.started
        tail = output.decode(errors="replace")[-limits.output_bytes:]
        if timed_out:
            raise SandboxError(f"your code did not finish within {limits.wall_seconds:g} s (an infinite loop, or "
                               "far too much work); it was stopped.")
        if over_cap:
            raise SandboxError(f"the result of your code could not be read: it is larger than {limits.result_bytes} "
                               "bytes.")
        if not payload:
            raise SandboxError(_no_result_message(self.proc.returncode, tail))
        try:
            meta, out = decode(payload, limits.result_bytes)
        except ChannelError as exc:
            raise SandboxError(f"the result of your code could not be read: {exc}.") from None
        if meta.get("status") == "error" and isinstance(meta.get("message"), str):
            raise SandboxError(meta["message"][:4000])
        if meta.get("status") != "ok":
            raise SandboxError("the result of your code could not be read: it has no status.")
        return RunOutcome(meta=meta, arrays=out, seconds=seconds, output_tail=tail)


def _no_result_message(returncode: int, tail: str) -> str:
    last = "\n".join(tail.strip().splitlines()[-5:])
    signalled = returncode < 0 or returncode > 128
    if signalled:
        number = -returncode if returncode < 0 else returncode - 128
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        why = f"was killed by signal {name} (often: it ran out of memory or of processes)"
    else:
        why = f"ended (exit code {returncode}) without a result (does it call exit()?)"
    return f"your code {why}." + (f"\nLast output:\n{last}" if last else "")


def _communicate(proc: subprocess.Popen, request: bytes, result_r: int, limits: Limits
                 ) -> tuple[bytes, bytes, bool, bool]:
    """Feed stdin, read the result pipe and the output until the run ends or its time is up.

    Reads are capped: past ``result_bytes`` the result is dropped (and the run stopped),
    past ``output_bytes`` only the tail of the output is kept.
    """
    def feed() -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write(request)
            proc.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    deadline = time.monotonic() + limits.wall_seconds
    result, output = bytearray(), bytearray()
    over_cap = timed_out = False
    sel = selectors.DefaultSelector()
    sel.register(result_r, selectors.EVENT_READ, "result")
    sel.register(proc.stdout, selectors.EVENT_READ, "output")
    exited_at = None
    while sel.get_map():
        now = time.monotonic()
        if now > deadline:
            timed_out = True
            break
        if proc.poll() is not None:
            exited_at = exited_at or now
            if now - exited_at > 2.0:  # pipes held open by a leftover process: stop waiting
                break
        for key, _ in sel.select(timeout=0.2):
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                sel.unregister(key.fileobj)
            elif key.data == "result":
                result += chunk
                if len(result) > limits.result_bytes:
                    over_cap = True
                    sel.unregister(key.fileobj)
            else:
                output = (output + chunk)[-limits.output_bytes:]
        if over_cap:
            break
    sel.close()
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    os.close(result_r)
    proc.stdout.close()
    return (b"" if over_cap else bytes(result)), bytes(output), timed_out, over_cap
