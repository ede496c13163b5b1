"""Schedules in YAML/JSON config files: total: auto, fractions, clear errors with lines."""

from __future__ import annotations

import json
import pathlib

import pytest

import lrkit
from lrkit.config import ScheduleConfig, from_dict, load_config, loads_config, schedule_from_config

yaml = pytest.importorskip("yaml")

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples" / "hydra-config.yaml"

WARMUP_COSINE = lrkit.warmup(lrkit.cosine("rest", end=0.01), "5%")


def test_text_spec_with_auto_total():
    sc = loads_config("schedule: \"warmup(cosine('rest', end=0.01), '5%')\"\ntotal: auto\n", yaml=True)
    assert sc.total is None and sc.schedule == WARMUP_COSINE and not sc.schedule.resolved
    s = sc.build(total_steps=2000)
    assert s == lrkit.warmup(lrkit.cosine(1900, end=0.01), 100)
    assert s(0) == 0.0 and s(100) == 1.0 and s(2000) == 0.01


def test_mapping_with_known_total_json(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"schedule": {"type": "cosine", "steps": "90%"}, "total": 10000}))
    sc = load_config(path)
    assert sc.total == 10000
    assert sc.build() == lrkit.cosine(9000)
    assert sc.build(total_steps=10000) == lrkit.cosine(9000)
    assert schedule_from_config(path) == lrkit.cosine(9000)
    assert schedule_from_config(str(path)) == lrkit.cosine(9000)


def test_total_auto_is_required_for_fractions_and_conflicts_are_refused():
    sc = from_dict({"schedule": "cosine('90%')"})
    with pytest.raises(ValueError, match="total_steps=<number of optimizer steps>"):
        sc.build()
    sc = from_dict({"schedule": "cosine('90%')", "total": 100})
    with pytest.raises(ValueError, match="total is 100 but the trainer runs 50"):
        sc.build(total_steps=50)
    with pytest.raises(ValueError, match="total_steps must be an integer > 0"):
        sc.build(total_steps=0)
    # a concrete schedule needs no total
    assert from_dict({"schedule": "cosine(10)"}).build() == lrkit.cosine(10)
    assert schedule_from_config("cosine('rest')", total_steps=7) == lrkit.cosine(7)
    assert schedule_from_config(ScheduleConfig(lrkit.cosine("rest")), 5) == lrkit.cosine(5)


def test_hydra_example_from_the_docs():
    cfg = yaml.safe_load(EXAMPLE.read_text())
    lr = from_dict(cfg["lr_schedule"], where="lr_schedule")
    wd = from_dict(cfg["wd_schedule"], where="wd_schedule")
    assert (lr.param, lr.relative, wd.param) == ("lr", True, "weight_decay")
    # what a trainer with 10 epochs of 64 batches and accumulate_grad_batches=2 reports
    t = cfg["trainer"]
    total = t["max_epochs"] * 64 // t["accumulate_grad_batches"]
    s = lr.build(total_steps=total)
    assert s == lrkit.warmup(lrkit.cosine(total - 16, end=0.01), 16)  # 5% of 320 = 16
    assert s(16) == 1.0 and s(total) == 0.01
    assert wd.build(total_steps=total) == lrkit.linear(total, start=1.0, end=0.1)


def test_unknown_keys_name_the_key_and_line():
    text = ("schedule:\n  type: warmup\n  steps: 5%\n  schedule:\n    type: cosine\n    stepz: rest\n"
            "total: auto\n")
    with pytest.raises(ValueError, match=r"cfg\.yaml, line 6: schedule\.schedule\.stepz: unknown key 'stepz' "
                                         r"for cosine; allowed: steps, start, end, exponent"):
        loads_config(text, yaml=True, where="cfg.yaml")
    with pytest.raises(ValueError, match=r"line 3: totl: unknown key 'totl'; a schedule section takes"):
        loads_config("schedule: cosine(10)\n\ntotl: auto\n", yaml=True)
    with pytest.raises(ValueError, match=r"line 2: schedule\.type: unknown schedule type 'cosin'"):
        loads_config("schedule:\n  type: cosin\n  steps: 10\n", yaml=True)
    text = '{\n  "schedule": {\n    "type": "cosine",\n    "steps": 10,\n    "ends": 0.1\n  }\n}'
    with pytest.raises(ValueError, match=r"s\.json, line 5: schedule\.ends: unknown key 'ends'"):
        loads_config(text, where="s.json")


def test_bad_values_name_the_key_and_line():
    with pytest.raises(ValueError, match=r"line 3: schedule\.steps: steps must be .*> 0.*-5"):
        loads_config("total: auto\nschedule:\n  steps: -5\n  type: cosine\n", yaml=True)
    with pytest.raises(ValueError, match=r"line 2: total: total must be 'auto' or a number of"):
        loads_config("schedule: cosine('rest')\ntotal: ???\n", yaml=True)
    with pytest.raises(ValueError, match=r"line 1: schedule: malformed schedule text"):
        loads_config("schedule: cosine(10\n", yaml=True)
    with pytest.raises(ValueError, match=r"line 1: schedule: unknown schedule 'cosin'"):
        loads_config("schedule: cosin(10)\n", yaml=True)
    with pytest.raises(ValueError, match="relative must be true or false"):
        from_dict({"schedule": "cosine(10)", "relative": "yes"})
    with pytest.raises(ValueError, match="missing the 'schedule' key"):
        from_dict({"total": 10})
    with pytest.raises(ValueError, match="expected a mapping with a 'schedule' key, got list"):
        loads_config("- 1\n- 2\n", yaml=True)
    with pytest.raises(ValueError, match=r"line 2: total: cannot resolve the schedule with total 3"):
        loads_config("schedule: \"join([linear(10), cosine('rest')], [10])\"\ntotal: 3\n", yaml=True)


def test_malformed_files_name_the_line(tmp_path):
    with pytest.raises(ValueError, match=r"c\.yaml, line 2, column \d+: malformed YAML"):
        loads_config("schedule: cosine(10)\n  total: [auto\n", yaml=True, where="c.yaml")
    with pytest.raises(ValueError, match=r"line 3, column \d+: malformed JSON"):
        loads_config('{\n "schedule": "cosine(10)",\n}', where="c.json")
    with pytest.raises(ValueError, match=r"line 2: duplicate key 'total' \(first at line 1\)"):
        loads_config("total: 10\ntotal: auto\nschedule: cosine('rest')\n", yaml=True)
    bad = tmp_path / "s.toml"
    bad.write_text("x")
    with pytest.raises(ValueError, match=r"must end in \.json, \.yaml or \.yml"):
        load_config(bad)


def test_unreadable_json_names_the_file():
    with pytest.raises(ValueError, match="^c.json: unreadable JSON: "):
        loads_config('{"total": ' + "1" * 5000 + "}", where="c.json")


def test_yaml_is_never_executed():
    text = "schedule: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(ValueError, match="malformed YAML"):
        loads_config(text, yaml=True)


def test_the_docs_section_examples():
    import doctest

    from .readme import section

    text = section("## Training stacks: Lightning, Hugging Face Trainer, DDP, crash-safe resume, config files")
    test = doctest.DocTestParser().get_doctest(text, {}, "README training stacks", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 3 and result.failed == 0
