"""Search spaces over schedules, and searching them: Optuna (embedded), Ray Tune, PBT.

``lrkit.search.space(text_or_config)`` reads a schedule template whose numbers may be
distributions (``uniform``, ``loguniform``, ``randint``, ``choice``); a space samples
schedules (``sample``), drives an Optuna trial (``suggest``), gives a Ray Tune ``param_space``
(``to_ray``/``build``), a W&B sweep block (``to_wandb``) and Hydra overrides (``to_hydra``).
``lrkit.search.optimize`` runs a search on Optuna; ``lrkit.search.ray`` on Ray Tune, with
Population Based Training.  Optuna and Ray are imported only when used
(``pip install 'lrkit[search]'``, ``'lrkit[ray]'``).
"""

from __future__ import annotations

from .._lazy import lazy_names
from .distributions import Choice, Distribution, LogUniform, RandInt, Uniform
from .space import MAX_DRAWS, InvalidSample, Param, Space, space

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .embedded import Result, optimize

_LAZY = {"optimize": "embedded", "Result": "embedded"}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


__all__ = ["space", "Space", "Param", "InvalidSample", "MAX_DRAWS", "Distribution", "Uniform",
           "LogUniform", "RandInt", "Choice", "optimize", "Result"]
