"""The verdict of a comparison: one answer, its reasons, and when there is none.

A comparison's table says, KPI by KPI, how the scenarios differ with their seed CIs. A leader
asks one question: which is better, why, and how sure are we? `verdict_of` answers it from a
`Comparison` (and, with ``--worlds``, its `Worlds`):

- no verdict (None) when a scenario cannot keep up: its averages describe queues that never
  settle. The bottleneck unit, its offered load and the people who would let it keep up are
  named instead (`sim.replications.capacity`);
- otherwise one sentence over the headline KPIs (`HEADLINE_KPIS`: service level, time to
  outcome, CSAT, total cost). It never says "X is better" without saying in what share of
  plausible worlds: with worlds, the share of them in which each scenario is best (95%
  interval); without, that it holds in one world, the scenarios' own assumptions;
- the main reasons: which parts of the customers' time differ most (queues, handoffs, work,
  callbacks) and, with worlds, the assumptions the verdict hinges on;
- warnings: scenarios that do not see the same demand, and the comparison's own notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.kpi_catalogue import kpi_info
from sim.replications.capacity import Bottleneck, bottleneck, demand_warning
from sim.replications.worlds import Share, Worlds

if TYPE_CHECKING:
    from sim.replications.comparison import Comparison

TIME_PARTS = ("wait_hours_mean", "handoff_hours_mean", "work_hours_mean", "callback_hours_mean")
"""The parts of a resolved request's time, whose differences say where a time gap comes from."""

REASONS_SHOWN = 3


@dataclass(frozen=True)
class WorldsSummary:
    """What the plausible worlds say, for the verdict and the JSON."""

    n: int
    reps: int
    share_best: dict[str, dict[str, Share]]
    """KPI -> scenario -> the worlds in which it is best on that KPI."""
    hinges_on: list[str]
    """Assumption paths the verdict depends on most, strongest first."""
    influence: dict[str, list[tuple[str, float]]]
    """KPI -> (path, Spearman rho against the first other scenario's paired difference)."""
    spread: dict[str, dict[str, tuple[float, float, float]]]
    """KPI -> scenario -> 10th, 50th, 90th percentile of its mean over the worlds."""
    difference_spread: dict[str, dict[str, tuple[float, float, float]]]
    """KPI -> scenario (not the baseline) -> percentiles of the paired difference."""
    held: list[str]
    chance_rho: float
    unstable: dict[str, Share]

    @classmethod
    def of(cls, worlds: Worlds) -> WorldsSummary:
        others = range(1, len(worlds.names))
        return cls(
            n=worlds.n,
            reps=len(worlds.seeds),
            share_best={k: worlds.share_best(k) for k in worlds.headline},
            hinges_on=worlds.hinges_on(),
            influence={
                k: worlds.influence(k, 1) if len(worlds.names) > 1 else [] for k in worlds.headline
            },
            spread={
                k: {name: worlds.spread(k, i) for i, name in enumerate(worlds.names)}
                for k in worlds.headline
            },
            difference_spread={
                k: {worlds.names[i]: worlds.difference_spread(k, i) for i in others}
                for k in worlds.headline
            },
            held=list(worlds.held),
            chance_rho=worlds.chance_rho,
            unstable=dict(zip(worlds.names, worlds.unstable(), strict=True)),
        )

    def as_dict(self) -> dict[str, Any]:
        def share(s: Share) -> dict[str, float]:
            low, high = s.ci
            return {"share": s.share, "ci_low": low, "ci_high": high, "worlds": s.k}

        return {
            "n": self.n,
            "reps": self.reps,
            "share_better": {
                kpi: {name: share(s) for name, s in shares.items()}
                for kpi, shares in self.share_best.items()
            },
            "hinges_on": list(self.hinges_on),
            "influence": {
                kpi: [{"path": p, "rho": rho} for p, rho in rows[:10]]
                for kpi, rows in self.influence.items()
            },
            "spread": {
                kpi: {
                    name: dict(zip(("p10", "p50", "p90"), v, strict=True)) for name, v in d.items()
                }
                for kpi, d in self.spread.items()
            },
            "difference_spread": {
                kpi: {
                    name: dict(zip(("p10", "p50", "p90"), v, strict=True)) for name, v in d.items()
                }
                for kpi, d in self.difference_spread.items()
            },
            "held": list(self.held),
            "chance_rho": self.chance_rho,
            "unstable": {name: share(s) for name, s in self.unstable.items()},
        }


