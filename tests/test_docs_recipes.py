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
