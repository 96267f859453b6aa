"""The KPI catalogue: how every KPI a run reports is named, grouped, formatted and judged.

One entry per key of `sim.metrics.kpis`, `sim.metrics.people_kpis`,
`sim.metrics.reorganisation_effect` and `sim.runner` (its status keys apart): the label and unit
the tables show, the group it is listed in, how its numbers are written, whether higher is
better, and the phrase a comparison sentence is built from. The `sim` command's tables, the
comparison sentences (`sim.replications`), the HTML report (`sim.report`), sweeps and the
sensitivity charts all read it; a key it does not know gets a neutral entry (`kpi_info`).

Light on purpose (no numpy, no pandas): `sim --help` imports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

Kind = Literal["count", "day", "hours", "rate", "money", "share", "ratio", "score", "value"]

STATUS_KEYS = ("stable", "unstable_reason", "stopped_day", "seed", "currency", "steady_state")
"""Keys of a run's KPIs that say how the run went, not what it measured (`currency`: what its
costs are counted in, ``run.currency``; `stopped_day`: where an unstable run stopped early;
`steady_state`: whether every slow series settled before the horizon,
`sim.metrics.steady_state`)."""

OTHER = "Other"
"""The group of the KPIs the catalogue does not know."""


def _whole(v: float) -> str:
    return f"{v:,.0f}"


def _two(v: float) -> str:
    return f"{v:,.2f}"


_FORMATS: dict[str, Callable[[float], str]] = {
    "count": _whole,
    "day": _whole,
    "share": lambda v: f"{100 * v:.1f}",  # in %: the unit says so
    "ratio": lambda v: f"{v:.3f}",
    "score": lambda v: f"{v:.2f}",
}
"""Number formats by kind; hours, rates, money and unknown values get two decimals."""

_AMOUNT_UNITS = {"hours": "working hours"}
"""The unit after an absolute difference in a sentence, where it is not the table's unit."""
UNNAMED_CURRENCY = "currency units"
"""What a money KPI's unit says until it is told the scenario's currency (`kpi_info`)."""


@dataclass(frozen=True)
class KPI:
    """How a KPI is named, grouped, written and judged.

    `kind` decides the number format (`format`) and how differences are worded: "share" KPIs
    (0-1, shown in %) differ in percentage points, "score" KPIs in points on the 1-5 scale,
    everything else relative to the baseline (in %, or in its own unit where the baseline is
    0). `better` is +1 when higher is better, -1 when lower is better and 0 when neither.
    `phrase` is the sentence body with ``{amount}`` and ``{word}``; `up` / `down` are the words
    for a higher / lower value.
    """

    key: str
    label: str
    unit: str
    kind: Kind
    better: int
    phrase: str
    up: str = "higher"
    down: str = "lower"
    subject: str = ""
    """Noun phrase for 'no clear difference in ...' (defaults to the label, lower case)."""
    group: str = OTHER
    sub: str = ""
    """The KPI table's label as a part of the row above ("of which in queue"); empty: none."""
    missing: str = "–"
    """What the KPI table shows for a null value."""
    per_unit: bool = False
    """A mapping unit name -> value rather than a number (one table row per unit)."""
    always: bool = True
    """Every run reports it; False: only some runs (of a scenario with a reorganisation, or
    with a calendar)."""

    @property
    def noun(self) -> str:
        if self.subject:
            return self.subject
        acronym = len(self.label) > 1 and self.label[1].isupper()
        return self.label if acronym else self.label[0].lower() + self.label[1:]

    @property
    def title(self) -> str:
        """The full name with its unit: 'Resolution time, mean (hours)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def row_label(self) -> str:
        """The KPI table's label: the title, or the indented part ('  of which in queue')."""
        if self.sub:
            return f"  {self.sub} ({self.unit})" if self.unit else f"  {self.sub}"
        return self.title

    @property
    def amount_unit(self) -> str:
        """The unit of an absolute difference in a sentence ('2.5 working hours', '3 EUR')."""
        if self.kind == "money":
            return self.unit.split(" per ", 1)[0]
        if self.kind == "hours" and self.unit != _HOURS:  # calendar hours say so
            return self.unit
        return _AMOUNT_UNITS.get(self.kind, self.unit)

    def format(self, value: float) -> str:
        """A value as the tables write it (shares in %, the unit says so)."""
        return _FORMATS.get(self.kind, _two)(value)


