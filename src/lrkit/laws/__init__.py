"""Loss-curve laws: predict a training-loss curve from the learning-rate schedule alone.

Fit a law on one to three real runs, then compare any schedule before training it::

    from lrkit import laws
    run = laws.Run(lrkit.parse("3e-3 * warmup(cosine(1900), 100)"), steps, losses)
    law = laws.fit([run, ...], law="multi-power")       # or law="annealing"
    law.predict(other_schedule, steps)                   # NumPy array of predicted losses
    laws.optimize(law, steps=2000, peak=3e-3, warmup=100)  # the best non-increasing schedule

Two laws (formulas in :mod:`lrkit.laws.multipower` and :mod:`lrkit.laws.annealing`):

- the multi-power law (Luo et al. 2025, arXiv 2503.12811),
- the learning-rate annealing law (Tissue et al. 2024, arXiv 2408.11029).

Needs NumPy and SciPy (``pip install 'lrkit[laws]'``); ``import lrkit`` does not import this
package, and importing the package itself loads nothing heavy until a name is used.
"""

from __future__ import annotations

from .._lazy import lazy_names

# name -> module, loaded on first use (PEP 562), so `lrkit fit --help` stays light
_LAZY = {
    "Run": "trace", "Trace": "trace",
    "fit": "fitting", "FittedLaw": "fitting", "from_config": "fitting", "LAWS": "fitting",
    "compare": "ranking", "Comparison": "ranking", "optimize": "ranking",
    "best_wsd": "ranking", "best_cosine": "ranking", "plot_curves": "ranking",
    "read_log": "logs",
}

__all__ = ["Comparison", "FittedLaw", "LAWS", "Run", "Trace", "best_cosine", "best_wsd", "compare",
           "fit", "from_config", "optimize", "plot_curves", "read_log"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .fitting import LAWS, FittedLaw, fit, from_config
    from .logs import read_log
    from .ranking import Comparison, best_cosine, best_wsd, compare, optimize, plot_curves
    from .trace import Run, Trace


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())

