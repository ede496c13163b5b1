"""Fitting a law to runs, and the fitted law: ``fit``, ``FittedLaw``, ``from_config``.

The recipe of both papers: minimise the Huber loss (δ = 1e-3) of the residuals of the *log* loss,
``Σ huber(log L_law(t) − log L_run(t))`` over the logged points of all runs, here with SciPy's
trust-region reflective least squares (``scipy.optimize.least_squares``: bounded parameters,
analytic Jacobian for the multi-power law, a fixed deterministic set of starting points, the best
kept).  The lrs are divided by the fit's peak lr inside the fit so that every parameter is O(1);
``.params`` are in the units of the absolute lr, as in the papers.

Starting point: a power law ``L0 + A·S^(−α)`` is fitted first on the points before any lr drop
(or all points when there are none); the decay terms start from a few fixed guesses.

Uncertainty: ``predict(..., return_std=True)`` adds to the spread of the fit's residuals the
parameters' uncertainty propagated to the prediction (covariance ``σ²·(JᵀJ)⁻¹`` of the
linearised fit, the delta method).  It reflects noise and how well the runs pin the parameters
down, not the law's own error on schedules unlike the fitted ones; the docs' validation table
shows that error on real runs.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..schedule import Schedule
from . import annealing, multipower
from .trace import Run, Trace, step_array, trace_of

__all__ = ["LAWS", "fit", "FittedLaw", "from_config", "HUBER_DELTA", "MAX_POINTS"]

LAWS = {multipower.NAME: multipower, annealing.NAME: annealing}
#: the Huber threshold on log-loss residuals (the papers' choice)
HUBER_DELTA = 1e-3
#: logged points per run used by a fit (evenly thinned beyond that; all are used below it)
MAX_POINTS = 128
CONFIG_VERSION = 1
#: evaluations per least-squares solve: the drop parameters of the multi-power law are often only
#: weakly determined (flat valleys of equal fit), where more evaluations buy nothing visible
MAX_EVALUATIONS = 60
#: evaluations of the final polish on all points, from the best coarse solution
POLISH_EVALUATIONS = 20


def _law_module(law: Any) -> Any:
    if not isinstance(law, str) or law not in LAWS:
        raise ValueError(f"law must be one of {sorted(LAWS)}, got {law!r}")
    return LAWS[law]


class FittedLaw:
    """A law with fitted parameters.  ``params``: dict of the law's constants (absolute-lr units);
    ``law``: ``"multi-power"`` or ``"annealing"``; ``info``: fit diagnostics (points, residual
    spread, time, cost)."""

    def __init__(self, law: str, params: dict[str, float], *, cov: np.ndarray | None = None,
                 ref: float = 1.0, sigma: float = 0.0, info: dict[str, Any] | None = None) -> None:
        self._module = _law_module(law)
        self.law = law
        names = self._module.PARAMS
        if not isinstance(params, dict) or set(params) != set(names):
            raise ValueError(f"params of the {law} law must have the keys {list(names)}, got {params!r}")
        clean: dict[str, float] = {}
        for k in names:
            v = params[k]
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise ValueError(f"params[{k!r}] must be a finite number, got {v!r}")
            clean[k] = float(v)
        positive = [k for k in ("A", "B", "C") if k in clean]
        if any(clean[k] <= 0 for k in positive) or not 0 < clean.get("lam", 0.5) < 1:
            raise ValueError(f"params of the {law} law must have {', '.join(positive)} > 0"
                             f"{' and 0 < lam < 1' if 'lam' in clean else ''}, got {clean!r}")
        self.params = clean
        self._ref = float(ref)
        self._cov = None if cov is None else np.asarray(cov, dtype=np.float64)
        if self._cov is not None and self._cov.shape != (len(names), len(names)):
            raise ValueError(f"cov must be {len(names)} x {len(names)}, got shape {self._cov.shape}")
        self.sigma = float(sigma)
        self.info = dict(info or {})

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return f"FittedLaw({self.law!r}, {ps})"

    # -- prediction ---------------------------------------------------------------------------------

    def predict(self, lrs: Schedule | Sequence[float] | np.ndarray, steps: Any = None, *,
                warmup: int | None = None, return_std: bool = False) -> Any:
        """Predicted losses at ``steps`` for the absolute lrs ``lrs`` (a Schedule, or the lr of
        every step); ``steps`` defaults to every step of a sequence.  With ``return_std``, also the
        standard deviation of each prediction (see the module docstring)."""
        steps, trace = self._prepare(lrs, steps, warmup)
        value = self._module.predict(trace, steps, self.params)
        if not return_std:
            return value
        return value, self._std(trace, steps, value)

    def final_loss(self, lrs: Schedule | Sequence[float] | np.ndarray, steps: int | None = None) -> float:
        """The predicted loss at the last step ``steps − 1`` (a sequence: its last step)."""
        if steps is None:
            if isinstance(lrs, Schedule):
                raise ValueError("steps: give the run length of a schedule")
            steps = len(lrs)
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            raise ValueError(f"steps must be a positive int (the run length), got {steps!r}")
        return float(self.predict(lrs, [int(steps) - 1])[0])

    def _prepare(self, lrs: Any, steps: Any, warmup: int | None) -> tuple[np.ndarray, Trace]:
        if steps is None:
            if isinstance(lrs, Schedule):
                raise ValueError("steps: give the steps to predict at for a schedule (e.g. range(T))")
            steps = np.arange(len(lrs))
        if isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
            raise TypeError(f"steps must be a sequence of steps (e.g. range({steps})), got the int {steps}")
        steps = step_array(steps)
        trace = trace_of(lrs, steps, warmup)
        trace.check_steps(steps)
        return steps, trace

    def _std(self, trace: Trace, steps: np.ndarray, value: np.ndarray) -> np.ndarray:
        var = np.full(steps.size, self.sigma ** 2)
        if self._cov is not None:
            theta = self._module.from_params(self.params, self._ref)
            _, jac = self._module.predict_with_jacobian(trace.scaled(1.0 / self._ref), steps, theta)
            jlog = jac / value[:, None]
            var = var + np.einsum("ij,jk,ik->i", jlog, self._cov, jlog)
        return np.abs(value) * np.sqrt(np.maximum(var, 0.0))

    # -- config -------------------------------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        """A plain JSON-able dict; :func:`from_config` gives the same law back."""
        return {"law": self.law, "version": CONFIG_VERSION, "params": dict(self.params),
                "uncertainty": {"sigma": self.sigma, "ref": self._ref,
                                "cov": None if self._cov is None else self._cov.tolist()},
                "info": self.info}

    def __eq__(self, other: object) -> bool:
        """The same law, constants and uncertainty (the fit diagnostics in ``info`` aside)."""
        if not isinstance(other, FittedLaw):
            return NotImplemented
        a, b = self.to_config(), other.to_config()
        return all(a[k] == b[k] for k in ("law", "params", "uncertainty"))

    __hash__ = None  # type: ignore[assignment]


def from_config(config: dict[str, Any]) -> FittedLaw:
    """The :class:`FittedLaw` of ``config`` (from :meth:`FittedLaw.to_config`, e.g. read from JSON)."""
    if not isinstance(config, dict):
        raise TypeError(f"a law config must be a dict, got {type(config).__name__}")
    version = config.get("version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        raise ValueError(f"law config version must be {CONFIG_VERSION}, got {version!r}")
    if "law" not in config or "params" not in config:
        raise ValueError(f"a law config needs the keys 'law' and 'params', got {sorted(config)}")
    unc = config.get("uncertainty") or {}
    if not isinstance(unc, dict):
        raise ValueError(f"'uncertainty' must be a mapping, got {unc!r}")
    cov = unc.get("cov")
    sigma = unc.get("sigma", 0.0)
    ref = unc.get("ref", 1.0)
    for name, v in (("sigma", sigma), ("ref", ref)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
            raise ValueError(f"uncertainty.{name} must be a finite number >= 0, got {v!r}")
    if not ref > 0:
        raise ValueError(f"uncertainty.ref must be > 0, got {ref!r}")
    try:
        cov_a = None if cov is None else np.asarray(cov, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"uncertainty.cov must be a square matrix of numbers, got {cov!r}") from None
    if cov_a is not None and not np.all(np.isfinite(cov_a)):
        raise ValueError("uncertainty.cov must be finite")
    info = config.get("info") or {}
    return FittedLaw(config["law"], config["params"], cov=cov_a, ref=float(ref), sigma=float(sigma),
                     info=info if isinstance(info, dict) else {})


# -- fitting ------------------------------------------------------------------------------------------


def _thin(n: int, limit: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(np.int64))


def fit(runs: Run | Sequence[Run], law: str = "multi-power", *, max_points: int = MAX_POINTS,
        huber_delta: float = HUBER_DELTA) -> FittedLaw:
    """Fit ``law`` (``"multi-power"`` or ``"annealing"``) to ``runs`` (one :class:`Run` or a list).

    Deterministic: the same runs give the same parameters.  Each run contributes at most
    ``max_points`` logged points (evenly thinned).  The multi-power law has 7 parameters: give it
    runs with lr drops of different sizes (the paper fits a constant, a cosine and a two-stage
    run); with only constant-lr runs its drop parameters are not determined.
    """

    module = _law_module(law)
    if isinstance(runs, Run):
        runs = [runs]
    if not isinstance(runs, (list, tuple)) or not runs:
        raise ValueError(f"runs must be a Run or a non-empty list of Runs, got {runs!r}")
    for i, r in enumerate(runs):
        if not isinstance(r, Run):
            raise TypeError(f"runs[{i}] must be an lrkit.laws.Run, got {type(r).__name__}")
    if isinstance(max_points, bool) or not isinstance(max_points, numbers.Integral) or max_points < 4:
        raise ValueError(f"max_points must be an int >= 4, got {max_points!r}")
    if isinstance(huber_delta, bool) or not isinstance(huber_delta, numbers.Real) or not huber_delta > 0:
        raise ValueError(f"huber_delta must be a number > 0, got {huber_delta!r}")
    t0 = time.perf_counter()
    ref = max(r.peak for r in runs)
    min_loss = float(min(r.losses.min() for r in runs))
    lo, hi = module.bounds(min_loss)

    def points(limit: int) -> list[tuple[Trace, np.ndarray, np.ndarray]]:
        out = []
        for r in runs:
            keep = _thin(r.steps.size, limit)
            out.append((r.trace.scaled(1.0 / ref), r.steps[keep], np.log(r.losses[keep])))
        return out

    data = points(int(max_points))
    n_points = sum(s.size for _, s, _ in data)
    if n_points < len(module.PARAMS):
        raise ValueError(f"the {law} law has {len(module.PARAMS)} parameters: fit it on at least that "
                         f"many logged points, got {n_points}")
    # every start on an eighth of the points (the curves are smooth), then the best one polished
    # on all of them: most evaluations are spent where they are cheap
    coarse = points(max(8, int(max_points) // 8))
    starts = _starts(module, data, min_loss, lo, hi)
    best = min((_solve(module, coarse, x, lo, hi, huber_delta) for x in starts), key=lambda sol: sol.cost)
    sol = _solve(module, data, best.x, lo, hi, huber_delta, max_nfev=POLISH_EVALUATIONS)
    theta = sol.x
    r, jac = _residuals(module, data, theta)
    sigma = float(np.sqrt(np.mean(r ** 2)))
    dof = max(1, r.size - theta.size)
    cov = np.linalg.pinv(jac.T @ jac) * float(np.sum(r ** 2)) / dof
    info = {"runs": [run.name for run in runs], "points": int(r.size), "rms_log_residual": sigma,
            "max_abs_log_residual": float(np.max(np.abs(r))), "huber_cost": float(sol.cost),
            "fit_seconds": round(time.perf_counter() - t0, 3), "evaluations": int(best.nfev + sol.nfev)}
    params = module.to_params(theta, ref)
    return FittedLaw(law, params, cov=cov, ref=ref, sigma=sigma, info=info)


def _residuals(module: Any, data: list[tuple[Trace, np.ndarray, np.ndarray]],
               theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals of the log loss over all runs' points, and their Jacobian in theta."""
    res, rows = [], []
    for tr, s, y in data:
        v, j = module.predict_with_jacobian(tr, s, theta)
        v = np.maximum(v, 1e-12)  # a trial point predicting a loss <= 0 gets a huge residual
        res.append(np.log(v) - y)
        rows.append(j / v[:, None])
    return np.concatenate(res), np.concatenate(rows)


