"""The catalog of every schedule name: what ``lrkit shapes``, ``lrkit help NAME`` and the
documentation gallery show.

The list of names is the registry (:data:`lrkit.REGISTRY`), so a newly registered shape
appears here by itself.  What the code gives is read from it: the signature with its
defaults (from ``inspect``) and the formula (the class docstring: the formula is written
once, there).  What the code cannot give is kept in :data:`EXAMPLES`, one row per name:
an example SPEC and one line of meaning in plain words.  A test checks that every
registered name has a row.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from .schedule import REGISTRY, Schedule

__all__ = ["Entry", "EXAMPLES", "entries", "entry", "suggest", "format_list", "format_entry"]

#: steps shown when an example has no length of its own (it never settles, or is constant)
PLOT_STEPS = 1000

#: the first parameter names of a combinator: it takes schedules
_TAKES_SCHEDULES = frozenset({"schedule", "schedules", "factors", "terms"})

#: name -> (example SPEC or None when the name cannot be written without setup, meaning)
EXAMPLES: dict[str, tuple[str | None, str]] = {
    # shapes
    "constant": ("constant(1.0)", "the same value at every step"),
    "linear": ("linear(1000, start=1.0, end=0.1)", "a straight line from start to end, then held"),
    "cosine": ("cosine(1000, end=0.1)", "half-cosine annealing from start to end, then held"),
    "tanh": ("tanh(1000, end=0.1)", "timm's tanh annealing from start to end, then held"),
    "polynomial": ("polynomial(1000, power=2.0)", "polynomial decay from start to end, then held"),
    "exponential": ("exponential(0.995)", "multiply by gamma every step (or every `every` steps)"),
    "step": ("step(250, gamma=0.5)", "multiply by gamma every `every` steps (torch StepLR)"),
    "multistep": ("multistep([300, 600, 800], gamma=0.3)", "multiply by gamma at each milestone"),
    "piecewise": ("piecewise([300, 700], [1.0, 0.5, 0.1])", "constant values between boundaries"),
    "interpolate": ("interpolate([(0, 0.1), (200, 1.0), (1000, 0.0)])",
                    "through (step, value) points, linearly, by cosine or exponentially"),
    "inverse_sqrt": ("inverse_sqrt(100)", "linear warmup, then 1/sqrt(t) decay (Noam)"),
    "inverse_time": ("inverse_time(0.01)", "start / (1 + rate·t): hyperbolic decay"),
    "onecycle": ("onecycle(1000)", "the 1cycle policy: up to the peak, then far below the start"),
    "cyclic": ("cyclic(0.1, 1.0, 200)", "triangular cycles between low and high (torch CyclicLR)"),
    "wsd": ("wsd(1000, 100, 200)", "warmup, stable at the peak, then a decay over the last steps"),
    "rex": ("rex(1000)", "REX decay: slower than linear at first, to end at the last step"),
    "rewarm": ("rewarm(1000, 100, peak=0.5)", "continued pretraining: warm up again to a new peak, then decay"),
    "infinite": ("infinite(1000, 50, 200, 100)",
                 "warmup, cooldown to a constant held as long as needed, then a final anneal"),
    "wsds": ("wsds([400, 800, 1200], 60, warmup=40)",
             "warmup-stable-decay repeated: a decay at the end of each period"),
    "constant_cooldown": ("constant_cooldown(800, 200, warmup=50)",
                          "DeepSeek-V3 style: warmup, a long constant, then a cooldown"),
    "plateau": ("plateau(patience=5)",
                "reduce on plateau: 1.0 until fed metrics by a scheduler (a multiplier)"),
    "custom": (None, "any Python function of the step, registered by name"),
    # combinators
    "warmup": ("warmup(cosine(900, end=0.1), 100)", "a ramp of `steps` steps into a schedule"),
    "join": ("join([constant(1.0), cosine(600, start=0.5)], [400])",
             "schedules one after another, each on its own local step"),
    "restarts": ("restarts(cosine(200, end=0.1), 200, mult=2)",
                 "repeat a schedule in cycles (SGDR), optionally longer and lower each time"),
    "shift": ("shift(cosine(800), 200)", "delay a schedule by `steps` steps, holding its start"),
    "clip": ("clip(cosine(1000), low=0.2)", "keep a schedule between low and high"),
    "pingpong": ("pingpong(cosine(250, end=0.1))", "play a schedule forward, then backward, again"),
    "per_epoch": ("per_epoch(step(3, gamma=0.5), 100)",
                  "a schedule written in epochs, run on optimizer steps"),
    "noise": ("noise(cosine(1000), 0.1)", "deterministic multiplicative noise (resumes exactly)"),
    "scale_by_batch": ("scale_by_batch(constant(1.0), piecewise([500], [256, 1024]), 256)",
                       "scale a schedule by (batch / reference)^p as the batch size grows"),
    "product": ("0.5 * cosine(1000) * step(250, gamma=0.8)", "the pointwise product: a * b"),
    "sum": ("0.1 + 0.9 * cosine(1000)", "the pointwise sum: a + b"),
}


@dataclass(frozen=True)
class Entry:
    """One schedule name, as the catalog shows it."""

    name: str
    #: "shape" (a function of the step) or "combinator" (built from other schedules)
    kind: str
    #: the call with its defaults, e.g. ``cosine(steps, start=1.0, end=0.0, exponent=1.0)``
    signature: str
    #: the class docstring: the formula and its notes
    formula: str
    #: one line of meaning in plain words
    meaning: str
    #: an example SPEC (None where the name needs setup first, as ``custom``)
    example: str | None
    #: the keywords the text and config forms accept, in order
    keywords: tuple[str, ...]
    #: the steps to plot the example over: None for its own length, else :data:`PLOT_STEPS`
    plot_steps: int | None = None

    def plot_args(self) -> list[str]:
        """The ``lrkit`` command line that plots the example (``[]`` without one)."""
        if self.example is None:
            return []
        steps = [] if self.plot_steps is None else ["--steps", str(self.plot_steps)]
        return ["plot", self.example, *steps]


def _signature(cls: type[Schedule]) -> str:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]  # without self
    parts, star = [], False
    for p in params:
        if p.kind is p.VAR_POSITIONAL or p.kind is p.VAR_KEYWORD:
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return f"{cls.name}({', '.join(parts)})"


def _kind(keywords: tuple[str, ...]) -> str:
    return "combinator" if keywords and keywords[0] in _TAKES_SCHEDULES else "shape"


def entry(name: str) -> Entry:
    """The catalog entry of the registered schedule ``name`` (``KeyError`` if unknown)."""
    cls = REGISTRY[name]
    keywords = tuple(n for n, _ in cls._signature)
    example, meaning = EXAMPLES.get(name, (None, ""))
    plot_steps = None
    if example is not None:
        from .spec import parse

        duration = parse(example).duration
        plot_steps = PLOT_STEPS if duration is None or duration <= 0 else None
    return Entry(name=name, kind=_kind(keywords), signature=_signature(cls),
                 formula=inspect.cleandoc(cls.__doc__ or ""), meaning=meaning,
                 example=example, keywords=keywords, plot_steps=plot_steps)


def entries() -> list[Entry]:
    """Every registered name: the shapes, then the combinators, each alphabetically."""
    found = [entry(name) for name in REGISTRY]
    return sorted(found, key=lambda e: (e.kind != "shape", e.name))


def suggest(name: str) -> str:
    """Why ``name`` is unknown and what was probably meant (the parser's own message:
    :func:`lrkit.signatures.unknown_name`)."""
    from .signatures import unknown_name

    return unknown_name(name)


def _first_line(text: str) -> str:
    return text.split("\n\n", 1)[0].replace("\n", " ").replace("``", "`")


def format_list(width: int = 100) -> str:
    """The text of ``lrkit shapes``: every name with its signature, formula line, meaning and example."""
    out: list[str] = []
    for kind, title in (("shape", "Shapes"), ("combinator", "Combinators")):
        out.append(f"{title}:")
        for e in (e for e in entries() if e.kind == kind):
            out.append(f"  {e.signature}")
            out.append(f"      {e.meaning}")
            out.append(f"      {_first_line(e.formula)}")
            out.append(f"      e.g. {e.example}" if e.example else "      (needs lrkit.register_custom first)")
        out.append("")
    out.append("Run 'lrkit help NAME' for one of them with a plot of its example.")
    return "\n".join(out)


def format_entry(name: str) -> str:
    """The text of ``lrkit help NAME`` (without the plot); ``ValueError`` with suggestions if unknown."""
    if name not in REGISTRY:
        raise ValueError(suggest(name))
    e = entry(name)
    lines = [e.signature, "", f"{e.kind}: {e.meaning}", "", e.formula.replace("``", "`"), ""]
    lines.append(f"keywords: {', '.join(e.keywords)}")
    if e.example:
        steps = "" if e.plot_steps is None else f" --steps {e.plot_steps}"
        lines.append(f"example:  lrkit plot \"{e.example}\"{steps}")
    return "\n".join(lines)
