"""Pure checks: each takes an artifact (a model, a config, arrays) and returns a CheckResult.

Nothing here runs learner code; the judge feeds these functions artifacts it
obtained in a separate process, so a submission cannot alter a check.
"""

from autograder.checks.result import CheckResult

__all__ = ["CheckResult"]
