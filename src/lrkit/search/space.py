"""A search space over schedules: a schedule template whose numbers may be distributions.

    >>> from lrkit.search import space
    >>> sp = space("loguniform(1e-4, 3e-3) * warmup(cosine('rest', end=uniform(0, 0.1)), choice(100, 500))")
    >>> [p.name for p in sp.params]
    ['scale', 'cosine.end', 'warmup.steps']
    >>> s = sp.sample(seed=0)          # a concrete lrkit Schedule; repr(s) parses back to it

The template is read by a whitelist walker over Python's ``ast`` (as :func:`lrkit.parse`;
nothing is evaluated) or from a config dict whose distributions are
``{"type": "uniform", "low": a, "high": b}`` (``loguniform``, ``randint`` likewise) and
``{"type": "choice", "options": [...]}``.  A set of values is turned into a schedule by
writing the template's text with the values in place and reading it with :func:`lrkit.parse`,
so every check a schedule makes (warmup + decay <= steps, ...) is a constraint of the space:
:meth:`Space.build` rejects a violating set of values with the reason (:class:`InvalidSample`),
:meth:`Space.sample` never returns one (it draws again).

Parameter names come from their place: the innermost call and argument (``cosine.end``,
``warmup.steps``, ``multistep.milestones[1]``), with enclosing calls prefixed only where two
would read the same; a number multiplying a schedule is ``scale``, a choice standing for the
whole schedule ``schedule``; ``name="..."`` overrides.  Parameters inside a choice's option are
active only when that option is chosen (Optuna asks for them only then).
"""

from __future__ import annotations

import math
import numbers
import os
import random

from ..schedule import REGISTRY, Schedule
from ..spec import MAX_DEPTH, MAX_TEXT, parse, read_document
from .distributions import KINDS, Choice, Distribution, LogUniform, RandInt, Uniform

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

__all__ = ["space", "Space", "Param", "InvalidSample", "MAX_DRAWS"]

#: draws :meth:`Space.sample` makes before it gives up on a space whose samples are all invalid
MAX_DRAWS = 1000
_MAX_INT = 2**63


