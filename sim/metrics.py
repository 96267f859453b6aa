"""What a run measured: the unit table, KPIs, the event log and the books.

The per-request records and the time series are recorded as the run goes by `sim.records`.
KPIs are pure functions of the tables a run produces, so experiments and the dashboard compute
them the same way. Every run checks its own books (`check_books`): a run that loses a request,
counts one twice, or breaks Little's law in a unit fails loudly instead of reporting numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.agents import Employee
    from sim.model import OrgModel
    from sim.request import Request
    from sim.scenario import SatisfactionSettings
    from sim.unit import Unit


class BooksError(RuntimeError):
    """A run whose accounting does not add up: a bug, never a property of a scenario."""


EVENT_COLUMNS = [
    "case",
    "request_type",
    "activity",
    "resource",
    "unit",
    "enqueue",
    "start",
    "end",
    "handoff",
    "outcome",
    "start_time",
    "end_time",
]

EVENT_LOG_EPOCH = pd.Timestamp("2024-01-01 00:00")
"""The date and time of model time 0 in the event log's `start_time` and `end_time` (a Monday
at midnight): model hours laid end to end, so that process-mining tools, and `sim calibrate`,
read the log as timestamps. With `run.hours_per_day = 24` they are calendar times (with a
`[calendar]`, from its start date); otherwise each working day follows the previous one
without a night."""


class EventLog:
    """One row per task, in the Prosimos/Simod column convention that process-mining tools
    read (case, activity, resource, start, end), plus the unit, enqueue time and whether the
    task was reached through a handoff."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def add(
        self, r: Request, employee: Employee, unit: Unit, started: float, ended: float, right: bool
    ) -> None:
        if r.triage:
            activity, outcome = "triage (misrouted)", "forwarded"
        elif employee.transferring:
            activity, outcome = r.rtype.tasks[r.step].skill, "transferred out"
        else:
            activity = r.rtype.tasks[r.step].skill
            outcome = "resolved" if right else "not resolved"
        self.rows.append(
            (
                r.id,
                r.rtype.name,
                activity,
                f"employee {employee.unique_id}",
                unit.name,
                r.enqueued_at,
                started,
                ended,
                r.via_handoff,
                outcome,
            )
        )

    def to_frame(self, epoch: pd.Timestamp = EVENT_LOG_EPOCH) -> pd.DataFrame:
        """The table; `epoch` is the date and time of model time 0 (a calendar's start)."""
        frame = pd.DataFrame(self.rows, columns=EVENT_COLUMNS[:-2])
        for hours, column in (("start", "start_time"), ("end", "end_time")):
            since = pd.to_timedelta(frame[hours], unit="h").dt.round("s")
            frame[column] = epoch + since
        return frame


def write_event_log(frame: pd.DataFrame, path: str) -> None:
    """CSV or Parquet, by the file's extension."""
    if str(path).endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


# Units and KPIs ------------------------------------------------------------------------------