def _solve(module: Any, data: list[tuple[Trace, np.ndarray, np.ndarray]], start: np.ndarray,
           lo: np.ndarray, hi: np.ndarray, delta: float, max_nfev: int = MAX_EVALUATIONS) -> Any:
    from scipy.optimize import least_squares

    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def evaluate(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # residuals and Jacobian come from one pass; least_squares asks for them separately
        key = np.asarray(theta, dtype=np.float64).tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = _residuals(module, data, theta)
        return cache[key]

    return least_squares(lambda th: evaluate(th)[0], start, jac=lambda th: evaluate(th)[1], bounds=(lo, hi),
                         method="trf", loss="huber", f_scale=float(delta), x_scale="jac", max_nfev=max_nfev)


def _starts(module: Any, data: list[tuple[Trace, np.ndarray, np.ndarray]], min_loss: float,
            lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """Deterministic starting points: a power-law prefit, then fixed guesses for the drop terms."""
    from scipy.optimize import least_squares

    pts = []
    for tr, s, y in data:
        first_drop = tr.drop_steps[0] if tr.drops.size else np.inf
        keep = s <= first_drop
        pts.append((tr.area[s[keep]], y[keep]))
    area = np.concatenate([a for a, _ in pts])
    y = np.concatenate([b for _, b in pts])
    if area.size < 3:
        area = np.concatenate([tr.area[s] for tr, s, _ in data])
        y = np.concatenate([b for _, _, b in data])

    def res(th: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(th[0] + np.exp(th[1]) * area ** (-th[2]), 1e-12)) - y

    l0 = 0.7 * min_loss
    a0 = max(float(np.exp(y[0])) - l0, 1e-3) * float(area[0]) ** 0.5
    pre = least_squares(res, [l0, np.log(a0), 0.5], bounds=(lo[:3], hi[:3]), loss="huber", f_scale=HUBER_DELTA,
                        method="trf", max_nfev=200)
    L0, la, alpha = (float(v) for v in pre.x)
    # the observed drop below the power law at the end of each run, per unit of lr dropped
    gaps = []
    for tr, s, yy in data:
        total = float(tr.drops.sum())
        if total > 0:
            pred = L0 + np.exp(la) * tr.area[s[-1]] ** (-alpha)
            gaps.append(max(pred - float(np.exp(yy[-1])), 1e-4) / total)
    scale = float(np.median(gaps)) if gaps else 1e-2
    starts = []
    if module is multipower:
        for lc in (np.log(1.0), np.log(0.05)):
            starts.append(np.array([L0, la, alpha, np.log(2.0 * scale), lc, 0.5, 0.5]))
    else:
        for lam in (0.999, 0.99):
            starts.append(np.array([L0, la, alpha, np.log(scale * (1 - lam)), lam]))
    return [np.clip(s, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo)) for s in starts]
