"""Shared code of the course: data, reproducibility, plots, and the grader.

Chapters, exercises and the nbgrader pipeline all import from here, so a
learner's numbers are the grader's numbers.
"""

import os

# TensorFlow's C++ start-up chatter goes to stderr, and nbgrader scores any
# test cell with stderr output as failed: silence it before TF is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# One thread per op pool: tiny MLPs gain nothing from more, and a fixed thread
# count keeps float summation order (so every number) the same on a learner's
# laptop, in CI and in the grader.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

__all__ = ["__version__"]
__version__ = "0.1.0"