def unit_table(model: OrgModel, requests: pd.DataFrame) -> pd.DataFrame:
    """Per unit (of the final structure): headcount, utilisation over the measurement window,
    engagement now, CSAT of the requests it closed, and Little's law.

    O(units + people + requests): the requests are grouped by unit once, and the engagement
    statistics of units of the same size come from one array (a large organisation has
    hundreds of units; row by row, numpy's and pandas' per-call costs made this table cost
    more than a day of simulation)."""
    low, high = model.window
    span = high - low
    rows = []
    end = model.time
    engagement = _engagement_by_unit(model.units)
    csat = requests["csat"].to_numpy()
    closed_in = requests.groupby("unit", observed=True, sort=False).indices
    for unit, (mean, p10, p90) in zip(model.units, engagement, strict=True):
        busy = sum(e.busy_hours for e in unit.members)
        if model.calendar is None:
            capacity = len(unit.members) * span
        else:  # the hours each member was on duty in the window
            capacity = sum(
                e.shift.hours_between(low, high) for e in unit.members if e.shift is not None
            )
        mean_in_unit = unit.area / end if end > 0 else 0.0
        rate = unit.departures / end if end > 0 else 0.0
        sojourn = unit.sojourn_sum / unit.departures if unit.departures else 0.0
        closed_here = closed_in.get(unit.name)
        rows.append(
            {
                "unit": unit.name,
                "headcount": len(unit.members),
                "skills": ", ".join(sorted(unit.serves)),
                # Busy hours are summed task by task: clamp the rounding of a saturated unit.
                "utilisation": min(1.0, busy / capacity) if capacity > 0 else 0.0,
                "coordination_share": unit.coordination_share,
                "engagement_mean": mean,
                "engagement_p10": p10,
                "engagement_p90": p90,
                # pandas' mean (NaN skipped) of the unit's requests in table order, as a filter
                # of the table would give.
                "csat_mean": math.nan
                if closed_here is None
                else float(pd.Series(csat[closed_here]).mean()),
                "visits": unit.visits,
                "mean_in_unit": mean_in_unit,
                "throughput_per_hour": rate,
                "mean_sojourn_hours": sojourn,
                "little_ratio": mean_in_unit / (rate * sojourn) if rate * sojourn > 0 else 1.0,
                "queue_at_end": len(unit.queue),
            }
        )
    return pd.DataFrame(rows)


def _engagement_by_unit(units: Sequence[Unit]) -> list[tuple[float, float, float]]:
    """Each unit's members' engagement now: mean, 10th and 90th percentile. Units of the same
    headcount are stacked into one array, one numpy call per headcount instead of three per
    unit; each row is reduced as the unit's own array would be (same numbers)."""
    by_size: dict[int, list[int]] = {}
    for i, unit in enumerate(units):
        by_size.setdefault(len(unit.members), []).append(i)
    out: list[tuple[float, float, float]] = [(math.nan, math.nan, math.nan)] * len(units)
    for indices in by_size.values():
        levels = np.array([[e.engagement for e in units[i].members] for i in indices])
        means = levels.mean(axis=1).tolist()
        p10, p90 = np.quantile(levels, [0.1, 0.9], axis=1).tolist()
        for row, i in enumerate(indices):
            out[i] = (means[row], p10[row], p90[row])
    return out


ABANDONED_OUTCOME_EXPECTATIONS = 4.0
"""An abandoned customer's outcome in the reorganisation KPIs: at least this many times the
expected resolution time of their request (where the satisfaction model's loss saturates,
1 + 3 expected times), or the time they waited if longer. Counting them at the moment they gave
up would make the customers hurt most lower the measured damage."""


def outcome_hours(requests: pd.DataFrame, expected_hours: dict[str, float]) -> pd.Series:
    """Each request's time to outcome as the reorganisation KPIs count it: resolution time,
    and for an abandoned customer at least `ABANDONED_OUTCOME_EXPECTATIONS` expected times."""
    expected = requests["request_type"].map(expected_hours).astype(float)
    floor = ABANDONED_OUTCOME_EXPECTATIONS * expected
    penalised = np.maximum(requests["resolution_hours"], floor)
    return requests["resolution_hours"].where(~requests["abandoned"], penalised)


@dataclass(frozen=True)
class Costs:
    """What a run's organisation paid over the measurement window, in ``run.currency``."""

    staff: float
    """Every employee's `hourly_cost` x the window's hours (idle and training time is paid)."""
    managers: float
    """One manager per unit, `costs.manager_hourly_cost` x the hours the unit existed."""
    one_off: float
    """The `one_off_cost` of the reorganisations inside the window."""
    per_contact: float
    """`costs.per_contact`: the variable cost of each contact, repeat contacts included."""


