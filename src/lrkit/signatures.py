"""Schedule names and their arguments, as the text and config readers check them.

* :func:`signature` — ``step(every, gamma=0.1, start=1.0)``: a registered schedule's call with defaults;
* :func:`bind` — the arguments of one call by name, or a ``ValueError`` that lists the allowed
  keywords with their defaults and maps a peer's keyword (torch's ``step_size`` is ``every``);
* :func:`unknown_name` — the message for a name that is no schedule: the closest known names
  (``difflib``) and, for a peer's name (``CosineAnnealingLR``), its lrkit form.

No Python internals reach the user: the readers bind arguments here before a constructor runs.
"""

from __future__ import annotations

from .schedule import REGISTRY, REQUIRED, Schedule, format_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

__all__ = ["signature", "bind", "check_keyword", "unknown_name", "closest"]

#: names the text form reads besides the registered schedules
_EXTRA = ("frac",)


def _params(cls: type[Schedule]) -> tuple[tuple[str, Any], ...]:
    return cls._signature


def _required(default: Any) -> bool:
    return default is REQUIRED


def signature(name: str) -> str:
    """``name(arg, key=default, ...)`` for a registered schedule ``name``."""
    cls = REGISTRY[name]
    parts = [n if _required(d) else f"{n}={_show(d)}" for n, d in _params(cls)]
    return f"{name}({', '.join(parts)})"


def _show(v: Any) -> str:
    return format_value(v) if not isinstance(v, str) else repr(v)


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``known`` that look like ``name`` (case-insensitive ``difflib`` matches)."""
    import difflib

    pool = list(known)
    lower = {k.lower(): k for k in pool}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[h] for h in hits]


def unknown_name(name: str, *, what: str = "schedule") -> str:
    """The message for an unknown schedule ``name`` (suggestions, a peer's translation)."""
    from .peer_names import translation

    known = sorted(REGISTRY)
    msg = f"unknown {what} {name!r}"
    peer = translation(name)
    if peer:
        return f"{msg}: {peer}"
    near = closest(name, [*known, *_EXTRA])
    if near:
        msg += f"; did you mean {' or '.join(near)}?"
    return f"{msg} (known: {', '.join(known)}; `lrkit shapes` lists them with their arguments)"


def check_keyword(name: str, key: str, *, what: str = "keyword") -> None:
    """A ``ValueError`` unless ``key`` is a parameter of schedule ``name``: it shows the
    signature, and what a peer's keyword is called here, or the closest parameter name."""
    names = [n for n, _ in _params(REGISTRY[name])]
    if key in names:
        return
    from .peer_names import keyword_hint

    hint = keyword_hint(key, name, names)
    near = closest(key, names, n=1)
    extra = f"; {hint}" if hint else (f"; did you mean {near[0]}?" if near else "")
    raise ValueError(f"unknown {what} {key!r} for {signature(name)}{extra}")


def bind(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``name(*args, **kwargs)`` by parameter name, checked against the
    schedule's signature: too many, unknown, doubled or missing arguments are a ``ValueError``
    that shows the signature (and a peer keyword's lrkit name)."""
    params = _params(REGISTRY[name])
    names = [n for n, _ in params]
    sig = signature(name)
    if len(args) > len(names):
        raise ValueError(f"{sig} takes at most {len(names)} argument{'s' * (len(names) != 1)}, "
                         f"got {len(args)} positional")
    out = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        check_keyword(name, key)
        if key in out:
            raise ValueError(f"argument {key!r} of {sig} given twice (by position and by name)")
        out[key] = value
    missing = [n for n, d in params if _required(d) and n not in out]
    if missing:
        raise ValueError(f"{sig} needs {', '.join(missing)}")
    return out
