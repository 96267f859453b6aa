"""Plausible worlds: the comparison repeated over the assumption ranges.

A comparison's confidence intervals come from seeds: they say how sure the numbers are *given*
every modelling choice. But many defaults are choices no source pins down (each has a plausible
range in the schema, `sim.scenario.assumptions`), and the verdict between structures can flip
inside those ranges. `run_worlds` draws N plausible worlds (a Latin hypercube over the ranges:
each range cut into N equal strata, each stratum used once), runs every scenario in every world
with the same replication seeds (common random numbers across scenarios *and* worlds), and
keeps, per world, each scenario's mean over the seeds. From them `Worlds` gives, separately from
the seed CI:

- the spread over the worlds of each scenario's KPI and of each paired difference;
- the share of worlds in which each scenario is best on a KPI, with a 95% (Wilson) interval;
- which assumptions the verdict hinges on: the Spearman rank correlation, over the worlds,
  between each assumption and the paired difference (a screening measure: with N worlds a
  correlation below about 2/sqrt(N) is indistinguishable from chance).

A key the scenarios set differently (one lesson's 0.1 h handoffs against the other's 8 h) is
what the comparison compares, not an assumption: its worlds keep each scenario's own value
(`Worlds.held`). So are keys no scenario uses (``events.*`` without events).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from sim.kpi_catalogue import kpi_info
from sim.progress import ProgressCallback
from sim.replications.runs import (
    Replication,
    Summariser,
    executor_for,
    replication_seeds,
    run_jobs,
    summarise_run,
)
from sim.scenario import Scenario
from sim.scenario.assumptions import Range, assumption_ranges, with_assumptions

HINGE_SHOWN = 5
"""How many assumptions `Worlds.hinges_on` names."""


@dataclass(frozen=True)
class Share:
    """A share of worlds with its 95% Wilson interval."""

    k: float
    n: int

    @property
    def share(self) -> float:
        return self.k / self.n if self.n else math.nan

    @property
    def ci(self) -> tuple[float, float]:
        if not self.n:
            return (math.nan, math.nan)
        z = 1.959963984540054
        p, n = self.share, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (max(0.0, centre - half), min(1.0, centre + half))

    def text(self) -> str:
        low, high = self.ci
        k = f"{self.k:g}"
        return f"{k} of {self.n} ({self.share:.0%}, 95% CI {low:.0%}–{high:.0%})"


def _values_at(s: Scenario, path: str) -> tuple[Any, ...]:
    """Every value at an assumption path in a scenario (``*``: each item; none if empty)."""
    nodes: list[Any] = [s.model_dump()]
    for part in path.split("."):
        if part == "*":
            nodes = [item for node in nodes for item in node]
        else:
            nodes = [node[part] for node in nodes]
    return tuple(nodes)


def varied_ranges(
    scenarios: Sequence[Scenario], names: Sequence[str]
) -> tuple[list[Range], list[str]]:
    """The ranges the worlds vary, and the ranged keys they hold at each scenario's value
    because the scenarios differ in them (see the module docstring)."""
    ranges = assumption_ranges(scenarios, names)
    varied, held = [], []
    for path, r in ranges.items():
        values = [_values_at(s, path) for s in scenarios]
        if not any(values):
            continue
        if len({tuple(sorted(set(v))) for v in values if v}) > 1:
            held.append(path)
            continue
        varied.append(r)
    return varied, held


@dataclass
class Worlds:
    """Every scenario of a comparison run in N plausible worlds (see the module docstring).

    `replications[w][i][k]` is scenario i's run in world w with `seeds[k]`.
    """

    names: list[str]
    scenarios: list[Scenario]
    headline: tuple[str, ...]
    ranges: list[Range]
    held: list[str]
    values: np.ndarray
    """One row per world, one column per range of `ranges`: the value it was run with."""
    seeds: list[int]
    design_seed: int
    replications: list[list[list[Replication]]]

    @property
    def n(self) -> int:
        return len(self.replications)

    @property
    def paths(self) -> list[str]:
        return [r.path for r in self.ranges]

    def world(self, w: int) -> dict[str, float]:
        """The assumption values of world `w`."""
        return dict(zip(self.paths, (float(v) for v in self.values[w]), strict=True))

    def means(self, kpi: str) -> np.ndarray:
        """Worlds x scenarios: each scenario's mean of `kpi` over the seeds in each world."""
        out = np.full((self.n, len(self.names)), math.nan)
        for w, world in enumerate(self.replications):
            for i, reps in enumerate(world):
                values = [_number(r.kpis.get(kpi)) for r in reps]
                finite = [v for v in values if math.isfinite(v)]
                out[w, i] = float(np.mean(finite)) if finite else math.nan
        return out

    def differences(self, kpi: str, scenario: int = 1) -> np.ndarray:
        """Per world, the paired difference (scenario - baseline) of the seed means."""
        m = self.means(kpi)
        return m[:, scenario] - m[:, 0]

    def unstable(self) -> list[Share]:
        """Per scenario: the worlds in which some replication did not keep up."""
        return [
            Share(sum(any(not r.stable for r in world[i]) for world in self.replications), self.n)
            for i in range(len(self.names))
        ]

    def best(self, kpi: str) -> np.ndarray:
        """Worlds x scenarios: 1 where the scenario is the best on `kpi` in that world (a tie
        shares the world), by the KPI's direction; all 0 for a KPI with no better direction."""
        direction = kpi_info(kpi).better
        m = self.means(kpi)
        out = np.zeros_like(m)
        if direction == 0:
            return out
        for w in range(self.n):
            row = direction * m[w]
            if not np.isfinite(row).any():
                continue
            top = np.nanmax(row)
            winners = np.isclose(row, top, rtol=1e-12, atol=1e-12) & np.isfinite(row)
            out[w, winners] = 1.0 / winners.sum()
        return out

    def share_best(self, kpi: str) -> dict[str, Share]:
        """Per scenario, the worlds in which it is the best on `kpi`."""
        wins = self.best(kpi).sum(axis=0)
        return {name: Share(float(k), self.n) for name, k in zip(self.names, wins, strict=True)}

    def spread(self, kpi: str, scenario: int = 0) -> tuple[float, float, float]:
        """10th, 50th and 90th percentile over the worlds of a scenario's mean of `kpi`."""
        return _percentiles(self.means(kpi)[:, scenario])

    def difference_spread(self, kpi: str, scenario: int = 1) -> tuple[float, float, float]:
        """10th, 50th and 90th percentile over the worlds of the paired difference."""
        return _percentiles(self.differences(kpi, scenario))

    def influence(self, kpi: str, scenario: int = 1) -> list[tuple[str, float]]:
        """(path, Spearman rho) of every assumption against the paired difference over the
        worlds, strongest first (rho NaN when the difference does not vary)."""
        diff = self.differences(kpi, scenario)
        out = []
        ok = np.isfinite(diff)
        for j, path in enumerate(self.paths):
            x = self.values[ok, j]
            y = diff[ok]
            if len(y) < 3 or np.ptp(y) == 0 or np.ptp(x) == 0:
                rho = math.nan
            else:
                rho = float(stats.spearmanr(x, y).statistic)
            out.append((path, rho))
        return sorted(out, key=lambda item: -abs(item[1]) if math.isfinite(item[1]) else 0.0)

    def hinges_on(self, top: int = HINGE_SHOWN) -> list[str]:
        """The assumptions the verdict hinges on most: ranked by their strongest |rho| with a
        headline KPI's paired difference of any scenario against the baseline."""
        strength: dict[str, float] = dict.fromkeys(self.paths, 0.0)
        for kpi in self.headline:
            for i in range(1, len(self.names)):
                for path, rho in self.influence(kpi, i):
                    if math.isfinite(rho):
                        strength[path] = max(strength[path], abs(rho))
        ranked = sorted(strength.items(), key=lambda item: -item[1])
        return [path for path, s in ranked[:top] if s > 0]

    @property
    def chance_rho(self) -> float:
        """|rho| that chance alone exceeds in 5% of cases with this many worlds (about
        2/sqrt(N))."""
        n = self.n
        return 1.959963984540054 / math.sqrt(n - 1) if n > 1 else math.nan


