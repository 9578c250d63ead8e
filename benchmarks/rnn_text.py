"""The text classifier of examples/text_classification.py, one epoch of ``fit`` against a
PyTorch loop over the same padded word ids (imported by ``rnn.py``).

deepgrad: ``Embedding(mask_zero=True) -> Bidirectional(LSTM(64)) -> Dense(5, softmax)``,
``model.fit(ids, labels, batch_size=32, epochs=1)``. PyTorch: ``nn.Embedding`` +
bidirectional ``nn.LSTM`` over ``pack_padded_sequence`` (so that the padding costs
nothing, its fastest form) + ``nn.Linear``, cross-entropy, Adam, the same batches' sizes.
The texts are turned into ids once, before timing, for both (TextVectorization's cost is
not part of either).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import deepgrad as dg

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LENGTH, DIM, UNITS, BATCH = 80, 64, 64, 32


def padded_ids():
    """Word ids ``(texts, LENGTH)`` (0 pads at the end) and labels of the five largest
    fortune categories; texts without a word are left out."""
    sys.path.insert(0, str(EXAMPLES))
    from text_classification import load_fortunes

    texts, labels, names = load_fortunes()
    vectorize = dg.layers.TextVectorization(max_tokens=20_000, output_sequence_length=LENGTH)
    vectorize.adapt(texts)
    ids = np.asarray(vectorize(np.array(texts)[:, None]).data, np.int64)
    keep = (ids != 0).any(axis=1)
    return ids[keep], labels[keep], len(vectorize.get_vocabulary()), len(names)


def deepgrad_epoch(ids, labels, vocab, classes):
    model = dg.Sequential([
        dg.Input(shape=(LENGTH,), dtype="int32"),
        dg.layers.Embedding(vocab, DIM, mask_zero=True),
        dg.layers.Bidirectional(dg.layers.LSTM(UNITS)),
        dg.layers.Dense(classes, activation="softmax"),
    ])
    model.compile(optimizer=dg.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy")

    def epoch():
        return model.fit(ids, labels, batch_size=BATCH, epochs=1, verbose=0).history["loss"][-1]

    return epoch


def torch_epoch(torch, ids, labels, vocab, classes):
    nn = torch.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, DIM, padding_idx=0)
            self.lstm = nn.LSTM(DIM, UNITS, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * UNITS, classes)

        def forward(self, x, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(self.embed(x), lengths,
                                                       batch_first=True, enforce_sorted=False)
            _, (h, _) = self.lstm(packed)
            return self.out(torch.cat([h[0], h[1]], dim=1))

    net = Classifier()
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    x_all = torch.from_numpy(ids)
    y_all = torch.from_numpy(labels.astype(np.int64))
    lengths_all = torch.from_numpy((ids != 0).sum(axis=1))
    generator = torch.Generator().manual_seed(0)

    def epoch():
        total = 0.0
        order = torch.randperm(len(ids), generator=generator)
        for start in range(0, len(ids), BATCH):
            idx = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(net(x_all[idx], lengths_all[idx]), y_all[idx])
            loss.backward()
            optimizer.step()
            total = loss.item()
        return total

    return epoch


def text_classifier_row(torch, rounds: int = 3) -> None:
    ids, labels, vocab, classes = padded_ids()
    runs = {"deepgrad": deepgrad_epoch(ids, labels, vocab, classes)}
    if torch is not None:
        runs["torch"] = torch_epoch(torch, ids, labels, vocab, classes)
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, epoch in runs.items():
            time.sleep(0.3)
            start = time.perf_counter()
            epoch()
            times[name].append(time.perf_counter() - start)
    label = (f"  text classifier, one epoch of fit ({len(ids)} texts, {LENGTH} steps, "
             f"mean {np.mean((ids != 0).sum(1)):.0f} words)")
    ours = times["deepgrad"]
    print(f"{label}: deepgrad {np.median(ours):.2f} s (range {min(ours):.2f}-{max(ours):.2f})",
          end="")
    if torch is None:
        print()
        return
    theirs = times["torch"]
    print(f", torch {np.median(theirs):.2f} s (range {min(theirs):.2f}-{max(theirs):.2f})")
    from common import print_row

    print_row("  text classifier epoch (s)", float(np.median(ours)), float(np.median(theirs)),
              "s", higher_is_better=False)
