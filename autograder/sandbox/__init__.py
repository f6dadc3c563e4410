"""Where learner code runs during grading: a bubblewrap sandbox, one run per request.

- :mod:`~autograder.sandbox.bwrap`: the isolation boundary (what is visible, what is not);
- :mod:`~autograder.sandbox.limits`: time, memory, processes, file and scratch sizes;
- :mod:`~autograder.sandbox.channel`: the request and the one result channel, with a size cap
  and a strict schema;
- :mod:`~autograder.sandbox.runner`: the trusted program that runs inside;
- :mod:`~autograder.sandbox.launch`: the trusted side that starts, times and reads a run.
"""

from autograder.sandbox.bwrap import SandboxUnavailable, check_available
from autograder.sandbox.channel import ChannelError, validate
from autograder.sandbox.launch import RunOutcome, Sandbox, SandboxError
from autograder.sandbox.limits import Limits

__all__ = ["ChannelError", "Limits", "RunOutcome", "Sandbox", "SandboxError", "SandboxUnavailable",
           "check_available", "validate"]
