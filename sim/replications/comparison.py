"""Scenario comparisons: every scenario run with the same replication seeds, compared with the
first (the baseline).

Scenario B's k-th run sees the same customers as scenario A's k-th run (common random
numbers), so the per-seed differences B - A are much less noisy than the two means on their
own, and the confidence interval reported for a comparison is the CI of the paired
*difference* (`sim.replications.statistics`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from sim.kpi_catalogue import CATALOGUE, STATUS_KEYS, kpi_info, shared_currency
from sim.progress import ProgressCallback
from sim.replications.jcurve import JCurve, j_curve
from sim.replications.runs import (
    Replication,
    Summariser,
    executor_for,
    replication_seeds,
    run_jobs,
    summarise_run,
)
from sim.replications.statistics import Difference, Estimate, estimate, paired_difference
from sim.replications.wording import describe
from sim.replications.worlds import Worlds, run_worlds
from sim.scenario import Scenario

HEADLINE_KPIS: tuple[str, ...] = (
    "service_level",
    "time_to_outcome_hours_mean",
    "csat_mean",
    "total_cost",
)
"""The KPIs a verdict is about, each counting every customer (abandoned ones too) or every
cost: the comparison's sentences, the worlds' shares, and what `reps="auto"` watches (their CI
half-width must be within `precision` of the mean)."""


@dataclass
class Comparison:
    """Every scenario run with the same seeds; estimates, paired differences and sentences.

    `replications[i][k]` is scenario i's run with `seeds[k]`.
    """

    names: list[str]
    scenarios: list[Scenario]
    root_seed: int
    seeds: list[int]
    replications: list[list[Replication]]
    reps_mode: str = "fixed"
    precision: float = 0.05
    max_reps: int = 50
    headline: tuple[str, ...] = HEADLINE_KPIS
    notes: list[str] = field(default_factory=list)
    history: list[tuple[int, float]] = field(default_factory=list)
    """`reps="auto"`: (replications, worst headline half-width relative to the mean) per batch."""
    worlds: Worlds | None = None
    """The same scenarios and seeds in plausible worlds (`sim compare --worlds`), if run."""

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def baseline(self) -> str:
        return self.names[0]

    @property
    def currency(self) -> str:
        """What the scenarios' costs are counted in ('EUR'; 'EUR / USD' when they differ)."""
        return shared_currency(s.run.currency for s in self.scenarios)

    def kpis(self) -> list[str]:
        """Numeric scalar KPIs present in every run, in catalogue order, then the rest."""
        present: dict[str, None] = {}
        for reps in self.replications:
            for rep in reps:
                for key, value in rep.kpis.items():
                    if key in STATUS_KEYS or isinstance(value, bool):
                        continue
                    if isinstance(value, int | float | np.integer | np.floating):
                        present[key] = None
        known = [k for k in CATALOGUE if k in present]
        return known + [k for k in present if k not in CATALOGUE]

    def values(self, kpi: str, scenario: int | str) -> np.ndarray:
        """One value per seed (NaN where a run lacks it), in seed order."""
        i = self._index(scenario)
        values = (r.kpis.get(kpi) for r in self.replications[i])
        return np.array([math.nan if v is None else float(v) for v in values], dtype=float)

    def estimate(self, kpi: str, scenario: int | str = 0) -> Estimate:
        return estimate(self.values(kpi, scenario))

    def difference(self, kpi: str, scenario: int | str = 1) -> Difference:
        """Paired difference of `scenario` against the baseline (the first scenario)."""
        i = self._index(scenario)
        return paired_difference(
            kpi,
            self.values(kpi, i),
            self.values(kpi, 0),
            scenario=self.names[i],
            baseline=self.names[0],
        )

    def sentence(self, kpi: str, scenario: int | str = 1) -> str:
        """Plain language, e.g. 'B: requests are resolved 34% faster than in A (95% CI
        28–40%).' or 'B: no clear difference in mean resolution time from A (...)'."""
        return describe(self.difference(kpi, scenario), self.currency)

    def sentences(self, kpis: Sequence[str] | None = None) -> list[str]:
        keys = list(kpis) if kpis is not None else list(self.headline)
        return [self.sentence(k, i) for i in range(1, len(self.names)) for k in keys]

    def criterion_met(self, precision: float | None = None) -> bool:
        """Every headline KPI's CI half-width is within `precision` x |mean| in every scenario."""
        p = self.precision if precision is None else precision
        return not _worst_precision(self, p)[1]

    def table(self) -> pd.DataFrame:
        """Tidy: one row per (KPI, scenario); difference columns are NaN for the baseline."""
        rows = []
        for key in self.kpis():
            info = kpi_info(key, self.currency)
            for i, name in enumerate(self.names):
                e = self.estimate(key, i)
                row: dict[str, Any] = {
                    "kpi": key,
                    "label": info.label,
                    "unit": info.unit,
                    "scenario": name,
                    "baseline": i == 0,
                    "n": e.n,
                    "mean": e.mean,
                    "sd": e.sd,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "half_width": e.half_width,
                    "rel_half_width": e.rel_half_width,
                }
                if i == 0:
                    row.update(dict.fromkeys(_DIFF_COLUMNS, math.nan))
                    row.update(clear=False, verdict="", sentence="")
                else:
                    d = self.difference(key, i)
                    row.update(
                        diff=d.diff,
                        diff_ci_low=d.ci_low,
                        diff_ci_high=d.ci_high,
                        rel_diff_pct=d.rel_pct,
                        rel_diff_ci_low=d.rel_ci_low,
                        rel_diff_ci_high=d.rel_ci_high,
                        clear=d.clear,
                        verdict=d.verdict,
                        sentence=describe(d, self.currency),
                    )
                row.update(reps=self.n, root_seed=self.root_seed)
                rows.append(row)
        return pd.DataFrame(rows)

    def runs_table(self) -> pd.DataFrame:
        """One row per (scenario, seed) with every scalar KPI: the raw replications."""
        keys = self.kpis()
        rows = []
        for name, reps in zip(self.names, self.replications, strict=True):
            for k, rep in enumerate(reps):
                rows.append(
                    {
                        "scenario": name,
                        "replication": k,
                        "seed": rep.seed,
                        "stable": rep.stable,
                        **{key: rep.kpis.get(key, math.nan) for key in keys},
                    }
                )
        return pd.DataFrame(rows)

    def units_table(self) -> pd.DataFrame:
        """Per scenario and unit: headcount and utilisation mean with its CI over seeds."""
        rows = []
        for name, reps in zip(self.names, self.replications, strict=True):
            frame = pd.concat([r.units for r in reps], ignore_index=True)
            for unit, group in frame.groupby("unit", sort=False):
                e = estimate(group["utilisation"])
                rows.append(
                    {
                        "scenario": name,
                        "unit": unit,
                        "headcount": int(group["headcount"].iloc[0]),
                        "utilisation": e.mean,
                        "ci_low": e.ci_low,
                        "ci_high": e.ci_high,
                    }
                )
        return pd.DataFrame(rows)

    def j_curves(self) -> dict[str, JCurve]:
        """Per scenario with a reorganisation (`[[events]]`), its J-curve over the replications
        (`JCurve`: daily resolution time with and without it, the customer hours saved since
        the switch, dip, recovery and pay-back); empty when no scenario reorganises."""
        curves = {}
        for name, scenario, reps in zip(self.names, self.scenarios, self.replications, strict=True):
            curve = j_curve(name, scenario, reps)
            if curve is not None:
                curves[name] = curve
        return curves

    def run_worlds(
        self,
        n_worlds: int,
        *,
        workers: int = 1,
        executor: Executor | None = None,
        progress: ProgressCallback | None = None,
    ) -> Worlds:
        """Run these scenarios in `n_worlds` plausible worlds too, on these replications'
        seeds and root seed, watching the headline KPIs (`sim.replications.worlds`); the result
        is kept as `worlds` (what `sim compare --worlds` and the dashboard's worlds show)."""
        self.worlds = run_worlds(
            self.scenarios,
            self.names,
            n_worlds,
            self.n,
            self.root_seed,
            self.headline,
            workers=workers,
            executor=executor,
            progress=progress,
        )
        return self.worlds

    def to_csv(self, path: str | os.PathLike[str] | IO[str]) -> None:
        """The tidy `table()` as CSV (seeds: `root_seed` and `reps` columns; see
        `replication_seeds`)."""
        self.table().to_csv(path, index=False)

    def _index(self, scenario: int | str) -> int:
        if isinstance(scenario, str):
            return self.names.index(scenario)
        return int(scenario)