@dataclass(frozen=True)
class Verdict:
    """One answer to "which is better, why, and how sure are we" (see the module docstring)."""

    sentence: str | None
    """None when some scenario cannot keep up."""
    reasons: list[str]
    stable: dict[str, bool]
    bottlenecks: list[Bottleneck]
    warnings: list[str]
    worlds: WorldsSummary | None = None
    headline: tuple[str, ...] = field(default_factory=tuple)


def _stable(c: Comparison) -> dict[str, bool]:
    return {
        name: all(r.stable for r in reps)
        for name, reps in zip(c.names, c.replications, strict=True)
    }


def _bottlenecks(c: Comparison, stable: dict[str, bool]) -> list[Bottleneck]:
    out = []
    for name, scenario, reps in zip(c.names, c.scenarios, c.replications, strict=True):
        if stable[name]:
            continue
        found = bottleneck(scenario, name)
        if found.keeps_up:
            # The estimate leaves out what the run found (a reorganisation's slowdown, the
            # people side): name the unit the runs measured busiest instead.
            units: dict[str, float] = {}
            for rep in reps:
                for unit, value in zip(rep.units["unit"], rep.units["utilisation"], strict=True):
                    units[unit] = max(units.get(unit, 0.0), float(value))
            busiest = max(units, key=units.__getitem__) if units else found.unit
            found = Bottleneck(name, busiest, units.get(busiest, found.load), {})
        out.append(found)
    return out


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def reasons(c: Comparison, scenario: int = 1) -> list[str]:
    """Where the customers' time differs most between `scenario` and the baseline: the parts
    of a resolved request's time with clear differences, largest first, and the abandoned
    share (customers the resolution times leave out)."""
    out = []
    parts = []
    for key in TIME_PARTS:
        d = c.difference(key, scenario)
        if d.n and math.isfinite(d.diff) and d.clear:
            parts.append((abs(d.diff), key, d))
    for _, key, d in sorted(parts, reverse=True)[:REASONS_SHOWN]:
        info = kpi_info(key)
        word = "more" if d.diff > 0 else "less"
        out.append(
            f"{c.names[scenario]}: {abs(d.diff):.2f} h {word} {info.noun.replace('mean ', '')} "
            f"per resolved request than {c.names[0]} (95% CI {d.ci_low:+.2f} to "
            f"{d.ci_high:+.2f} h)"
        )
    gone = c.difference("abandoned_share", scenario)
    if gone.n and gone.clear:
        word = "more" if gone.diff > 0 else "fewer"
        out.append(
            f"{c.names[scenario]}: {100 * abs(gone.diff):.1f} percentage points {word} customers "
            f"give up than in {c.names[0]}"
        )
    return out


def _seed_sentence(c: Comparison, headline: tuple[str, ...]) -> str:
    parts = []
    for i in range(1, len(c.names)):
        better, worse, unclear = [], [], []
        for key in headline:
            d = c.difference(key, i)
            noun = kpi_info(key).noun
            if d.verdict == "better":
                better.append(noun)
            elif d.verdict == "worse":
                worse.append(noun)
            else:
                unclear.append(noun)
        bits = []
        if better:
            bits.append(f"better on {_listing(better)}")
        if worse:
            bits.append(f"worse on {_listing(worse)}")
        if unclear:
            bits.append(f"not clearly different on {_listing(unclear)}")
        parts.append(f"{c.names[i]} is {'; '.join(bits)} than {c.names[0]}")
    return (
        "In 1 plausible world only, the scenarios' own assumptions (95% CIs over "
        f"{c.n} seeds; --worlds N tests the others): " + "; ".join(parts) + "."
    )


