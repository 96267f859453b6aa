"""A paired difference in plain language: the sentence (`describe`) and the table cell
(`difference_text`), worded from the KPI catalogue (`sim.kpi_catalogue`).

A change is said relative to the baseline ("34% faster") only where a percentage reads well
(`reads_as_relative`): from a tiny or vanishing base it would not ("+1475%", "−100%"), so
there the sentence says where the value went ("up from 0.01 in A to 0.15") and the table cell
gives the difference in the KPI's own unit."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.kpi_catalogue import KPI, format_value, kpi_info
from sim.replications.statistics import Difference

RELATIVE_RATIOS = (0.05, 3.0)
"""A change reads as a percentage while the new value is between 5% and 3 times the
baseline (−95% to +200%); beyond, the base is tiny or the value vanishes."""


def reads_as_relative(base: float, new: float) -> bool:
    """Whether the change from `base` to `new` reads well as a percentage of `base`."""
    if not (math.isfinite(base) and math.isfinite(new)) or base == 0:
        return False
    low, high = RELATIVE_RATIOS
    return low <= new / base <= high


def _decimals(values: Sequence[float], kind: str) -> int:
    """Decimals shared by a number and its CI, so that '6.4–15%' reads '6–15%'."""
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if kind == "score":
        return 2
    if kind == "percent":
        return 0 if top >= 10 else 1
    return 0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3


def _group(values: Sequence[float], kind: str, signed: bool = False) -> list[str]:
    places = _decimals(values, kind)
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append("n/a")
            continue
        text = f"{abs(v):,.{places}f}"
        if signed:
            zero = float(text.replace(",", "")) == 0
            text = ("±" if zero else "+" if v > 0 else "−") + text
        out.append(text)
    return out


def _amount(d: Difference, info: KPI) -> tuple[str, str, str]:
    """(amount, CI text for a clear difference, signed estimate and CI for an unclear one)."""
    if info.kind == "share":
        est, low, high, suffix, kind = 100 * d.diff, 100 * d.ci_low, 100 * d.ci_high, "", "percent"
        unit, ci_unit = " percentage points", " pp"
    elif info.kind == "score":
        est, low, high, kind = d.diff, d.ci_low, d.ci_high, "score"
        unit, ci_unit, suffix = " points (on the 1–5 scale)", " points", ""
    elif (
        math.isfinite(d.rel_pct)
        and math.isfinite(d.rel_ci_low)
        and reads_as_relative(d.baseline_mean, d.baseline_mean + d.diff)
    ):
        est, low, high, kind = d.rel_pct, d.rel_ci_low, d.rel_ci_high, "percent"
        unit, ci_unit, suffix = "%", "%", "%"
    else:
        est, low, high, kind = d.diff, d.ci_low, d.ci_high, "value"
        amount_unit = info.amount_unit
        unit = f" {amount_unit}" if amount_unit and not amount_unit.startswith("%") else ""
        ci_unit, suffix = unit, ""
    size, lo, hi = _group([est, *sorted((abs(low), abs(high)))], kind)
    if (low > 0) != (high > 0):  # only possible for the delta-method relative CI
        lo = _group([0.0], kind)[0]
    s_est, s_low, s_high = _group([est, low, high], kind, signed=True)
    return (
        f"{size}{unit}",
        f"{lo}–{hi}{ci_unit}",
        f"{s_est}{suffix or ci_unit}, 95% CI {s_low} to {s_high}{ci_unit}",
    )


def _from_to(d: Difference, info: KPI) -> str:
    """'mean time in queue up from 0.13 in A to 0.74 working hours (95% CI of the
    difference +0.55 to +0.67 working hours)': a clear change from a tiny base."""
    unit = f" {info.amount_unit}" if info.amount_unit else ""
    base, new = (format_value(d.kpi, v) for v in (d.baseline_mean, d.baseline_mean + d.diff))
    _, low, high = _group([d.diff, d.ci_low, d.ci_high], "value", signed=True)
    return (
        f"{d.scenario}: {info.noun} {'up' if d.diff > 0 else 'down'} from {base} in "
        f"{d.baseline} to {new}{unit} (95% CI of the difference {low} to {high}{unit})."
    )


def describe(d: Difference, currency: str | None = None) -> str:
    """One plain-language sentence for a paired difference (`currency`: what the
    scenarios' costs are counted in)."""
    info = kpi_info(d.kpi, currency)
    if d.n < 2 or not math.isfinite(d.ci_low):
        return f"{d.scenario}: not enough replications to compare {info.noun} with {d.baseline}."
    if d.diff == 0 and d.ci_low == 0 and d.ci_high == 0:
        return (
            f"{d.scenario}: no clear difference in {info.noun} from {d.baseline} "
            "(identical in every replication)."
        )
    amount, ci, estimate_text = _amount(d, info)
    if not d.clear:
        return (
            f"{d.scenario}: no clear difference in {info.noun} from {d.baseline} ({estimate_text})."
        )
    if info.kind not in ("share", "score") and not reads_as_relative(
        d.baseline_mean, d.baseline_mean + d.diff
    ):
        return _from_to(d, info)
    word = info.up if d.diff > 0 else info.down
    body = info.phrase.format(amount=amount, word=word)
    return f"{d.scenario}: {body} than in {d.baseline} (95% CI {ci})."


def difference_text(d: Difference) -> str:
    """A paired difference in a table cell, verdict apart: '−34.1% [−40.2, −28.0]' relative to
    the baseline for most KPIs, '+2.1 pp [...]' for shares, in the KPI's own format where the
    relative CI is undefined or disagrees with the paired one (near 0); 'identical' when it is
    0 in every replication, '–' with too few replications."""
    if d.n < 2 or not math.isfinite(d.ci_low):
        return "–"
    if d.diff == 0 and d.ci_low == 0 and d.ci_high == 0:
        return "identical"
    relative = math.isfinite(d.rel_pct) and math.isfinite(d.rel_ci_low)
    relative = relative and (d.rel_ci_low > 0 or d.rel_ci_high < 0) == d.clear
    relative = relative and reads_as_relative(d.baseline_mean, d.baseline_mean + d.diff)
    if kpi_info(d.kpi).kind == "share":
        return f"{100 * d.diff:+.1f} pp [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]"
    if relative:
        return f"{d.rel_pct:+.1f}% [{d.rel_ci_low:+.1f}, {d.rel_ci_high:+.1f}]"

    def signed(value: float) -> str:
        return ("+" if value > 0 else "") + format_value(d.kpi, value)

    return f"{signed(d.diff)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"