class InvalidSample(ValueError):
    """A set of parameter values that makes no valid schedule; ``reason`` says why."""

    def __init__(self, values: Mapping[str, Any], reason: str) -> None:
        super().__init__(f"{reason} (values: {dict(values)!r})")
        self.values, self.reason = dict(values), reason

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (Ray sends a failed trial's error back)
        return (type(self), (self.values, self.reason))


# -- the template ---------------------------------------------------------------------
class _Lit:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _List:
    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


class _Op:
    __slots__ = ("sign", "operands")

    def __init__(self, sign: str, operands: list[Any]) -> None:
        self.sign, self.operands = sign, operands


class _Call:
    __slots__ = ("fname", "args", "kwargs")

    def __init__(self, fname: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.fname, self.args, self.kwargs = fname, args, kwargs


class Param:
    """One parameter of a space: its ``name``, its ``dist`` (``.low``/``.high`` or
    ``.labels``), its ``path`` in the template, and ``when``: the (choice name, label) pairs
    that must hold for it to be active (empty: always)."""

    def __init__(self, name: str, dist: Distribution, path: tuple[str, ...],
                 when: tuple[tuple[str, Any], ...]) -> None:
        self.name, self.dist, self.path, self.when = name, dist, path, when

    @property
    def kind(self) -> str:
        return self.dist.kind

    def __repr__(self) -> str:
        cond = "" if not self.when else " when " + ", ".join(f"{n}={v!r}" for n, v in self.when)
        return f"<Param {self.name}: {self.dist.kind}{cond}>"


def _number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, numbers.Real)


class _TextReader:
    """The template's text, read through a whitelist over ``ast`` (never evaluated)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, node: Any, message: str) -> ValueError:
        col = getattr(node, "col_offset", None)
        if col is None:
            return ValueError(message)
        line = self.text.splitlines()[getattr(node, "lineno", 1) - 1] if self.text else ""
        snippet = f"\n  {line}\n  {' ' * col}^" if len(line) <= 200 else ""
        return ValueError(f"{message} (at column {col + 1}){snippet}")

    def read(self, node: Any, depth: int) -> Any:
        import ast

        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None or isinstance(v, str):
                return _Lit(v)
            if isinstance(v, int):
                if abs(v) > _MAX_INT:
                    raise self.fail(node, "integer too large")
                return _Lit(v)
            if isinstance(v, float):
                if not math.isfinite(v):
                    raise self.fail(node, "numbers must be finite")
                return _Lit(v)
            raise self.fail(node, f"{type(v).__name__} literals are not allowed")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.read(node.operand, depth + 1)
            if not isinstance(inner, _Lit) or not _number(inner.value):
                raise self.fail(node, "a sign can only stand before a number (write uniform(-b, -a) "
                                      "for a negative range)")
            return _Lit(-inner.value if isinstance(node.op, ast.USub) else inner.value)
        if isinstance(node, (ast.List, ast.Tuple)):
            if len(node.elts) > 10_000:
                raise self.fail(node, "list too long")
            return _List([self.read(e, depth + 1) for e in node.elts])
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
            op = type(node.op)
            chain = [node.right]
            left = node.left
            while isinstance(left, ast.BinOp) and type(left.op) is op and len(chain) < 10_000:
                chain.append(left.right)
                left = left.left
            chain.append(left)
            return _Op("*" if op is ast.Mult else "+", [self.read(x, depth + 1) for x in reversed(chain)])
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            raise self.fail(node, f"name {node.id!r} is not allowed here")
        raise self.fail(node, f"{type(node).__name__} is not allowed in a search space")

    def call(self, node: Any, depth: int) -> Any:
        import ast

        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, "only calls of schedule and distribution names are allowed")
        fname = node.func.id
        if fname not in KINDS and fname not in REGISTRY and fname != "frac":
            raise self.fail(node.func, f"unknown name {fname!r}; distributions: {', '.join(KINDS)}; "
                                       f"schedules: {', '.join(sorted(REGISTRY))}")
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.fail(a, "*args is not allowed")
            args.append(self.read(a, depth + 1))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail(kw.value, "**kwargs is not allowed")
            if kw.arg in kwargs:
                raise self.fail(kw.value, f"argument {kw.arg!r} given twice")
            kwargs[kw.arg] = self.read(kw.value, depth + 1)
        if fname not in KINDS:
            return _Call(fname, args, kwargs)
        try:
            return _distribution(fname, args, kwargs)
        except (TypeError, ValueError) as e:
            raise self.fail(node, str(e)) from None


def _distribution(kind: str, args: list[Any], kwargs: dict[str, Any]) -> Distribution:
    """A distribution from its (template) arguments; a numeric one takes two literal numbers."""
    name = kwargs.pop("name", None)
    if isinstance(name, _Lit):
        name = name.value
    elif name is not None:
        raise TypeError(f"{kind}: name must be a string")
    if kind == "choice":
        if "options" in kwargs:
            opts = kwargs.pop("options")
            if args or not isinstance(opts, _List):
                raise TypeError("choice: give the options as arguments, or options=[...] alone")
            args = opts.items
        if kwargs:
            raise TypeError(f"choice: unexpected argument {next(iter(kwargs))!r} (takes the options and name=)")
        return Choice(args, [_label(o) for o in args], name=name)
    for key in list(kwargs):
        if key not in ("low", "high"):
            raise TypeError(f"{kind}: unexpected argument {key!r} (takes low, high and name=)")
    bounds = [*args, *(kwargs[k] for k in ("low", "high") if k in kwargs)]
    if len(bounds) != 2 or len(args) + len(kwargs) != 2:
        raise TypeError(f"{kind}: takes two numbers, low and high")
    if not all(isinstance(b, _Lit) for b in bounds):
        raise TypeError(f"{kind}: low and high must be numbers, not distributions or schedules")
    low, high = (b.value for b in bounds)
    cls = KINDS[kind]
    return cls(low, high, name=name)


def _label(option: Any) -> Any:
    """What a sampler sees for a choice's option: a literal itself, a template its text."""
    if isinstance(option, _Lit):
        return option.value
    return _render(option, None)


# -- the config form ---------------------------------------------------------------------------
def _from_config(value: Any, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nesting deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        if set(value) == {"frac"}:
            return _Call("frac", [_from_config(value["frac"], f"{where}.frac", depth + 1)], {})
        kind = value.get("type")
        if not isinstance(kind, str):
            raise ValueError(f"{where}: a config needs a 'type': a schedule ({', '.join(sorted(REGISTRY))}) "
                             f"or a distribution ({', '.join(KINDS)})")
        items = {k: v for k, v in value.items() if k != "type"}
        if kind in KINDS:
            kwargs = {k: (_Lit(v) if k == "name" else _from_config(v, f"{where}.{k}", depth + 1))
                      for k, v in items.items()}
            try:
                return _distribution(kind, [], kwargs)
            except (TypeError, ValueError) as e:
                raise ValueError(f"{where}: {e}") from None
        if kind not in REGISTRY:
            raise ValueError(f"{where}: unknown type {kind!r}; schedules: {', '.join(sorted(REGISTRY))}; "
                             f"distributions: {', '.join(KINDS)}")
        if kind in ("product", "sum") and set(items) <= {"factors", "terms"} and len(items) == 1:
            (key, operands), = items.items()
            if isinstance(operands, list):
                return _Op("*" if kind == "product" else "+",
                           [_from_config(x, f"{where}.{key}[{i}]", depth + 1) for i, x in enumerate(operands)])
        return _Call(kind, [], {str(k): _from_config(v, f"{where}.{k}", depth + 1) for k, v in items.items()})
    if isinstance(value, list):
        return _List([_from_config(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(value)])
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: numbers must be finite, got {value}")
    if value is None or isinstance(value, (bool, int, float, str)):
        return _Lit(value)
    raise TypeError(f"{where}: {type(value).__name__} is not allowed in a search space config")


# -- writing the template --------------------------------------------------------------------
def _render(node: Any, pick: Callable[[Distribution], Any] | None) -> str:
    """The template's text; with ``pick``, each distribution replaced by its value (a choice by
    its chosen option), else written as itself."""
    if isinstance(node, _Lit):
        v = node.value
        return repr(v) if isinstance(v, (bool, float, str)) or v is None else str(v)
    if isinstance(node, _List):
        return "[" + ", ".join(_render(x, pick) for x in node.items) + "]"
    if isinstance(node, _Op):
        parts = []
        for x in node.operands:
            text = _render(x, pick)
            parts.append(f"({text})" if node.sign == "*" and _is_sum(x, pick) else text)
        return f" {node.sign} ".join(parts)
    if isinstance(node, _Call):
        args = [_render(a, pick) for a in node.args]
        args += [f"{k}={_render(v, pick)}" for k, v in node.kwargs.items()]
        return f"{node.fname}({', '.join(args)})"
    if isinstance(node, Choice):
        if pick is None:
            body = ", ".join(_render(o, None) for o in node.options)
            return f"choice({body}{'' if node.name is None else f', name={node.name!r}'})"
        option = node.options[node.index(pick(node))]
        text = _render(option, pick)
        return f"({text})" if isinstance(option, _Op) else text
    if isinstance(node, Distribution):
        if pick is None:
            return node.text()
        v = pick(node)
        return repr(float(v)) if isinstance(node, Uniform) else str(int(v))
    raise AssertionError(f"not a template node: {node!r}")  # pragma: no cover


def _is_sum(node: Any, pick: Callable[[Distribution], Any] | None) -> bool:
    if isinstance(node, _Op):
        return node.sign == "+"
    if isinstance(node, Choice) and pick is not None:
        return _is_sum(node.options[node.index(pick(node))], pick)
    return False


# -- the space --------------------------------------------------------------------------------
class Space:
    """A search space over schedules; build one with :func:`space`.

    ``params``: the parameters in template order; ``total_steps``: when given, every schedule
    is resolved for a run of that many steps (and one that cannot be is invalid).
    """

    def __init__(self, template: Any, *, total_steps: int | None = None,
                 source: str | None = None) -> None:
        if total_steps is not None and (isinstance(total_steps, bool) or not isinstance(total_steps, int)
                                        or total_steps <= 0):
            raise ValueError(f"total_steps must be an integer > 0, got {total_steps!r}")
        self._template = template
        self.total_steps = total_steps
        self.params = _name_params(template)
        self._by_name = {p.name: p for p in self.params}
        self._name_of = {id(p.dist): p.name for p in self.params}
        self.text = source if source is not None else _render(template, None)

    # pickling (Ray ships the space to its workers): the lookup by identity is rebuilt
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_name_of"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._name_of = {id(p.dist): p.name for p in self.params}

    def __repr__(self) -> str:
        extra = "" if self.total_steps is None else f", total_steps={self.total_steps}"
        return f"space({self.text!r}{extra})"

    def __getitem__(self, name: str) -> Param:
        return self._by_name[name]

    # -- values -> schedule ----------------------------------------------------------------
    def build(self, config: Mapping[str, Any]) -> Schedule:
        """The schedule for a set of parameter values (a sampled Ray/W&B/Hydra config): a dict by
        parameter name (nested dicts are read as dotted names; other keys are ignored, a config may
        carry other hyperparameters).  Values must lie in their ranges; inactive parameters may be
        absent.  A set that makes no valid schedule raises :class:`InvalidSample` with the reason."""
        if not hasattr(config, "items"):
            raise TypeError(f"config must be a dict of parameter values, got {type(config).__name__}")
        flat = _flatten(config)
        used: dict[str, Any] = {}

        def pick(dist: Distribution) -> Any:
            name = self._name_of[id(dist)]
            if name not in flat:
                raise ValueError(f"config has no value for the parameter {name!r} "
                                 f"(parameters: {', '.join(self._by_name)})")
            v = flat[name]
            if not dist.contains(v):
                if isinstance(dist, Choice):
                    raise ValueError(f"{name} = {v!r} is not one of the options {dist.labels!r}")
                raise ValueError(f"{name} = {v!r} is outside its range: {dist.text()}")
            used[name] = v
            return v

        return self._schedule(pick, used)

    def _schedule(self, pick: Callable[[Distribution], Any], used: dict[str, Any]) -> Schedule:
        text = _render(self._template, pick)
        try:
            s = parse(text)
            if self.total_steps is not None and not s.resolved:
                s = s.resolve(self.total_steps)
        except (TypeError, ValueError) as e:
            reason = str(e).split("\n", 1)[0]
            raise InvalidSample(used, f"{text} is not a valid schedule: {reason}") from None
        return s

    # -- front ends --------------------------------------------------------------------------
    def draw(self, seed: int | random.Random | None = None) -> dict[str, Any]:
        """Valid values of the active parameters, drawn with ``random.Random(seed)``; values that
        make an invalid schedule are drawn again (at most :data:`MAX_DRAWS` times)."""
        return self._sample(seed)[1]

    def sample(self, seed: int | random.Random | None = None) -> Schedule:
        """A schedule drawn from the space with ``random.Random(seed)``: the same seed gives the
        same schedule, and it is always valid (draws that are not are drawn again)."""
        return self._sample(seed)[0]

    def _sample(self, seed: Any) -> tuple[Schedule, dict[str, Any]]:
        if isinstance(seed, random.Random):
            rng = seed
        elif seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
            rng = random.Random(seed)
        else:
            raise TypeError(f"seed must be an int, a random.Random or None, got {seed!r}")
        last = ""
        for _ in range(MAX_DRAWS):
            used: dict[str, Any] = {}

            def pick(dist: Distribution, used: dict[str, Any] = used) -> Any:
                name = self._name_of[id(dist)]
                if name not in used:
                    used[name] = dist.draw(rng)
                return used[name]

            try:
                return self._schedule(pick, used), used
            except InvalidSample as e:
                last = e.reason
        raise ValueError(f"the space {self.text} gave no valid schedule in {MAX_DRAWS} draws; the last "
                         f"reason: {last}")

    def suggest(self, trial: Any) -> Schedule:
        """The schedule of an Optuna trial (define-by-run): each active parameter is suggested
        under its name (``suggest_float`` with ``log=True`` for loguniform, ``suggest_int``,
        ``suggest_categorical`` over the labels; a choice's option parameters only when it is
        chosen).  The schedule's text is recorded as ``trial.user_attrs["schedule"]``; values that
        make an invalid schedule record ``"invalid"`` (the reason) and raise :class:`InvalidSample`."""
        used: dict[str, Any] = {}

        def pick(dist: Distribution) -> Any:
            name = self._name_of[id(dist)]
            if name in used:
                return used[name]
            if isinstance(dist, Choice):
                v = trial.suggest_categorical(name, dist.labels)
            elif isinstance(dist, RandInt):
                v = trial.suggest_int(name, dist.low, dist.high)
            elif isinstance(dist, Uniform):
                v = trial.suggest_float(name, dist.low, dist.high, log=isinstance(dist, LogUniform))
            else:  # pragma: no cover
                raise AssertionError(dist)
            used[name] = v
            return v

        try:
            s = self._schedule(pick, used)
        except InvalidSample as e:
            trial.set_user_attr("invalid", e.reason)
            raise
        trial.set_user_attr("schedule", repr(s))
        return s

    def to_ray(self) -> dict[str, Any]:
        """A Ray Tune ``param_space``: every parameter by name (``tune.uniform``,
        ``tune.loguniform``, ``tune.randint`` with its upper end included, ``tune.choice`` over
        the labels).  Inactive parameters are sampled too and ignored by :meth:`build`."""
        from ray import tune

        out: dict[str, Any] = {}
        for p in self.params:
            d = p.dist
            if isinstance(d, Choice):
                out[p.name] = tune.choice(list(d.labels))
            elif isinstance(d, RandInt):
                out[p.name] = tune.randint(d.low, d.high + 1)  # Ray's upper end is excluded
            elif isinstance(d, LogUniform):
                out[p.name] = tune.loguniform(d.low, d.high)
            elif isinstance(d, Uniform):
                out[p.name] = tune.uniform(d.low, d.high)
        return out

    def to_wandb(self) -> dict[str, Any]:
        """A W&B sweep's ``parameters`` block (plain dicts; wandb is not imported)."""
        out: dict[str, Any] = {}
        for p in self.params:
            d = p.dist
            if isinstance(d, Choice):
                out[p.name] = {"values": list(d.labels)}
            elif isinstance(d, RandInt):
                out[p.name] = {"distribution": "int_uniform", "min": d.low, "max": d.high}
            elif isinstance(d, LogUniform):
                out[p.name] = {"distribution": "log_uniform_values", "min": d.low, "max": d.high}
            elif isinstance(d, Uniform):
                out[p.name] = {"distribution": "uniform", "min": d.low, "max": d.high}
        return out

    def to_hydra(self, prefix: str = "") -> list[str]:
        """Hydra sweeper overrides, one per parameter (``cosine.end=interval(0.0, 0.1)``,
        ``tag(log, interval(...))``, ``int(interval(a, b))``, ``choice(...)``), keys under
        ``prefix`` (e.g. ``"schedule"`` gives ``schedule.cosine.end=...``).  The swept config's
        node is read back with ``space.build(cfg.schedule)``."""
        pre = f"{prefix}." if prefix else ""
        out = []
        for p in self.params:
            d = p.dist
            if isinstance(d, Choice):
                expr = "choice(" + ", ".join(_hydra_value(x) for x in d.labels) + ")"
            elif isinstance(d, RandInt):
                expr = f"int(interval({d.low}, {d.high}))"
            elif isinstance(d, LogUniform):
                expr = f"tag(log, interval({d.low!r}, {d.high!r}))"
            else:
                assert isinstance(d, Uniform)
                expr = f"interval({d.low!r}, {d.high!r})"
            out.append(f"{pre}{p.name}={expr}")
        return out


def _hydra_value(x: Any) -> str:
    if isinstance(x, str):
        return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    return repr(x)


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in config.items():
        key = f"{prefix}{k}"
        if hasattr(v, "items") and not isinstance(v, str):
            out.update(_flatten(v, key + "."))
        out[key] = v
    return out


# -- names ------------------------------------------------------------------------------------
def _params(node: Any, path: tuple[str, ...], leaf: str,
            when: tuple[tuple[Choice, Any], ...]) -> Iterator[tuple[Distribution, tuple[str, ...], Any]]:
    """Each distribution with its full path (call and argument names) and its conditions."""
    if isinstance(node, _List):
        for i, x in enumerate(node.items):
            yield from _params(x, path, f"{leaf}[{i}]", when)
    elif isinstance(node, _Op):
        numbers_ = [i for i, x in enumerate(node.operands) if _numeric(x)]
        for i, x in enumerate(node.operands):
            if i in numbers_:
                name = "scale" if node.sign == "*" else "offset"
                yield from _params(x, path, name if len(numbers_) == 1 else f"{name}[{i}]", when)
            else:
                yield from _params(x, path, leaf, when)
    elif isinstance(node, _Call):
        sig = [n for n, _ in REGISTRY[node.fname]._signature] if node.fname in REGISTRY else ["fraction"]
        sub = (*path, leaf, node.fname) if node.fname != "frac" else (*path, leaf)
        for i, a in enumerate(node.args):
            yield from _params(a, sub, sig[i] if i < len(sig) else f"arg{i}", when)
        for k, v in node.kwargs.items():
            yield from _params(v, sub, k, when)
    elif isinstance(node, Choice):
        yield node, (*path, leaf), when
        for j, (label, option) in enumerate(zip(node.labels, node.options, strict=True)):
            yield from _params(option, (*path, leaf, f"option{j}"), "schedule", (*when, (node, label)))
    elif isinstance(node, Distribution):
        yield node, (*path, leaf), when


def _numeric(node: Any) -> bool:
    """A distribution over numbers (a factor or term of a product or sum)."""
    if isinstance(node, Choice):
        return all(isinstance(o, _Lit) and _number(o.value) for o in node.options)
    return isinstance(node, Distribution)


def _name_params(template: Any) -> list[Param]:
    found = list(_params(template, (), "schedule", ()))
    # "schedule" (the argument of a combinator, the root) says nothing in a name but at its end
    full = [(*(s for s in p[:-1] if s != "schedule"), p[-1]) for _, p, _ in found]
    names: list[str] = []
    for i, p in enumerate(full):
        dist = found[i][0]
        if dist.name is not None:
            names.append(dist.name)
            continue
        for k in range(min(2, len(p)), len(p) + 1):
            short = _short(p, k)
            if all(_short(q, k) != short for j, q in enumerate(full) if j != i):
                break
        else:
            short = ".".join(p) + f"#{i}"
        names.append(short)
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    dup = [n for n, c in seen.items() if c > 1]
    if dup:
        raise ValueError(f"two parameters of the space are named {dup[0]!r}; give them different name=")
    by_dist = {id(d): n for (d, _, _), n in zip(found, names, strict=True)}
    return [Param(n, d, p, tuple((by_dist[id(c)], lab) for c, lab in when))
            for (d, p, when), n in zip(found, names, strict=True)]


def _short(path: tuple[str, ...], k: int) -> str:
    """The last k segments, leaving out the option tags unless they are needed."""
    parts = [s for s in path if not s.startswith("option")]
    if k <= len(parts):
        return ".".join(parts[-k:])
    return ".".join(path[-k:])


# -- the entry point ------------------------------------------------------------------------
def space(text_or_config: Any, *, total_steps: int | None = None) -> Space:
    """A search space from a template: its text (``"warmup(cosine('rest'), choice(100, 500))"``),
    a config dict (or a YAML/JSON file path as ``os.PathLike``) whose distributions are
    ``{"type": "uniform", "low": 0, "high": 0.1}`` and the like, or a Space (returned as is).
    ``total_steps`` resolves fractions of the run ('5%', 'rest') in every sampled schedule."""
    if isinstance(text_or_config, Space):
        if total_steps is None or total_steps == text_or_config.total_steps:
            return text_or_config
        return Space(text_or_config._template, total_steps=total_steps, source=text_or_config.text)
    if isinstance(text_or_config, os.PathLike):
        from ..spec import read_file

        path = os.fspath(text_or_config)
        text_or_config = read_document(read_file(str(path)), yaml=str(path).endswith((".yaml", ".yml")))
        if isinstance(text_or_config, dict) and set(text_or_config) == {"space"}:
            text_or_config = text_or_config["space"]
    if isinstance(text_or_config, str):
        text = text_or_config.strip()
        if len(text) > MAX_TEXT:
            raise ValueError(f"search space text longer than {MAX_TEXT} characters")
        if not text:
            raise ValueError("empty search space text")
        import ast

        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ValueError(f"malformed search space text: {e.msg} (at column {e.offset or 1})") from None
        except (RecursionError, MemoryError, ValueError):
            raise ValueError("malformed search space text: too deeply nested or too large") from None
        reader = _TextReader(text)
        try:
            template = reader.read(tree.body, 0)
        except RecursionError:
            raise ValueError("search space text too deeply nested") from None
        return _checked(Space(template, total_steps=total_steps, source=text))
    if isinstance(text_or_config, Schedule):
        return _checked(Space(_from_config(text_or_config.to_config(), "schedule", 0), total_steps=total_steps))
    if isinstance(text_or_config, dict):
        return _checked(Space(_from_config(text_or_config, "config", 0), total_steps=total_steps))
    raise TypeError(f"space() takes a template text, a config dict or a Space, not "
                    f"{type(text_or_config).__name__}")


def _checked(sp: Space) -> Space:
    """A space that can give a schedule at all (checked with one draw)."""
    sp.sample(0)
    return sp
