"""Structure checks for Keras models, by pattern rather than by layer list.

A model is first reduced to a chain of *ops* (Dense, Dropout, BatchNormalization,
Activation, anything else), whichever way it was built: ``Sequential``,
``model.add``, the Functional API, nested models, ``keras`` or ``tf.keras``
names. The given Dense layers anchor the pattern: the gaps between them are
*slots* (slot 0 is the input, slot i follows hidden Dense layer i), and the task
says what each slot must hold. Messages name the slot, so a learner reads
"no Dropout after hidden Dense layer 2" rather than a failed assertion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autograder.checks.result import CheckResult

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax", "ELU": "elu", "LeakyReLU": "leaky_relu"}
OTHER_DROPOUTS = {"GaussianDropout", "AlphaDropout", "SpatialDropout1D", "GaussianNoise"}
TRANSPARENT = {"InputLayer"}


@dataclass(frozen=True)
class Op:
    """One layer of the chain, reduced to what the checks look at."""

    kind: str  # dense | dropout | batchnorm | activation | other
    class_name: str
    units: int | None = None
    activation: str | None = None
    rate: float | None = None
    regularizer: tuple[float, float] | None = None  # (l1, l2) of the kernel
    constraint: str | None = None


def _activation_name(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):  # serialized activation
        return str(value.get("config", value.get("class_name", "?")))
    return getattr(value, "__name__", str(value))


def _regularizer(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        cfg = value.get("config", {})
        return float(cfg.get("l1", 0.0) or 0.0), float(cfg.get("l2", 0.0) or 0.0)
    return float(getattr(value, "l1", 0.0) or 0.0), float(getattr(value, "l2", 0.0) or 0.0)


def _constraint(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return f"{value.get('class_name')}({value.get('config', {}).get('max_value', '')})"
    return f"{type(value).__name__}({getattr(value, 'max_value', '')})"


def layer_to_op(layer: Any) -> Op:
    """Reduce a Keras layer to an :class:`Op`."""
    name = type(layer).__name__
    cfg = layer.get_config()
    if name == "Dense":
        return Op(
            "dense",
            name,
            units=int(cfg["units"]),
            activation=_activation_name(cfg.get("activation", "linear")),
            regularizer=_regularizer(cfg.get("kernel_regularizer")),
            constraint=_constraint(cfg.get("kernel_constraint")),
        )
    if name == "Dropout":
        return Op("dropout", name, rate=float(cfg["rate"]))
    if name == "BatchNormalization":
        return Op("batchnorm", name)
    if name == "Activation":
        return Op("activation", name, activation=_activation_name(cfg["activation"]))
    if name in ACTIVATION_LAYERS:
        return Op("activation", name, activation=ACTIVATION_LAYERS[name])
    return Op("other", name)


def model_ops(model: Any) -> list[Op]:
    """The model's layers in order, nested models expanded, input layers dropped."""
    ops: list[Op] = []
    for layer in model.layers:
        if hasattr(layer, "layers") and type(layer).__name__ in {"Sequential", "Functional", "Model"}:
            ops.extend(model_ops(layer))
        elif type(layer).__name__ not in TRANSPARENT:
            ops.append(layer_to_op(layer))
    return ops


@dataclass(frozen=True)
class Expected:
    """What a task asks of the model, slot by slot.

    ``hidden_units`` and the output layer are the given model's Dense layers, which
    the learner keeps. Slot 0 is between the input and hidden Dense layer 1; slot i
    (1-based) follows hidden Dense layer i.
    """

    hidden_units: tuple[int, ...]
    output_units: int
    output_activation: str
    hidden_activation: str = "relu"
    dropout: Mapping[int, float] = field(default_factory=dict)
    batchnorm: frozenset[int] = frozenset()
    kernel_regularizer: Mapping[int, tuple[str, float]] = field(default_factory=dict)
    exact_regularizers: bool = True


def slot_name(slot: int, n_hidden: int) -> str:
    if slot == 0:
        return "after the input (before hidden Dense layer 1)"
    where = f"after hidden Dense layer {slot} ({ORDINALS.get(slot, slot)} hidden layer)"
    return where + (", before the output layer" if slot == n_hidden else "")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 + 1e-4 * abs(b)


def _describe_dense(ops: list[Op]) -> str:
    return " -> ".join(str(o.units) for o in ops) or "none"


