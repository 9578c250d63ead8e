"""Classify fortune cookies by category with a recurrent network, against a baseline.

The five largest categories of the fortunes text (people, definitions, cookie, computers,
songs-poems) make a five-class problem of about 5,400 short texts. The model reads raw
strings: ``TextVectorization`` lower-cases, drops punctuation, splits on whitespace and
turns words into ids (0 pads, 1 is an unknown word), ``Embedding(mask_zero=True)`` turns
ids into vectors and marks the padding, a ``Bidirectional(LSTM)`` reads each text both
ways skipping the padding, and a ``Dense`` softmax picks the category.

What is your baseline? Beside it, the classic bag of words: scikit-learn's TF-IDF
features and a logistic regression. Both get the same train/test split; both test
accuracies are printed.

Needs the fortunes text (``apt-get install fortunes``: /usr/share/games/fortunes).

Run: python examples/text_classification.py            (about a minute on two cores)
     python examples/text_classification.py --quick    (a short run)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

import deepgrad as dg

FORTUNES = Path("/usr/share/games/fortunes")


def load_fortunes(folder: Path = FORTUNES, categories: int = 5) -> tuple[list[str], np.ndarray,
                                                                         list[str]]:
    """The texts of the ``categories`` categories with the most fortunes, their labels
    (0, 1, ...), and the category names. Fortunes are separated by lines holding ``%``."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or not path.is_file() or path.suffix in (".dat", ".u8"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        entries = [e.strip() for e in re.split(r"^%$", text, flags=re.M)]
        found[path.name] = [e for e in entries if e]
    if not found:
        raise FileNotFoundError(f"no fortune files in {folder}. To fix: apt-get install fortunes")
    names = sorted(found, key=lambda n: (-len(found[n]), n))[:categories]
    texts = [t for n in names for t in found[n]]
    labels = np.concatenate([np.full(len(found[n]), i) for i, n in enumerate(names)])
    return texts, labels, names


def split(texts, labels, test_fraction: float = 0.2, seed: int = 0):
    """A shuffled train/test split, the same for both models."""
    order = np.random.default_rng(seed).permutation(len(texts))
    cut = int(len(texts) * (1 - test_fraction))
    pick = lambda idx: (np.array([texts[i] for i in idx]), labels[idx])  # noqa: E731
    return pick(order[:cut]), pick(order[cut:])


def baseline(train, test) -> float:
    """TF-IDF of words and word pairs, then a logistic regression: test accuracy."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(train[0])
    classifier = LogisticRegression(C=10.0, max_iter=2000).fit(features, train[1])
    return float(classifier.score(vectorizer.transform(test[0]), test[1]))


def build(train_texts, classes: int, max_tokens: int = 20_000, length: int = 80,
          dim: int = 64, units: int = 64) -> dg.Model:
    vectorize = dg.layers.TextVectorization(max_tokens=max_tokens,
                                            output_sequence_length=length)
    vectorize.adapt(train_texts)
    return dg.Sequential([
        dg.Input(shape=(1,), dtype="string"),
        vectorize,
        dg.layers.Embedding(len(vectorize.get_vocabulary()), dim, mask_zero=True),
        dg.layers.Bidirectional(dg.layers.LSTM(units)),
        dg.layers.Dense(classes, activation="softmax"),
    ])


def main(quick: bool = False, epochs: int | None = None, limit: int | None = None,
         verbose: int = 1) -> tuple[float, float]:
    """Train both; print and return ``(deepgrad accuracy, baseline accuracy)``."""
    dg.utils.set_random_seed(0)
    texts, labels, names = load_fortunes()
    if quick or limit:
        keep = np.random.default_rng(1).permutation(len(texts))[: limit or 1500]
        texts, labels = [texts[i] for i in keep], labels[keep]
    epochs = epochs or (4 if quick else 8)
    train, test = split(texts, labels)
    print(f"{len(texts)} fortunes in {len(names)} categories ({', '.join(names)}); "
          f"{len(train[0])} to train on, {len(test[0])} to test")

    model = build(train[0], len(names))
    model.compile(optimizer=dg.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train[0][:, None], train[1], epochs=epochs, batch_size=32,
              validation_split=0.1, verbose=verbose)
    _, accuracy = model.evaluate(test[0][:, None], test[1], verbose=0)
    reference = baseline(train, test)
    print(f"Bidirectional LSTM (deepgrad):           test accuracy {accuracy:.3f}")
    print(f"TF-IDF + LogisticRegression (baseline):  test accuracy {reference:.3f}")
    return accuracy, reference


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
