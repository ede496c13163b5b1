"""A real schedule search: the digits MLP (lrkit.search.task) searched with lrkit.search.optimize.

Writes docs/data/search_result.json (read by docs/figures/search_result.py and docs/search.md):
the space, every trial (state, loss, schedule), the best schedule, a hand-picked cosine on the
same task, both re-run on five seeds, the number of trials and the wall time on this machine.

    python bench/search_digits.py            # 40 trials of 300 steps (about a minute)
    python bench/search_digits.py --quick    # 4 trials of 60 steps, nothing written
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

import _common  # noqa: F401  (puts src/ on the path)

SPACE = ("loguniform(0.01, 2.0) * warmup(choice(cosine('rest', end=uniform(0, 0.2)), "
         "wsd('rest', 0, randint(30, 240), end=uniform(0, 0.2), shape=choice('linear', 'cosine', '1-sqrt'))), "
         "randint(0, 60))")
HAND_PICKED = "0.1 * cosine(300)"
OUT = os.path.join(_common.ROOT, "docs", "data", "search_result.json")


def main() -> None:
    args = _common.parser(__doc__).parse_args()
    import optuna
    import torch

    from lrkit.search import optimize, space
    from lrkit.search.task import digits

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n_trials, steps = (4, 60) if args.quick else (40, 300)
    sp = space(SPACE, total_steps=steps)
    start = time.perf_counter()
    res = optimize(lambda s, report: digits(s, report, steps=steps, every=50), sp, n_trials, seed=0)
    wall = time.perf_counter() - start
    hand = HAND_PICKED if not args.quick else f"0.1 * cosine({steps})"
    hand_loss = digits(hand, steps=steps)
    seeds = list(range(5))
    best_seeds = [digits(res.best_schedule, steps=steps, seed=k) for k in seeds]
    hand_seeds = [digits(hand, steps=steps, seed=k) for k in seeds]
    data = {
        "task": "lrkit.search.task.digits: 64-32-10 MLP, SGD momentum 0.9, batch 64, validation cross-entropy",
        "space": SPACE, "steps": steps, "n_trials": n_trials, "wall_time_s": round(wall, 1),
        "sampler": "Optuna TPE, seed 0", "pruner": "MedianPruner() (5 startup trials), a report every 50 steps",
        "complete": res.complete, "pruned": res.pruned, "failed": res.failed,
        "best": {"schedule": repr(res.best_schedule), "loss": res.best_value, "params": res.best_params},
        "hand_picked": {"schedule": hand, "loss": hand_loss},
        "seeds": {"seeds": seeds, "best": best_seeds, "hand_picked": hand_seeds},
        "trials": [{"number": t.number, "state": t.state.name, "value": t.value,
                    "schedule": t.user_attrs.get("schedule")} for t in res.study.trials],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), torch {torch.__version__}, "
                   f"optuna {optuna.__version__}, one torch thread",
    }
    print("| trials | complete | pruned | wall time | best loss | hand-picked cosine | 5 seeds: best / cosine |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {n_trials} | {res.complete} | {res.pruned} | {wall:.1f} s | {res.best_value:.4f} | {hand_loss:.4f} | "
          f"{statistics.mean(best_seeds):.4f} / {statistics.mean(hand_seeds):.4f} |")
    print(f"best: {res.best_schedule!r}")
    if not args.quick:
        with open(OUT, "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        print(f"wrote {os.path.relpath(OUT, _common.ROOT)}")


if __name__ == "__main__":
    main()