def _worlds_sentence(c: Comparison, summary: WorldsSummary, headline: tuple[str, ...]) -> str:
    parts = []
    for key in headline:
        shares = summary.share_best.get(key)
        if not shares:
            continue
        top = max(s.k for s in shares.values())
        leaders = [name for name, s in shares.items() if s.k == top]
        noun = kpi_info(key).noun
        if len(leaders) > 1:
            split = ", ".join(f"{name} in {shares[name].k:g}" for name in leaders)
            parts.append(f"no scenario is best on {noun} in most worlds ({split} of {summary.n})")
        else:
            parts.append(f"{leaders[0]} is best on {noun} in {shares[leaders[0]].text()}")
    hinge = summary.hinges_on[:2]
    tail = f" It hinges most on {_listing(hinge)}." if hinge else ""
    return f"Across {summary.n} plausible worlds: " + "; ".join(parts) + "." + tail


def verdict_of(c: Comparison, worlds: Worlds | None = None) -> Verdict:
    """The verdict of a comparison (see the module docstring)."""
    headline = tuple(k for k in c.headline if k in c.kpis())
    stable = _stable(c)
    bottlenecks = _bottlenecks(c, stable)
    warnings = []
    demand = demand_warning(c.scenarios, c.names)
    if demand:
        warnings.append(demand)
    warnings += c.notes
    summary = WorldsSummary.of(worlds) if worlds is not None else None
    if summary is not None:
        for name, share in summary.unstable.items():
            if share.k:
                warnings.append(
                    f"{name} did not keep up in {share.text()} plausible worlds: those worlds' "
                    "numbers describe queues that do not settle."
                )
    if bottlenecks or len(c.names) < 2:
        sentence = None
        why: list[str] = []
    else:
        sentence = (
            _worlds_sentence(c, summary, headline)
            if summary is not None
            else _seed_sentence(c, headline)
        )
        why = [r for i in range(1, len(c.names)) for r in reasons(c, i)]
    return Verdict(
        sentence=sentence,
        reasons=why,
        stable=stable,
        bottlenecks=bottlenecks,
        warnings=warnings,
        worlds=summary,
        headline=headline,
    )


def comparison_json(c: Comparison, verdict: Verdict) -> dict[str, Any]:
    """The comparison as one JSON-ready object with stable keys (`sim compare --json`;
    documented in docs/scenario-reference.md, *The comparison as JSON*); NaN becomes None."""
    keys = c.kpis()
    kpis = {
        key: {
            name: {"mean": e.mean, "ci_low": e.ci_low, "ci_high": e.ci_high}
            for name, e in ((n, c.estimate(key, i)) for i, n in enumerate(c.names))
        }
        for key in keys
    }
    differences = []
    for key in keys:
        direction = kpi_info(key).better
        for i in range(1, len(c.names)):
            d = c.difference(key, i)
            better = None
            if direction and math.isfinite(d.diff) and d.diff != 0:
                better = d.scenario if (d.diff > 0) == (direction > 0) else d.baseline
            differences.append(
                {
                    "kpi": key,
                    "a": d.baseline,
                    "b": d.scenario,
                    "diff": d.diff,
                    "ci_low": d.ci_low,
                    "ci_high": d.ci_high,
                    "better": better,
                    "significant": d.clear,
                }
            )
    return _finite(
        {
            "scenarios": list(c.names),
            "baseline": c.baseline,
            "reps": c.n,
            "root_seed": c.root_seed,
            "seeds": list(c.seeds),
            "headline": list(verdict.headline),
            "stable": dict(verdict.stable),
            "kpis": kpis,
            "differences": differences,
            "worlds": verdict.worlds.as_dict() if verdict.worlds is not None else None,
            "verdict": verdict.sentence,
            "reasons": list(verdict.reasons),
            "bottlenecks": [b.as_dict() for b in verdict.bottlenecks],
            "warnings": list(verdict.warnings),
        }
    )


def _finite(value: Any) -> Any:
    """`value` with every non-finite float (NaN, inf) as None, for strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.floating | np.integer | np.bool_):
        return _finite(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
