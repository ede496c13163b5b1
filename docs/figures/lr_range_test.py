"""LR range test on a small real problem: three interleaved spirals, a 2→64→64→3 MLP, AdamW.

``draw(path)`` runs the range test (up to 200 steps from 1e-6 to 10) and saves its plot: the
picture on the LR range test page, drawn when the site is built.  Run as a script, it also
trains 20 epochs with a one-cycle schedule peaking at the suggestion and prints the accuracy::

    PYTHONPATH=src python docs/figures/lr_range_test.py
"""

import math

import torch

import lrkit
from lrkit.torch import find_lr

F = torch.nn.functional


def problem(n: int = 1000, k: int = 3):
    """The data (points, labels), a loader, a model and its optimizer, all seeded."""
    torch.manual_seed(0)
    t = torch.linspace(0.1, 1.0, n).repeat(k)
    label = torch.arange(k).repeat_interleave(n)
    angle = 4.0 * t + 2 * math.pi * label / k + 0.25 * torch.randn(k * n)
    x = torch.stack([t * angle.cos(), t * angle.sin()], dim=1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, label), batch_size=64,
                                         shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                torch.nn.ReLU(), torch.nn.Linear(64, k))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    return x, label, loader, model, optimizer


def range_test(model, optimizer, loader):
    """The range test; the model and optimizer are back to their state before it."""
    return find_lr(model, optimizer, F.cross_entropy, loader, start=1e-6, end=10.0, steps=200)


def draw(path: str) -> None:
    """Save the range test's plot to ``path``."""
    torch.set_num_threads(1)
    _, _, loader, model, optimizer = problem()
    ax = range_test(model, optimizer, loader).plot(title="LR range test: 3-spiral MLP, AdamW, 200 steps")
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def main() -> None:
    x, label, loader, model, optimizer = problem()
    result = range_test(model, optimizer, loader)
    print(result)
    # train 20 epochs with a one-cycle schedule peaking at the suggestion
    peak = result.suggestion
    schedule = lrkit.onecycle(20 * len(loader), peak=peak)
    step = 0
    for _ in range(20):
        for xb, yb in loader:
            for group in optimizer.param_groups:
                group["lr"] = schedule(step)
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
            step += 1
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == label).float().mean().item()
    print(f"peak lr {peak:.3g}: train accuracy {accuracy:.3f} after 20 epochs")


if __name__ == "__main__":
    main()