def structure_problems(model: Any, expected: Expected) -> list[str]:
    """Every way ``model`` differs from what the task asks, in words a learner can act on."""
    ops = model_ops(model)
    problems: list[str] = []
    dense_idx = [i for i, o in enumerate(ops) if o.kind == "dense"]
    want_units = (*expected.hidden_units, expected.output_units)
    got_units = tuple(ops[i].units for i in dense_idx)
    n_hidden = len(expected.hidden_units)
    if got_units != want_units:
        return [
            "keep the given Dense layers: the task's model has Dense layers of "
            f"{' -> '.join(map(str, want_units))} units, yours has {_describe_dense([ops[i] for i in dense_idx])}."
        ]

    # Split the chain into slots around the Dense layers.
    bounds = [-1, *dense_idx]
    slots: list[list[Op]] = []
    for k in range(len(bounds)):
        start = bounds[k] + 1
        end = dense_idx[k] if k < len(dense_idx) else len(ops)
        slots.append(ops[start:end])
    # slots[0] .. slots[n_hidden] are before output; slots[n_hidden+1] is after the output layer.

    for k, dense_pos in enumerate(dense_idx):
        dense = ops[dense_pos]
        is_output = k == n_hidden
        layer_name = "the output Dense layer" if is_output else f"hidden Dense layer {k + 1}"
        want_act = expected.output_activation if is_output else expected.hidden_activation
        slot = slots[k + 1]
        act_ops = [o for o in slot if o.kind == "activation"]
        if dense.activation not in (None, "linear"):
            act, extra = dense.activation, act_ops
        elif act_ops:
            act, extra = act_ops[0].activation, act_ops[1:]
        else:
            act, extra = "linear", []
        if act != want_act:
            problems.append(f"{layer_name} should use the '{want_act}' activation, found '{act}'.")
        for e in extra:
            problems.append(f"an extra Activation('{e.activation}') follows {layer_name}.")
        problems.extend(_regularizer_problems(dense, k + 1, is_output, expected, layer_name))

    for s, slot in enumerate(slots):
        where = slot_name(s, n_hidden) if s <= n_hidden else "after the output layer"
        problems.extend(_slot_problems(slot, s, where, expected, n_hidden))
    return problems


def _regularizer_problems(dense: Op, index: int, is_output: bool, expected: Expected, name: str) -> list[str]:
    want = None if is_output else expected.kernel_regularizer.get(index)
    got = dense.regularizer
    if want is None:
        if got is not None and any(got) and (expected.exact_regularizers or is_output):
            return [f"{name} should have no kernel_regularizer, found l1={got[0]:g}, l2={got[1]:g}."]
        return []
    kind, strength = want
    if got is None or not any(got):
        return [f"{name} has no kernel_regularizer; the task asks for keras.regularizers.{kind}({strength:g})."]
    l1, l2 = got
    want_pair = (strength, 0.0) if kind == "l1" else (0.0, strength)
    if not (_close(l1, want_pair[0]) and _close(l2, want_pair[1])):
        return [
            f"{name} has a kernel_regularizer with l1={l1:g}, l2={l2:g}; "
            f"the task asks for keras.regularizers.{kind}({strength:g})."
        ]
    return []


def _slot_problems(slot: list[Op], s: int, where: str, expected: Expected, n_hidden: int) -> list[str]:
    problems = []
    dropouts = [o for o in slot if o.kind == "dropout"]
    norms = [o for o in slot if o.kind == "batchnorm"]
    others = [o for o in slot if o.kind == "other"]
    for o in others:
        hint = " (use keras.layers.Dropout)" if o.class_name in OTHER_DROPOUTS else ""
        problems.append(f"unexpected {o.class_name} layer {where}{hint}.")
    want_rate = expected.dropout.get(s) if s <= n_hidden else None
    if want_rate is None and dropouts:
        problems.append(f"unexpected Dropout {where}: the task asks for no Dropout there.")
    elif want_rate is not None:
        if not dropouts:
            problems.append(f"no Dropout {where}: the task asks for Dropout({want_rate:g}) there.")
        elif len(dropouts) > 1:
            problems.append(f"{len(dropouts)} Dropout layers {where}: the task asks for exactly one.")
        elif not _close(dropouts[0].rate, want_rate):
            problems.append(
                f"the Dropout {where} has rate {dropouts[0].rate:g}; the task asks for {want_rate:g} "
                "(Keras' rate is the fraction of units DROPPED, not kept)."
            )
    wants_norm = s in expected.batchnorm and s <= n_hidden
    if wants_norm and not norms:
        problems.append(f"no BatchNormalization {where}: the task asks for one there.")
    elif norms and not wants_norm:
        problems.append(f"unexpected BatchNormalization {where}: the task asks for none there.")
    elif len(norms) > 1:
        problems.append(f"{len(norms)} BatchNormalization layers {where}: the task asks for exactly one.")
    return problems


def check_structure(model: Any, expected: Expected, grade_id: str, max_points: float) -> CheckResult:
    """All-or-nothing structure check with every problem listed."""
    return CheckResult.all_or_nothing(
        grade_id,
        max_points,
        structure_problems(model, expected),
        ok="The model has the structure the task asks for.",
    )
