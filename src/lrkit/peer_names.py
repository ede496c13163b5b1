"""The peers' schedule names, each with the lrkit form that gives the same numbers.

One row (:class:`PeerName`) per schedule of torch (``torch.optim.lr_scheduler``), Optax,
Keras (``keras.optimizers.schedules``), transformers (``get_*_schedule*`` and
``SchedulerType`` names) and timm (``create_scheduler_v2(sched=...)``).  The ``lrkit``
form is written with the peer's own argument names: substitute the numbers and
:func:`lrkit.parse` reads it (``/``, ``*``, ``+`` and ``-`` between numbers are folded).
``base_lr`` is the optimizer's lr (the group's base), except in ``CyclicLR``, whose own
argument of that name is meant there.
``kind`` says how to use it:

* ``"factor"``: the form multiplies the group's base lr (``base_lr``: the optimizer's lr),
  as ``lrkit.Scheduler(opt, form)`` does;
* ``"absolute"``: the form is the lr itself (Optax, Keras; torch's ``CyclicLR`` and
  ``OneCycleLR``, whose arguments are lrs): ``Scheduler(opt, form, relative=False)``,
  ``lrkit.optax.schedule(form)``, ``lrkit.keras.schedule(form)``.

Every row is executed side by side with the installed peer in ``tests/test_peer_names.py``.
Unknown names in the parser, configs and CLI are looked up here (:func:`lookup`,
:func:`translation`) to say what the peer's name is in lrkit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["PeerName", "PEER_NAMES", "PEERS", "lookup", "translation", "keyword_hint"]

#: the peers, in the order of the tables
PEERS = ("torch", "optax", "keras", "transformers", "timm")


@dataclass(frozen=True)
class PeerName:
    """One peer schedule and its lrkit form (see the module docstring)."""

    peer: str
    name: str
    call: str
    lrkit: str
    kind: str
    shape: str
    keywords: Mapping[str, str] = field(default_factory=dict)


def _rows() -> tuple[PeerName, ...]:
    R = PeerName
    torch = "torch"
    rows = [
        # -- torch.optim.lr_scheduler: factors of each group's base lr ------------------------
        R(torch, "StepLR", "StepLR(optimizer, step_size, gamma=0.1)",
          "step(step_size, gamma=gamma)", "factor", "step",
          {"step_size": "every", "gamma": "gamma"}),
        R(torch, "MultiStepLR", "MultiStepLR(optimizer, milestones, gamma=0.1)",
          "multistep(milestones, gamma=gamma)", "factor", "multistep",
          {"milestones": "milestones", "gamma": "gamma"}),
        R(torch, "ExponentialLR", "ExponentialLR(optimizer, gamma)",
          "exponential(gamma)", "factor", "exponential", {"gamma": "gamma"}),
        R(torch, "MultiplicativeLR", "MultiplicativeLR(optimizer, lr_lambda=lambda epoch: gamma)",
          "exponential(gamma)", "factor", "exponential", {"lr_lambda": "gamma"}),
        R(torch, "ConstantLR", "ConstantLR(optimizer, factor=1/3, total_iters=5)",
          "piecewise([total_iters], [factor, 1.0])", "factor", "piecewise",
          {"factor": "values", "total_iters": "boundaries"}),
        R(torch, "LinearLR", "LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5)",
          "linear(total_iters, start=start_factor, end=end_factor)", "factor", "linear",
          {"start_factor": "start", "end_factor": "end", "total_iters": "steps"}),
        R(torch, "PolynomialLR", "PolynomialLR(optimizer, total_iters=5, power=1.0)",
          "polynomial(total_iters, power=power)", "factor", "polynomial",
          {"total_iters": "steps", "power": "power"}),
        R(torch, "CosineAnnealingLR", "CosineAnnealingLR(optimizer, T_max, eta_min=0.0)",
          "pingpong(cosine(T_max, end=eta_min/base_lr))", "factor", "cosine",
          {"T_max": "steps", "eta_min": "end"}),
        R(torch, "CosineAnnealingWarmRestarts",
          "CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0.0)",
          "restarts(cosine(T_0, end=eta_min/base_lr), T_0, mult=T_mult)", "factor", "restarts",
          {"T_0": "period", "T_mult": "mult", "eta_min": "end"}),
        R(torch, "CyclicLR",
          "CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, "
          "mode='triangular', gamma=1.0)",
          "cyclic(base_lr, max_lr, step_size_up, step_size_down, mode=mode, gamma=gamma)",
          "absolute", "cyclic",
          {"base_lr": "low", "max_lr": "high", "step_size_up": "up", "step_size_down": "down",
           "mode": "mode", "gamma": "gamma"}),
        R(torch, "OneCycleLR",
          "OneCycleLR(optimizer, max_lr, total_steps, pct_start=0.3, anneal_strategy='cos', "
          "div_factor=25.0, final_div_factor=1e4, three_phase=False)",
          "onecycle(total_steps, peak=max_lr, pct_start=pct_start, anneal=anneal_strategy, "
          "div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase)",
          "absolute", "onecycle",
          {"max_lr": "peak", "total_steps": "steps", "pct_start": "pct_start",
           "anneal_strategy": "anneal", "div_factor": "div_factor",
           "final_div_factor": "final_div_factor", "three_phase": "three_phase"}),
        R(torch, "SequentialLR", "SequentialLR(optimizer, schedulers=[a, b], milestones)",
          "join([a, b], milestones)", "factor", "join",
          {"schedulers": "schedules", "milestones": "boundaries"}),
        R(torch, "ChainedScheduler", "ChainedScheduler([a, b])",
          "a * b", "factor", "product", {"schedulers": "factors"}),
        R(torch, "LambdaLR", "LambdaLR(optimizer, lr_lambda)",
          "custom(lr_lambda)", "factor", "custom", {"lr_lambda": "fn"}),
        R(torch, "ReduceLROnPlateau",
          "ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4, "
          "threshold_mode='rel', cooldown=0, min_lr=0.0, eps=1e-8)",
          "plateau(mode=mode, factor=factor, patience=patience, threshold=threshold, "
          "threshold_mode=threshold_mode, cooldown=cooldown, min_scale=min_lr/base_lr, eps=eps/base_lr)",
          "factor", "plateau",
          {"mode": "mode", "factor": "factor", "patience": "patience", "threshold": "threshold",
           "threshold_mode": "threshold_mode", "cooldown": "cooldown", "min_lr": "min_scale",
           "eps": "eps"}),
        # -- Optax: absolute learning rates -----------------------------------------------------
        R("optax", "constant_schedule", "constant_schedule(value)",
          "constant(value)", "absolute", "constant", {"value": "value"}),
        R("optax", "linear_schedule", "linear_schedule(init_value, end_value, transition_steps)",
          "linear(transition_steps, start=init_value, end=end_value)", "absolute", "linear",
          {"init_value": "start", "end_value": "end", "transition_steps": "steps",
           "transition_begin": "shift"}),
        R("optax", "polynomial_schedule",
          "polynomial_schedule(init_value, end_value, power, transition_steps)",
          "polynomial(transition_steps, start=init_value, end=end_value, power=power)",
          "absolute", "polynomial",
          {"init_value": "start", "end_value": "end", "power": "power",
           "transition_steps": "steps", "transition_begin": "shift"}),
        R("optax", "cosine_decay_schedule",
          "cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0)",
          "cosine(decay_steps, start=init_value, end=init_value*alpha, exponent=exponent)",
          "absolute", "cosine",
          {"init_value": "start", "decay_steps": "steps", "alpha": "end", "exponent": "exponent"}),
        R("optax", "exponential_decay",
          "exponential_decay(init_value, transition_steps, decay_rate, staircase=False)",
          "exponential(decay_rate, start=init_value, every=transition_steps, staircase=staircase)",
          "absolute", "exponential",
          {"init_value": "start", "transition_steps": "every", "decay_rate": "gamma",
           "staircase": "staircase", "end_value": "floor", "transition_begin": "shift"}),
        R("optax", "piecewise_constant_schedule",
          "piecewise_constant_schedule(init_value, {b1: s1, b2: s2})",
          "piecewise([b1, b2], [init_value, init_value*s1, init_value*s1*s2])",
          "absolute", "piecewise",
          {"init_value": "values", "boundaries_and_scales": "boundaries"}),
        R("optax", "piecewise_interpolate_schedule",
          "piecewise_interpolate_schedule('linear', init_value, {b1: s1, b2: s2})",
          "interpolate([(0, init_value), (b1, init_value*s1), (b2, init_value*s1*s2)], "
          "kind='linear')", "absolute", "interpolate",
          {"interpolate_type": "kind", "init_value": "points", "boundaries_and_scales": "points"}),
        R("optax", "warmup_constant_schedule",
          "warmup_constant_schedule(init_value, peak_value, warmup_steps)",
          "linear(warmup_steps, start=init_value, end=peak_value)", "absolute", "warmup",
          {"init_value": "start", "peak_value": "end", "warmup_steps": "steps"}),
        R("optax", "warmup_cosine_decay_schedule",
          "warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, "
          "end_value=0.0, exponent=1.0)",
          "warmup(cosine(decay_steps - warmup_steps, start=peak_value, end=end_value, "
          "exponent=exponent), warmup_steps, start=init_value)", "absolute", "warmup",
          {"init_value": "start", "peak_value": "start", "warmup_steps": "steps",
           "decay_steps": "steps", "end_value": "end", "exponent": "exponent"}),
        R("optax", "warmup_exponential_decay_schedule",
          "warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps, "
          "transition_steps, decay_rate, staircase=False)",
          "warmup(exponential(decay_rate, start=peak_value, every=transition_steps, "
          "staircase=staircase), warmup_steps, start=init_value)", "absolute", "warmup",
          {"init_value": "start", "peak_value": "start", "warmup_steps": "steps",
           "transition_steps": "every", "decay_rate": "gamma", "staircase": "staircase",
           "end_value": "floor"}),
        R("optax", "cosine_onecycle_schedule",
          "cosine_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, "
          "div_factor=25.0, final_div_factor=1e4)",
          "interpolate([(0, peak_value/div_factor), (pct_start*transition_steps, peak_value), "
          "(transition_steps, peak_value/div_factor/final_div_factor)], kind='cosine')",
          "absolute", "interpolate",
          {"transition_steps": "points", "peak_value": "points", "pct_start": "points",
           "div_factor": "points", "final_div_factor": "points"}),
        R("optax", "linear_onecycle_schedule",
          "linear_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, pct_final=0.85, "
          "div_factor=25.0, final_div_factor=1e4)",
          "interpolate([(0, peak_value/div_factor), (pct_start*transition_steps, peak_value), "
          "(pct_final*transition_steps, peak_value/div_factor), "
          "(transition_steps, peak_value/div_factor/final_div_factor)], kind='linear')",
          "absolute", "interpolate",
          {"transition_steps": "points", "peak_value": "points", "pct_start": "points",
           "pct_final": "points", "div_factor": "points", "final_div_factor": "points"}),
        R("optax", "join_schedules", "join_schedules([a, b], boundaries)",
          "join([a, b], boundaries)", "absolute", "join",
          {"schedules": "schedules", "boundaries": "boundaries"}),
        R("optax", "sgdr_schedule",
          "sgdr_schedule([dict(init_value, peak_value, warmup_steps, decay_steps, end_value)] * 2)",
          "join([warmup(cosine(decay_steps - warmup_steps, start=peak_value, end=end_value), "
          "warmup_steps, start=init_value), warmup(cosine(decay_steps - warmup_steps, "
          "start=peak_value, end=end_value), warmup_steps, start=init_value)], [decay_steps])",
          "absolute", "join",
          {"cosine_kwargs": "schedules"}),
        # -- Keras: absolute learning rates -----------------------------------------------------
        R("keras", "CosineDecay", "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0)",
          "cosine(decay_steps, start=initial_learning_rate, end=initial_learning_rate*alpha)",
          "absolute", "cosine",
          {"initial_learning_rate": "start", "decay_steps": "steps", "alpha": "end"}),
        R("keras", "CosineDecay",
          "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target, warmup_steps)",
          "warmup(cosine(decay_steps, start=warmup_target, end=warmup_target*alpha), "
          "warmup_steps, start=initial_learning_rate)", "absolute", "warmup",
          {"initial_learning_rate": "start", "decay_steps": "steps", "alpha": "end",
           "warmup_target": "start", "warmup_steps": "steps"}),
        R("keras", "CosineDecayRestarts",
          "CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, "
          "alpha=0.0)",
          "initial_learning_rate*alpha + restarts(cosine(first_decay_steps, "
          "start=initial_learning_rate*(1 - alpha)), first_decay_steps, mult=t_mul, decay=m_mul)",
          "absolute", "restarts",
          {"initial_learning_rate": "start", "first_decay_steps": "period", "t_mul": "mult",
           "m_mul": "decay", "alpha": "end"}),
        R("keras", "ExponentialDecay",
          "ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)",
          "exponential(decay_rate, start=initial_learning_rate, every=decay_steps, "
          "staircase=staircase)", "absolute", "exponential",
          {"initial_learning_rate": "start", "decay_steps": "every", "decay_rate": "gamma",
           "staircase": "staircase"}),
        R("keras", "InverseTimeDecay",
          "InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)",
          "inverse_time(decay_rate, every=decay_steps, start=initial_learning_rate, "
          "staircase=staircase)", "absolute", "inverse_time",
          {"initial_learning_rate": "start", "decay_steps": "every", "decay_rate": "rate",
           "staircase": "staircase"}),
        R("keras", "PiecewiseConstantDecay", "PiecewiseConstantDecay([b1, b2], [v0, v1, v2])",
          "piecewise([b1 + 1, b2 + 1], [v0, v1, v2])", "absolute", "piecewise",
          {"boundaries": "boundaries", "values": "values"}),
        R("keras", "PolynomialDecay",
          "PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0)",
          "polynomial(decay_steps, start=initial_learning_rate, end=end_learning_rate, power=power)",
          "absolute", "polynomial",
          {"initial_learning_rate": "start", "decay_steps": "steps",
           "end_learning_rate": "end", "power": "power"}),
    ]
    # -- transformers: factors (lr_lambda multipliers) of the optimizer's lr -------------------
    hf = [
        ("get_constant_schedule", "constant", "get_constant_schedule(optimizer)",
         "constant()", "constant"),
        ("get_constant_schedule_with_warmup", "constant_with_warmup",
         "get_constant_schedule_with_warmup(optimizer, num_warmup_steps)",
         "warmup(constant(), num_warmup_steps)", "warmup"),
        ("get_linear_schedule_with_warmup", "linear",
         "get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps)",
         "warmup(linear(num_training_steps - num_warmup_steps), num_warmup_steps)", "warmup"),
        ("get_cosine_schedule_with_warmup", "cosine",
         "get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, "
         "num_cycles=0.5)",
         "warmup(pingpong(cosine(num_training_steps - num_warmup_steps)), num_warmup_steps)",
         "warmup"),
        ("get_cosine_with_hard_restarts_schedule_with_warmup", "cosine_with_restarts",
         "get_cosine_with_hard_restarts_schedule_with_warmup(optimizer, num_warmup_steps, "
         "num_training_steps, num_cycles=1)",
         "warmup(restarts(cosine(num_training_steps - num_warmup_steps), "
         "num_training_steps - num_warmup_steps, limit=1), num_warmup_steps)", "restarts"),
        ("get_polynomial_decay_schedule_with_warmup", "polynomial",
         "get_polynomial_decay_schedule_with_warmup(optimizer, num_warmup_steps, "
         "num_training_steps, lr_end=1e-7, power=1.0)",
         "warmup(polynomial(num_training_steps - num_warmup_steps, end=lr_end/base_lr, "
         "power=power), num_warmup_steps)", "polynomial"),
        ("get_inverse_sqrt_schedule", "inverse_sqrt",
         "get_inverse_sqrt_schedule(optimizer, num_warmup_steps)",
         "inverse_sqrt(num_warmup_steps)", "inverse_sqrt"),
        ("get_cosine_with_min_lr_schedule_with_warmup", "cosine_with_min_lr",
         "get_cosine_with_min_lr_schedule_with_warmup(optimizer, num_warmup_steps, "
         "num_training_steps, min_lr_rate)",
         "warmup(pingpong(cosine(num_training_steps - num_warmup_steps, end=min_lr_rate)), "
         "num_warmup_steps)", "warmup"),
        ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "cosine_warmup_with_min_lr",
         "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(optimizer, num_warmup_steps, "
         "num_training_steps, min_lr_rate)",
         "join([shift(linear(num_warmup_steps, start=0.0, end=1.0), -1), "
         "shift(pingpong(cosine(num_training_steps - num_warmup_steps, end=min_lr_rate)), -1)], "
         "[num_warmup_steps])", "join"),
        ("get_wsd_schedule", "warmup_stable_decay",
         "get_wsd_schedule(optimizer, num_warmup_steps, num_decay_steps, num_training_steps, "
         "decay_type='cosine')",
         "wsd(num_training_steps, num_warmup_steps, num_decay_steps, shape='cosine')", "wsd"),
        ("get_reduce_on_plateau_schedule", "reduce_lr_on_plateau",
         "get_reduce_on_plateau_schedule(optimizer)", "plateau(eps=1e-8/base_lr)", "plateau"),
    ]
    hf_keywords = {"num_warmup_steps": "warmup", "num_training_steps": "steps",
                   "num_cycles": "restarts", "lr_end": "end", "power": "power",
                   "min_lr_rate": "end", "min_lr": "end", "num_decay_steps": "decay"}
    for fn, kind_name, call, form, shape in hf:
        kw = {k: hf_keywords[k] for k in hf_keywords if k in call}
        rows.append(R("transformers", fn, call, form, "factor", shape, kw))
        args = call[call.index("(") + 1:]
        sched_call = f"get_scheduler({kind_name!r}, {args}"
        rows.append(R("transformers", kind_name, sched_call, form, "factor", shape, kw))
    # -- timm: create_scheduler_v2(optimizer, sched=..., ...), stepped per epoch ---------------
    timm_kw = {"num_epochs": "steps", "decay_epochs": "every", "decay_milestones": "milestones",
               "decay_rate": "gamma", "min_lr": "end", "warmup_epochs": "warmup",
               "warmup_lr": "start", "patience_epochs": "patience"}
    timm = [
        ("cosine", "create_scheduler_v2(optimizer, sched='cosine', num_epochs, min_lr=0.0)",
         "cosine(num_epochs, end=min_lr/base_lr)", "cosine"),
        ("cosine", "create_scheduler_v2(optimizer, sched='cosine', num_epochs, min_lr=0.0, "
         "warmup_epochs, warmup_lr=1e-5)",
         "join([linear(warmup_epochs, start=warmup_lr/base_lr, end=1.0), "
         "shift(cosine(num_epochs, end=min_lr/base_lr), -warmup_epochs)], [warmup_epochs])",
         "join"),
        ("step", "create_scheduler_v2(optimizer, sched='step', decay_epochs, decay_rate=0.1)",
         "step(decay_epochs, gamma=decay_rate)", "step"),
        ("multistep",
         "create_scheduler_v2(optimizer, sched='multistep', decay_milestones=[m1, m2], "
         "decay_rate=0.1)",
         "multistep([m1 - 1, m2 - 1], gamma=decay_rate)", "multistep"),
        ("poly", "create_scheduler_v2(optimizer, sched='poly', num_epochs, decay_rate=0.1, "
         "min_lr=0.0)",
         "polynomial(num_epochs, end=min_lr/base_lr, power=decay_rate)", "polynomial"),
        ("plateau", "create_scheduler_v2(optimizer, sched='plateau', decay_rate=0.1, "
         "patience_epochs=10, plateau_mode='max')",
         "plateau(mode=plateau_mode, factor=decay_rate, patience=patience_epochs, eps=1e-8/base_lr)",
         "plateau"),
    ]
    for name, call, form, shape in timm:
        kw = {k: timm_kw[k] for k in timm_kw if k in call}
        rows.append(R("timm", name, call, form, "factor", shape, kw))
    return tuple(rows)


#: every peer name this module knows (see the module docstring)
PEER_NAMES: tuple[PeerName, ...] = _rows()


def lookup(name: str) -> list[PeerName]:
    """The rows for a peer's name, case-insensitive: ``"CosineAnnealingLR"``, or with
    the peer in front, ``"torch.CosineAnnealingLR"`` (also ``optax.``, ``keras.``, ``transformers.``,
    ``timm.``; a longer module path such as ``torch.optim.lr_scheduler.StepLR`` works too)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    text = name.strip()
    peer = None
    if "." in text:
        head, _, text = text.rpartition(".")
        first = head.split(".")[0].lower()
        peer = {"tf": "keras", "hf": "transformers"}.get(first, first)
        if peer not in PEERS:
            peer = None
    key = text.lower()
    return [r for r in PEER_NAMES if r.name.lower() == key and (peer is None or r.peer == peer)]


