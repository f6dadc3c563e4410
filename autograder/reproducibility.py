"""One place that makes Keras runs repeatable.

Every experiment in the book and every grading run calls :func:`seed_everything`
first, so the same code gives the same numbers on every run of the same machine.
"""

from __future__ import annotations

DEFAULT_SEED = 1234

_determinism_enabled = False


def seed_everything(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy and the backend, and switch on deterministic ops.

    Op determinism makes TensorFlow pick reproducible kernels (for example, for
    reductions), which is what makes a grade reproducible, not just a seed.
    """
    global _determinism_enabled
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if not _determinism_enabled:
        tf.config.experimental.enable_op_determinism()
        _determinism_enabled = True
    return seed
