"""How well a calibrated scenario reproduces the real organisation on cases it was not fitted to.

The log is split in time: the scenario is fitted on the cases that arrived before the cut, and
tested on the later ones (the *test window*). The scenario is simulated over the test window
(after a warm-up, as the model starts empty) several times with independent seeds, and so is a
**naive baseline** (one pooled queue: the same people, arrivals and work, no teams). Each is
compared with the test cases:

- side by side, the statistics a leader knows: cases per week, elapsed time p50 and p90
  (calendar hours from arrival to the end of the customer's wait), transfers per case,
  ping-pong share, utilisation;
- the distances of the literature (`sim.calibration.distances`), each next to its **noise
  floor**: the same distance between two random halves of the real test cases, the best any
  model can hope for at this sample size.

Both sides are treated alike: cases that end after the log does are left out of the elapsed
times, the routes and the transfers, on the simulated side as the log leaves them out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.cases import Timeline, collapse, is_ping_pong, sequences
from sim.calibration.distances import (
    absolute_time_distance,
    circadian_distance,
    cycle_time_distance,
    hour_of_week_distance,
    ngram_distance,
)
from sim.scenario import Scenario, parse_scenario

WARMUP_DAYS = (3, 14)
"""Fewest and most days simulated before the test window opens (the model starts empty, the
real organisation did not): the 90th percentile of the fitted cases' elapsed time, plus a
day, within these bounds."""
NOISE_SPLITS = 5
SMALL_TEST = 100
"""Fewer test cases than this and the fidelity figures are mostly noise: the output says so."""
"""Random halvings of the test cases averaged for each noise floor."""
POOLED = "one pooled queue"

STATISTICS = {
    "cases_per_week": ("Cases per week", "cases"),
    "elapsed_hours_p50": ("Elapsed time, median", "hours"),
    "elapsed_hours_p90": ("Elapsed time, 90th percentile", "hours"),
    "transfers_per_case": ("Transfers per case", "count"),
    "ping_pong_share": ("Ping-pong share", "share"),
    "utilisation": ("Utilisation", "share"),
}
"""Statistics shown side by side: key -> (label, unit)."""

TARGETS = {
    "elapsed_hours_p50": 0.25,
    "elapsed_hours_p90": 0.35,
    "transfers_per_case": 0.20,
    "cases_per_week": 0.10,
}
"""Largest relative error the calibration aims for (issue 11's "done when")."""

DISTANCES = {
    "ngram_2": ("2-gram distance on team sequences", "0-1"),
    "ngram_3": ("3-gram distance on team sequences", "0-1"),
    "cycle_time": ("Cycle-time distribution distance", "hours"),
    "case_arrival": ("Case arrival distribution distance", "hours"),
    "arrival_hour_of_week": ("Hour-of-week arrival distance", "hours"),
    "event_hour_of_week": ("Hour-of-week event distance", "hours"),
    "circadian_event": ("Circadian event distance", "hours"),
    "absolute_event": ("Absolute event distribution distance", "hours"),
}
"""Distances: key -> (label, unit)."""


@dataclass
class Sample:
    """One side of a comparison, in real time: what the distances and statistics need."""

    count: int
    """Cases that arrived in the test window."""
    arrivals: np.ndarray
    """Arrival of every case (datetime64)."""
    ended: np.ndarray
    """Elapsed hours of the cases that ended by the end of the log."""
    routes: list[tuple[str, ...]]
    """Team sequence of the cases that ended by the end of the log."""
    events: np.ndarray
    """Times of events (datetime64): the log's events; the simulation's task starts and ends."""
    weeks: float
    utilisation: float

    def statistics(self) -> dict[str, float]:
        return {
            "cases_per_week": self.count / self.weeks,
            "elapsed_hours_p50": _quantile(self.ended, 0.5),
            "elapsed_hours_p90": _quantile(self.ended, 0.9),
            "transfers_per_case": (
                float(np.mean([len(r) - 1 for r in self.routes])) if self.routes else math.nan
            ),
            "ping_pong_share": (
                float(np.mean([is_ping_pong(r) for r in self.routes])) if self.routes else math.nan
            ),
            "utilisation": self.utilisation,
        }


def distances(a: Sample, b: Sample) -> dict[str, float]:
    return {
        "ngram_2": ngram_distance(a.routes, b.routes, 2),
        "ngram_3": ngram_distance(a.routes, b.routes, 3),
        "cycle_time": cycle_time_distance(a.ended, b.ended),
        "case_arrival": absolute_time_distance(a.arrivals, b.arrivals),
        "arrival_hour_of_week": hour_of_week_distance(a.arrivals, b.arrivals),
        "event_hour_of_week": hour_of_week_distance(a.events, b.events),
        "circadian_event": circadian_distance(a.events, b.events),
        "absolute_event": absolute_time_distance(a.events, b.events),
    }


def format_number(value: float | None, unit: str) -> str:
    """A statistic or distance for people: shares in %, big numbers with separators, three
    significant figures otherwise; '–' when there is none."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation of the finite values (NaN where there are too few)."""
    finite = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    mean = float(finite.mean()) if len(finite) else math.nan
    sd = float(finite.std(ddof=1)) if len(finite) > 1 else math.nan
    return mean, sd


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.nan


# The real side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOut:
    """The later cases, and the times that frame them."""

    cut: pd.Timestamp
    """Test cases arrived at or after this (midnight)."""
    last_arrival: pd.Timestamp
    log_end: pd.Timestamp
    """The last event of the log: later ends are unknown."""
    warmup_days: int

    @property
    def origin(self) -> pd.Timestamp:
        """The real time of model time 0: the start of the warm-up."""
        return self.cut - pd.Timedelta(days=self.warmup_days)

    @property
    def days(self) -> int:
        return max(1, math.ceil((self.last_arrival - self.cut) / pd.Timedelta(days=1)))

    @property
    def weeks(self) -> float:
        return self.days / 7


def holdout_cut(timeline: Timeline, holdout: float) -> pd.Timestamp:
    """The midnight before which about 1 - `holdout` of the cases arrived."""
    arrivals = timeline.cases["arrival"]
    cut = arrivals.quantile(1.0 - holdout)
    return pd.Timestamp(cut).normalize()  # type: ignore[arg-type]  # a quantile of dates


def held_out_window(timeline: Timeline, cut: pd.Timestamp) -> HeldOut:
    cases = timeline.cases
    later = cases[cases["arrival"] >= cut]
    earlier = cases.loc[cases["arrival"] < cut, "elapsed_hours"]
    p90_days = float(earlier.quantile(0.9)) / 24 if len(earlier) else 0.0
    warmup = int(min(max(math.ceil(p90_days) + 1, WARMUP_DAYS[0]), WARMUP_DAYS[1]))
    return HeldOut(cut, later["arrival"].max(), timeline.events["time"].max(), warmup)


def log_sample(
    timeline: Timeline, window: HeldOut, headcount: int, cases: pd.DataFrame | None = None
) -> Sample:
    """The real test cases (or a subset of them) as a `Sample`."""
    if cases is None:
        cases = timeline.cases[timeline.cases["arrival"] >= window.cut]
    done = cases[cases["resolved"] & ~cases["cancelled"]]
    events = timeline.events[timeline.events["case"].isin(set(cases["case"]))]
    end = window.cut + pd.Timedelta(days=window.days)
    times = timeline.events["time"]
    in_window = timeline.events[(times >= window.cut) & (times < end)]
    # Hours people could work: the working week's (the calibrated calendar's opening hours).
    opening = timeline.workweek.working_hours(np.array([window.cut, end], dtype="datetime64[us]"))
    hours = float(opening[1] - opening[0])
    return Sample(
        count=len(cases),
        arrivals=cases["arrival"].to_numpy(dtype="datetime64[us]"),
        ended=done["elapsed_hours"].to_numpy(dtype=float),
        routes=list(done["route"]),
        events=events["time"].to_numpy(dtype="datetime64[us]"),
        weeks=window.weeks,
        utilisation=float(in_window["touch_hours"].sum() / (headcount * hours)),
    )


def noise_floor(timeline: Timeline, window: HeldOut, headcount: int, seed: int) -> dict:
    """Each distance between two random halves of the test cases, averaged over splits."""
    cases = timeline.cases[timeline.cases["arrival"] >= window.cut]
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(NOISE_SPLITS):
        half = rng.permutation(len(cases)) < len(cases) // 2
        a = log_sample(timeline, window, headcount, cases[half])
        b = log_sample(timeline, window, headcount, cases[~half])
        rows.append(distances(a, b))
    return {k: _mean_sd([r[k] for r in rows])[0] for k in DISTANCES}


def sampling_interval(sample: Sample, seed: int, rounds: int = 200) -> dict[str, tuple]:
    """95% interval of each statistic of the log from sampling alone: a bootstrap over the
    ended cases (a Poisson interval for the case count); how far a perfect model's statistic
    could fall from the log's by chance."""
    rng = np.random.default_rng(seed)
    n = len(sample.ended)
    out: dict[str, tuple] = dict.fromkeys(STATISTICS, (math.nan, math.nan))
    if n:
        transfers = np.array([len(r) - 1 for r in sample.routes], dtype=float)
        pongs = np.array([is_ping_pong(r) for r in sample.routes], dtype=float)
        picks = rng.integers(0, n, (rounds, n))
        columns = {
            "elapsed_hours_p50": np.quantile(sample.ended[picks], 0.5, axis=1),
            "elapsed_hours_p90": np.quantile(sample.ended[picks], 0.9, axis=1),
            "transfers_per_case": transfers[picks].mean(axis=1),
            "ping_pong_share": pongs[picks].mean(axis=1),
        }
        for key, values in columns.items():
            out[key] = tuple(np.quantile(values, [0.025, 0.975]))
    half = 1.96 * math.sqrt(sample.count) / sample.weeks
    per_week = sample.count / sample.weeks
    out["cases_per_week"] = (max(0.0, per_week - half), per_week + half)
    return out


# The simulated side -------------------------------------------------------------------------


def held_out_scenario(scenario: Scenario, window: HeldOut) -> Scenario:
    """The scenario over the test window: a warm-up, then the window's days, with model day 0
    on the warm-up's first day (the calendar starts then; a weekly profile is turned)."""
    start = window.origin
    days: dict[str, Any] = {
        "run.days": window.warmup_days + window.days,
        "run.warmup_days": window.warmup_days,
    }
    if scenario.calendar is not None:
        return scenario.with_overrides({**days, "calendar.start": start.date()})
    weekly = list(scenario.demand.weekly_profile)
    if weekly and len(weekly) == 7:
        weekly = weekly[start.day_of_week :] + weekly[: start.day_of_week]
    return scenario.with_overrides({**days, "demand.weekly_profile": weekly})


def naive_baseline(scenario: Scenario) -> Scenario:
    """One pooled queue: every person in one unit able to do every task, the same arrivals,
    work, callbacks and patience; no teams, so no handoffs."""
    raw = scenario.model_dump()
    skills = scenario.skills
    for group in raw["workforce"]:
        group["other_skills"] = {s: 1.0 for s in skills if s != group["skill"]}
    raw["policies"]["coordination"] = 0.0  # a queue, not a team that must coordinate
    raw["structure"] = {
        "kind": "custom",
        "units": [{"name": POOLED, "members": {g.skill: g.headcount for g in scenario.workforce}}],
    }
    raw["name"] = f"Naive baseline: {scenario.name}"
    return parse_scenario(raw, "<naive baseline>")


def simulate(
    scenario: Scenario, seed: int, origin: str, censor_hours: float, from_first_start: bool
) -> dict[str, Any]:
    """One run of `scenario` as the pieces of a `Sample` (top level: runs in worker processes).

    Model hour t is ``origin + t``; cases closing after `censor_hours` count as not ended.
    With `from_first_start` a case starts when its first task starts, as in a log that records
    work (not arrivals): the wait before the first task is invisible there, so here too.
    """
    from sim.runner import run

    result = run(scenario, seed, events=True, sample_every_hours=None, counterfactual=False)
    requests = result.requests
    events = result.events
    assert events is not None
    counted = events[events["case"].isin(requests["id"])].sort_values(
        ["case", "start"], kind="stable"
    )
    units = {
        case: collapse(teams)
        for case, teams in sequences(
            counted["case"].to_numpy(), counted["unit"].to_numpy(dtype=object)
        ).items()
    }
    if from_first_start:
        first = counted.groupby("case")["start"].min()
        requests = requests.assign(arrived=requests["id"].map(first).fillna(requests["arrived"]))
    done = requests[~requests["abandoned"] & (requests["closed"] <= censor_hours)]
    epoch = np.datetime64(origin, "us")
    hour = np.timedelta64(3600_000_000, "us")

    def clock(hours: pd.Series) -> np.ndarray:
        return epoch + (hours.to_numpy(dtype=float) * hour).astype("timedelta64[us]")

    return {
        "count": int(result.kpis["arrived"]),
        "arrivals": clock(requests["arrived"]),
        # Calendar hours, as the log's elapsed times are (with a calendar or around the clock).
        "ended": (done["closed"] - done["arrived"]).to_numpy(dtype=float),
        "routes": [units.get(i, ()) for i in done["id"]],
        "events": np.concatenate([clock(counted["start"]), clock(counted["end"])]),
        "utilisation": float(result.kpis["utilisation"]),
    }


@dataclass
class Fidelity:
    """Held-out statistics and distances: log, model and naive baseline, with noise floors."""

    window: HeldOut
    test_cases: int
    replications: int
    statistics: dict[str, dict[str, float]]
    """key -> {"log", "log_low", "log_high" (its 95% sampling interval), "model", "baseline",
    "model_sd", "baseline_sd"}."""
    distances: dict[str, dict[str, float]]
    """key -> {"model", "baseline", "noise_floor", "model_sd", "baseline_sd"}."""
    samples: dict[str, Any] = field(default_factory=dict, repr=False)
    """For plots: the log's and one replication's samples of model and baseline."""
    notes: list[str] = field(default_factory=list)
    """What the reader should know to weigh the figures (a small test window, ...)."""

    def targets(self) -> dict[str, dict[str, Any]]:
        """Each target: the relative error of the model and the baseline, and whether met."""
        out: dict[str, dict[str, Any]] = {}
        for key, limit in TARGETS.items():
            row = self.statistics[key]
            errors = {
                side: abs(row[side] - row["log"]) / abs(row["log"])
                if row["log"] and math.isfinite(row[side])
                else math.nan
                for side in ("model", "baseline")
            }
            out[key] = {"limit": limit, **{f"{s}_error": e for s, e in errors.items()}}
            out[key]["met"] = bool(errors["model"] <= limit)
        cycle = self.distances["cycle_time"]
        spread = [cycle[f"{side}_sd"] for side in ("model", "baseline")]
        # Below the baseline by more than the runs' own noise (two standard errors).
        margin = (
            2 * math.sqrt(sum(sd * sd for sd in spread) / self.replications)
            if all(math.isfinite(sd) for sd in spread)
            else 0.0
        )
        out["cycle_time"] = {
            "limit": "below the naive baseline's, beyond the replications' noise",
            "model": cycle["model"],
            "baseline": cycle["baseline"],
            "margin": margin,
            "met": bool(cycle["model"] < cycle["baseline"] - margin),
        }
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "test_window": {
                "from": str(self.window.cut),
                "to": str(self.window.last_arrival),
                "days": self.window.days,
                "cases": self.test_cases,
            },
            "replications": self.replications,
            "statistics": self.statistics,
            "distances": self.distances,
            "targets": self.targets(),
            "notes": self.notes,
        }


