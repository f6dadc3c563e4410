"""Structure checks accept every correct way to build a model and say precisely what is wrong."""

import keras
import pytest
import tensorflow as tf
from keras import layers, regularizers

import autograder  # noqa: F401
from autograder.checks.structure import structure_problems
from autograder.tasks import EX1, EX2, EX3

N = 64


def sequential_ex1(n=N):
    return keras.Sequential([
        keras.Input((n,)), layers.Dropout(0.1), layers.Dense(256, activation="relu"), layers.Dropout(0.5),
        layers.Dense(256, activation="relu"), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])


def functional_ex1(n=N):
    inputs = keras.Input((n,))
    x = layers.Dropout(0.1)(inputs)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def add_ex1(n=N):
    m = keras.Sequential()
    m.add(keras.Input((n,)))
    m.add(tf.keras.layers.Dropout(0.1))
    m.add(tf.keras.layers.Dense(256))
    m.add(tf.keras.layers.Activation("relu"))
    m.add(tf.keras.layers.Dropout(rate=0.5))
    m.add(tf.keras.layers.Dense(256))
    m.add(tf.keras.layers.ReLU())
    m.add(tf.keras.layers.Dropout(0.5))
    m.add(tf.keras.layers.Dense(10))
    m.add(tf.keras.layers.Softmax())
    return m


def nested_ex1(n=N):
    body = keras.Sequential([layers.Dense(256, activation="relu"), layers.Dropout(0.5),
                             layers.Dense(256, activation="relu"), layers.Dropout(0.5)])
    return keras.Sequential([keras.Input((n,)), layers.Dropout(0.1), body, layers.Dense(10, activation="softmax")])


@pytest.mark.parametrize("build", [sequential_ex1, functional_ex1, add_ex1, nested_ex1])
def test_every_correct_way_to_build_ex1_passes(build):
    assert structure_problems(build(), EX1.expected) == []


def test_given_model_lists_every_missing_dropout():
    problems = structure_problems(EX1.baseline(N), EX1.expected)
    assert len(problems) == 3
    assert "no Dropout after the input" in problems[0]
    assert any("no Dropout after hidden Dense layer 2" in p and "before the output layer" in p for p in problems)


