r"""Absorbing Markov chains for attribution: exact conversion probabilities and removal effects.

Pure maths on NumPy/SciPy arrays; :class:`opencmo.analytics.attribution.Markov` builds the chain from
journeys. Nothing here simulates: every probability is the solution of a linear system.

The chain
---------
Transient states :math:`1..S` (channels, or for order :math:`k` the last :math:`k` channels seen),
a start state and two absorbing states, *conversion* and *null*. With transition counts
:math:`C_{ij}` between transient states, :math:`c_i` into conversion and :math:`u_i` into null,

.. math::

    Q_{ij} = \frac{C_{ij}}{o_i}, \qquad r_i = \frac{c_i}{o_i}, \qquad
    o_i = \sum_j C_{ij} + c_i + u_i, \qquad s_i = \frac{\text{starts in } i}{\text{journeys}}.

The probability of eventually converting from state :math:`i` is :math:`y = (I - Q)^{-1} r` and from
the start :math:`P = s^\top y` (the fundamental matrix :math:`Z = (I - Q)^{-1}` counts expected
visits). With values, :math:`r^{v}_i = v_i / o_i` (the value of the conversions that followed
:math:`i`, per exit from :math:`i`) gives the expected value :math:`V = s^\top Z r^{v}` the same way.

Removal effect
--------------
Removing a channel sends every journey that reaches one of its states to *null*. The removal effect is
the share of conversions lost, :math:`RE_c = 1 - P_{-c} / P`, where :math:`P_{-c}` solves the same
system restricted to the states that do not contain :math:`c`. Attribution then shares the observed
total in proportion: :math:`A_c = N \cdot RE_c / \sum_d RE_d`.

For a first-order chain removing channel :math:`k` is a rank-one change of :math:`I - Q`, and the
Sherman-Morrison formula gives every removal from one inverse:

.. math::

    P_{-k} = P - h_k \, y_k, \qquad h_k = \frac{(s^\top Z)_k}{Z_{kk}},

where :math:`h_k` is the probability of ever visiting :math:`k`: the conversions lost are exactly
those of journeys that pass through :math:`k`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

__all__ = [
    "DENSE_LIMIT",
    "absorbing_chain",
    "conversion_probability",
    "removal_effects",
    "removal_effects_first_order",
]

#: Above this many states the solves use a sparse LU factorisation instead of dense LAPACK.
DENSE_LIMIT = 1500


def absorbing_chain(
    between: scipy.sparse.spmatrix | np.ndarray,
    starts: np.ndarray,
    to_conversion: np.ndarray,
    to_null: np.ndarray,
    to_value: np.ndarray | None = None,
) -> tuple[scipy.sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    r"""Transition probabilities from counts.

    Parameters
    ----------
    between : (S, S) array or sparse matrix
        :math:`C_{ij}`, transitions from transient state ``i`` to ``j`` (weights may be fractional).
    starts : (S,) array
        Journeys whose first state is ``i``.
    to_conversion, to_null : (S,) arrays
        :math:`c_i`, :math:`u_i`: exits from ``i`` into conversion and into null.
    to_value : (S,) array, optional
        :math:`v_i`: the conversion value of the exits from ``i`` into conversion.

    Returns
    -------
    Q : (S, S) csr_matrix
        :math:`Q_{ij} = C_{ij} / o_i` (a state with no exit at all is treated as null).
    r : (S,) array
        :math:`r_i = c_i / o_i`.
    rv : (S,) array
        :math:`r^v_i = v_i / o_i` (zeros without values).
    s : (S,) array
        :math:`s_i`, the start distribution (zeros when there are no journeys).
    """
    between = scipy.sparse.csr_matrix(between, dtype=np.float64)
    out = np.asarray(between.sum(axis=1)).ravel() + to_conversion + to_null
    inverse = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    q = scipy.sparse.diags(inverse) @ between
    r = to_conversion * inverse
    rv = (to_value * inverse) if to_value is not None else np.zeros_like(r)
    total = starts.sum()
    s = starts / total if total > 0 else np.zeros_like(starts, dtype=np.float64)
    return scipy.sparse.csr_matrix(q), r, rv, s


def _solve(q: scipy.sparse.csr_matrix, rhs: np.ndarray) -> np.ndarray:
    """Solve :math:`(I - Q) x = rhs` exactly (dense LU or sparse LU by size)."""
    n = q.shape[0]
    if n == 0:
        return np.zeros_like(rhs)
    if n <= DENSE_LIMIT:
        a = np.eye(n) - q.toarray()
        return scipy.linalg.solve(a, rhs, check_finite=False)
    a = (scipy.sparse.identity(n, format="csc") - q).tocsc()
    return scipy.sparse.linalg.splu(a).solve(np.ascontiguousarray(rhs))


def conversion_probability(q, r: np.ndarray, s: np.ndarray) -> float:
    r"""Probability of absorption in *conversion* from the start, :math:`P = s^\top (I - Q)^{-1} r`."""
    return float(s @ _solve(scipy.sparse.csr_matrix(q), r))


def removal_effects(
    q,
    r: np.ndarray,
    s: np.ndarray,
    removed: list[np.ndarray],
    rv: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[float, np.ndarray, float, np.ndarray]:
    r"""Removal effects for any order: one exact solve per channel.

    Parameters
    ----------
    q, r, s, rv
        The chain from :func:`absorbing_chain`.
    removed : list of (S,) boolean arrays
        For each channel, the states that disappear with it (for order 1, just its own state).
    progress : callable, optional
        Called with ``(done, total)`` after each channel.

    Returns
    -------
    P : float
        Conversion probability of the full chain.
    effects : (n,) array
        :math:`RE_c = 1 - P_{-c} / P` (zeros when :math:`P = 0`).
    V : float
        Expected conversion value of the full chain (0 without values).
    value_effects : (n,) array
        The same ratio for value, :math:`1 - V_{-c} / V`.
    """
    q = scipy.sparse.csr_matrix(q)
    rv = np.zeros_like(r) if rv is None else rv
    rhs = np.column_stack([r, rv])
    full = s @ _solve(q, rhs)
    p, v = float(full[0]), float(full[1])
    effects = np.zeros(len(removed))
    value_effects = np.zeros(len(removed))
    for c, gone in enumerate(removed):
        keep = np.flatnonzero(~gone)
        sub = q[keep][:, keep]
        reduced = s[keep] @ _solve(sub, rhs[keep])
        if p > 0:
            effects[c] = 1.0 - reduced[0] / p
        if v > 0:
            value_effects[c] = 1.0 - reduced[1] / v
        if progress:
            progress(c + 1, len(removed))
    # Round-off can leave -1e-16 where nothing is lost.
    np.clip(effects, 0.0, 1.0, out=effects)
    np.clip(value_effects, 0.0, 1.0, out=value_effects)
    return p, effects, v, value_effects


def removal_effects_first_order(
    q, r: np.ndarray, s: np.ndarray, rv: np.ndarray | None = None
) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray]:
    r"""Every first-order removal effect from one inverse (Sherman-Morrison, see the module text).

    Returns
    -------
    P, effects, V, value_effects
        As :func:`removal_effects`.
    visits : (S,) array
        :math:`h_k`, the probability that a journey ever reaches state ``k``.
    """
    q = scipy.sparse.csr_matrix(q)
    n = q.shape[0]
    rv = np.zeros_like(r) if rv is None else rv
    if n == 0:
        empty = np.zeros(0)
        return 0.0, empty, 0.0, empty, empty
    if n > DENSE_LIMIT:
        # One inverse would be too big: fall back to one sparse solve per state.
        removed = [np.arange(n) == k for k in range(n)]
        p, effects, v, value_effects = removal_effects(q, r, s, removed, rv)
        return p, effects, v, value_effects, np.full(n, np.nan)
    z = scipy.linalg.inv(np.eye(n) - q.toarray(), check_finite=False)
    w = s @ z
    y = z @ r
    yv = z @ rv
    diagonal = np.diag(z)
    visits = np.divide(w, diagonal, out=np.zeros_like(w), where=diagonal > 0)
    p = float(s @ y)
    v = float(s @ yv)
    effects = np.clip(visits * y / p, 0.0, 1.0) if p > 0 else np.zeros(n)
    value_effects = np.clip(visits * yv / v, 0.0, 1.0) if v > 0 else np.zeros(n)
    return p, effects, v, value_effects, visits
