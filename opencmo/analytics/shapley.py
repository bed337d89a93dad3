r"""Shapley values over channel coalitions: exact by subset enumeration, or sampled permutations.

Pure NumPy; :class:`opencmo.analytics.attribution.Shapley` applies it to journeys.

The game
--------
Players are the :math:`m` channels of a converting journey's channel set :math:`T`; the worth of a
coalition :math:`S \subseteq T` is its observed conversion rate :math:`v(S)`: conversions over
journeys among the people whose journey touched exactly the channels :math:`S` (0 for a coalition never
seen on its own, and :math:`v(\emptyset) = 0`). A channel's Shapley value is its average marginal
contribution over every order in which the coalition could have been assembled:

.. math::

    \varphi_j = \sum_{S \subseteq T \setminus \{j\}}
        \frac{|S|!\,(m - |S| - 1)!}{m!} \bigl(v(S \cup \{j\}) - v(S)\bigr),
    \qquad \sum_{j \in T} \varphi_j = v(T).

The conversions (and value) of the journeys with set :math:`T` are shared in proportion
:math:`\varphi_j / v(T)`, so every journey's credit adds up to its conversions exactly. A channel that
lowers the conversion rate of the coalitions it joins gets a negative share: the values are not
clipped, since that is what the data says.

Coalitions are identified by 64-bit keys: the sum of their members' keys (bit ``c`` for channel ``c``
when there are at most 64 channels, which is exact; otherwise fixed random 64-bit keys, where a
collision between two different sets has probability about :math:`2^{-64}` per pair).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "channel_keys",
    "lookup",
    "shapley_exact",
    "shapley_sampled",
    "shapley_weights",
    "subset_bits",
    "subset_keys",
]


def channel_keys(n_channels: int, seed: int = 20_240_601) -> np.ndarray:
    """64-bit coalition keys per channel: single bits (exact) up to 64 channels, random beyond."""
    if n_channels <= 64:
        return np.left_shift(np.uint64(1), np.arange(n_channels, dtype=np.uint64))
    rng = np.random.default_rng(seed)
    return rng.integers(1, np.iinfo(np.uint64).max, size=n_channels, dtype=np.uint64, endpoint=True)


def subset_bits(m: int) -> np.ndarray:
    """(2**m, m) 0/1 matrix: row ``t`` is the membership vector of the local subset number ``t``."""
    t = np.arange(1 << m, dtype=np.int64)
    return ((t[:, None] >> np.arange(m)) & 1).astype(np.int8)


def subset_keys(member_keys: np.ndarray) -> np.ndarray:
    """(K, 2**m) keys of every subset of each of K coalitions given their members' keys (K, m).

    Subset ``t`` holds member ``j`` when bit ``j`` of ``t`` is set; keys add (wrapping at 2**64), so a
    bit-key subset key is the union of its bits.
    """
    k, m = member_keys.shape
    keys = np.zeros((k, 1 << m), dtype=np.uint64)
    t = np.arange(1 << m)
    for j in range(m):
        has = (t >> j) & 1 == 1
        keys[:, has] += member_keys[:, j : j + 1]
    return keys


def lookup(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``values`` of ``keys`` found in ``sorted_keys`` (ascending), 0 where a key is absent."""
    if len(sorted_keys) == 0:
        return np.zeros(keys.shape)
    at = np.searchsorted(sorted_keys, keys)
    at = np.minimum(at, len(sorted_keys) - 1)
    return np.where(sorted_keys[at] == keys, values[at], 0.0)


def shapley_weights(m: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Per local subset ``t`` of an m-player game: the weight with which :math:`v(t)` enters
    :math:`\varphi_j` when ``j`` is in ``t`` (``plus``) and when it is not (``minus``).

    :math:`w(s) = s!\,(m-s-1)!/m!`; ``plus[t] = w(|t| - 1)`` and ``minus[t] = w(|t|)``, so that
    :math:`\varphi = B^\top(\text{plus}\odot v) - (1-B)^\top(\text{minus}\odot v)`.
    """
    size = subset_bits(m).sum(axis=1)
    # w(s) = 1 / (m * C(m-1, s)), computed in floating point without factorials.
    w = np.empty(m)
    for s in range(m):
        w[s] = 1.0 / (m * _binomial(m - 1, s))
    plus = np.where(size >= 1, w[np.clip(size - 1, 0, m - 1)], 0.0)
    minus = np.where(size <= m - 1, w[np.clip(size, 0, m - 1)], 0.0)
    return plus, minus


def _binomial(n: int, k: int) -> float:
    result = 1.0
    for i in range(1, k + 1):
        result = result * (n - k + i) / i
    return result


def shapley_exact(worth: np.ndarray, m: int) -> np.ndarray:
    r"""Exact Shapley values of K games with the same m players, vectorised.

    Parameters
    ----------
    worth : (K, 2**m) array
        :math:`v(t)` for every local subset ``t`` (bit ``j`` of ``t`` = player ``j`` present).

    Returns
    -------
    (K, m) array of :math:`\varphi_j`; each row sums to :math:`v(\text{all}) - v(\emptyset)`.
    """
    bits = subset_bits(m).astype(np.float64)
    plus, minus = shapley_weights(m)
    return (worth * plus) @ bits - (worth * minus) @ (1.0 - bits)


def shapley_sampled(
    member_keys: np.ndarray,
    sorted_keys: np.ndarray,
    rates: np.ndarray,
    n_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Monte-Carlo Shapley values of one m-player game from ``n_samples`` random orders.

    Each order adds the players one by one; a player's value is its mean marginal contribution
    :math:`v(\text{before} \cup \{j\}) - v(\text{before})`. Along every order the contributions add up
    to :math:`v(T) - v(\emptyset)` exactly, so the estimate keeps that total; its standard error shrinks
    as :math:`1/\sqrt{n\_samples}`.
    """
    m = len(member_keys)
    orders = rng.permuted(np.tile(np.arange(m), (n_samples, 1)), axis=1)
    steps = member_keys[orders]
    after = np.cumsum(steps, axis=1, dtype=np.uint64)
    worth_after = lookup(sorted_keys, rates, after)
    worth_before = np.concatenate([np.zeros((n_samples, 1)), worth_after[:, :-1]], axis=1)
    marginal = worth_after - worth_before
    return np.bincount(orders.ravel(), weights=marginal.ravel(), minlength=m) / n_samples
