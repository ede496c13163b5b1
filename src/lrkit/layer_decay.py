"""Layer-wise learning-rate decay: optimizer param groups with a per-depth ``lr_scale``.

``layer_decay(model, lr, decay)`` assigns every trainable parameter a layer id (0 for the
embedding, one per block, the largest for the head) and returns torch param groups
``{"params", "lr", "lr_scale", "weight_decay"}`` with lr_scale = max(decay^(top − id), min_scale),
as timm's ``param_groups_layer_decay`` (BEiT / MAE / ELECTRA fine-tuning).  ``lrkit.Scheduler``
multiplies ``lr_scale`` in (as timm's schedulers do); torch's own schedulers ignore it.

Layer ids (``blocks``):

* ``None``: the model's own ``group_matcher(coarse=False)`` when it has one (timm models: the
  same ids as timm), else module order: the first ``nn.ModuleList``/``nn.Sequential`` with two or
  more children holds the blocks (block k has id k + 1), parameters before it id 0, after it the top;
* a regular expression with one group, the block index (``r"^blocks\\.(\\d+)\\."``): id index + 1;
  unmatched parameters before the first block get 0, between blocks the previous block's id,
  after the last block the top;
* a timm group matcher (a dict of regexes, or a callable name -> ordinal), read as timm does.

Weight decay: 0 for 1-d parameters (norms, biases) and names matching a ``no_weight_decay``
pattern (fnmatch; default: the model's ``no_weight_decay()`` when it has one, as timm's optimizer
factory passes it), ``weight_decay`` for the rest.  Groups are keyed by (layer, decay or not), in
the order of their first parameter.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import defaultdict
from itertools import chain

from . import _validate as v

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from typing import Any

__all__ = ["layer_decay", "layer_ids"]

#: timm's ordinal suffix for "the same layer as the group before" (``MATCH_PREV_GROUP``)
_PREV = 99999.0


def layer_decay(model: Any, lr: float, decay: float, *, weight_decay: float = 0.05,
                no_weight_decay: Collection[str] | None = None, blocks: Any = None,
                min_scale: float = 0.0) -> list[dict[str, Any]]:
    """Param groups with lr_scale = max(decay^(top − layer id), min_scale) (see the module docstring)."""
    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    lr = v.real("lr", lr, low=0.0, low_open=True)
    decay = v.real("decay", decay, low=0.0, high=1.0, low_open=True)
    weight_decay = v.real("weight_decay", weight_decay, low=0.0)
    min_scale = v.real("min_scale", min_scale, low=0.0, high=1.0)
    if no_weight_decay is None:
        own = getattr(model, "no_weight_decay", None)
        no_weight_decay = set(own()) if callable(own) else set()
    elif isinstance(no_weight_decay, str):
        raise TypeError("no_weight_decay must be a collection of names or patterns, not one string")
    patterns = list(no_weight_decay)
    ids = layer_ids(model, blocks)
    top = max(ids.values(), default=0)
    groups: dict[tuple[int, bool], dict[str, Any]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        no_decay = p.ndim <= 1 or any(fnmatch.fnmatch(name, pat) for pat in patterns)
        lid = ids.get(name, top)
        key = (lid, no_decay)
        if key not in groups:
            groups[key] = {"params": [], "lr": lr, "lr_scale": max(min_scale, decay ** (top - lid)),
                           "weight_decay": 0.0 if no_decay else weight_decay}
        groups[key]["params"].append(p)
    return list(groups.values())


def layer_ids(model: Any, blocks: Any = None) -> dict[str, int]:
    """Parameter name -> layer id (see the module docstring for ``blocks``)."""
    names = [n for n, _ in model.named_parameters()]
    if blocks is None:
        matcher = getattr(model, "group_matcher", None)
        if callable(matcher):
            return _matched(names, matcher(coarse=False))
        return _by_module_order(model, names)
    if isinstance(blocks, str):
        return _by_pattern(names, blocks)
    if isinstance(blocks, dict) or callable(blocks):
        return _matched(names, blocks)
    raise TypeError(f"blocks must be None, a regex string or a timm group matcher (dict or callable), "
                    f"got {type(blocks).__name__}")


def _matched(names: list[str], matcher: Any) -> dict[str, int]:
    """timm's ``group_with_matcher(..., reverse=True)``: ordinals sorted, one id per ordinal
    except those ending in 99999, which join the group before."""
    if isinstance(matcher, dict):
        compiled = []
        for ordinal, spec in enumerate(matcher.values()):
            if spec is None:
                continue
            if isinstance(spec, (tuple, list)):
                compiled += [(re.compile(s[0]), (ordinal,), s[1]) for s in spec]
            else:
                compiled.append((re.compile(spec), (ordinal,), None))

        def key(name: str) -> tuple[float, ...]:
            for rx, prefix, suffix in compiled:
                r = rx.match(name)
                if r:
                    parts = (prefix, r.groups(), suffix)
                    return tuple(map(float, chain.from_iterable(x for x in parts if x)))
            return (math.inf,)  # unmatched (neck, head): the last ordinal
    else:
        fn: Callable[[str], Any] = matcher

        def key(name: str) -> tuple[float, ...]:
            o = fn(name)
            return tuple(o) if isinstance(o, (list, tuple)) else (o,)

    grouping: dict[tuple[float, ...], list[str]] = defaultdict(list)
    for n in names:
        grouping[key(n)].append(n)
    out: dict[str, int] = {}
    lid = -1
    for k in sorted(grouping):
        if lid < 0 or k[-1] != _PREV:
            lid += 1
        out.update((n, lid) for n in grouping[k])
    return out


def _by_pattern(names: list[str], pattern: str) -> dict[str, int]:
    rx = re.compile(pattern)
    if rx.groups < 1:
        raise ValueError(f"blocks pattern {pattern!r} needs a group capturing the block index, "
                         r"such as r'^blocks\.(\d+)\.'")
    found: list[int | None] = []
    for n in names:
        m = rx.search(n)
        if m is None:
            found.append(None)
            continue
        try:
            found.append(int(m.group(1)) + 1)
        except (TypeError, ValueError):
            raise ValueError(f"blocks pattern {pattern!r} captured {m.group(1)!r} in {n!r}, not a "
                             "block index") from None
    hits = [i for i, x in enumerate(found) if x is not None]
    if not hits:
        raise ValueError(f"blocks pattern {pattern!r} matches no parameter name")
    top = max(x for x in found if x is not None) + 1
    out: dict[str, int] = {}
    prev = 0
    for i, (n, x) in enumerate(zip(names, found)):
        if x is not None:
            prev = x
        out[n] = x if x is not None else (0 if i < hits[0] else top if i > hits[-1] else prev)
    return out


def _by_module_order(model: Any, names: list[str]) -> dict[str, int]:
    import torch.nn as nn

    for prefix, mod in model.named_modules():
        if isinstance(mod, (nn.ModuleList, nn.Sequential)) and len(mod) >= 2:
            head = f"{prefix}." if prefix else ""
            return _by_pattern(names, "^" + re.escape(head) + r"(\d+)\.")
    raise ValueError(f"{type(model).__name__} has no group_matcher() and no nn.ModuleList/nn.Sequential "
                     "of blocks; give blocks=, a regex capturing the block index")
