"""One run: a pure function of (scenario, seed) -> `RunResult` with KPIs and tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.agents import Manager
from sim.metrics import (
    EVENT_LOG_EPOCH,
    BooksError,
    Costs,
    check_books,
    daily_table,
    kpis,
    people_kpis,
    phase_kpis,
    reorganisation_effect,
    steady_state,
    unit_table,
)
from sim.model import OrgModel
from sim.scenario import Scenario, event_scenario
from sim.stability import BacklogWatch
from sim.structure import build_units, offered_utilisation


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    kpis: dict[str, Any]
    requests: pd.DataFrame
    """One row per counted request (arrived after warm-up) that closed."""
    units: pd.DataFrame
    timeseries: pd.DataFrame
    """Model-level series sampled at a regular interval (Mesa DataCollector)."""
    unit_timeseries: pd.DataFrame
    """Queue length, busy share and engagement per unit over time (from each unit's manager)."""
    daily: pd.DataFrame
    """Per working day: arrivals, resolution time, CSAT, engagement, burnout, tie density."""
    events: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    counterfactual: pd.DataFrame | None = None
    """For a scenario with a reorganisation: `daily` of the same customers without it."""

    @property
    def stable(self) -> bool:
        return bool(self.kpis["stable"])

    @property
    def daily_without_events(self) -> pd.DataFrame | None:
        """`daily` of this scenario without its events on this seed, what a reorganisation of
        it is measured against (`run`'s `without`): this run's own for a scenario without
        events, else its counterfactual (None if it was not run)."""
        return self.counterfactual if self.scenario.events else self.daily


def run(
    scenario: Scenario,
    seed: int | None = None,
    *,
    events: bool = False,
    sample_every_hours: float | None = 1.0,
    counterfactual: bool = True,
    without: pd.DataFrame | None = None,
) -> RunResult:
    """Simulate `scenario` once. Same scenario and seed, same result, bit for bit.

    A scenario with a reorganisation is also run without it on the same customers (common
    random numbers, `without_events`), so that the J-curve's dip, recovery and pay-back can be
    measured. `without`: that run's `daily` table when it has been run already (a comparison
    that also runs the organisation as it stands, `counterfactual_key`); it is then not run
    again. `sample_every_hours`: the interval of the time series (`RunResult.timeseries`); None
    samples nothing (faster, for runs whose series nobody reads).
    """
    model = OrgModel(scenario, rng=seed, sample_every_hours=sample_every_hours, event_log=events)
    model.simulate(BacklogWatch())  # a clearly unstable run stops early (`sim.stability`)
    result = summarise(model)
    if scenario.events and counterfactual:
        if without is None:
            # The series nobody reads is not sampled: the daily table does not depend on it.
            stay = run(without_events(scenario), seed, sample_every_hours=None)
            without = stay.daily
        result.counterfactual = without.copy()
        result.kpis.update(
            reorganisation_effect(
                result.daily,
                without,
                switch_day=scenario.events[0].day,
                first_day=scenario.run.warmup_days,
                last_day=scenario.run.days,
            )
        )
    return result


def without_events(scenario: Scenario) -> Scenario:
    """What a reorganisation is measured against: the same scenario without its events."""
    return scenario.model_copy(update={"events": []})


LABELS = frozenset({"name", "description", "lesson", "assumptions"})
"""Scenario fields a run never reads: what it is called, how the classroom shows it, and the
plausible ranges of `sim compare --worlds` (which change other fields before a run)."""


def counterfactual_key(scenario: Scenario, seed: int) -> tuple[str, int]:
    """What decides a run's counterfactual, bit for bit: the scenario without its events, all but
    its `LABELS`, exactly as validated (JSON: 170 and 170.0 differ, and so does the order of a
    table's keys), and the seed. A scenario without events has the key of its own run, so a
    comparison of an organisation as it stands and its reorganised twin finds that the first's
    run of a seed is the second's counterfactual (same key), and runs it once."""
    text = scenario.model_dump_json(exclude=set(LABELS) | {"events"})
    return text, int(seed)


def run_costs(s: Scenario, model: OrgModel) -> Costs:
    """What the organisation paid over the measurement window: every employee's hours, one
    manager per unit for the hours the unit existed (a reorganisation changes how many), the
    reorganisations' one-off costs, and the cost per contact."""
    low, high = model.window
    staff = sum(e.hourly_cost for e in model.employees) * (high - low)
    # How many units (managers) there were from each structure switch on.
    periods = [(0.0, len(build_units(s).units))]
    for event in s.events:
        if event.structure is not None:
            after = build_units(event_scenario(s, event))
            periods.append((event.day * s.run.hours_per_day, len(after.units)))
    manager_hours = 0.0
    for (start, managers), (end, _) in zip(periods, [*periods[1:], (math.inf, 0)], strict=True):
        manager_hours += managers * max(0.0, min(end, high) - max(start, low))
    one_off = sum(e.one_off_cost for e in s.events if low <= e.day * s.run.hours_per_day < high)
    return Costs(
        staff=staff,
        managers=s.costs.manager_hourly_cost * manager_hours,
        one_off=one_off,
        per_contact=s.costs.per_contact,
    )


def summarise(model: OrgModel) -> RunResult:
    """Tables, KPIs and the books check of a finished model. Raises `BooksError` on a bug."""
    s = model.initial_config
    type_names = [t.name for t in s.demand.request_types]
    requests = model.requests.to_frame(type_names, model.unit_names, s.satisfaction.rating_cutoffs)
    if model.calendar is not None:
        # Working hours are the opening hours in between; the customer feels every hour.
        arrived, closed = requests["arrived"].to_numpy(), requests["closed"].to_numpy()
        opening = model.calendar.on_before_array
        requests["elapsed_hours"] = closed - arrived
        requests["resolution_hours"] = opening(closed) - opening(arrived)
    problems = check_books(model, requests)
    if problems:
        raise BooksError(f"{s.name} (seed {model.seed}): " + "; ".join(problems))
    units = unit_table(model, requests)
    daily = daily_table(model, requests)
    window_hours = model.window[1] - model.window[0]
    expected = {t.name: t.expected_hours for t in s.demand.request_types}
    numbers = kpis(
        requests,
        units,
        arrived=model.arrived_counted,
        window_days=window_hours / s.run.hours_per_day,
        costs=run_costs(s, model),
        expected_hours=expected,
        survey=s.satisfaction,
    )
    numbers.update(phase_kpis(requests, expected, s.run.hours_per_day, s.run.days))
    # Overload needs both the estimate and the measurement to agree: the estimate ignores help
    # and abandonment, which can keep a unit below capacity (Erlang A is always stable).
    offered = offered_utilisation(model.config, model.org)
    measured = dict(zip(units["unit"], units["utilisation"], strict=True))
    overloaded = {k: v for k, v in offered.items() if v >= 1.0 and measured[k] >= 0.97}
    reasons = []
    if overloaded:
        listing = ", ".join(
            f"{k} {v:.2f} offered, {measured[k]:.2f} measured" for k, v in overloaded.items()
        )
        reasons.append(f"load is at or above capacity (utilisation: {listing})")
    stopped_day = None
    if model.stopped is not None:
        stopped_day = round(model.time / s.run.hours_per_day)
        reasons.append(
            f"stopped early, at the end of day {stopped_day} of {s.run.days}: {model.stopped}"
        )
    elif not model.drained:
        reasons.append(
            f"{numbers['open_at_end']} counted requests were still open "
            f"{s.run.drain_limit_days:g} days after arrivals stopped"
        )
    numbers.update(people_kpis(model, daily))
    numbers.update(steady_state(daily, s.run.days))
    numbers["stable"] = not reasons
    numbers["unstable_reason"] = "; ".join(reasons) or None
    numbers["stopped_day"] = stopped_day
    numbers["seed"] = model.seed
    numbers["currency"] = s.run.currency
    timeseries = model.datacollector.get_model_vars_dataframe()
    unit_series = (
        model.datacollector.get_agenttype_vars_dataframe(Manager)
        .reset_index()
        .rename(columns={"Step": "time", "AgentID": "manager_id"})
    )
    return RunResult(
        scenario=s,
        seed=model.seed,
        kpis=numbers,
        requests=requests,
        units=units,
        timeseries=timeseries,
        unit_timeseries=unit_series,
        daily=daily,
        events=None if model.events is None else model.events.to_frame(_epoch(s)),
        warnings=[reasons[0]] if overloaded else [],
    )


def _epoch(s: Scenario) -> pd.Timestamp:
    """The date and time of model time 0 in the event log."""
    if s.calendar is None:
        return EVENT_LOG_EPOCH
    return pd.Timestamp(s.calendar.start)