def kpis(
    requests: pd.DataFrame,
    units: pd.DataFrame,
    *,
    arrived: int,
    window_days: float,
    costs: Costs,
    expected_hours: dict[str, float],
    survey: SatisfactionSettings,
) -> dict[str, Any]:
    """The headline numbers of a run, from its tables. Time in working hours.

    `requests` holds the counted requests that closed, resolved or abandoned; `arrived`
    counts every counted arrival (the difference is what was still open when the run had to
    stop). The `resolution_hours_*` and the other per-request means count resolved requests
    only; the time to outcome, the service level, the abandoned share and CSAT count every
    customer (an abandoned one at the time they gave up, as a miss, and at `abandoned_score`).
    `expected_hours` is each request type's expected resolution time; `survey` says which
    ratings are top box and which detractors. With a calendar,
    `requests` has an `elapsed_hours` column (calendar hours, as the customer feels them),
    reported as `elapsed_hours_mean`, `_p50` and `_p90`.
    """
    done = requests[~requests["abandoned"]]
    n_done, n_all = len(done), len(requests)
    resolution = done["resolution_hours"]
    expected = requests["request_type"].map(expected_hours).astype(float)
    on_time = ~requests["abandoned"] & (requests["resolution_hours"] <= expected)
    contacts_cost = costs.per_contact * float(requests["contacts"].sum())
    total_cost = costs.staff + costs.managers + costs.one_off + contacts_cost

    def mean(series: pd.Series) -> float:
        return float(series.mean()) if len(series) else math.nan

    def share(mask: pd.Series) -> float:
        return float(mask.mean()) if len(mask) else math.nan

    headcount = units["headcount"].to_numpy()
    utilisation = float((units["utilisation"] * headcount).sum() / headcount.sum())
    mean_resolution = mean(resolution)
    # Flow efficiency is work over the time on the clock (calendar hours with a calendar).
    clock_mean = mean(done["elapsed_hours"]) if "elapsed_hours" in done else mean_resolution
    return {
        "arrived": arrived,
        "resolved": n_done,
        "abandoned": n_all - n_done,
        "open_at_end": arrived - n_all,
        "abandoned_share": share(requests["abandoned"]),
        "service_level": share(on_time),
        "time_to_outcome_hours_mean": mean(requests["resolution_hours"]),
        "resolution_hours_mean": mean_resolution,
        "resolution_hours_p50": float(resolution.quantile(0.5)) if n_done else math.nan,
        "resolution_hours_p90": float(resolution.quantile(0.9)) if n_done else math.nan,
        **_elapsed(done),
        "wait_hours_mean": mean(done["queue_hours"]),
        "work_hours_mean": mean(done["work_hours"]),
        "handoff_hours_mean": mean(done["handoff_hours"]),
        "callback_hours_mean": mean(done["callback_hours"]),
        "flow_efficiency": mean(done["work_hours"]) / clock_mean if clock_mean else math.nan,
        "handoffs_per_request": mean(done["handoffs"]),
        "transfers_per_request": mean(done["transfers"]),
        "misroutes_per_request": mean(done["misroutes"]),
        "repeat_contacts_per_request": mean(done["repeat_contacts"]),
        "contacts_per_request": mean(done["contacts"]),
        "fcr": share(done["repeat_contacts"] == 0),
        "help_share": share(done["helped"] > 0),
        "csat_mean": mean(requests["csat"]),
        "csat_top_box": share(requests["rating"] >= survey.top_box_rating),
        "detractors": share(requests["rating"] <= survey.detractor_max_rating),
        "throughput_per_day": n_done / window_days,
        "utilisation": utilisation,
        "utilisation_by_unit": dict(
            zip(units["unit"], units["utilisation"].astype(float), strict=True)
        ),
        "payroll_per_resolved": costs.staff / n_done if n_done else math.nan,
        "total_cost": total_cost,
    }


def _elapsed(done: pd.DataFrame) -> dict[str, float]:
    if "elapsed_hours" not in done:
        return {}
    elapsed = done["elapsed_hours"]
    return {
        "elapsed_hours_mean": float(elapsed.mean()) if len(elapsed) else math.nan,
        "elapsed_hours_p50": float(elapsed.quantile(0.5)) if len(elapsed) else math.nan,
        "elapsed_hours_p90": float(elapsed.quantile(0.9)) if len(elapsed) else math.nan,
    }


