r"""Multi-touch attribution: who gets the credit for a conversion.

Estimators in the scikit-learn style: hyperparameters go to ``__init__``, :meth:`fit` takes a
:class:`~opencmo.analytics.paths.PathTable` and returns the estimator, learned attributes end with
``_``. Every model fills

* ``channels_`` — channel names;
* ``conversions_``, ``value_`` — the conversions and conversion value credited to each channel
  (floating point; they add up to the table's totals);
* ``total_conversions_``, ``total_value_``, ``unattributed_`` — what was shared out, and what could not
  be (conversions without a touch in the lookback window).

Rule-based models give each touch :math:`t` of a path a weight :math:`w_t` with :math:`\sum_t w_t = 1`;
channel :math:`c` receives :math:`\sum_{\text{paths}} N_p \sum_{t: c_t = c} w_t` of the conversions
:math:`N_p` (and likewise of the value):

==================  ==========================================================================
first touch         :math:`w = 1` on the first touch
last touch          :math:`w = 1` on the last touch
last non-direct     :math:`w = 1` on the last touch that is not direct (the last one if all are)
linear              :math:`w_t = 1/L` for a path of :math:`L` touches
time decay          :math:`w_t \propto 2^{-a_t/h}` with :math:`a_t` the touch's age (days before
                    the conversion, or touches before the last one) and half-life :math:`h`
position based      40 % first, 40 % last, 20 % shared by the touches between (a two-touch path
                    splits 50/50, one touch takes all)
==================  ==========================================================================

Data-driven models: :class:`Markov` (removal effects of an absorbing Markov chain of order 1-3, solved
exactly; see :mod:`opencmo.analytics.markov`) and :class:`Shapley` (Shapley values of channel
coalitions' conversion rates; see :mod:`opencmo.analytics.shapley`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import scipy.sparse

from opencmo.analytics import markov, shapley
from opencmo.analytics.paths import PathTable

__all__ = [
    "MODELS",
    "AttributionModel",
    "ChannelCredit",
    "FirstTouch",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "Markov",
    "PositionBased",
    "Shapley",
    "TimeDecay",
    "make_model",
]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ChannelCredit:
    channel: str
    conversions: float
    value: float
    share: float  # of all attributed conversions, 0..1


class AttributionModel:
    """Base class: :meth:`fit` computes credits; :meth:`results` lists them per channel."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def get_params(self) -> dict:
        """Hyperparameters, as given to ``__init__``."""
        return {key: value for key, value in vars(self).items() if not key.endswith("_")}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def fit(self, paths: PathTable, *, progress: Progress | None = None) -> Self:
        if not isinstance(paths, PathTable):
            raise TypeError("fit() takes a PathTable; build one with PathTable.from_csv/from_store/…")
        self._validate()
        # repeated paths merged when the table knows them: exact (credits depend on the path only)
        conversions, value = self._credit(paths.compact(), progress)
        self.channels_ = paths.channels
        self.conversions_ = conversions
        self.value_ = value
        self.total_conversions_ = paths.total_conversions
        self.total_value_ = paths.total_value
        self.unattributed_ = paths.unattributed
        self.currency_ = paths.currency
        if progress:
            progress(1.0, "done")
        return self

    def check_params(self) -> None:
        """Raise ``ValueError`` if a hyperparameter is out of range (``fit`` calls it too)."""
        self._validate()

    def _validate(self) -> None:
        """Check hyperparameters (raise ValueError)."""

    def _credit(self, paths: PathTable, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def results(self) -> list[ChannelCredit]:
        """Per channel, most credited first."""
        self._check_fitted()
        total = self.conversions_.sum()
        rows = [
            ChannelCredit(channel, float(c), float(v), float(c / total) if total else 0.0)
            for channel, c, v in zip(self.channels_, self.conversions_, self.value_, strict=True)
        ]
        return sorted(rows, key=lambda row: (-row.conversions, -row.value, row.channel))

    def _check_fitted(self) -> None:
        if not hasattr(self, "conversions_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit() first.")


class _RuleBased(AttributionModel):
    """A model defined by per-touch weights that add up to 1 in every path."""

    def weights(self, paths: PathTable) -> np.ndarray:
        raise NotImplementedError

    def _credit(self, paths: PathTable, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        w = self.weights(paths)
        owner = paths.path_of_touch
        n = paths.n_channels
        conversions = np.bincount(paths.codes, weights=w * paths.conversions[owner], minlength=n)
        value = np.bincount(paths.codes, weights=w * paths.value[owner], minlength=n)
        return conversions, value


def _one_hot(size: int, at: np.ndarray) -> np.ndarray:
    w = np.zeros(size)
    w[at] = 1.0
    return w


class FirstTouch(_RuleBased):
    """All credit to the first touch."""

    name = "first_touch"
    label = "First touch"

    def weights(self, paths: PathTable) -> np.ndarray:
        return _one_hot(len(paths.codes), paths.first)


class LastTouch(_RuleBased):
    """All credit to the last touch."""

    name = "last_touch"
    label = "Last touch"

    def weights(self, paths: PathTable) -> np.ndarray:
        return _one_hot(len(paths.codes), paths.last)


class LastNonDirect(_RuleBased):
    """All credit to the last touch that is not direct; to the last touch if every touch is direct.

    Parameters
    ----------
    direct_channels : iterable of str, optional
        Channel names to treat as direct (case-insensitive) instead of the table's own flags.
    """

    name = "last_non_direct"
    label = "Last non-direct"

    def __init__(self, direct_channels: Iterable[str] | None = None) -> None:
        self.direct_channels = None if direct_channels is None else tuple(direct_channels)

    def weights(self, paths: PathTable) -> np.ndarray:
        if self.direct_channels is None:
            direct = paths.direct
        else:
            names = {d.casefold() for d in self.direct_channels}
            flags = np.array([c.casefold() in names for c in paths.channels], dtype=bool)
            direct = flags[paths.codes] if len(paths.codes) else np.zeros(0, dtype=bool)
        index = np.arange(len(paths.codes), dtype=np.int64)
        candidate = np.where(direct, -1, index)
        best = np.maximum.reduceat(candidate, paths.first) if len(index) else np.zeros(0, np.int64)
        best = np.where(best < 0, paths.last, best)
        return _one_hot(len(paths.codes), best)


class Linear(_RuleBased):
    """Equal credit to every touch (a channel touched twice gets two shares)."""

    name = "linear"
    label = "Linear"

    def weights(self, paths: PathTable) -> np.ndarray:
        return 1.0 / paths.lengths[paths.path_of_touch]


class TimeDecay(_RuleBased):
    r"""Credit halves for every ``half_life`` before the conversion: :math:`w_t \propto 2^{-a_t/h}`.

    Parameters
    ----------
    half_life : float
        In days when the table knows touch times (built from the store), else in touches.
    """

    name = "time_decay"
    label = "Time decay"

    def __init__(self, half_life: float = 7.0) -> None:
        self.half_life = half_life

    def _validate(self) -> None:
        if not (
            isinstance(self.half_life, int | float) and self.half_life > 0 and np.isfinite(self.half_life)
        ):
            raise ValueError("half_life must be a positive number.")

    def weights(self, paths: PathTable) -> np.ndarray:
        if paths.ages is not None:
            age = paths.ages
        else:
            age = (paths.lengths[paths.path_of_touch] - 1 - paths.position).astype(np.float64)
        # Relative to each path's most recent touch, so long-ago journeys do not underflow to 0/0.
        youngest = np.minimum.reduceat(age, paths.first) if len(age) else age
        raw = np.exp2(-(age - youngest[paths.path_of_touch]) / self.half_life)
        totals = np.add.reduceat(raw, paths.first) if len(raw) else raw
        return raw / totals[paths.path_of_touch]


class PositionBased(_RuleBased):
    """``first`` to the first touch, ``last`` to the last, the rest shared by the touches between.

    A two-touch path splits in proportion ``first : last``; a one-touch path takes everything.
    """

    name = "position_based"
    label = "Position based (40/20/40)"

    def __init__(self, first: float = 0.4, last: float = 0.4) -> None:
        self.first = first
        self.last = last

    def _validate(self) -> None:
        if not (self.first >= 0 and self.last >= 0 and self.first + self.last <= 1):
            raise ValueError("first and last must be shares between 0 and 1 that add up to at most 1.")
        if self.first + self.last == 0:
            raise ValueError("first and last cannot both be 0.")

    def weights(self, paths: PathTable) -> np.ndarray:
        length = paths.lengths[paths.path_of_touch].astype(np.float64)
        position = paths.position
        is_first = position == 0
        is_last = position == length - 1
        middle_share = (1.0 - self.first - self.last) / np.maximum(length - 2, 1)
        w = np.where(is_first, self.first, np.where(is_last, self.last, middle_share))
        two = length == 2
        w = np.where(two, np.where(is_first, self.first, self.last) / (self.first + self.last), w)
        return np.where(length == 1, 1.0, w)


class Markov(AttributionModel):
    r"""Removal-effect attribution on an absorbing Markov chain of order 1-3, solved exactly.

    Parameters
    ----------
    order : int
        1: states are channels; 2 or 3: states are the last 2 or 3 channels (shorter at a journey's
        start), capturing sequence effects.

    Attributes
    ----------
    removal_effects_ : (n,) array
        :math:`RE_c = 1 - P_{-c}/P` per channel.
    value_removal_effects_ : (n,) array
        The same for expected conversion value.
    conversion_probability_ : float
        :math:`P`, the chain's probability that a journey converts.
    states_ : list of tuple of str
        The transient states (channel tuples).
    transition_matrix_ : scipy.sparse.csr_matrix
        :math:`Q` between ``states_``; ``start_``, ``to_conversion_``, ``to_null_`` complete the chain.
    visit_probability_ : (n,) array or None
        First order only: the probability that a journey ever touches each channel.
    """

    name = "markov"
    label = "Markov chain"

    def __init__(self, order: int = 1) -> None:
        self.order = order

    def _validate(self) -> None:
        if self.order not in (1, 2, 3):
            raise ValueError("order must be 1, 2 or 3.")

    def _credit(self, paths: PathTable, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        n = paths.n_channels
        state_of_touch, state_channels = _states(paths, self.order)
        n_states = len(state_channels)
        weight = paths.journeys
        owner = paths.path_of_touch
        inner = np.flatnonzero(np.diff(owner) == 0) if len(owner) > 1 else np.zeros(0, np.int64)
        source, target = state_of_touch[inner], state_of_touch[inner + 1]
        if n_states * n_states <= 4_000_000:
            # Few states: count pairs with one bincount (much faster than building a sparse matrix).
            pairs = np.bincount(
                source * n_states + target, weights=weight[owner[inner]], minlength=n_states**2
            )
            between = scipy.sparse.csr_matrix(pairs.reshape(n_states, n_states))
        else:
            between = scipy.sparse.coo_matrix(
                (weight[owner[inner]], (source, target)), shape=(n_states, n_states)
            ).tocsr()
        first_states = state_of_touch[paths.first]
        last_states = state_of_touch[paths.last]
        starts = np.bincount(first_states, weights=weight, minlength=n_states)
        to_conversion = np.bincount(last_states, weights=paths.conversions, minlength=n_states)
        to_null = np.bincount(last_states, weights=paths.nulls, minlength=n_states)
        to_value = np.bincount(last_states, weights=paths.value, minlength=n_states)
        q, r, rv, s = markov.absorbing_chain(between, starts, to_conversion, to_null, to_value)
        if progress:
            progress(0.2, "transition matrix")
        if self.order == 1:
            p, effects, v, value_effects, visits = markov.removal_effects_first_order(q, r, s, rv)
            # State i is channel state_channels[i][0]; map back to channel order.
            channel_of_state = np.array([sc[0] for sc in state_channels], dtype=np.int64)
            re = np.zeros(n)
            rev = np.zeros(n)
            vis = np.zeros(n)
            re[channel_of_state] = effects
            rev[channel_of_state] = value_effects
            vis[channel_of_state] = visits
            self.visit_probability_ = vis
        else:
            members = np.zeros((n_states, n), dtype=bool)
            for i, channels in enumerate(state_channels):
                members[i, list(channels)] = True
            removed = [members[:, c] for c in range(n)]

            def step(done: int, total: int) -> None:
                if progress:
                    progress(0.2 + 0.8 * done / total, f"removal effect {done}/{total}")

            p, re, v, rev = markov.removal_effects(q, r, s, removed, rv, progress=step)
            self.visit_probability_ = None
        self.removal_effects_ = re
        self.value_removal_effects_ = rev
        self.conversion_probability_ = p
        self.expected_value_ = v
        self.states_ = [tuple(paths.channels[c] for c in sc) for sc in state_channels]
        self.transition_matrix_ = q
        self.start_ = s
        self.to_conversion_ = r
        self.to_null_ = np.divide(
            to_null,
            to_conversion + to_null + np.asarray(between.sum(axis=1)).ravel(),
            out=np.zeros(n_states),
            where=(to_conversion + to_null + np.asarray(between.sum(axis=1)).ravel()) > 0,
        )
        conversions = _share(paths.total_conversions, re)
        value = _share(paths.total_value, rev)
        return conversions, value

    def transitions(self) -> list[tuple[str, str, float]]:
        """``(from, to, probability)`` rows of the fitted chain, with ``(start)``, ``(conversion)``
        and ``(null)`` states; a state of order > 1 is written ``a > b``."""
        self._check_fitted()
        names = [" > ".join(state) for state in self.states_]
        rows = [("(start)", names[i], float(p)) for i, p in enumerate(self.start_) if p > 0]
        coo = self.transition_matrix_.tocoo()
        rows += [(names[i], names[j], float(p)) for i, j, p in zip(coo.row, coo.col, coo.data, strict=True)]
        rows += [(names[i], "(conversion)", float(p)) for i, p in enumerate(self.to_conversion_) if p > 0]
        rows += [(names[i], "(null)", float(p)) for i, p in enumerate(self.to_null_) if p > 0]
        return rows


def _share(total: float, effects: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``effects`` (all zero → nothing to share)."""
    weight = effects.sum()
    return total * effects / weight if weight > 0 else np.zeros_like(effects)


def _states(paths: PathTable, order: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """State index of every touch and each state's channel tuple (oldest first), for ``order``."""
    codes = paths.codes.astype(np.int64)
    if order == 1:
        present = np.unique(codes)
        index = np.full(paths.n_channels, -1, dtype=np.int64)
        index[present] = np.arange(len(present))
        return index[codes], [(int(c),) for c in present]
    base = paths.n_channels + 1
    if base**order >= 2**62:
        raise ValueError("Too many channels for a higher-order chain.")
    position = paths.position
    key = np.zeros(len(codes), dtype=np.int64)
    for back in range(order):
        shifted = np.zeros(len(codes), dtype=np.int64)
        if back:
            shifted[back:] = codes[:-back] + 1
        else:
            shifted = codes + 1
        shifted = np.where(position >= back, shifted, 0)
        key += shifted * base**back
    unique, state_of_touch = np.unique(key, return_inverse=True)
    digits = [(unique // base**back) % base - 1 for back in range(order)]
    states = []
    for i in range(len(unique)):
        states.append(tuple(int(digits[back][i]) for back in reversed(range(order)) if digits[back][i] >= 0))
    return state_of_touch.astype(np.int64), states


class Shapley(AttributionModel):
    r"""Shapley values of channel coalitions' conversion rates, per converting channel set.

    Parameters
    ----------
    max_exact : int
        Sets of up to this many distinct channels are solved exactly (:math:`2^m` coalitions);
        larger ones by ``n_samples`` random orders.
    n_samples : int
        Random orders per large set.
    random_state : int
        Seed for the sampling, so results repeat.

    Attributes
    ----------
    coalitions_ : int
        Distinct channel sets observed.
    sampled_sets_ : int
        Converting sets too large for the exact computation.
    """

    name = "shapley"
    label = "Shapley value"

    def __init__(self, max_exact: int = 15, n_samples: int = 2000, random_state: int = 0) -> None:
        self.max_exact = max_exact
        self.n_samples = n_samples
        self.random_state = random_state

    def _validate(self) -> None:
        if not 1 <= self.max_exact <= 20:
            raise ValueError("max_exact must be between 1 and 20.")
        if self.n_samples < 1:
            raise ValueError("n_samples must be at least 1.")

    def _credit(self, paths: PathTable, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
        n = paths.n_channels
        keys = shapley.channel_keys(n)
        # Distinct (path, channel) pairs, sorted by path then channel.
        pair = np.unique(paths.path_of_touch * n + paths.codes)
        pair_path, pair_channel = pair // n, (pair % n).astype(np.int64)
        start_of_path = np.searchsorted(pair_path, np.arange(paths.n_paths + 1))
        path_key = np.add.reduceat(keys[pair_channel], start_of_path[:-1]) if len(pair) else pair
        set_keys, first_path, set_of_path = np.unique(path_key, return_index=True, return_inverse=True)
        n_sets = len(set_keys)
        conv = np.bincount(set_of_path, weights=paths.conversions, minlength=n_sets)
        nulls = np.bincount(set_of_path, weights=paths.nulls, minlength=n_sets)
        value = np.bincount(set_of_path, weights=paths.value, minlength=n_sets)
        journeys = conv + nulls
        rates = np.divide(conv, journeys, out=np.zeros(n_sets), where=journeys > 0)
        # The lookup table: coalitions with a positive worth.
        known = rates > 0
        lookup_keys, lookup_rates = set_keys[known], rates[known]
        converting = np.flatnonzero(conv > 0)
        # Members of each converting set, from one path that has it.
        sizes = np.diff(start_of_path)[first_path[converting]]
        credit_conv = np.zeros(n)
        credit_value = np.zeros(n)
        rng = np.random.default_rng(self.random_state)
        done = 0
        self.sampled_sets_ = 0
        for m in np.unique(sizes):
            group = converting[sizes == m]
            starts = start_of_path[first_path[group]]
            members = pair_channel[starts[:, None] + np.arange(m)]
            if m <= self.max_exact:
                chunk = max(1, (1 << 22) >> int(m))
                for lo in range(0, len(group), chunk):
                    sets = group[lo : lo + chunk]
                    member = members[lo : lo + chunk]
                    worth = shapley.lookup(lookup_keys, lookup_rates, shapley.subset_keys(keys[member]))
                    phi = shapley.shapley_exact(worth, int(m))
                    self._add(credit_conv, credit_value, member, phi, rates[sets], conv[sets], value[sets])
            else:
                for k, s in enumerate(group):
                    phi = shapley.shapley_sampled(
                        keys[members[k]], lookup_keys, lookup_rates, self.n_samples, rng
                    )[None, :]
                    self._add(
                        credit_conv, credit_value, members[k : k + 1], phi, rates[[s]], conv[[s]], value[[s]]
                    )
                    self.sampled_sets_ += 1
            done += len(group)
            if progress:
                progress(0.1 + 0.9 * done / max(len(converting), 1), f"{done}/{len(converting)} channel sets")
        self.coalitions_ = n_sets
        return credit_conv, credit_value

    @staticmethod
    def _add(credit_conv, credit_value, members, phi, worth, conversions, value) -> None:
        # phi sums to worth (= the set's own rate, positive for a converting set): shares sum to 1.
        share = phi / worth[:, None]
        np.add.at(credit_conv, members, share * conversions[:, None])
        np.add.at(credit_value, members, share * value[:, None])


MODELS: dict[str, type[AttributionModel]] = {
    model.name: model
    for model in (FirstTouch, LastTouch, LastNonDirect, Linear, TimeDecay, PositionBased, Markov, Shapley)
}


def make_model(name: str, **params) -> AttributionModel:
    """The model called ``name`` (see :data:`MODELS`; ``markov2``/``markov3`` select the order)."""
    key = name.strip().lower().replace("-", "_")
    if key in ("markov1", "markov2", "markov3"):
        return Markov(order=int(key[-1]), **params)
    if key not in MODELS:
        raise ValueError(f"Unknown attribution model {name!r}; choose from {', '.join(sorted(MODELS))}.")
    return MODELS[key](**params)
