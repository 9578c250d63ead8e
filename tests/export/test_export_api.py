"""model.export / dg.export.export_onnx: the file, its metadata and names, deterministic
bytes, custom rules, and the errors (nothing is written when export fails)."""

import os

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def small_cnn(name="small_cnn", input_name="pixels"):
    dg.utils.set_random_seed(0)
    return dg.Sequential([L.Input((8, 8, 1), name=input_name),
                          L.Conv2D(4, 3, padding="same", activation="relu"),
                          L.BatchNormalization(), L.MaxPooling2D(2), L.Flatten(),
                          L.Dense(3, name="scores")], name=name)


def test_model_export_writes_a_file_onnx_runtime_runs(tmp_path, capsys):
    import onnxruntime as ort

    model = small_cnn()
    path = tmp_path / "cnn.onnx"
    model.export(path, format="onnx")
    assert f"Saved artifact at '{path}'." in capsys.readouterr().out
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).uniform(size=(5, 8, 8, 1)).astype("float32")
    (got,) = session.run(None, {"pixels": x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_names_dynamic_batch_opset_and_metadata():
    import onnx

    proto = dg.export.onnx_model(small_cnn())
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, out.name) == ("pixels", "scores")
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]] == [8, 8, 1]
    assert proto.opset_import[0].version == 17
    metadata = {p.key: p.value for p in proto.metadata_props}
    assert metadata == {"deepgrad_version": dg.__version__, "model_name": "small_cnn"}
    assert proto.producer_name == "deepgrad"
    # One Transpose into channels-first at the start, one back before Flatten.
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Transpose") == 2 and ops.index("Transpose") == 0
    newest = dg.export.onnx_model(small_cnn(), opset_version=onnx.defs.onnx_opset_version())
    onnx.checker.check_model(newest, full_check=True)


def test_newer_opset_runs(onnx_check):
    model = dg.Sequential([L.Input((5, 3)), L.GlobalMaxPooling1D(), L.Dense(2)])
    onnx_check(model, opset_version=18)  # ReduceMax takes its axes as an input from 18


def test_input_signature_fixes_the_batch():
    proto = dg.export.onnx_model(small_cnn(), input_signature=[(4, 8, 8, 1)])
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    with pytest.raises(ValueError, match="does not fit"):
        dg.export.onnx_model(small_cnn(), input_signature=[(4, 9, 8, 1)])


def test_same_model_same_bytes_after_save_and_load(tmp_path):
    # Functional: deepgrad's Sequential files do not yet keep their Input's name (Keras's
    # do), so a Sequential loaded in the same process gets a new input name.
    x = L.Input((8, 8, 1), name="pixels")
    y = L.Dense(3)(L.Flatten()(L.BatchNormalization()(L.Conv2D(4, 3)(x))))
    model = dg.Model(x, y, name="functional_cnn")
    model.export(tmp_path / "a.onnx", verbose=False)
    model.export(tmp_path / "b.onnx", verbose=False)
    model.save(tmp_path / "m.keras")
    loaded = dg.saving.load_model(tmp_path / "m.keras")
    loaded.export(tmp_path / "c.onnx", verbose=False)
    first = (tmp_path / "a.onnx").read_bytes()
    assert first == (tmp_path / "b.onnx").read_bytes() == (tmp_path / "c.onnx").read_bytes()


def test_layer_without_rule_fails_before_writing(tmp_path):
    model = dg.Sequential([L.Input((3,)), L.Dense(2), L.Lambda(lambda x: x * 2, name="twice")])
    path = tmp_path / "m.onnx"
    with pytest.raises(dg.export.ExportError, match="layer 'twice' of class Lambda"):
        model.export(path)
    assert os.listdir(tmp_path) == []


class Scale(L.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


class ScaleDense(L.Dense):
    """Adds behaviour to Dense: Dense's rule must not be used for it."""

    def call(self, x):
        return super().call(x) * 2


def test_custom_layer_rule(onnx_check):
    model = dg.Sequential([L.Input((4,)), L.Dense(3), Scale(3.0)])
    with pytest.raises(dg.export.ExportError, match="class Scale"):
        dg.export.onnx_model(model)

    def scale_rule(builder, layer, x):
        name, first = builder.native(x)
        factor = builder.const(np.float32(layer.factor), "factor")
        return dg.export.Value({first: builder.node("Mul", [name, factor])})

    dg.export.register_export_rule(Scale, scale_rule)
    onnx_check(model)
    with pytest.raises(dg.export.ExportError, match="class ScaleDense"):
        dg.export.onnx_model(dg.Sequential([L.Input((4,)), ScaleDense(2)]))


class Net(dg.Model):
    """A subclassed model that only calls layers: export traces it."""

    def __init__(self):
        super().__init__(name="net")
        self.conv = L.Conv2D(3, 3, padding="same", activation="relu")
        self.pool = L.GlobalAveragePooling2D()
        self.skip = L.Conv2D(3, 1)
        self.add = L.Add()
        self.out = L.Dense(2)

    def call(self, x, training=None):
        return self.out(self.pool(self.add([self.conv(x), self.skip(x)])))


def test_subclassed_model_is_traced(onnx_check):
    net = Net()
    net(np.zeros((1, 6, 6, 2), "float32"))
    onnx_check(net)
    onnx_check(net)  # tracing left nothing behind that changes a second export
    assert not net.conv.__dict__.get("_inbound_nodes")


def test_subclassed_model_with_ops_and_work_outside_layers(onnx_check):
    class Doubling(dg.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return dg.ops.relu(self.dense(x)) * 2

    net = Doubling()
    net(np.zeros((1, 3), "float32"))
    onnx_check(net)  # ops on KerasTensors are recorded (OpLayer) and exported
    assert not net.dense.__dict__.get("_inbound_nodes")

    class Cumulative(Doubling):
        def call(self, x):
            return dg.ops.cumsum(self.dense(x), axis=1)

    net = Cumulative()
    net(np.zeros((1, 3), "float32"))
    with pytest.raises(dg.export.ExportError, match="cumsum"):
        dg.export.onnx_model(net)

    class NumPyInside(Doubling):
        def call(self, x):
            return np.tanh(self.dense(x))

    net = NumPyInside()
    net(np.zeros((1, 3), "float32"))
    with pytest.raises(dg.export.ExportError, match="could not run on symbolic inputs|returned"):
        dg.export.onnx_model(net)


def test_unbuilt_models_are_refused():
    with pytest.raises(ValueError, match="has not been built"):
        dg.export.onnx_model(dg.Sequential([L.Dense(2)]))


def test_bad_arguments(tmp_path):
    model = small_cnn()
    with pytest.raises(ValueError, match="format='onnx' only"):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match="opset_version"):
        model.export(tmp_path / "m.onnx", opset_version=13)
    with pytest.raises(TypeError, match="unknown keyword arguments"):
        model.export(tmp_path / "m.onnx", dynamic_axes=True)
    assert os.listdir(tmp_path) == []


def test_custom_activation_is_named():
    model = dg.Sequential([L.Input((3,)), L.Dense(2, activation=lambda x: x, name="odd")])
    with pytest.raises(dg.export.ExportError, match="layer 'odd' of class Dense uses the activ"):
        dg.export.onnx_model(model)


def test_subclassed_model_inside_a_functional_model(onnx_check):
    net = Net()
    net(np.zeros((1, 6, 6, 2), "float32"))
    x = L.Input((6, 6, 2))
    model = dg.Model(x, L.Dense(3)(net(x)))
    onnx_check(model)
