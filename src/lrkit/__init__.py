"""lrkit: learning-rate (and any hyperparameter) schedules as exact pure functions of the step.

    >>> import lrkit
    >>> s = lrkit.warmup(lrkit.cosine(900, end=0.1), 100)
    >>> s(0), s(100), s(1000)
    (0.0, 1.0, 0.1)
    >>> lrkit.parse(repr(s)) == s
    True

``import lrkit`` imports no framework, no NumPy and no plotting library.
"""

from __future__ import annotations

from ._lazy import lazy_names
from .batch import batch_curves, batch_ramp, scale_by_batch
from .combinators import (
    clip,
    custom,
    join,
    noise,
    per_epoch,
    pingpong,
    register_custom,
    restarts,
    shift,
    warmup,
)
from .compat import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)
from .durations import Frac, frac
from .plateau import plateau
from .pretraining import constant_cooldown, infinite, rewarm, wsd_branches, wsds
from .schedule import REGISTRY, Product, Schedule, Sum
from .scheduler import Scheduler
from .shapes import (
    constant,
    cosine,
    cyclic,
    exponential,
    interpolate,
    inverse_sqrt,
    inverse_time,
    linear,
    multistep,
    onecycle,
    piecewise,
    polynomial,
    rex,
    step,
    tanh,
    wsd,
)
from .spec import from_config, load, loads, parse

__version__ = "0.1.0"

# Loaded on first use (PEP 562), so `import lrkit` stays fast: name -> module.
_LAZY = {
    "describe": "description", "Description": "description", "Seam": "description",
    "lr_range_test": "finder", "RangeTestResult": "finder",
    "AbsoluteLrWarning": "factor_check",
}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .description import Description, Seam, describe
    from .factor_check import AbsoluteLrWarning
    from .finder import RangeTestResult, lr_range_test


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


__all__ = [
    "Schedule", "Product", "Sum", "REGISTRY", "Frac", "frac",
    "constant", "linear", "cosine", "polynomial", "exponential", "step", "multistep",
    "piecewise", "interpolate", "inverse_sqrt", "inverse_time", "onecycle", "cyclic", "wsd", "rex", "tanh",
    "warmup", "join", "restarts", "clip", "shift", "per_epoch", "noise", "pingpong", "custom",
    "register_custom", "parse", "from_config", "load", "loads", "describe", "Description", "Seam",
    "lr_range_test", "RangeTestResult", "__version__", "AbsoluteLrWarning",
    "Scheduler", "plateau", "scale_by_batch", "batch_ramp", "batch_curves",
    "wsd_branches", "rewarm", "infinite", "wsds", "constant_cooldown",
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
    "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
]
