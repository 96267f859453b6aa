"""The round trip: a log simulated by the model itself (`sim run --events`) calibrates back to
the parameters that generated it, and the calibrated model reproduces the held-out cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sim_in_process import sim

from sim.calendar import Week
from sim.calibration.fidelity import (
    Sample,
    held_out_scenario,
    held_out_window,
    holdout_cut,
    simulate,
)
from sim.calibration.mapping import load_mapping
from sim.calibration.pipeline import calibrate, load_timeline
from sim.scenario import load_scenario

DATA = Path(__file__).parent / "data" / "calibration"
GENERATOR = DATA / "roundtrip.toml"
MAP = DATA / "roundtrip-map.toml"


@pytest.fixture(scope="module")
def simulated_log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("roundtrip") / "events.csv"
    out = sim("run", GENERATOR, "--events", path)
    assert out.returncode == 0, out.stderr
    return path


def test_the_model_s_own_log_calibrates_back_to_its_parameters(simulated_log):
    truth = load_scenario(GENERATOR)
    result = calibrate(simulated_log, load_mapping(MAP), holdout=0.0)
    s = result.scenario
    assert s.demand.requests_per_day == pytest.approx(truth.demand.requests_per_day, rel=0.05)
    assert s.demand.work_distribution == "exponential"
    types = {t.name: t for t in s.demand.request_types}
    expected = {
        "intake": ("simple", 0.6),
        "intake -> specialist": ("escalated", 0.3),
        "intake -> specialist -> intake": ("ping-pong", 0.1),
    }
    assert set(types) == set(expected)
    for name, (original, share) in expected.items():
        assert types[name].share == pytest.approx(share, abs=0.02)
        generated = next(t for t in truth.demand.request_types if t.name == original)
        for task, true_task in zip(types[name].tasks, generated.tasks, strict=True):
            assert task.skill == true_task.skill
            assert task.hours == pytest.approx(true_task.hours, rel=0.12), name
    assert {g.skill: g.headcount for g in s.workforce} == {"intake": 4, "specialist": 4}
    # Its delays are drawn apart (no slow cases): a handoff delay (2 h) under the hour does not
    # make a case slow (0.69 on the escalated type when every handoff delay was taken to).
    assert all(t.slow_case_share > 0.9 for t in s.demand.request_types)
    assert all(g.start_delay_share == 0 for g in s.workforce)
    p, true_p = s.policies, truth.policies
    assert p.first_contact_resolution == pytest.approx(true_p.first_contact_resolution, abs=0.02)
    # A log shows the customer's wait ending when work resumes: after a call back at night,
    # at the next opening. Read as interval-censored (the call back came somewhere in the
    # closed hours before), the wait comes back unbiased (read as exact it was +30%).
    assert s.demand.callback_delay_hours == pytest.approx(
        truth.demand.callback_delay_hours, rel=0.1
    )
    # The handoff delay, censored the same way at a morning's opening (it was twice the true
    # delay), still holds the wait in the receiving team's queue: +20% at 44% load.
    assert true_p.handoff_delay_hours < p.handoff_delay_hours < 1.4 * true_p.handoff_delay_hours
    # The working calendar: the opening hours, give or take an hour of tasks finished after
    # closing; work starts only then (the log has no arrival times: a case starts with its
    # first task).
    assert s.calendar is not None and truth.calendar is not None
    found, true = (Week.from_text(c.opening_hours) for c in (s.calendar, truth.calendar))
    for day, true_hours in zip(found.days, true.days, strict=True):
        assert len(day) == len(true_hours)
        for (start, end), (true_start, true_end) in zip(day, true_hours, strict=True):
            assert start == true_start and true_end <= end <= true_end + 1
    profile = s.calendar.arrival_profile
    assert max(profile[:7]) == 0 and profile[7 * 24 - 1] == 0  # Monday night, Sunday night
    weekdays = sum(profile[: 5 * 24]) / 5
    assert sum(profile[5 * 24 : 6 * 24]) < 0.3 * weekdays  # a quiet Saturday


def test_the_written_scenario_is_a_scenario_with_no_personal_names(simulated_log, tmp_path):
    out = sim(
        "calibrate", simulated_log, "--map", MAP, "--holdout", "0", "--out", tmp_path / "a.toml"
    )
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "a.toml").read_text()
    assert "employee" not in text  # people are counted, never named
    assert re.search(r"^# .*cases", text, re.MULTILINE)  # comments say what was measured
    assert sim("validate", tmp_path / "a.toml").returncode == 0
    assert f"{tmp_path / 'a.toml'}: written (3 request types, 2 teams, 8 people)" in out.stderr


@pytest.mark.slow
def test_the_calibrated_model_reproduces_its_own_held_out_cases(simulated_log, tmp_path):
    report = tmp_path / "fidelity.html"
    out = sim(
        "calibrate", simulated_log, "--map", MAP, "--out", tmp_path / "as-is.toml",
        "--reps", "3", "--workers", "2", "--report", report, "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    fidelity = json.loads(out.stdout)["fidelity"]
    stats, targets = fidelity["statistics"], fidelity["targets"]
    for key in ("cases_per_week", "transfers_per_case", "elapsed_hours_p90"):
        assert targets[key]["met"], (key, stats[key])
    # The median sits where the quick single-team cases end: noisy; the model must be within
    # the log's own sampling interval, widened by the model's spread over its replications.
    p50 = stats["elapsed_hours_p50"]
    slack = 2 * p50["model_sd"]
    assert p50["log_low"] - slack <= p50["model"] <= p50["log_high"] + slack, p50
    assert stats["ping_pong_share"]["model"] == pytest.approx(
        stats["ping_pong_share"]["log"], abs=0.03
    )
    distances = fidelity["distances"]
    # Team sequences: close to the noise floor; the one-queue baseline has no teams at all.
    assert distances["ngram_2"]["model"] < 3 * distances["ngram_2"]["noise_floor"]
    assert distances["ngram_2"]["baseline"] == pytest.approx(1.0)
    html = report.read_text()
    assert html.count("data:image/png;base64,") == 6
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # self-contained


@pytest.mark.slow  # statistical: 8 paired seeds
def test_the_calibrated_model_behaves_like_the_generator(simulated_log):
    """Paired with the same seeds over the same test window, the calibrated scenario and the
    one that generated the log give close elapsed times and transfers.

    Eight seeds: with two, one unlucky seed decides (the calibrated p90 ranges 24-36 h over
    seeds 1-12 against the generator's 19-23 h). Measured over seeds 1-8, calibrated against
    generator: p50 +11%, p90 -1%, transfers +1%. Before the callback and handoff delays were
    read as interval-censored at a morning's opening they held closed hours the model then
    added again: p50 +20%, p90 +24%, at the edge of the tolerances."""
    timeline = load_timeline(simulated_log, load_mapping(MAP))
    window = held_out_window(timeline, holdout_cut(timeline, 0.2))
    calibrated = calibrate(simulated_log, load_mapping(MAP), holdout=0.2, reps=1).scenario
    origin = str(window.origin)
    results = {}
    for name, scenario in (("truth", load_scenario(GENERATOR)), ("calibrated", calibrated)):
        model = held_out_scenario(scenario, window)
        runs = [
            Sample(weeks=window.weeks, **simulate(model, seed, origin, 1e9, True))
            for seed in range(1, 9)
        ]
        results[name] = [r.statistics() for r in runs]
    for key, tolerance in (
        ("elapsed_hours_p50", 0.2),
        ("elapsed_hours_p90", 0.25),
        ("transfers_per_case", 0.1),
    ):
        truth = sum(r[key] for r in results["truth"]) / len(results["truth"])
        fitted = sum(r[key] for r in results["calibrated"]) / len(results["calibrated"])
        assert fitted == pytest.approx(truth, rel=tolerance), key
