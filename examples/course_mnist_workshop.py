"""The course's MNIST workshop, as TensorFlow/Keras code, with only its imports changed.

The three import lines are the only edits to the code as a TensorFlow 2 course writes
it (``tf.data`` pipeline with ``AUTOTUNE`` in both spellings, one ``MaxPool2D`` object
used twice in the ``Sequential``, ``np.argmax`` on the predictions, the "do we have a
GPU?" cell). Fashion-MNIST stands in for MNIST, which cannot be had offline: the one
line that loads the data names it. ``--quick`` trains on 1,000 images for one epoch
(what the test suite runs); without it, the full 60,000 for five epochs.

Run: python examples/course_mnist_workshop.py [--quick]
"""

# %%
import sys

import numpy as np

import deepgrad as keras  # was: from tensorflow import keras
import deepgrad as tf  # was: import tensorflow as tf
from deepgrad import layers  # was: from tensorflow.keras import layers

QUICK = "--quick" in sys.argv

# %% [markdown]
# ## Do we have a GPU?

# %%
print("Num GPUs Available: ", len(tf.config.list_physical_devices("GPU")))

# %% [markdown]
# ## The data

# %%
num_classes = 10
input_shape = (28, 28, 1)

(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
if QUICK:
    (x_train, y_train), (x_test, y_test) = (x_train[:1000], y_train[:1000]), (
        x_test[:500], y_test[:500])

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
# Make sure images have shape (28, 28, 1)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# convert class vectors to binary class matrices
y_train_cat = keras.utils.to_categorical(y_train, num_classes)
y_test_cat = keras.utils.to_categorical(y_test, num_classes)

# %% [markdown]
# ## An input pipeline

# %%
AUTOTUNE = tf.data.experimental.AUTOTUNE
batch_size = 128

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train_cat))
train_ds = train_ds.shuffle(10000).batch(batch_size).prefetch(AUTOTUNE)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test_cat))
test_ds = test_ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)

# %% [markdown]
# ## The model: one pooling layer, used after both convolutions

# %%
pool = layers.MaxPool2D(pool_size=(2, 2))

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        pool,
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        pool,
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()

# %% [markdown]
# ## Train

# %%
epochs = 1 if QUICK else 5

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

history = model.fit(train_ds, epochs=epochs, validation_data=test_ds, verbose=0 if QUICK else 1)

# %% [markdown]
# ## Evaluate

# %%
score = model.evaluate(test_ds, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

# %% [markdown]
# ## Predict

# %%
predictions = model.predict(x_test[:10])
print("Predicted:", np.argmax(predictions, axis=1))
print("True:     ", y_test[:10])
print("Confidence of the first prediction:", np.max(predictions[0]))