def daily_table(model: OrgModel, requests: pd.DataFrame) -> pd.DataFrame:
    """One row per working day: the customers who arrived that day (how many, how long their
    requests took, as resolution time and as `outcome_hours`, how many gave up, how satisfied
    they were) and the people (engagement, burnout, ties)."""
    hours = model.hours_per_day
    expected = {t.name: t.expected_hours for t in model.initial_config.demand.request_types}
    by_day = requests.assign(
        day=(requests["arrived"] // hours).astype(int),
        outcome_hours=outcome_hours(requests, expected),
    ).groupby("day")
    customers = pd.DataFrame(
        {
            "arrived": by_day.size(),
            "resolution_hours_mean": by_day["resolution_hours"].mean(),
            "customer_hours": by_day["resolution_hours"].sum(),
            "outcome_hours": by_day["outcome_hours"].sum(),
            "abandoned": by_day["abandoned"].sum(),
            "csat_mean": by_day["csat"].mean(),
        }
    )
    people = pd.DataFrame(model.daily).astype({"day": int}).set_index("day")
    frame = people.join(customers, how="left")
    frame.index.name = "day"
    return frame.reset_index()


def people_kpis(model: OrgModel, daily: pd.DataFrame) -> dict[str, float]:
    """Engagement and ties averaged over the measurement window's days; burnout as the share
    of employees who burnt out (below the threshold for `burnout_days`) during it, and quits
    (`people.burnout_quit`) as a share of the headcount."""
    low, high = (w / model.hours_per_day for w in model.window)
    window = daily[(daily["day"] >= low) & (daily["day"] < high)]
    return {
        "engagement_mean": float(window["engagement_mean"].mean()),
        "burnout_share": sum(e.burnt_out for e in model.employees) / len(model.employees),
        "quit_share": model.quits / len(model.employees),
        "tie_density": float(window["tie_density"].mean()),
    }


TRANSITION_DAYS = 90
"""The transition a leader sees first: the customers of the first 90 working days (from the end
of the warm-up), reported apart from those after it (`phase_kpis`)."""

PHASE_KPIS = ("service_level", "time_to_outcome_hours", "csat")
"""The KPIs `phase_kpis` splits (``service_level_first_90_days``, ...)."""


def phase_kpis(
    requests: pd.DataFrame,
    expected_hours: dict[str, float],
    hours_per_day: float,
    days: int,
) -> dict[str, float | None]:
    """The headline customer KPIs of the transition (customers arriving before day
    `TRANSITION_DAYS`) and of the rest of the run: a run that starts from an empty organisation
    is a transition first. All None when the run is not longer than the transition (then the
    whole run is the transition, and its own KPIs say it)."""
    day = requests["arrived"] // hours_per_day
    expected = requests["request_type"].map(expected_hours).astype(float)
    on_time = ~requests["abandoned"] & (requests["resolution_hours"] <= expected)
    out: dict[str, float | None] = {}
    for suffix, mask in (
        (f"first_{TRANSITION_DAYS}_days", day < TRANSITION_DAYS),
        (f"after_{TRANSITION_DAYS}_days", day >= TRANSITION_DAYS),
    ):
        empty = not mask.any() or days <= TRANSITION_DAYS
        values = {
            "service_level": on_time[mask].mean(),
            "time_to_outcome_hours": requests.loc[mask, "resolution_hours"].mean(),
            "csat": requests.loc[mask, "csat"].mean(),
        }
        for key in PHASE_KPIS:
            out[f"{key}_{suffix}"] = None if empty else float(values[key])
    return out


MSER_BATCH_DAYS = 5
"""MSER-5: the daily series are averaged in batches of 5 days before the truncation search."""

STEADY_SERIES = ("time_to_outcome_hours", "engagement_mean", "tie_density")
"""The daily series whose warm-up `steady_state` looks for: the customers' time to outcome, and
the slow people side (engagement relaxes over about 20 days, ties over about 100)."""


def mser_truncation(
    values: Sequence[float] | np.ndarray, batch: int = MSER_BATCH_DAYS
) -> int | None:
    """MSER-5 (White 1997; White, Cobb & Spratt 2000): how many leading observations to delete
    so that the rest has the smallest squared standard error of its mean, a multiple of
    `batch`. None when that point falls in the second half of the series: the series has not
    settled within the run (or is too short to tell: fewer than 4 batches)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    k = len(x) // batch
    if k < 4:
        return None
    means = x[: k * batch].reshape(k, batch).mean(axis=1)
    half = k // 2
    best, cut = math.inf, 0
    # Only the first half is searched (the statistic is erratic on the last few batches); a
    # minimum on that boundary means the series is still moving there.
    for d in range(half + 1):
        rest = means[d:]
        score = float(((rest - rest.mean()) ** 2).sum()) / (k - d) ** 2
        if score < best - 1e-15:
            best, cut = score, d
    return cut * batch if cut < half else None


def steady_state(daily: pd.DataFrame, days: int) -> dict[str, Any]:
    """Whether a run reached a steady state before its horizon: MSER-5 on each of
    `STEADY_SERIES` (days 0 to `days` - 1; customers by arrival day). `steady_state_day` is
    the latest day from which every series is settled (None: some series never is, so the
    run's averages describe a transient)."""
    frame = daily[daily["day"] < days].set_index("day")
    series = {
        "time_to_outcome_hours": frame["customer_hours"] / frame["arrived"],
        "engagement_mean": frame["engagement_mean"],
        "tie_density": frame["tie_density"],
    }
    latest = 0
    for name in STEADY_SERIES:
        values = series[name].dropna()
        if values.nunique() <= 1:
            continue  # constant (or absent, e.g. ties with one unit): steady from the start
        cut = mser_truncation(values.to_numpy())
        if cut is None:
            return {"steady_state": False, "steady_state_day": None}
        latest = max(latest, int(values.index[cut]))
    return {"steady_state": True, "steady_state_day": latest}


REORG_WINDOW_DAYS = 10
"""The window of `reorg_dip`: the first 10 working days from the switch (two weeks)."""


def reorganisation_effect(
    daily: pd.DataFrame, without: pd.DataFrame, switch_day: int, first_day: int, last_day: int
) -> dict[str, float | int | None]:
    """The J-curve of a reorganisation, measured against the same customers without it.

    Both runs see the same customers (common random numbers), so day by day the only
    difference is the reorganisation; comparing with the days before the switch instead would
    mostly measure day-to-day noise. Days are arrival days from the switch to the horizon, and
    customers count by their `outcome_hours`: an abandoned customer at least 4 expected times.

    - `reorg_dip`: the customers who arrived in the `REORG_WINDOW_DAYS` days from the switch,
      their summed outcome hours as a ratio of the same customers' without the reorganisation
      (1 = no dip). A fixed window, not the worst stretch: a maximum of noisy ratios is above
      1 even for a change that does nothing;
    - `reorg_csat_change`: their mean CSAT (1-5, abandoned customers included) minus without;
    - `reorg_abandoned_change`: their abandoned share minus without;
    - `reorg_recovery_day`: the first day after the window on which the 5-day ratio of outcome
      hours is back at or below 1 (None if it never is within the horizon; the switch day
      when there was no dip);
    - `reorg_crossover_day`: the day from which the change has paid back for good: the outcome
      hours saved since the switch, against not reorganising, are positive from that day to
      the horizon (None if they are not positive at the horizon);
    - `reorg_paid_back`: 1 if it paid back within the horizon, else 0 (its mean over
      replications is the share that pay back);
    - `reorg_baseline_hours`: the mean daily resolution time before the switch, for context.
    """
    days = daily.set_index("day")
    other = without.set_index("day")
    span = slice(switch_day, last_day - 1)
    ours, theirs = days.loc[span, "outcome_hours"], other.loc[span, "outcome_hours"]
    extra = ours - theirs
    window = slice(switch_day, min(switch_day + REORG_WINDOW_DAYS, last_day) - 1)

    def window_sum(frame: pd.DataFrame, column: str) -> float:
        return float(frame.loc[window, column].sum())

    base = window_sum(other, "outcome_hours")
    dip = window_sum(days, "outcome_hours") / base if base > 0 else None
    arrived = window_sum(days, "arrived"), window_sum(other, "arrived")
    abandoned_change = (
        window_sum(days, "abandoned") / arrived[0] - window_sum(other, "abandoned") / arrived[1]
        if min(arrived) > 0
        else None
    )
    csat = [
        float((f.loc[window, "csat_mean"] * f.loc[window, "arrived"]).sum()) / n
        if n > 0
        else math.nan
        for f, n in ((days, arrived[0]), (other, arrived[1]))
    ]
    ratio = ours.rolling(5, min_periods=1).sum() / theirs.rolling(5, min_periods=1).sum()
    after = ratio.loc[window.stop + 1 :]
    back = ratio.loc[switch_day:switch_day] if dip is not None and dip <= 1 else after[after <= 1]
    ahead = extra.cumsum() < 0
    if len(ahead) == 0 or not ahead.iloc[-1]:
        crossover = None
    elif ahead.all():
        crossover = switch_day
    else:
        crossover = int(ahead[~ahead].index[-1]) + 1
    before = days.loc[first_day : switch_day - 1, "resolution_hours_mean"]
    return {
        "reorg_baseline_hours": float(before.mean()),
        "reorg_dip": dip,
        "reorg_csat_change": csat[0] - csat[1] if all(map(math.isfinite, csat)) else None,
        "reorg_abandoned_change": abandoned_change,
        "reorg_recovery_day": int(back.index[0]) if len(back) else None,
        "reorg_crossover_day": crossover,
        "reorg_paid_back": 0 if crossover is None else 1,
    }


# The books -----------------------------------------------------------------------------------


def check_books(model: OrgModel, requests: pd.DataFrame) -> list[str]:
    """Every way the run's accounting can fail; empty when the books balance."""
    problems = []
    closed = len(requests)
    still_open = sum(1 for r in model.open if r.counted)
    if model.arrived_counted != closed + still_open:
        problems.append(
            f"arrived ({model.arrived_counted}) != resolved + abandoned ({closed}) "
            f"+ open ({still_open})"
        )
    if model.drained and still_open:
        problems.append(f"{still_open} counted requests open after a complete drain")
    if requests["id"].duplicated().any():
        problems.append("a request was closed twice")
    parts = requests[["queue_hours", "work_hours", "handoff_hours", "callback_hours"]]
    if (parts < -1e-9).to_numpy().any():
        problems.append("a negative time component")
    if (requests["closed"] < requests["arrived"]).any():
        problems.append("a request closed before it arrived (time ran backwards)")
    # The parts add up to the time on the clock (calendar hours when there is a calendar).
    clock = requests["closed"] - requests["arrived"]
    gap = (parts.sum(axis=1) - clock).abs()
    if len(gap) and gap.max() > 1e-6 * max(1.0, clock.max()):
        problems.append(
            f"queue + work + handoff + callback time != resolution time (off by {gap.max():.3g} h)"
        )
    in_flight: dict[int, float] = {}
    """Time so far of the visits still under way, by current unit (a unit a reorganisation
    retired has none: every request left it)."""
    for r in model.in_progress():
        if r.in_unit:
            in_flight[r.unit] = in_flight.get(r.unit, 0.0) + (model.time - r.visit_start)
    current = set(model.units)
    for unit in model.units + model.retired_units:
        present = in_flight.get(unit.index, 0.0) if unit in current else 0.0
        expected = unit.sojourn_sum + present
        if not math.isclose(unit.area, expected, rel_tol=1e-9, abs_tol=1e-6):
            problems.append(
                f"Little's law fails in {unit.name}: time-integral of requests present "
                f"{unit.area:.6g} != sum of sojourns {expected:.6g}"
            )
        if unit.visits != unit.departures + unit.present:
            problems.append(
                f"{unit.name}: {unit.visits} visits != {unit.departures} departures "
                f"+ {unit.present} present"
            )
    low, high = model.window
    for employee in model.employees:
        if employee.busy_hours > (high - low) * (1 + 1e-9):
            problems.append(f"employee {employee.unique_id} was busy longer than the window")
            break
    return problems