def translation(name: str) -> str | None:
    """A sentence saying what a peer's ``name`` is in lrkit, or None if it is no peer's name:
    "torch's `CosineAnnealingLR(optimizer, T_max, eta_min=0.0)` is
    `pingpong(cosine(T_max, end=eta_min/base_lr))` as a factor"."""
    rows = lookup(name)
    if not rows:
        return None
    parts = []
    for r in rows:
        how = "as a factor of the base lr" if r.kind == "factor" else "as the lr itself (relative=False)"
        parts.append(f"{r.peer}'s `{r.call}` is `{r.lrkit}` {how}")
    return "; ".join(parts)


def keyword_hint(keyword: str, schedule: str, allowed: Sequence[str]) -> str | None:
    """What a peer's ``keyword`` is called in lrkit's ``schedule`` (e.g. torch's ``step_size``
    is ``every`` in ``step``), or None when no row maps it onto one of ``allowed``, that
    schedule's keywords."""
    found: dict[str, list[str]] = {}
    for r in PEER_NAMES:
        target = r.keywords.get(keyword)
        if target is not None and target in allowed and f"{schedule}(" in r.lrkit:
            found.setdefault(target, [])
            if r.peer not in found[target]:
                found[target].append(r.peer)
    if not found:
        return None
    return "; ".join(f"{' and '.join(peers)}'s {keyword} is `{target}`" for target, peers in found.items())