_DIFF_COLUMNS = (
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "rel_diff_pct",
    "rel_diff_ci_low",
    "rel_diff_ci_high",
)


def _worst_precision(c: Comparison, precision: float) -> tuple[float, list[str]]:
    """Worst headline rel. half-width over scenarios, and what misses `precision`."""
    worst, misses = 0.0, []
    for key in c.headline:
        for i, name in enumerate(c.names):
            rel = c.estimate(key, i).rel_half_width
            if not math.isfinite(rel) or rel > precision:
                shown = "undefined" if math.isnan(rel) else f"{100 * rel:.1f}% of the mean"
                misses.append(f"{kpi_info(key).noun} in {name} ({shown})")
            worst = max(worst, rel) if not math.isnan(rel) else math.inf
    return worst, misses


def scenario_names(scenarios: Sequence[Scenario]) -> list[str]:
    """Short, unique names for sentences and tables.

    A prefix every name shares up to a ': ' ("Insurer customer service: functional
    departments", "Insurer customer service: cross-functional teams") is dropped; names that
    are still the same get a number.
    """
    names = [s.name for s in scenarios]
    if len(names) > 1:
        cut, at = -1, names[0].find(": ")
        while at > 0:
            if all(n.startswith(names[0][: at + 2]) for n in names):
                cut = at
            at = names[0].find(": ", at + 1)
        if cut > 0 and all(len(n) > cut + 2 for n in names):
            names = [n[cut + 2 :] for n in names]
            names = [n[0].upper() + n[1:] for n in names]
    return [f"{n} #{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def compare(
    scenarios: Sequence[Scenario],
    reps: int | Literal["auto"] = "auto",
    root_seed: int | None = None,
    workers: int = 1,
    *,
    max_reps: int = 50,
    min_reps: int = 5,
    precision: float = 0.05,
    headline: Sequence[str] = HEADLINE_KPIS,
    names: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    executor: Executor | None = None,
    summarise: Summariser = summarise_run,
    max_chunk: int = 4,
) -> Comparison:
    """Run every scenario with the same replication seeds and compare them to the first.

    `reps`: a number of replications (>= 2), or "auto": start with `min_reps` and add batches
    until every `headline` KPI's 95% CI half-width is at most `precision` (5%) of its mean in
    every scenario, or `max_reps` is reached (then `Comparison.notes` says so). `root_seed`
    defaults to the first scenario's `run.seed`. `progress(done, planned)` is called after
    every finished run (chunk, on a pool). `workers`/`executor` as in `replicate`; a pool's
    tasks are at most `max_chunk` runs each (1: runs take turns, `sim.dashboard`'s slots).
    """
    if len(scenarios) < 1:
        raise ValueError("compare needs at least one scenario")
    auto = reps == "auto"
    if not auto:
        if isinstance(reps, bool) or not isinstance(reps, int | np.integer):
            raise ValueError(f"reps must be a whole number or 'auto' (got {reps!r})")
        if reps < 2:
            raise ValueError(f"reps must be at least 2 for a confidence interval (got {reps})")
    if max_reps < 2:
        raise ValueError(f"max_reps must be at least 2 (got {max_reps})")
    names = list(names) if names is not None else scenario_names(scenarios)
    if len(names) != len(scenarios) or len(set(names)) != len(names):
        raise ValueError("names must be unique, one per scenario")
    root = int(scenarios[0].run.seed if root_seed is None else root_seed)
    comparison = Comparison(
        names=names,
        scenarios=list(scenarios),
        root_seed=root,
        seeds=[],
        replications=[[] for _ in scenarios],
        reps_mode="auto" if auto else "fixed",
        precision=precision,
        max_reps=max_reps,
        headline=tuple(headline),
    )
    target = min(max(2, min_reps), max_reps) if auto else int(reps)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, target * len(scenarios))

    with executor_for(workers, executor) as pool:
        while True:
            new = replication_seeds(root, target)[comparison.n :]
            jobs = [(i, s, seed) for i, s in enumerate(scenarios) for seed in new]
            results = run_jobs(jobs, pool, summarise, tick, max_chunk)
            for i in range(len(scenarios)):
                comparison.replications[i] += [results[(i, seed)] for seed in new]
            comparison.seeds += new
            worst, misses = _worst_precision(comparison, precision)
            if not auto:
                if misses:
                    comparison.notes.append(
                        f"With {comparison.n} replications, some headline KPIs' 95% CI "
                        f"half-width is above {100 * precision:g}% of the mean: "
                        f"{'; '.join(misses)} (more replications, or --reps auto, narrow it)."
                    )
                break
            comparison.history.append((comparison.n, worst))
            if not misses:
                comparison.notes.append(
                    f"--reps auto: stopped at {comparison.n} replications: every headline "
                    f"KPI's 95% CI half-width is within {100 * precision:g}% of its mean "
                    f"in every scenario (worst {100 * worst:.1f}%)."
                )
                break
            if comparison.n >= max_reps:
                comparison.notes.append(
                    f"--reps auto: reached the cap of {max_reps} replications before every "
                    f"headline KPI's 95% CI half-width was within {100 * precision:g}% of "
                    f"its mean; still wider: {'; '.join(misses)}."
                )
                break
            target = _next_target(comparison.n, worst, precision, max_reps)
    comparison.notes += _stability_notes(comparison)
    currencies = list(dict.fromkeys(s.run.currency for s in scenarios))
    if len(currencies) > 1:
        comparison.notes.append(
            f"The scenarios count their costs in different currencies ({', '.join(currencies)}):"
            " their cost differences compare numbers, not money."
        )
    return comparison


def _next_target(n: int, worst: float, precision: float, max_reps: int) -> int:
    """Replications for the next batch: the half-width shrinks like 1/sqrt(n), so aim for
    n * (worst / precision)^2, adding at least 2 and at most doubling per batch."""
    wanted = n * (worst / precision) ** 2 if math.isfinite(worst) else 2 * n
    wanted = math.ceil(1.1 * wanted) if math.isfinite(wanted) else 2 * n
    return min(max_reps, max(n + 2, min(2 * n, wanted)))


def _stability_notes(c: Comparison) -> list[str]:
    notes = []
    for name, reps in zip(c.names, c.replications, strict=True):
        bad = [r for r in reps if not r.stable]
        if bad:
            reason = bad[0].kpis.get("unstable_reason") or "unstable"
            notes.append(
                f"{name}: {len(bad)} of {len(reps)} replications were unstable "
                f"(seed {bad[0].seed}: {reason}); its averages describe a system that does "
                "not settle."
            )
    return notes
