"""The recipes' claims about peers, run against the installed peer (the recipes check the rest
of their claims in their own blocks, run by test_docs_blocks)."""

from __future__ import annotations

import re

import pytest

import lrkit

from .readme import DOCS


def test_timm_recipe_is_timms_cosine_scheduler():
    torch = pytest.importorskip("torch")
    from tests.torchvision_stand_in import import_timm

    import_timm()
    from timm.scheduler import CosineLRScheduler

    page = (DOCS / "recipes" / "timm.md").read_text(encoding="utf-8")
    spec = re.search(r'per_epoch = lrkit.parse\("(.*?)"\)', page).group(1)
    call = re.search(r"CosineLRScheduler\(optimizer, (.*?)\)\n", page).group(1)
    kwargs = {k: float(v) if "." in v or "e" in v else int(v)
              for k, v in (part.split("=") for part in call.split(", "))}
    base = float(re.search(r"SGD\(model.parameters\(\), lr=([0-9.e-]+)\)", page).group(1))
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    theirs = CosineLRScheduler(optimizer, **kwargs)
    ours = lrkit.parse(spec)
    for epoch in range(70):
        theirs.step(epoch)
        lr = optimizer.param_groups[0]["lr"]
        assert abs(lr - base * ours(epoch)) <= 1e-14 * lr, epoch


@pytest.mark.parametrize("row", ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"])
def test_shapes_page_torch_rows_are_factors_of_the_base_lr(row):
    """The two rows of docs/shapes.md's torch table that once gave base_lr² (issue 15, part 1)."""
    torch = pytest.importorskip("torch")
    import lrkit.torch

    page = (DOCS / "shapes.md").read_text(encoding="utf-8")
    form = re.search(rf"\| `{row}\(.*?\)` \| `(.*?)`", page).group(1)
    base_lr, eta_min, t = 0.1, 0.001, 20
    spec = (form.replace("eta_min/base_lr", repr(eta_min / base_lr)).replace("T_max", str(t))
            .replace("T_0", str(t)).replace("T_mult", "2"))

    def optimizer():
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)

    theirs = optimizer()
    if row == "CosineAnnealingLR":
        peer = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=t, eta_min=eta_min)
    else:
        peer = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=t, T_mult=2, eta_min=eta_min)
    ours = optimizer()
    sched = lrkit.torch.Scheduler(ours, spec)
    for step in range(t if row == "CosineAnnealingLR" else 3 * t):
        a, b = theirs.param_groups[0]["lr"], ours.param_groups[0]["lr"]
        assert abs(a - b) <= 1e-12 * a, (step, a, b)
        for stepper in (theirs, ours, peer, sched):
            stepper.step()