def _group(name: str, *kpis: KPI) -> list[KPI]:
    return [replace(k, group=name) for k in kpis]


_HOURS = "hours"
_RESOLVED = "hours, resolved only"
"""The unit of the resolution times: they leave out the customers who gave up."""

_PHASED: tuple[tuple[str, str, str, Kind, int, str, str, str], ...] = (
    ("service_level", "Service level", "% resolved in the expected time",
     "share", 1, "the service level in the", "higher", "lower"),
    ("time_to_outcome_hours", "Time to outcome, mean", _HOURS, "hours", -1,
     "the time to outcome in the", "longer", "shorter"),
    ("csat", "CSAT, mean", "1-5 scale", "score", 1, "CSAT in the", "higher",
     "lower"),
)  # fmt: skip
"""The KPIs also reported for the first 90 days after a reorganisation and after day 90: key,
label, unit, kind, better, noun, and the words for up and down."""

CATALOGUE: dict[str, KPI] = {
    k.key: k
    for k in [
        *_group(
            "Volume",
            KPI("arrived", "Arrived", "requests", "count", 0,
                "{amount} {word} requests arrived", "more", "fewer", "arrivals"),
            KPI("resolved", "Resolved", "requests", "count", 1,
                "{amount} {word} requests were resolved", "more", "fewer", "resolved requests"),
            KPI("abandoned", "Abandoned", "requests", "count", -1,
                "{amount} {word} customers gave up", "more", "fewer", "abandoned requests"),
            KPI("abandoned_share", "Abandoned", "% of customers", "share", -1,
                "the share of customers who gave up is {amount} {word}",
                subject="the share of customers who gave up"),
            KPI("open_at_end", "Still open at the end", "requests", "count", -1,
                "{amount} {word} requests were still open at the end", "more", "fewer",
                "requests still open at the end"),
            KPI("throughput_per_day", "Throughput", "resolved per day", "rate", 1,
                "throughput is {amount} {word}"),
        ),
        *_group(
            "Time",
            KPI("service_level", "Service level", "% resolved in the expected time", "share",
                1, "the share of customers resolved within their expected time is {amount} "
                "{word}", subject="the service level"),
            KPI("time_to_outcome_hours_mean", "Time to outcome, mean", _HOURS, "hours", -1,
                "customers reach an outcome (resolved or gave up) {amount} {word}", "later",
                "sooner", "mean time to outcome"),
            KPI("resolution_hours_mean", "Resolution time, mean", _RESOLVED,
                "hours", -1, "requests are resolved {amount} {word}", "slower",
                "faster", "mean resolution time of resolved requests"),
            KPI("resolution_hours_p50", "Resolution time, p50", _RESOLVED, "hours",
                -1, "the median request is resolved {amount} {word}", "slower",
                "faster", "median resolution time of resolved requests"),
            KPI("resolution_hours_p90", "Resolution time, p90", _RESOLVED, "hours",
                -1, "the slowest 10% of resolved requests take {amount} {word}", "longer",
                "less time", "90th-percentile resolution time of resolved requests"),
            KPI("elapsed_hours_mean", "Elapsed time, mean", "calendar hours", "hours", -1,
                "customers wait {amount} {word} from arrival to outcome", "longer", "less",
                "mean elapsed time", always=False),
            KPI("elapsed_hours_p50", "Elapsed time, p50", "calendar hours", "hours", -1,
                "the median customer waits {amount} {word}", "longer", "less",
                "median elapsed time", always=False),
            KPI("elapsed_hours_p90", "Elapsed time, p90", "calendar hours", "hours", -1,
                "the slowest 10% of customers wait {amount} {word}", "longer", "less",
                "90th-percentile elapsed time", always=False),
            KPI("wait_hours_mean", "Time in queue, mean", _HOURS, "hours", -1,
                "customers wait {amount} {word} in queues", "longer", "less",
                "mean time in queue", sub="of which in queue"),
            KPI("work_hours_mean", "Time at work, mean", _HOURS, "hours", -1,
                "requests take {amount} {word} work", "more", "less",
                "mean work time", sub="of which at work"),
            KPI("handoff_hours_mean", "Time in handoffs, mean", _HOURS, "hours", -1,
                "requests spend {amount} {word} in handoffs", "longer", "less time",
                "mean time in handoffs", sub="of which in handoff"),
            KPI("callback_hours_mean", "Time awaiting callback, mean", _HOURS, "hours", -1,
                "customers spend {amount} {word} waiting to call back", "longer", "less time",
                "mean time awaiting callback", sub="of which awaiting callback"),
            KPI("flow_efficiency", "Flow efficiency", "% of time at work", "share", 1,
                "flow efficiency is {amount} {word}"),
        ),
        *_group(
            "Quality",
            KPI("handoffs_per_request", "Handoffs", "per request", "ratio", -1,
                "requests are handed off {amount} {word}", "more often", "less often",
                "handoffs per request"),
            KPI("transfers_per_request", "Hard tasks transferred out", "per request", "ratio",
                -1, "hard tasks are transferred out {amount} {word}", "more often",
                "less often", "transfers-out per request"),
            KPI("misroutes_per_request", "Misroutes", "per request", "ratio", -1,
                "requests are misrouted {amount} {word}", "more often", "less often",
                "misroutes per request"),
            KPI("repeat_contacts_per_request", "Repeat contacts", "per request", "ratio", -1,
                "customers come back {amount} {word}", "more often", "less often",
                "repeat contacts"),
            KPI("contacts_per_request", "Contacts", "per request", "ratio", -1,
                "customers need {amount} {word} contacts", "more", "fewer",
                "contacts per request"),
            KPI("fcr", "First-contact resolution", "%", "share", 1,
                "first-contact resolution is {amount} {word}"),
            KPI("help_share", "Helped by another unit", "% of requests", "share", 0,
                "help from other units is {amount} {word}", "more common", "less common"),
        ),
        *_group(
            "Customers",
            KPI("csat_mean", "CSAT, mean (abandoned count)", "1-5 scale", "score", 1,
                "customers are {amount} {word}", "more satisfied", "less satisfied",
                "customer satisfaction"),
            # On the 1-5 scale the top box (5) is the promoters' share: one KPI, not two.
            KPI("csat_top_box", "CSAT top box (promoters)", "% rating 5", "share", 1,
                "the share of delighted customers (rating 5) is {amount} {word}",
                subject="the CSAT top-box share"),
            KPI("detractors", "Detractors", "% rating 1-3", "share", -1,
                "the share of detractors is {amount} {word}",
                subject="the share of detractors"),
        ),
        *_group(
            "Capacity",
            KPI("utilisation", "Utilisation, overall", "%", "share", 0,
                "staff are {amount} {word} utilised", "more", "less", "overall utilisation"),
            KPI("utilisation_by_unit", "Utilisation by unit", "%", "share", 0,
                "unit utilisation is {amount} {word}", per_unit=True),
            KPI("total_cost", "Total cost", UNNAMED_CURRENCY, "money", -1,
                "the organisation costs {amount} {word}", "more", "less", "total cost"),
            KPI("payroll_per_resolved", "Payroll per resolved", f"{UNNAMED_CURRENCY} per request",
                "money", -1, "the payroll per resolved request is {amount} {word}", "more",
                "less", "payroll per resolved request"),
        ),
        *_group(
            "People",
            KPI("engagement_mean", "Engagement, mean", "0-1", "ratio", 1,
                "employees are {amount} {word}", "more engaged", "less engaged",
                "employee engagement"),
            KPI("burnout_share", "Burnt out", "% of employees", "share", -1,
                "the share of burnt-out employees is {amount} {word}",
                subject="the share of burnt-out employees"),
            KPI("quit_share", "Resigned", "% of employees", "share", -1,
                "the share of employees who resigned is {amount} {word}",
                subject="the share of employees who resigned"),
            KPI("tie_density", "Help ties between units, mean", "0-1", "ratio", 0,
                "ties between units are {amount} {word}", "stronger", "weaker",
                "ties between units"),
            KPI("steady_state_day", "Settled from day", "", "day", 0,
                "the run settles {amount} {word}", "later", "earlier",
                "the day the run settles", missing="never"),
        ),
        *_group(
            "Transition and after",
            *(
                KPI(f"{key}_{phase}_90_days", f"{label}, {words}", unit, kind, better,
                    f"{noun} {words} is {{amount}} {{word}}", up, down, always=False)
                for phase, words in (("first", "first 90 days"), ("after", "after day 90"))
                for key, label, unit, kind, better, noun, up, down in _PHASED
            ),
        ),
        *_group(
            "Reorganisation",
            KPI("reorg_baseline_hours", "Resolution time before the switch", _HOURS, "hours", 0,
                "requests before the switch are resolved {amount} {word}", "slower", "faster",
                "resolution time before the switch", always=False),
            KPI("reorg_dip", "First 10 days after the switch", "x not reorganising", "ratio",
                -1, "the first 10 days after the switch are {amount} {word}", "worse",
                "less bad", "the first 10 days after the switch", always=False),
            KPI("reorg_csat_change", "CSAT change, first 10 days", "points vs not reorganising",
                "score", 1, "CSAT in the first 10 days after the switch is {amount} {word}",
                "higher", "lower", "the CSAT change after the switch", always=False),
            KPI("reorg_abandoned_change", "Abandoned change, first 10 days",
                "points of % vs not reorganising", "share", -1,
                "abandonment in the first 10 days after the switch is {amount} {word}",
                "higher", "lower", "the abandonment change after the switch", always=False),
            KPI("reorg_recovery_day", "As fast as not reorganising again on day", "", "day", -1,
                "resolution time is back to the pace without the switch {amount} {word}",
                "later", "earlier", "the day of recovery", missing="never", always=False),
            KPI("reorg_crossover_day", "Paid back (vs not reorganising) on day", "", "day", -1,
                "the reorganisation pays back {amount} {word}", "later", "sooner",
                "the day of pay-back", missing="never", always=False),
            KPI("reorg_paid_back", "Paid back within the horizon", "% of runs", "share", 1,
                "the share of runs that pay back is {amount} {word}",
                subject="the share of runs that pay back", always=False),
        ),
    ]
}  # fmt: skip

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(k.group for k in CATALOGUE.values()))
"""The groups, in the order the tables list them (`OTHER` comes last)."""

