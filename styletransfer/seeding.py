"""Seeded weight initialisers: a model built from a seed gets the same weights every time,
without touching the global random state (no `keras.utils.set_random_seed` in library code).

Layer k of a model built with seed s (and stream t, for a second model built from the same
seed) is initialised from the 32-bit seed that numpy's `SeedSequence([s, t, k])` derives, so
different layers, streams and seeds draw independent numbers.
"""

import itertools

import numpy as np

from ._tensorflow import keras

__all__ = ["glorot_uniform"]


def glorot_uniform(seed, stream=0):
    """An endless supply of Glorot-uniform initialisers (Keras's default for convolutions and
    dense layers; Glorot and Bengio, 2010), the k-th seeded from (seed, stream, k): pass ``next(...)``
    as each layer's ``kernel_initializer`` in a fixed order."""
    for k in itertools.count():
        yield keras.initializers.GlorotUniform(seed=int(np.random.SeedSequence([seed, stream, k]).generate_state(1)[0]))
