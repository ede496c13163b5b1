r"""The multi-power law (Luo et al. 2025, arXiv 2503.12811).

    L(t) = L0 + A·S(t)^(−α) − LD(t)

    LD(t) = B · Σ_{k=w+1..t} (η_{k−1} − η_k) · G(η_k^(−γ) · S_k(t)),   S_k(t) = Σ_{τ=k..t} η_τ

    G(x) = 1 − (C·x + 1)^(−β)

with ``S(t) = Σ_{τ≤t} η_τ`` the lr area including the warmup (the paper's ``S1(t) + S_W``) and
``w`` the last warmup step (see :mod:`lrkit.laws.trace`).  Seven parameters L0, A, α, B, C, β, γ,
in the units of the absolute lr.  A constant lr after warmup has no drops, so LD = 0 and the law
is the power law ``L0 + A·S^(−α)``; a drop lowers the loss by ``B·drop`` times G, which rises from
G(0) = 0 to 1 as lr area accumulates after the drop.

**Exact fast evaluation.**  The paper's LD is a double loop, O(T²) per curve.  Here
``S_k(t) = S(t) − S(k−1)`` comes from one prefix sum, steps without a drop (d_k = 0: the stable
phase of WSD, a constant or step schedule) are left out because they add exactly 0, and the sum
over the remaining D drop steps is one vectorised NumPy reduction for a block of evaluated steps,
over only the drops at or before the block's last step.  Cost O(T + D·N) for N evaluated steps,
no Python loop over steps; the same numbers as the direct double loop up to float rounding
(``bench/bench_laws.py`` shows both).  A fit evaluates only the logged steps it fits.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .trace import Trace

__all__ = ["NAME", "PARAMS", "G", "loss_drop", "predict", "predict_with_jacobian", "to_params",
           "from_params", "bounds", "MAX_PAIRS"]

NAME = "multi-power"
#: parameter names, in the order of the paper
PARAMS = ("L0", "A", "alpha", "B", "C", "beta", "gamma")
#: pairs (evaluated step × drop step) per NumPy block: a few arrays of 2 MB
MAX_PAIRS = 1 << 18


def G(x: np.ndarray | float, C: float, beta: float) -> np.ndarray:
    """``G(x) = 1 − (C·x + 1)^(−β)``, computed as ``−expm1(−β·log1p(C·x))`` (exact near 0)."""
    return -np.expm1(-beta * np.log1p(C * np.asarray(x, dtype=np.float64)))


def _blocks(trace: Trace, steps: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """Blocks ``[i, j)`` of the (sorted) evaluated steps with ``m``, the number of drops at or
    before the block's last step, and at most :data:`MAX_PAIRS` pairs each (small enough to stay
    in cache).  Drops after a step inside the block add 0 (see :func:`_z`)."""
    n_drop = np.searchsorted(trace.drop_steps, steps, side="right")  # drops with k <= t
    i, n = 0, steps.size
    while i < n:
        # (j − i)·n_drop[j − 1] grows with j: the longest block within the limit, at least one step
        fits = (np.arange(1, n - i + 1) * n_drop[i:]) <= MAX_PAIRS
        j = i + max(1, int(np.count_nonzero(fits)))
        yield i, j, int(n_drop[j - 1])
        i = j


def _eta_k(trace: Trace) -> np.ndarray:
    """η_k at the drop steps; an lr of exactly 0 is floored at 1e-12 × the peak so that η^(−γ) is
    finite: G is then 1 once any lr area follows the drop and 0 while none does."""
    return np.maximum(trace.eta[trace.drop_steps], trace.eta.max() * 1e-12)


def _z(trace: Trace, steps: np.ndarray, i: int, j: int, m: int, c: np.ndarray) -> np.ndarray:
    """``z = C·η_k^(−γ)·S_k(t)`` for the block's steps × its first m drops, ``c = C·η_k^(−γ)``.
    ``S_k(t) = S(t) − S(k−1)``; for a drop after t that difference is <= 0 (S never decreases)
    and is clamped to 0, where G = 0: those drops add nothing, as in the sum."""
    x = trace.area[steps[i:j], None] - trace.area[trace.drop_steps[:m] - 1][None, :]  # k >= 1
    return np.maximum(x, 0.0, out=x) * c[None, :m]


def loss_drop(trace: Trace, steps: np.ndarray, B: float, C: float, beta: float, gamma: float) -> np.ndarray:
    """``LD(t)`` at each of ``steps`` (see the module docstring)."""
    out = np.zeros(steps.size)
    if trace.drops.size == 0:
        return out
    c = C * _eta_k(trace) ** (-gamma)
    for i, j, m in _blocks(trace, steps):
        if m:
            z = _z(trace, steps, i, j, m, c)
            out[i:j] = (-np.expm1(-beta * np.log1p(z))) @ trace.drops[:m]
    return B * out


def predict(trace: Trace, steps: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """``L(t)`` at ``steps`` for parameters ``p`` (names :data:`PARAMS`)."""
    power = p["A"] * trace.area[steps] ** (-p["alpha"])
    return p["L0"] + power - loss_drop(trace, steps, p["B"], p["C"], p["beta"], p["gamma"])


# -- fitting: internal coordinates ----------------------------------------------------------------
# theta = [L0, log A, alpha, log B, log C, beta, gamma], for lrs divided by a reference lr `ref`
# (the fit's peak): A' = A·ref^(−α), B' = B·ref, C' = C·ref^(1−γ) give the same curve.


def to_params(theta: np.ndarray, ref: float) -> dict[str, float]:
    L0, la, alpha, lb, lc, beta, gamma = (float(v) for v in theta)
    return {"L0": L0, "A": float(np.exp(la)) * ref ** alpha, "alpha": alpha, "B": float(np.exp(lb)) / ref,
            "C": float(np.exp(lc)) * ref ** (gamma - 1.0), "beta": beta, "gamma": gamma}


def from_params(p: dict[str, float], ref: float) -> np.ndarray:
    return np.array([p["L0"], np.log(p["A"] * ref ** (-p["alpha"])), p["alpha"], np.log(p["B"] * ref),
                     np.log(p["C"] * ref ** (1.0 - p["gamma"])), p["beta"], p["gamma"]])


def bounds(min_loss: float) -> tuple[np.ndarray, np.ndarray]:
    """Box for theta: L0 in [0, min observed loss], exponents and scales in wide positive ranges."""
    lo = np.array([0.0, np.log(1e-8), 1e-3, np.log(1e-8), np.log(1e-8), 1e-3, 0.0])
    hi = np.array([min_loss, np.log(1e8), 3.0, np.log(1e8), np.log(1e8), 5.0, 2.0])
    return lo, hi


def predict_with_jacobian(trace: Trace, steps: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``L(t)`` and ``∂L/∂theta`` (N × 7) at ``steps``, theta in internal coordinates of a trace whose
    lrs are already divided by the reference lr.  The derivatives of G, with z = C·η_k^(−γ)·S_k(t)
    and g = (1 + z)^(−β): ∂G/∂log C = β·g·z/(1+z), ∂G/∂γ = −log η_k · β·g·z/(1+z),
    ∂G/∂β = g·log(1+z)."""
    L0, la, alpha, lb, lc, beta, gamma = (float(v) for v in theta)
    A, B, C = np.exp(la), np.exp(lb), np.exp(lc)
    s = trace.area[steps]
    power = A * s ** (-alpha)
    n = steps.size
    sG, sW, sWlog, sGb = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    if trace.drops.size:
        eta_k = _eta_k(trace)
        log_eta = np.log(eta_k)
        c = C * eta_k ** (-gamma)
        d = trace.drops
        for i, j, m in _blocks(trace, steps):
            if not m:
                continue
            z = _z(trace, steps, i, j, m, c)
            l1p = np.log1p(z)
            g = np.exp(-beta * l1p)
            w = beta * g * z / (1.0 + z)
            dm = d[:m]
            sG[i:j] = (-np.expm1(-beta * l1p)) @ dm
            sW[i:j] = w @ dm
            sWlog[i:j] = w @ (dm * log_eta[:m])
            sGb[i:j] = (g * l1p) @ dm
    value = L0 + power - B * sG
    jac = np.empty((n, 7))
    jac[:, 0] = 1.0
    jac[:, 1] = power
    jac[:, 2] = -power * np.log(s)
    jac[:, 3] = -B * sG
    jac[:, 4] = -B * sW
    jac[:, 5] = -B * sGb
    jac[:, 6] = B * sWlog
    return value, jac
