"""End to end with convolutions: a small CNN learns scikit-learn's digits; the course's
inversion experiment; the course's two-headed classify-and-localise model."""

import numpy as np

import deepgrad as dg

L = dg.layers


def digits_images():
    (x, y), (xt, yt) = dg.datasets.digits.load_data(test_split=0.25, seed=0)
    shape = (-1, 8, 8, 1)
    return (x.reshape(shape) / 16).astype(np.float32), y, (xt.reshape(shape) / 16).astype(
        np.float32), yt


def small_cnn():
    model = dg.Sequential([
        L.Input((8, 8, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.Flatten(),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=dg.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_small_cnn_learns_digits():
    x, y, xt, yt = digits_images()
    model = small_cnn()
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert model.evaluate(xt, yt, verbose=0)[1] >= 0.95


def test_inversion_experiment():
    """The course trains on images and on colour-inverted copies: the network trained with
    the inverted copies recognises inverted test images; the one trained without does not."""
    x, y, xt, yt = digits_images()
    plain = small_cnn()
    plain.fit(x, y, epochs=8, batch_size=32, verbose=0)
    dg.utils.set_random_seed(1337)
    both = small_cnn()
    x2 = np.concatenate([x, dg.image.invert(x, max_value=1.0)])
    both.fit(x2, np.concatenate([y, y]), epochs=8, batch_size=32, verbose=0)
    inverted = dg.image.invert(xt, max_value=1.0)
    plain_acc = plain.evaluate(inverted, yt, verbose=0)[1]
    both_acc = both.evaluate(inverted, yt, verbose=0)[1]
    assert both_acc >= 0.9 and plain_acc <= 0.5, (plain_acc, both_acc)
    assert both.evaluate(xt, yt, verbose=0)[1] >= 0.9


def boxes_dataset(n, rng, size=32):
    """Images with one object each: a filled square (class 0), a cross (1) or a ring (2),
    of random size and place; boxes as (y_min, x_min, y_max, x_max) in 0..1."""
    images = np.zeros((n, size, size, 1), np.float32)
    labels = rng.integers(0, 3, n)
    boxes = np.zeros((n, 4), np.float32)
    for i in range(n):
        s = rng.integers(7, 14)
        top, left = rng.integers(0, size - s, 2)
        patch = np.zeros((s, s), np.float32)
        if labels[i] == 0:
            patch[:] = 1
        elif labels[i] == 1:
            patch[s // 2 - 1:s // 2 + 1, :] = 1
            patch[:, s // 2 - 1:s // 2 + 1] = 1
        else:
            patch[[0, 1, -2, -1], :] = 1
            patch[:, [0, 1, -2, -1]] = 1
        images[i, top:top + s, left:left + s, 0] = patch
        boxes[i] = np.array([top, left, top + s, left + s]) / size
    images += rng.normal(0, 0.05, images.shape).astype(np.float32)
    return images, labels, boxes


def test_two_headed_localisation_model():
    rng = np.random.default_rng(0)
    x, labels, boxes = boxes_dataset(1200, rng)
    xt, labels_t, boxes_t = boxes_dataset(300, rng)
    inputs = dg.Input((32, 32, 1))
    h = L.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    h = L.MaxPooling2D(2)(h)
    h = L.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = L.MaxPooling2D(2)(h)
    h = L.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = L.GlobalAveragePooling2D()(h)
    h = L.Dense(200, activation="relu")(h)
    label_head = L.Dense(3, activation="softmax", name="label")(h)
    box_head = L.Dense(4, name="box")(h)
    model = dg.Model(inputs, [label_head, box_head])
    model.compile(optimizer=dg.optimizers.Nadam(2e-3),
                  loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[0.1, 0.9],
                  metrics={"label": "accuracy"})
    history = model.fit(x, [labels, boxes], epochs=12, batch_size=32, verbose=0)
    assert {"label_loss", "box_loss", "label_accuracy"} <= set(history.history)
    predicted_labels, predicted_boxes = model.predict(xt, verbose=0)
    box_mse = np.mean((predicted_boxes - boxes_t) ** 2)
    mean_box_mse = np.mean((boxes.mean(axis=0) - boxes_t) ** 2)
    assert box_mse < 0.25 * mean_box_mse, (box_mse, mean_box_mse)
    assert np.mean(predicted_labels.argmax(axis=1) == labels_t) >= 0.8
