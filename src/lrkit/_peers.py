"""Schedulers that drive one optimizer together: their factors multiply.

torch's chainable schedulers, stepped one after the other on one optimizer,
each multiply the group's current lr by their own step ratio, so the lr is the
product of their factors.  lrkit's schedulers are closed form, so each one
writes ``base · Π factor_k(t_k)``: its own factor at its step times every other
live scheduler's factor at *that* scheduler's last step.  The result does not
depend on the order of the ``step()`` calls, and each scheduler resumes from
its own step.

The registry maps an optimizer (weakly: it never keeps one alive) to its
:class:`Peers`; a scheduler leaves when it is garbage collected (its factor then
no longer applies) or when a composite (``ChainedScheduler``, ``SequentialLR``)
takes it over.  An optimizer that cannot be weakly referenced or hashed gets a
private :class:`Peers`: its schedulers never compound.
"""

from __future__ import annotations

import weakref

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Peers", "peers_of"]

_BY_OPTIMIZER: weakref.WeakKeyDictionary[Any, Peers] = weakref.WeakKeyDictionary()


class Peers:
    """The live schedulers of one optimizer (weak references, in construction order)."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: list[weakref.ref[Any]] = []

    def add(self, scheduler: Any) -> None:
        members = self.members

        def gone(ref: weakref.ref[Any], members: list[weakref.ref[Any]] = members) -> None:
            if ref in members:
                members.remove(ref)

        members.append(weakref.ref(scheduler, gone))

    def remove(self, scheduler: Any) -> None:
        self.members[:] = [r for r in self.members if r() is not scheduler]

    def others(self, scheduler: Any) -> list[Any]:
        """The live schedulers other than ``scheduler``."""
        out = []
        for r in self.members:
            s = r()
            if s is not None and s is not scheduler:
                out.append(s)
        return out


def peers_of(optimizer: Any) -> Peers:
    """The :class:`Peers` of ``optimizer`` (a private one when it cannot be registered)."""
    try:
        peers = _BY_OPTIMIZER.get(optimizer)
        if peers is None:
            peers = _BY_OPTIMIZER[optimizer] = Peers()
    except TypeError:  # unhashable, or no weak references
        peers = Peers()
    return peers