def measure(
    scenario: Scenario,
    timeline: Timeline,
    window: HeldOut,
    seeds: Sequence[int],
    map_runs: Callable[[list[tuple[Scenario, int, str, float, bool]]], list[dict[str, Any]]],
) -> Fidelity:
    """Simulate the model and the baseline once per seed (through `map_runs`, which may run
    them in parallel) and compare both with the test cases."""
    headcount = scenario.headcount
    real = log_sample(timeline, window, headcount)
    floor = noise_floor(timeline, window, headcount, seeds[0])
    origin = str(window.origin)
    censor = (window.log_end - window.origin) / pd.Timedelta(hours=1)
    model = held_out_scenario(scenario, window)
    baseline = held_out_scenario(naive_baseline(scenario), window)
    starts = timeline.observed_starts
    jobs = [(s, seed, origin, censor, starts) for s in (model, baseline) for seed in seeds]
    runs = map_runs(jobs)
    sides: dict[str, list[Sample]] = {"model": [], "baseline": []}
    for (s, *_), out in zip(jobs, runs, strict=True):
        side = "model" if s is model else "baseline"
        sides[side].append(Sample(weeks=window.weeks, **out))
    statistics: dict[str, dict[str, float]] = {}
    log_stats = real.statistics()
    spread = sampling_interval(real, seeds[0])
    for key in STATISTICS:
        row = {"log": log_stats[key], "log_low": spread[key][0], "log_high": spread[key][1]}
        for side, samples in sides.items():
            values = [s.statistics()[key] for s in samples]
            row[side], row[f"{side}_sd"] = _mean_sd(values)
        statistics[key] = row
    table: dict[str, dict[str, float]] = {}
    per_side = {side: [distances(real, s) for s in samples] for side, samples in sides.items()}
    for key in DISTANCES:
        row = {"noise_floor": floor[key]}
        for side, rows in per_side.items():
            values = [r[key] for r in rows]
            row[side], row[f"{side}_sd"] = _mean_sd(values)
        table[key] = row
    notes = []
    if real.count < SMALL_TEST:
        notes.append(
            f"only {real.count} cases in the test window: its statistics are mostly sampling "
            "noise (see the log's 95% sampling intervals); a longer log or a larger --holdout "
            "tells more"
        )
    return Fidelity(
        notes=notes,
        window=window,
        test_cases=real.count,
        replications=len(seeds),
        statistics=statistics,
        distances=table,
        samples={"log": real, "model": sides["model"][0], "baseline": sides["baseline"][0]},
    )
