"""A character-level language model: an LSTM learns the fortune cookies' text one character
at a time, as the course unfolds a recurrent network in time.

The text is cut into ``batch`` long streams read side by side; each batch holds the next
``steps`` characters of every stream, and the LSTM is ``stateful``: it starts each batch
from the states the previous batch ended with, while gradients stop at the batch border
(truncated backpropagation through time over ``steps`` steps). After each epoch the
model is scored on held-out text in bits per character (the cross-entropy in base 2; a
uniform guess over the characters costs about 6.6 bits), and writes a few lines at two
sampling temperatures.

Needs the fortunes text (``apt-get install fortunes``: /usr/share/games/fortunes).

Run: python examples/char_rnn.py            (a few minutes a epoch on two cores)
     python examples/char_rnn.py --quick    (a short run on 200,000 characters)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

import deepgrad as dg

FORTUNES = Path("/usr/share/games/fortunes")


def load_text(folder: Path = FORTUNES) -> str:
    """Every fortune file's text (the ``.dat`` indexes and ``.u8`` links skipped)."""
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.is_symlink() and p.suffix not in (".dat", ".u8"))
    if not files:
        raise FileNotFoundError(
            f"no fortune files in {folder}. To fix: apt-get install fortunes")
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def streams(ids: np.ndarray, batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets ``(chunks * batch, steps)``, in the order a
    stateful model must see them: row ``b`` of every batch continues row ``b`` of the
    batch before it."""
    length = (len(ids) - 1) // (batch * steps) * steps
    x = ids[: batch * length].reshape(batch, length // steps, steps)
    y = ids[1 : batch * length + 1].reshape(batch, length // steps, steps)
    return (x.transpose(1, 0, 2).reshape(-1, steps), y.transpose(1, 0, 2).reshape(-1, steps))


def build(vocab: int, batch: int, steps: int, units: int) -> dg.Sequential:
    return dg.Sequential([
        dg.Input(shape=(steps,), batch_size=batch, dtype="int32"),
        dg.layers.Embedding(vocab, 32),
        dg.layers.LSTM(units, return_sequences=True, stateful=True),
        dg.layers.Dense(vocab),
    ])


def sample(model: dg.Sequential, weights, chars: list[str], seed: str, length: int,
           temperature: float, rng: np.random.Generator) -> str:
    """``length`` characters after ``seed``, drawn from ``softmax(logits / temperature)``."""
    sampler = build(len(chars), batch=1, steps=1, units=model.layers[1].units)
    sampler.set_weights(weights)
    index = {c: i for i, c in enumerate(chars)}
    logits = None
    for c in seed:
        logits = sampler.predict_on_batch(np.array([[index[c]]]))[0, -1]
    out = []
    for _ in range(length):
        z = logits / temperature
        p = np.exp(z - z.max())
        nxt = int(rng.choice(len(chars), p=p / p.sum()))
        out.append(chars[nxt])
        logits = sampler.predict_on_batch(np.array([[nxt]]))[0, -1]
    return seed + "".join(out)


def main(quick: bool = False, epochs: int | None = None, limit: int | None = None,
         units: int | None = None, learning_rate: float = 2e-3,
         verbose: int = 1) -> list[float]:
    """Train; print and return the held-out bits per character after each epoch."""
    dg.utils.set_random_seed(0)
    text = load_text()
    if quick:
        limit, epochs, units = limit or 200_000, epochs or 2, units or 128
    text = text[: limit] if limit else text
    epochs, units = epochs or 10, units or 256
    chars = sorted(set(text))
    ids = np.searchsorted(np.array(chars), np.array(list(text))).astype(np.int32)
    split = int(len(ids) * 0.95)
    batch, steps = 32, 64
    x, y = streams(ids[:split], batch, steps)
    x_held, y_held = streams(ids[split:], batch, steps)
    print(f"{len(text):,} characters, {len(chars)} distinct; {len(x) // batch} batches of "
          f"{batch} x {steps} a epoch; held out: {len(ids) - split:,} characters")

    model = build(len(chars), batch, steps, units)
    model.compile(optimizer=dg.optimizers.Adam(learning_rate),
                  loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    lstm = model.layers[1]
    rng = np.random.default_rng(0)
    scores = []
    for epoch in range(epochs):
        lstm.reset_states()
        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=verbose)
        lstm.reset_states()
        nats = model.evaluate(x_held, y_held, batch_size=batch, verbose=0)
        scores.append(nats / math.log(2))
        print(f"epoch {epoch + 1}: held-out {scores[-1]:.3f} bits per character")
        weights = model.get_weights()
        for temperature in (0.5, 1.0):
            line = sample(model, weights, chars, "The ", 120, temperature, rng)
            print(f"  T={temperature}: {line!r}")
    return scores


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