def _number(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return (math.nan, math.nan, math.nan)
    low, mid, high = np.percentile(finite, [10, 50, 90])
    return (float(low), float(mid), float(high))


def latin_hypercube(n: int, d: int, seed: int) -> np.ndarray:
    """N points in [0, 1)^d: each dimension cut into N strata, each stratum used once."""
    if d == 0:
        return np.zeros((n, 0))
    return qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n)


def run_worlds(
    scenarios: Sequence[Scenario],
    names: Sequence[str],
    n_worlds: int,
    reps: int,
    root_seed: int,
    headline: Sequence[str],
    *,
    workers: int = 1,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    summarise: Summariser = summarise_run,
) -> Worlds:
    """Run every scenario in `n_worlds` plausible worlds with `reps` replications each, on the
    same replication seeds as a comparison with `root_seed` (see the module docstring). The
    design is drawn from `root_seed` too, so the same command gives the same worlds."""
    if n_worlds < 2:
        raise ValueError(f"--worlds needs at least 2 worlds (got {n_worlds})")
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    names = list(names)
    ranges, held = varied_ranges(scenarios, names)
    units = latin_hypercube(n_worlds, len(ranges), root_seed)
    values = np.array(
        [[r.value(float(u)) for r, u in zip(ranges, row, strict=True)] for row in units]
    ).reshape(n_worlds, len(ranges))
    seeds = replication_seeds(root_seed, reps)
    paths = [r.path for r in ranges]
    jobs = []
    for w in range(n_worlds):
        world = dict(zip(paths, (float(v) for v in values[w]), strict=True))
        for i, s in enumerate(scenarios):
            variant = with_assumptions(s, world)
            jobs += [(w * len(scenarios) + i, variant, seed) for seed in seeds]
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done, len(jobs))

    with executor_for(workers, executor) as pool:
        results = run_jobs(jobs, pool, summarise, tick)
    replications = [
        [[results[(w * len(scenarios) + i, seed)] for seed in seeds] for i in range(len(scenarios))]
        for w in range(n_worlds)
    ]
    return Worlds(
        names=names,
        scenarios=list(scenarios),
        headline=tuple(headline),
        ranges=ranges,
        held=held,
        values=values,
        seeds=list(seeds),
        design_seed=root_seed,
        replications=replications,
    )
