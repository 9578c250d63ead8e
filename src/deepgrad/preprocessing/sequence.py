"""``dg.preprocessing.sequence``, as Keras 3's ``keras.preprocessing.sequence``.

>>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post").tolist()
[[2, 3], [4, 0]]
"""

from deepgrad.utils.sequence import pad_sequences

__all__ = ["pad_sequences"]
