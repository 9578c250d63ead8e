"""The course's iris network written two ways: Keras-style ``fit``, and a custom
training loop with ``GradientTape`` (as the course's TF2 chapter writes it).

Run: python examples/iris_tape.py   (seconds; --quick is accepted and changes nothing)
"""

import numpy as np

import deepgrad as dg


def build():
    return dg.Sequential(
        [
            dg.layers.Dense(10, activation="relu", input_shape=(4,)),
            dg.layers.Dense(10, activation="relu"),
            dg.layers.Dense(3, activation="softmax"),
        ]
    )


def main():
    dg.utils.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = dg.datasets.iris.load_data(test_split=0.25, seed=42)

    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=300, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"fit:           test accuracy {accuracy:.3f}")

    model = build()
    optimizer = dg.optimizers.Adam(learning_rate=1e-3)
    loss_fn = dg.losses.SparseCategoricalCrossentropy()
    batches = dg.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(200, seed=1).batch(32)
    for _ in range(300):
        for x, y in batches:
            with dg.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
    accuracy = np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test)
    print(f"GradientTape:  test accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
