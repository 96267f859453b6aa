"""Replications and scenario comparisons with confidence intervals.

Statistical hygiene as in docs/domain-notes.md §7.24-7.27.

A run is a pure function of (scenario, seed). An experiment runs every scenario with the *same*
replication seeds, so scenario B's k-th run sees the same customers as scenario A's k-th run
(common random numbers), and the confidence interval reported for a comparison is the CI of
the paired *difference*::

    from sim import load_scenario
    from sim.replications import compare

    a = load_scenario("scenarios/functional.toml")
    b = load_scenario("scenarios/cross-functional.toml")
    result = compare([a, b], reps="auto")
    print(result.sentence("resolution_hours_mean"))
    result.to_csv("comparison.csv")

The package: `runs` (seeds, what is kept of a run, `replicate`), `statistics` (estimates,
paired differences), `wording` (differences in plain language), `jcurve` (a reorganisation's
J-curve over replications), `comparison` (`Comparison`, `compare`) and `table` (`ComparisonTable`:
the rows every rendering of a comparison shows).
"""

from sim.replications.comparison import HEADLINE_KPIS, Comparison, compare, scenario_names
from sim.replications.jcurve import JCurve, j_curve
from sim.replications.runs import (
    REORG_DAILY_COLUMNS,
    Replication,
    Summariser,
    reorganisation_series,
    replicate,
    replication_seeds,
    summarise_run,
)
from sim.replications.statistics import (
    CONFIDENCE,
    Difference,
    Estimate,
    estimate,
    paired_difference,
)
from sim.replications.table import (
    SETUP_COLUMNS,
    STRUCTURE_LABELS,
    ComparisonTable,
    structure_label,
)
from sim.replications.wording import describe, difference_text, reads_as_relative

__all__ = [
    "CONFIDENCE",
    "HEADLINE_KPIS",
    "REORG_DAILY_COLUMNS",
    "SETUP_COLUMNS",
    "STRUCTURE_LABELS",
    "Comparison",
    "ComparisonTable",
    "Difference",
    "Estimate",
    "JCurve",
    "Replication",
    "Summariser",
    "compare",
    "describe",
    "difference_text",
    "estimate",
    "j_curve",
    "paired_difference",
    "reads_as_relative",
    "reorganisation_series",
    "replicate",
    "replication_seeds",
    "scenario_names",
    "structure_label",
    "summarise_run",
]
