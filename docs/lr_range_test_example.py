"""LR range test on a small real problem; writes docs/lr-range-test.png (the README picture).

    PYTHONPATH=src python docs/lr_range_test_example.py
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import lrkit  # noqa: E402
from lrkit.torch import find_lr  # noqa: E402

torch.manual_seed(0)
F = torch.nn.functional

# three interleaved spirals, 3000 points, 2 features
n, k = 1000, 3
t = torch.linspace(0.1, 1.0, n).repeat(k)
label = torch.arange(k).repeat_interleave(n)
angle = 4.0 * t + 2 * math.pi * label / k + 0.25 * torch.randn(k * n)
x = torch.stack([t * angle.cos(), t * angle.sin()], dim=1)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, label), batch_size=64, shuffle=True)

model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                            torch.nn.ReLU(), torch.nn.Linear(64, k))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

result = find_lr(model, optimizer, F.cross_entropy, loader, start=1e-6, end=10.0, steps=200)
print(result)  # model and optimizer are back to their state before the test

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

ax = result.plot(title="LR range test: 3-spiral MLP, AdamW, 200 steps")
ax.figure.tight_layout()
ax.figure.savefig("docs/lr-range-test.png", dpi=100)
plt.close(ax.figure)
