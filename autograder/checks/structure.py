"""Structure checks for Keras models, by pattern rather than by layer list.

A model is first reduced to a chain of *ops* (Dense, Dropout, BatchNormalization,
Activation, anything else), whichever way it was built: ``Sequential``,
``model.add``, the Functional API, nested models, reused layers, ``keras`` or
``tf.keras`` names. The chain is read from the model's serialized JSON (its call
graph), so the check is a pure function of data: the judge runs it outside the
sandbox on the JSON that came out of it, with no TensorFlow in the process.
The given Dense layers anchor the pattern: the gaps between them are *slots*
(slot 0 is the input, slot i follows hidden Dense layer i), and the task says
what each slot must hold. Messages name the slot, so a learner reads
"no Dropout after hidden Dense layer 2" rather than a failed assertion.
"""

from __future__ import annotations

import json
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


MODEL_CLASSES = {"Sequential", "Functional", "Model"}
MAX_LAYERS = 1000  # a hand-made config with more layers than this is refused, not walked


class GraphError(ValueError):
    """The model is not a single chain from one input to one output; the message says why."""


def layer_to_op(class_name: str, cfg: Mapping[str, Any]) -> Op:
    """Reduce one serialized Keras layer (its class name and config) to an :class:`Op`."""
    if class_name == "Dense":
        return Op(
            "dense",
            class_name,
            units=int(cfg["units"]),
            activation=_activation_name(cfg.get("activation", "linear")),
            regularizer=_regularizer(cfg.get("kernel_regularizer")),
            constraint=_constraint(cfg.get("kernel_constraint")),
        )
    if class_name == "Dropout":
        return Op("dropout", class_name, rate=float(cfg["rate"]))
    if class_name == "BatchNormalization":
        return Op("batchnorm", class_name)
    if class_name == "Activation":
        return Op("activation", class_name, activation=_activation_name(cfg["activation"]))
    if class_name in ACTIVATION_LAYERS:
        return Op("activation", class_name, activation=ACTIVATION_LAYERS[class_name])
    return Op("other", class_name)


def model_config(model: Any) -> dict[str, Any]:
    """The serialized model (``{"class_name": ..., "config": ...}``) from a model, its JSON, or the dict."""
    if isinstance(model, Mapping):
        return dict(model)
    config = json.loads(model) if isinstance(model, str | bytes) else json.loads(model.to_json())
    if not isinstance(config, dict):
        raise GraphError("the model's configuration is not a JSON object.")
    return config


def model_ops(model: Any) -> list[Op]:
    """The ops applied from the model's input to its output, in order, by walking the call graph.

    The walk follows the *call sites* recorded in the serialized model, not the list of
    layer objects, so a layer applied twice (one ``Dropout`` reused after two Dense layers)
    counts at both places, and a nested model is expanded where it is called. Keras 3
    overrides a call's ``training=`` argument with the value ``fit``/``evaluate`` pass
    (checked in tests/test_structure_checks.py), so that argument changes nothing here.
    """
    return _ops(model_config(model), depth=0)


def _ops(serialized: Mapping[str, Any], depth: int) -> list[Op]:
    if depth > 20:
        raise GraphError("the model nests other models more than 20 levels deep.")
    class_name, cfg = serialized.get("class_name"), serialized.get("config") or {}
    layers = cfg.get("layers")
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise GraphError(f"the configuration of {class_name!r} has no readable list of layers.")
    if class_name == "Sequential":
        ops: list[Op] = []
        for layer in layers:
            ops.extend(_layer_ops(layer, depth))
        return ops
    return _functional_ops(cfg, layers, depth)


def _layer_ops(layer: Mapping[str, Any], depth: int) -> list[Op]:
    class_name = layer.get("class_name")
    if class_name in MODEL_CLASSES:
        return _ops(layer, depth + 1)
    if class_name in TRANSPARENT:
        return []
    return [layer_to_op(str(class_name), layer.get("config") or {})]


def _single(refs: Any, what: str) -> list[Any]:
    """``["name", node, tensor]`` from Keras' one-or-many encoding of a model's inputs or outputs."""
    if isinstance(refs, list) and refs and isinstance(refs[0], str):
        return refs
    if isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], list):
        return refs[0]
    n = len(refs) if isinstance(refs, list) else "?"
    raise GraphError(f"the model has {n} {what}s; the task's model has one {what} and is one chain of layers.")


def _tensor_refs(value: Any) -> list[list[Any]]:
    """Every ``keras_history`` reference among a call's arguments (nested lists and dicts included)."""
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            return [list(value.get("config", {}).get("keras_history", []))]
        return [r for v in value.values() for r in _tensor_refs(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in _tensor_refs(v)]
    return []


def _functional_ops(cfg: Mapping[str, Any], layers: list, depth: int) -> list[Op]:
    by_name = {layer.get("name") or layer.get("config", {}).get("name"): layer for layer in layers}
    input_name = _single(cfg.get("input_layers"), "input")[0]
    name, node_index, _ = _single(cfg.get("output_layers"), "output")
    chain: list[list[Op]] = []
    for _ in range(MAX_LAYERS):
        layer = by_name.get(name)
        if layer is None:
            raise GraphError(f"the model's graph refers to a layer {name!r} it does not contain.")
        if layer.get("class_name") in TRANSPARENT:
            if name != input_name:
                raise GraphError(f"the model's graph starts at {name!r}, which is not its input.")
            return [op for ops in reversed(chain) for op in ops]
        nodes = layer.get("inbound_nodes") or []
        if not isinstance(node_index, int) or not 0 <= node_index < len(nodes):
            raise GraphError(f"the model's graph refers to a call of {name!r} that is not recorded.")
        refs = _tensor_refs(nodes[node_index])
        if len(refs) != 1 or len(refs[0]) != 3:
            raise GraphError(
                f"layer {name!r} ({layer.get('class_name')}) combines {len(refs)} tensors: the model branches "
                "and merges. The task's model is a single chain of layers from the input to the output."
            )
        chain.append(_layer_ops(layer, depth))
        name, node_index, _ = refs[0]
    raise GraphError(f"the model's graph has more than {MAX_LAYERS} calls, or a cycle.")


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
    """Every way ``model`` (a model, its JSON or its config) differs from the task, in words a learner can act on."""
    try:
        ops = model_ops(model)
    except GraphError as exc:
        return [str(exc)]
    except (KeyError, TypeError, ValueError) as exc:  # a malformed, hand-made configuration
        return [f"the model's configuration could not be read ({type(exc).__name__}: {exc})."]
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