RUN_KPIS: tuple[str, ...] = tuple(k.key for k in CATALOGUE.values() if k.always and not k.per_unit)
"""The numbers every run reports: what a sweep keeps by default."""


def kpi_info(key: str, currency: str | None = None) -> KPI:
    """The catalogue entry of a KPI; an unknown KPI gets a neutral generic entry. With a
    `currency` (the scenario's ``run.currency``), money amounts are in it: 'EUR per request'."""
    if key in CATALOGUE:
        info = CATALOGUE[key]
        if currency and info.kind == "money":
            info = replace(info, unit=info.unit.replace(UNNAMED_CURRENCY, currency))
        return info
    label = key.replace("_", " ")
    return KPI(key, label[0].upper() + label[1:], "", "value", 0, f"{label} is {{amount}} {{word}}")


def shared_currency(currencies: Iterable[str]) -> str:
    """The one currency several scenarios state their costs in; 'EUR / USD' when they differ
    (their costs are then not comparable, which the unit says)."""
    return " / ".join(dict.fromkeys(currencies)) or UNNAMED_CURRENCY


def grouped(keys: Iterable[str]) -> list[tuple[str, list[str]]]:
    """The keys by group, groups and keys in catalogue order, unknown keys last in `OTHER`
    (in their own order); groups without a key are left out."""
    keys = list(dict.fromkeys(keys))
    present = set(keys)
    groups = [
        (name, [k for k, info in CATALOGUE.items() if info.group == name and k in present])
        for name in GROUPS
    ]
    groups.append((OTHER, [k for k in keys if k not in CATALOGUE]))
    return [(name, group) for name, group in groups if group]


def as_number(value: Any) -> float | None:
    """A finite float, or None for missing / NaN / non-numeric values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_value(key: str, value: float) -> str:
    """A KPI value as the tables write it; '–' when it is not a finite number."""
    number = as_number(value)
    return "–" if number is None else kpi_info(key).format(number)


def format_mean_ci(key: str, mean: float, low: float, high: float) -> str:
    """'12.34 ± 0.56': a mean and the half-width of its confidence interval."""
    if as_number(mean) is None:
        return "–"
    if as_number(low) is None or as_number(high) is None:
        return format_value(key, mean)
    return f"{format_value(key, mean)} ± {format_value(key, (high - low) / 2)}"
