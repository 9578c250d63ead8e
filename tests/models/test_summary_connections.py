"""model.summary()'s "Connected to" column, as Keras 3 prints it for a graph that is not
one chain of calls (keras.io's functional API guide: the toy ResNet's summary)."""

import deepgrad as dg

L = dg.layers


def _summary(model) -> list[str]:
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def _cells(lines, column=3) -> list[str]:
    return [line.split("│")[column + 1].strip() for line in lines if line.startswith("│")]


def test_a_residual_graph_lists_each_layer_s_inputs():
    inputs = dg.Input((8, 8, 3), name="img")
    x = L.Conv2D(3, 3, padding="same", name="conv")(inputs)
    added = L.add([x, inputs], name="add")
    model = dg.Model(inputs, L.Dense(2, name="out")(added))
    lines = _summary(model)
    assert "Connected to" in lines[2]
    # the Add's two inputs on two lines of its row, as Keras wraps them
    assert _cells(lines) == ["-", "img[0][0]", "conv[0][0],", "img[0][0]", "add[0][0]"]


def test_a_shared_layer_s_second_call_is_node_1():
    a, b = dg.Input((3,), name="a"), dg.Input((3,), name="b")
    shared = L.Dense(2, name="shared")
    total = L.Add(name="total")([shared(a), shared(b)])
    lines = _summary(dg.Model([a, b], total))
    assert _cells(lines) == ["-", "-", "a[0][0],", "b[0][0]", "shared[0][0],", "shared[1][0]"]


def test_a_chain_has_no_such_column():
    inputs = dg.Input((3,))
    model = dg.Model(inputs, L.Dense(1)(L.Dense(2)(inputs)))
    assert all("Connected to" not in line for line in _summary(model))
    sequential = dg.Sequential([dg.Input((3,)), L.Dense(1)])
    assert all("Connected to" not in line for line in _summary(sequential))
