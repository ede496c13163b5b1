"""Every input the hostile-input report listed: a clean ValueError/TypeError naming the argument,
or the correct finite value, quickly (each case runs in a child process with a timeout)."""

from __future__ import annotations

import json
import math
import multiprocessing
import subprocess
import sys
from typing import Any

import pytest

import lrkit as L

TIMEOUT = 60  # seconds for the whole batch of cases in one child
#: YAML whose aliases expand to 2**21 items ("billion laughs")
LAUGHS = "a: &a [1, 1]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n"
                                    for i in range(20))


def _cases() -> list[tuple[str, str, Any]]:
    """(label, code to run, expectation): 'error:<text in the message>' or 'finite'."""
    return [
        ("restarts duration, huge limit", "L.restarts(L.cosine(10), 10, mult=2, limit=2**53 + 1).duration",
         "error:limit"),
        ("restarts at 1e308", "L.restarts(L.cosine(10), 10)(1e308)", "finite"),
        ("constant(10**400)", "L.constant(10**400)", "error:value"),
        ("config steps 10**400", "L.from_config({'type': 'cosine', 'steps': 10**400})", "error:steps"),
        ("JSON steps 10**400", "L.loads('{\"type\": \"cosine\", \"steps\": 1' + '0' * 400 + '}')", "error:steps"),
        ("deep JSON", "L.loads('[' * 100000 + ']' * 100000)", "error:"),
        ("deep YAML", "L.loads('[' * 5000 + ']' * 5000, yaml=True)", "error:"),
        ("deep YAML blocks", "L.loads(''.join(' ' * i + 'a:\\n' for i in range(5000)), yaml=True)", "error:"),
        ("YAML billion laughs", "L.loads(LAUGHS, yaml=True)", "error:aliases"),
        ("multistep gamma 1e308", "L.multistep([2, 5], gamma=1e308)(0)", "error:gamma"),
        ("inverse_sqrt huge", "L.inverse_sqrt(1e308, timescale=3)(1e308)", "error:"),
        ("cyclic tiny up", "L.cyclic(0.1, 1.0, 5e-324, down=3)(0)", "error:up"),
        ("wsd huge cycles", "L.wsd(100, 10, 20, shape='cosine', cycles=1e308)(85)", "error:cycles"),
        ("exponential warmup from 0", "L.warmup(L.constant(0.0), 5, start=0.1, kind='exponential')", "error:"),
        ("noise at inf", "L.noise(L.cosine(10), 0.1, seed=1)(float('inf'))", "error:"),
        ("restarts decay at inf", "L.restarts(L.cosine(10), 10, mult=2, decay=0.5)(float('inf'))", "error:"),
        ("cosine 1e308 to -1e308", "L.cosine(10, start=1e308, end=-1e308)(5)", "error:"),
        ("linear 1e308 to -1e308", "L.linear(10, start=1e308, end=-1e308)(5)", "error:"),
        ("interpolate 1e308", "L.interpolate([[0, 1e308], [10, -1e308]])(5)", "error:"),
        ("exponential interpolation overflow",
         "L.interpolate([[0, 1e-300], [10, 1e300], [20, 1e-300]], kind='exponential')(5)", "finite-or-error"),
        ("onecycle div 5e-324", "L.onecycle(100, div_factor=5e-324)", "error:"),
        ("cyclic exp_range gamma 2", "L.cyclic(0.1, 1.0, 5, mode='exp_range', gamma=2.0)(2000)", "error:"),
        ("product overflow", "L.cosine(10) * 1e308 * 10.0", "error:"),
        ("sum overflow", "L.constant(1e308) + L.constant(1e308)", "error:"),
        ("step at inf", "L.step(3)(float('inf'))", "error:"),
        ("pingpong at inf", "L.pingpong(L.cosine(10))(float('inf'))", "error:"),
        ("staircase at inf", "L.exponential(0.9, staircase=True)(float('inf'))", "error:"),
        ("wsd decay_from 1e308", "L.wsd(100, 10, 20, decay_from=1e308)", "error:decay_from"),
        ("restarts at 3.3e22, scalar = array",
         "(lambda s, np: (s(3.3e22), float(s(np.array([3.3e22]))[0])))(L.restarts(L.cosine(10), 10), "
         "__import__('numpy'))", "equal-pair"),
        ("duration above 2**63", "L.parse(repr(L.cosine(2**64)))", "error:steps"),
        ("load a missing file", "L.load('/nonexistent/lrkit.json')", "error:/nonexistent/lrkit.json"),
    ]


def _run_cases(q: Any) -> None:
    import lrkit as L  # noqa: F401  (the cases refer to it)

    out = []
    for label, code, _ in _cases():
        try:
            value = eval(code, {"L": L, "LAUGHS": LAUGHS})  # noqa: S307  (our own test strings)
            out.append((label, "value", repr(value) if not isinstance(value, L.Schedule) else "schedule"))
        except (ValueError, TypeError) as e:
            out.append((label, "error", str(e)))
        except BaseException as e:  # noqa: BLE001  (any other exception is the defect)
            out.append((label, "raised", f"{type(e).__name__}: {e}"))
    q.put(out)


def test_every_reported_input_is_clean_and_quick() -> None:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_run_cases, args=(q,))
    p.start()
    p.join(TIMEOUT)
    hung = p.is_alive()
    if hung:
        p.kill()
    assert not hung, f"a case hung (> {TIMEOUT} s)"
    results = {label: (kind, text) for label, kind, text in q.get(timeout=10)}
    for label, _, want in _cases():
        kind, text = results[label]
        assert kind != "raised", (label, text)
        if want.startswith("error:"):
            assert kind == "error", (label, kind, text)
            assert want[6:] in text, (label, text)
        elif want == "finite":
            assert kind == "value" and math.isfinite(float(text)), (label, text)
        elif want == "equal-pair":
            a, b = eval(text)  # noqa: S307
            assert a == pytest.approx(b, rel=1e-12), (label, text)
        else:  # finite-or-error
            assert kind == "error" or math.isfinite(float(text)), (label, text)


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        L.loads('{"type": "cosine", "steps": 10, "steps": 20}')
    pytest.importorskip("yaml")
    with pytest.raises(ValueError, match="duplicate"):
        L.loads("type: cosine\nsteps: 10\nsteps: 20\n", yaml=True)


def test_cli_reports_huge_and_deep_input_without_a_traceback(tmp_path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"type": "cosine", "steps": 1}).replace("1}", "1" + "0" * 400 + "}"))
    for arg in (f"@{deep}", f"@{huge}"):
        r = subprocess.run([sys.executable, "-m", "lrkit", "plot", arg], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 2, (arg, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip(), r.stderr