def test_wrong_rate_names_place_and_explains_keras_rate():
    bad = keras.Sequential([
        keras.Input((N,)), layers.Dropout(0.1), layers.Dense(256, activation="relu"), layers.Dropout(0.2),
        layers.Dense(256, activation="relu"), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    (problem,) = structure_problems(bad, EX1.expected)
    assert "hidden Dense layer 1" in problem and "rate 0.2" in problem and "0.5" in problem and "DROPPED" in problem


def test_changed_dense_layers_are_reported():
    bad = keras.Sequential([keras.Input((N,)), layers.Dense(128, activation="relu"), layers.Dense(10, "softmax")])
    (problem,) = structure_problems(bad, EX1.expected)
    assert "256 -> 256 -> 10" in problem and "128 -> 10" in problem


def test_other_noise_layers_are_not_dropout():
    bad = sequential_ex1()
    bad = keras.Sequential([keras.Input((N,)), layers.GaussianDropout(0.1), *bad.layers[1:]])
    problems = structure_problems(bad, EX1.expected)
    assert any("GaussianDropout" in p and "use keras.layers.Dropout" in p for p in problems)


def test_wrong_activation_is_reported():
    bad = keras.Sequential([
        keras.Input((N,)), layers.Dropout(0.1), layers.Dense(256, activation="tanh"), layers.Dropout(0.5),
        layers.Dense(256, activation="relu"), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    expected = ["hidden Dense layer 1 should use the 'relu' activation, found 'tanh'."]
    assert structure_problems(bad, EX1.expected) == expected


def ex2_post_activation(n=8):
    return keras.Sequential([keras.Input((n,)), layers.BatchNormalization(), layers.Dense(64, activation="relu"),
                             layers.BatchNormalization(), layers.Dense(64, activation="relu"),
                             layers.BatchNormalization(), layers.Dense(1)])


def ex2_pre_activation(n=8):
    return keras.Sequential([
        keras.Input((n,)), layers.BatchNormalization(),
        layers.Dense(64, use_bias=False), layers.BatchNormalization(), layers.Activation("relu"),
        layers.Dense(64), layers.BatchNormalization(), layers.ReLU(),
        layers.Dense(1),
    ])


@pytest.mark.parametrize("build", [ex2_post_activation, ex2_pre_activation])
def test_batchnorm_before_or_after_activation_passes(build):
    assert structure_problems(build(), EX2.expected) == []


def test_missing_first_batchnorm_is_named():
    bad = keras.Sequential([keras.Input((8,)), layers.Dense(64, activation="relu"), layers.BatchNormalization(),
                            layers.Dense(64, activation="relu"), layers.BatchNormalization(), layers.Dense(1)])
    assert structure_problems(bad, EX2.expected) == [
        "no BatchNormalization after the input (before hidden Dense layer 1): the task asks for one there."
    ]


def ex3(reg, out_reg=None, n=11):
    return keras.Sequential([keras.Input((n,)), layers.Dense(512, activation="relu", kernel_regularizer=reg),
                             layers.Dense(512, activation="relu", kernel_regularizer=reg),
                             layers.Dense(1, kernel_regularizer=out_reg)])


@pytest.mark.parametrize("reg", [regularizers.l2(0.01), regularizers.L2(l2=0.01), regularizers.l1_l2(l1=0.0, l2=0.01)])
def test_l2_written_any_way_passes(reg):
    assert structure_problems(ex3(reg), EX3.expected) == []


@pytest.mark.parametrize(
    ("reg", "out_reg", "fragment"),
    [
        (None, None, "has no kernel_regularizer"),
        (regularizers.l1(0.01), None, "l1=0.01, l2=0"),
        (regularizers.l2(0.001), None, "l2=0.001"),
        (regularizers.l2(0.01), regularizers.l2(0.01), "the output Dense layer should have no kernel_regularizer"),
    ],
)
def test_wrong_regularizers_are_explained(reg, out_reg, fragment):
    problems = structure_problems(ex3(reg, out_reg), EX3.expected)
    assert problems and any(fragment in p for p in problems), problems


def reused_dropout_ex1(n=N):
    """One stateless Dropout instance applied after both hidden layers: correct, and counted twice."""
    inputs = keras.Input((n,))
    hidden_dropout = layers.Dropout(0.5)
    x = layers.Dropout(0.1)(inputs)
    x = hidden_dropout(layers.Dense(256, activation="relu")(x))
    x = hidden_dropout(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def test_a_reused_layer_counts_at_every_place_it_is_applied():
    model = reused_dropout_ex1()
    assert sum(type(layer).__name__ == "Dropout" for layer in model.layers) == 2  # the layer list undercounts
    assert structure_problems(model, EX1.expected) == []


def test_a_reused_layer_missing_from_one_place_is_named():
    inputs = keras.Input((N,))
    drop = layers.Dropout(0.5)
    x = drop(layers.Dense(256, activation="relu")(layers.Dropout(0.1)(inputs)))
    x = layers.Dense(256, activation="relu")(x)
    problems = structure_problems(keras.Model(inputs, layers.Dense(10, activation="softmax")(x)), EX1.expected)
    assert problems == ["no Dropout after hidden Dense layer 2 (second hidden layer), before the output layer: "
                        "the task asks for Dropout(0.5) there."]


def test_branches_and_merges_get_a_clear_message():
    inputs = keras.Input((N,))
    a = layers.Dense(256, activation="relu")(inputs)
    b = layers.Dense(256, activation="relu")(inputs)
    merged = layers.Add()([a, b])
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))
    [problem] = structure_problems(model, EX1.expected)
    assert "combines 2 tensors" in problem and "single chain" in problem


def test_several_inputs_or_outputs_are_explained():
    i1, i2 = keras.Input((N,)), keras.Input((N,))
    model = keras.Model([i1, i2], layers.Dense(10)(layers.Concatenate()([i1, i2])))
    assert "2 inputs" in structure_problems(model, EX1.expected)[0]


@pytest.mark.parametrize("bad", ["[]", "{}", '{"class_name": "Functional", "config": {"layers": "x"}}',
                                 '{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}]}}'])
def test_malformed_configs_are_problems_not_crashes(bad):
    assert structure_problems(bad, EX1.expected)


def test_keras_overrides_a_call_time_training_argument_in_fit_and_evaluate():
    """Why the walk ignores ``training=`` at call sites: the outer training flag wins (Keras 3)."""
    import numpy as np

    ones = np.ones((1, 2000), "float32")
    inputs = keras.Input((2000,))
    always_on = keras.Model(inputs, layers.Dropout(0.5)(inputs, training=True))
    assert float((always_on.predict(ones, verbose=0) == 0).mean()) == 0.0  # predict/evaluate: training=False
    inputs = keras.Input((2000,))
    always_off = keras.Model(inputs, layers.Dropout(0.5)(inputs, training=False))
    assert 0.4 < float((always_off(ones, training=True).numpy() == 0).mean()) < 0.6  # fit: training=True
