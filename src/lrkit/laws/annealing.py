r"""The learning-rate annealing law (Tissue et al. 2024, arXiv 2408.11029).

    L(t) = L0 + A·S1(t)^(−α) − C·S2(t)

    S1(t) = Σ_{τ≤t} η_τ                    (the forward area, warmup included)
    S2(t) = Σ_{i=w+1..t} m_i,   m_i = λ·m_{i−1} + (η_{i−1} − η_i),   m_w = 0

``S2`` is the annealing area: each lr drop enters a momentum ``m`` that decays by λ per step (the
paper's decay factor, typically 0.999), so a drop keeps lowering the loss for ~1/(1−λ) steps
after it; closed form ``S2(t) = Σ_k d_k·(1 − λ^(t−k+1))/(1 − λ)``.  Five parameters L0, A, α, C, λ.
A constant lr after warmup has S2 = 0 and the law is the power law ``L0 + A·S1^(−α)``.

Evaluation: S1 is a prefix sum; the momentum is one linear recursion over the steps run by
``scipy.signal.lfilter`` (compiled, exact), then a prefix sum.  O(T), no Python loop over steps.
"""

from __future__ import annotations

import numpy as np

from .trace import Trace

__all__ = ["NAME", "PARAMS", "annealing_area", "predict", "predict_with_jacobian", "to_params",
           "from_params", "bounds"]

NAME = "annealing"
PARAMS = ("L0", "A", "alpha", "C", "lam")


def annealing_area(trace: Trace, lam: float) -> np.ndarray:
    """``S2(t)`` at every step t of the trace."""
    from scipy.signal import lfilter

    d = np.zeros(len(trace))
    d[trace.drop_steps] = trace.drops
    if not trace.drops.size:
        return d
    first = int(trace.drop_steps[0])
    m = np.zeros(len(trace))
    m[first:] = lfilter([1.0], [1.0, -lam], d[first:])
    return np.cumsum(m)


def predict(trace: Trace, steps: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """``L(t)`` at ``steps`` for parameters ``p`` (names :data:`PARAMS`)."""
    return p["L0"] + p["A"] * trace.area[steps] ** (-p["alpha"]) - p["C"] * annealing_area(trace, p["lam"])[steps]


# theta = [L0, log A, alpha, log C, lam] for lrs divided by `ref`: A' = A·ref^(−α), C' = C·ref.


def to_params(theta: np.ndarray, ref: float) -> dict[str, float]:
    L0, la, alpha, lc, lam = (float(v) for v in theta)
    return {"L0": L0, "A": float(np.exp(la)) * ref ** alpha, "alpha": alpha, "C": float(np.exp(lc)) / ref,
            "lam": lam}


def from_params(p: dict[str, float], ref: float) -> np.ndarray:
    return np.array([p["L0"], np.log(p["A"] * ref ** (-p["alpha"])), p["alpha"], np.log(p["C"] * ref), p["lam"]])


def bounds(min_loss: float) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([0.0, np.log(1e-8), 1e-3, np.log(1e-10), 0.5])
    hi = np.array([min_loss, np.log(1e8), 3.0, np.log(1e6), 0.99999])
    return lo, hi


def predict_with_jacobian(trace: Trace, steps: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``L(t)`` and ``∂L/∂theta`` (N × 5); ∂S2/∂λ by a central difference (S2 is smooth in λ)."""
    L0, la, alpha, lc, lam = (float(v) for v in theta)
    A, C = np.exp(la), np.exp(lc)
    s = trace.area[steps]
    power = A * s ** (-alpha)
    s2 = annealing_area(trace, lam)[steps]
    h = 1e-7
    ds2 = (annealing_area(trace, min(lam + h, 1 - 1e-12))[steps] - annealing_area(trace, lam - h)[steps]) / (
        min(lam + h, 1 - 1e-12) - (lam - h))
    jac = np.column_stack([np.ones(steps.size), power, -power * np.log(s), -C * s2, -C * ds2])
    return L0 + power - C * s2, jac
