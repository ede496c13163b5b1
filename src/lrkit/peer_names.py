"""Peers' schedule names (torch, Optax, Keras, transformers, timm) and their lrkit forms.

PLACEHOLDER with a few rows, in the shared schema: engineer i15a owns the real table
(every row tested against its peer); the lead takes that version at merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["PeerName", "PEER_NAMES", "lookup"]


@dataclass(frozen=True)
class PeerName:
    """One peer's schedule and its lrkit spelling."""

    peer: str                 # "torch" | "optax" | "keras" | "transformers" | "timm"
    name: str                 # the peer's name, e.g. "CosineAnnealingLR"
    call: str                 # the peer's call
    lrkit: str                # the lrkit form
    kind: str                 # "factor" (multiplies the group's base lr) | "absolute" (is the lr)
    shape: str                # the lrkit shape/combinator it is filed under in the gallery
    keywords: Mapping[str, str] = field(default_factory=dict)  # peer keyword -> lrkit keyword


PEER_NAMES: tuple[PeerName, ...] = (
    PeerName("torch", "CosineAnnealingLR", "CosineAnnealingLR(optimizer, T_max, eta_min=0.0)",
             "cosine(T_max, end=eta_min/base_lr)", "factor", "cosine",
             {"T_max": "steps", "eta_min": "end"}),
    PeerName("torch", "StepLR", "StepLR(optimizer, step_size, gamma=0.1)",
             "step(step_size, gamma=gamma)", "factor", "step", {"step_size": "every"}),
    PeerName("optax", "cosine_decay_schedule", "cosine_decay_schedule(init_value, decay_steps, alpha=0.0)",
             "cosine(decay_steps, start=init_value, end=alpha*init_value)", "absolute", "cosine",
             {"init_value": "start", "decay_steps": "steps"}),
)


def lookup(name: str) -> list[PeerName]:
    """The rows named ``name``, case-insensitively: ``"CosineAnnealingLR"`` or
    ``"torch.CosineAnnealingLR"``."""
    peer, _, bare = name.rpartition(".")
    key = bare.lower()
    return [r for r in PEER_NAMES if r.name.lower() == key and (not peer or r.peer == peer.lower())]
