"""Performance benchmark: simulated requests per CPU-second, how that scales with the size of the
organisation, against Ciw, and peak memory of a long run.

    .venv/bin/python experiments/benchmark.py            # full benchmark (about 10 CPU-minutes)
    .venv/bin/python experiments/benchmark.py --quick    # smoke-test sizes (a few seconds)
    .venv/bin/python experiments/benchmark.py --profile  # also cProfile case (a) and a x100 run
    .venv/bin/python experiments/benchmark.py --cases e  # only the scale curve (e)

Figures (all CPU time, `time.process_time`, median of several repeats, so other processes on
the machine distort them less; ratios are measured side by side in one run):

(a) M/M/10 in validation mode (`scenarios/validation/mmc.toml`, lambda = 9/h, mu = 1/h, 90% load)
    with `sim.run`, and the same network in Ciw in the same process, alternating run by run.
(b) The functional preset (`scenarios/functional.toml`) with every mechanism on: the two the
    preset leaves at their neutral value (social loafing, cross-training) are switched on too.
(c) Peak memory (RSS high-water mark, fresh subprocess) of a 1,000,000-request M/M/10 run.
(d) What the people side costs: the functional preset with and without it.
(e) The scale curve: the functional, cross-functional and matrix presets scaled by x1, x5, x25
    and x100 in headcount, units and demand (x100: 4,000 employees in 400 to 600 units of the
    x1 sizes, 20,500 requests a day), 20 working days each, so that utilisation stays that of
    x1 (checked: a run that stops early gives no ratio); the x100 throughput against the x5.
(f) A 50-unit Jackson network (50 units of 2 servers at 80% load; each request visits three
    consecutive units) in sim and in Ciw, alternating run by run.

Throughput counts every request that closed (resolved or abandoned). Warm-up is set to 0 so that
every simulated request is counted; the timed call is the whole `sim.run` (simulation, books
check, tables and KPIs) and, for Ciw, building the simulation, running it and reading its
records. The process exits 0 whatever the figures: PASS/MISS is information, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mesa

import sim
from sim import RunResult, Scenario, ScenarioError, load_scenario, run
from sim.core import core as which_core
from sim.scenario import NEUTRAL, parse_scenario
from sim.structure import build_units

try:
    import ciw
except ImportError:  # Ciw is a test extra; without it the comparison is skipped.
    ciw = None

ROOT = Path(__file__).resolve().parent.parent
MMC_SCENARIO = ROOT / "scenarios" / "validation" / "mmc.toml"
FUNCTIONAL_SCENARIO = ROOT / "scenarios" / "functional.toml"
PRESETS = ("functional", "cross-functional", "matrix")

TARGET_MMC_RATIO = 1.5
"""sim's M/M/10 throughput against Ciw's, side by side."""
TARGET_NETWORK_RATIO = 2.0
"""sim's throughput on the 50-unit Jackson network against Ciw's."""
TARGET_FUNCTIONAL = 30_000.0
"""Requests per CPU-second on the functional preset with every mechanism on."""
TARGET_SCALE = 0.8
"""Each preset at x100 keeps at least this share of its x5 throughput."""
TARGET_MEMORY_MB = 1024.0
"""Peak RSS of the 1,000,000-request run, MiB."""

EVERY_MECHANISM = {"policies.social_loafing": 0.0686, "people.cross_training_hours_per_week": 1.0}
"""The two mechanisms the presets leave at their neutral value, on for case (b): social loafing
at Wang & Zhou's measured +6.86%, and one hour of cross-training a week."""

PEOPLE_SIDE = ("people", "managers")
"""Sections of the people side (engagement, learning, managers, ties): case (d) switches them
off to measure what they cost."""


@dataclass(frozen=True)
class Sizes:
    mmc_requests: int
    functional_requests: int
    memory_requests: int
    repeats: int
    scale_days: int
    scale_factors: tuple[int, ...]
    network_requests: int


FULL = Sizes(
    mmc_requests=100_000,
    functional_requests=50_000,
    memory_requests=1_000_000,
    repeats=3,
    scale_days=20,
    scale_factors=(1, 5, 25, 100),
    network_requests=60_000,
)
QUICK = Sizes(
    mmc_requests=4_000,
    functional_requests=2_000,
    memory_requests=10_000,
    repeats=3,
    scale_days=2,
    scale_factors=(1, 5, 10),
    network_requests=2_000,
)


# Helpers -------------------------------------------------------------------------------------


def print_medians(sim_rates: list[float], ciw_rates: list[float]) -> tuple[float, float | None]:
    """The median throughput of each side over the seeds, printed with their ratio (medians,
    because a shared machine makes single runs noisy)."""
    sim_rate = statistics.median(sim_rates)
    ciw_rate = statistics.median(ciw_rates) if ciw_rates else None
    print(f"    median: sim {sim_rate:,.0f} req/CPU-s", end="")
    if ciw_rate is not None:
        print(f", Ciw {ciw_rate:,.0f} req/CPU-s, ratio sim/Ciw {sim_rate / ciw_rate:.2f}")
    else:
        print(" (Ciw not installed: no comparison)")
    return sim_rate, ciw_rate


def cpu_seconds(fn: Callable[[], int]) -> tuple[int, float]:
    """(requests returned by `fn`, CPU seconds it took)."""
    gc.collect()
    start = time.process_time()
    requests = fn()
    return requests, time.process_time() - start


def sized(scenario: Scenario, requests: int) -> Scenario:
    """`scenario` long enough for about `requests` arrivals, with no warm-up."""
    days = max(2, math.ceil(requests / scenario.demand.requests_per_day))
    return scenario.with_overrides(**{"run.days": days, "run.warmup_days": 0})


def sim_requests(scenario: Scenario, seed: int, keep: list[RunResult] | None = None) -> int:
    """Requests a run of `scenario` closed (the result is appended to `keep`, if given)."""
    result = run(scenario, seed=seed)
    if keep is not None:
        keep.append(result)
    return len(result.requests)


def mmc_parameters(s: Scenario) -> tuple[float, float, int]:
    """(lambda per hour, mu per hour, servers) of a single-skill, single-task scenario."""
    (rtype,) = s.demand.request_types
    (task,) = rtype.tasks
    return s.demand.requests_per_day / s.run.hours_per_day, 1.0 / task.hours, s.headcount


def ciw_requests(arrival_rate: float, service_rate: float, servers: int, hours: float, seed: int):
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(arrival_rate)],
        service_distributions=[ciw.dists.Exponential(service_rate)],
        number_of_servers=[servers],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(hours)
    return sum(1 for r in simulation.get_all_records() if r.record_type == "service")


def rss_mib(maxrss: int) -> float:
    """`ru_maxrss` in MiB (kilobytes on Linux, bytes on macOS)."""
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024


def big_mmc(requests: int) -> tuple[Scenario, str]:
    """An M/M/c scenario at the validation file's 90% load with about `requests` arrivals and
    no warm-up.

    `run.days` is capped by the scenario schema, so a long run first lengthens the working day
    (same lambda per working hour, same M/M/10), then, if 24-hour days are not enough, scales
    servers and demand together (M/M/20, M/M/40: still 90% load, still validation mode)."""
    base = load_scenario(MMC_SCENARIO)
    hours = base.run.hours_per_day
    per_hour = base.demand.requests_per_day / hours
    error: ScenarioError | None = None
    for servers_factor in (1, 2, 4, 8):
        for stretch in (1, 2, 3):
            day = hours * stretch
            per_day = per_hour * day * servers_factor
            days = math.ceil(requests / per_day)
            try:
                scenario = base.with_overrides(
                    **{
                        "run.days": days,
                        "run.warmup_days": 0,
                        "run.hours_per_day": day,
                        "demand.requests_per_day": per_day,
                        "workforce.0.headcount": base.headcount * servers_factor,
                    }
                )
            except ScenarioError as exc:
                error = exc
                continue
            return scenario, (
                f"M/M/{scenario.headcount}, {days:,} days of {day:g} h, {per_day:g} requests/day"
            )
    raise SystemExit(f"cannot size an M/M/c run of {requests:,} requests: {error}")


def scaled(scenario: Scenario, factor: int, days: int) -> Scenario:
    """A preset `factor` times larger (the same organisation design at another size): `factor`
    copies of each of its units, `factor` times the demand, `days` working days, no warm-up.

    Units keep their size, so utilisation stays that of x1 (a unit `factor` times larger would
    spend `factor` times more time coordinating, `coordination` per colleague, and not keep
    up): teams are multiplied (`structure.teams`), and departments and expert pools, one per
    skill in their structures, become `factor` departments (pools) per skill of a `custom`
    structure, each with the people of the x1 unit and serving what it serves; a task of their
    skill goes to one of them uniformly."""
    changes: dict[str, object] = {
        "run.days": days,
        "run.warmup_days": 0,
        "demand.requests_per_day": scenario.demand.requests_per_day * factor,
        "workforce": [
            g.model_dump() | {"headcount": g.headcount * factor} for g in scenario.workforce
        ],
    }
    kind = scenario.structure.kind
    if kind == "cross_functional":
        changes["structure.teams"] = scenario.structure.teams * factor
    elif factor > 1:
        changes["structure"] = {"kind": "custom", "units": copied_units(scenario, factor)}
    return scenario.with_overrides(**changes)


def copied_units(scenario: Scenario, factor: int) -> list[dict]:
    """`factor` copies of each unit of `scenario`'s structure, as `custom` units (members by
    primary skill, the skills it serves)."""
    units = []
    for copy in range(1, factor + 1):
        for unit in build_units(scenario).units:
            members: dict[str, int] = {}
            for person in unit.members:
                members[person.skill] = members.get(person.skill, 0) + 1
            serves = sorted(unit.serves)
            units.append({"name": f"{unit.name} {copy}", "members": members, "serves": serves})
    return units


NETWORK_UNITS = 50
NETWORK_SERVERS = 2
NETWORK_HOPS = 3
NETWORK_LOAD = 0.8


def jackson_network(requests: int) -> Scenario:
    """A 50-unit open Jackson network in validation mode: 50 single-skill units of 2 people
    (mean work 1 h, exponential), customers arriving at every unit alike (Poisson) and visiting
    it and the next two units in a ring; 80% load everywhere. Mean time in the network: three
    M/M/2 sojourns, 3 x 2.778 = 8.333 h."""
    n = NETWORK_UNITS
    per_hour = NETWORK_LOAD * NETWORK_SERVERS * n / NETWORK_HOPS
    hours_per_day = 8.0
    raw = {
        "name": f"Benchmark: {n}-unit Jackson network",
        "run": {
            "days": max(2, math.ceil(requests / (per_hour * hours_per_day))),
            "warmup_days": 0,
            "hours_per_day": hours_per_day,
        },
        "demand": {
            "requests_per_day": per_hour * hours_per_day,
            "work_distribution": "exponential",
            "patience_hours": 0.0,
            "callback_delay_hours": 0.0,
            "request_types": [
                {
                    "name": f"from unit {i}",
                    "share": 1 / n,
                    "expected_hours": 8.0,
                    "tasks": [
                        {"skill": f"u{(i + k) % n:02d}", "hours": 1.0} for k in range(NETWORK_HOPS)
                    ],
                }
                for i in range(n)
            ],
        },
        "workforce": [
            {"skill": f"u{i:02d}", "headcount": NETWORK_SERVERS, "baseline_engagement": 1.0}
            for i in range(n)
        ],
        "structure": {"kind": "functional"},
        **{section: dict(values) for section, values in NEUTRAL.items()},
    }
    return parse_scenario(raw, source="<benchmark network>")


def ciw_network(hours: float, seed: int) -> tuple[int, float]:
    """(customers through the network, their mean time in it) of the same network in Ciw."""
    n = NETWORK_UNITS
    per_unit = NETWORK_LOAD * NETWORK_SERVERS / NETWORK_HOPS

    def route(individual, simulation):  # the next units after the one arrived at
        return [(individual.starting_node - 1 + k) % n + 1 for k in range(1, NETWORK_HOPS)]

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(per_unit)] * n,
        service_distributions=[ciw.dists.Exponential(1.0)] * n,
        number_of_servers=[NETWORK_SERVERS] * n,
        routing=ciw.routing.ProcessBased(route),
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(hours)
    done = simulation.nodes[-1].all_individuals
    times = [i.data_records[-1].exit_date - i.data_records[0].arrival_date for i in done]
    return len(done), statistics.fmean(times) if times else math.nan


# (c) runs in a fresh interpreter: this is its entry point ------------------------------------


def memory_child(requests: int, trace: bool) -> None:
    baseline = rss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    scenario, shape = big_mmc(requests)
    if trace:
        tracemalloc.start()
    start = time.process_time()
    result = run(scenario, seed=1)
    cpu = time.process_time() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    report = {
        "requests": len(result.requests),
        "shape": shape,
        "cpu_seconds": cpu,
        "baseline_rss_mib": baseline,
        "peak_rss_mib": rss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "vm_hwm_mib": vm_hwm_mib(),
        "tracemalloc_peak_mib": traced,
    }
    print(json.dumps(report))


TRAMPOLINE = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
"""On Linux a child's `ru_maxrss` starts at its parent's high-water mark (it survives vfork and
exec), so a child of this already-large process would report at least our own peak. A small
intermediate interpreter resets it: the grandchild's figure is its own."""


def vm_hwm_mib() -> float | None:
    """The kernel's per-process RSS high-water mark (Linux), a cross-check of `ru_maxrss`."""
    try:
        with open("/proc/self/status") as status_file:
            for line in status_file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def memory_in_subprocess(requests: int, trace: bool) -> dict:
    script = str(Path(__file__).resolve())
    command = [sys.executable, "-c", TRAMPOLINE, sys.executable, script]
    command += ["--memory-child", str(requests)]
    if trace:
        command.append("--tracemalloc")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"memory subprocess failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# The benchmark -------------------------------------------------------------------------------


def case_mmc(sizes: Sizes) -> dict:
    scenario = sized(load_scenario(MMC_SCENARIO), sizes.mmc_requests)
    rate, mu, servers = mmc_parameters(scenario)
    hours = scenario.run.days * scenario.run.hours_per_day
    print(
        f"(a) M/M/{servers}: lambda = {rate:g}/h, mu = {mu:g}/h, load {rate / (servers * mu):.0%}, "
        f"{scenario.run.days:,} days x {scenario.run.hours_per_day:g} h = {hours:,.0f} h "
        f"(~{rate * hours:,.0f} requests), {sizes.repeats} repeats"
    )
    small = sized(scenario, 500)  # untimed warm-up of both code paths
    sim_requests(small, seed=0)
    if ciw is not None:
        ciw_requests(rate, mu, servers, small.run.days * small.run.hours_per_day, seed=0)
    sim_rates, ciw_rates = [], []
    for i in range(sizes.repeats):
        seed = i + 1
        n, cpu = cpu_seconds(lambda seed=seed: sim_requests(scenario, seed))
        sim_rates.append(n / cpu)
        line = f"    repeat {seed}: sim {n:,} requests in {cpu:.2f} CPU-s = {n / cpu:,.0f}"
        line += " req/CPU-s"
        if ciw is not None:
            n, cpu = cpu_seconds(lambda seed=seed: ciw_requests(rate, mu, servers, hours, seed))
            ciw_rates.append(n / cpu)
            line += f" | Ciw {n:,} in {cpu:.2f} CPU-s = {n / cpu:,.0f} req/CPU-s"
        print(line)
    sim_rate, ciw_rate = print_medians(sim_rates, ciw_rates)
    return {"sim": sim_rate, "ciw": ciw_rate, "scenario": scenario}


def case_functional(sizes: Sizes, path: Path) -> float:
    base = load_scenario(path)
    on = {k: v for k, v in EVERY_MECHANISM.items() if _value(base, k) == _neutral(k)}
    scenario = sized(base.with_overrides(**on), sizes.functional_requests)
    raw = scenario.model_dump()
    neutral = [
        f"{section}.{key}"
        for section, values in NEUTRAL.items()
        for key, value in values.items()
        if raw[section][key] == value
    ]
    print(
        f"(b) {base.name} ({path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}): "
        f"{scenario.headcount} employees, structure {scenario.structure.kind}, "
        f"{scenario.demand.requests_per_day:g} requests/day x {scenario.run.days:,} days, "
        f"{sizes.repeats} repeats"
    )
    if on:
        print(f"    switched on: {', '.join(f'{k} = {v:g}' for k, v in on.items())}")
    print(f"    mechanisms at their neutral value: {', '.join(neutral) or 'none (all on)'}")
    sim_requests(sized(scenario, 300), seed=0)
    rates = []
    for i in range(sizes.repeats):
        n, cpu = cpu_seconds(lambda seed=i + 1: sim_requests(scenario, seed))
        rates.append(n / cpu)
        print(f"    repeat {i + 1}: {n:,} requests in {cpu:.2f} CPU-s = {n / cpu:,.0f} req/CPU-s")
    rate = statistics.median(rates)
    print(f"    median: {rate:,.0f} req/CPU-s")
    return rate


def _value(s: Scenario, key: str) -> object:
    section, name = key.split(".")
    return getattr(getattr(s, section), name)


def _neutral(key: str) -> float:
    section, name = key.split(".")
    return NEUTRAL[section][name]


def case_people_side(sizes: Sizes, path: Path) -> tuple[float, float]:
    """(d) The functional preset with and without the people side, alternating run by run."""
    on = sized(load_scenario(path), sizes.functional_requests)
    off = on.with_overrides(
        **{f"{s}.{k}": v for s in PEOPLE_SIDE for k, v in NEUTRAL[s].items()},
        **{f"policies.{k}": NEUTRAL["policies"][k] for k in ("transfer_out", "social_loafing")},
    )
    print("(d) people side: the functional preset with [people], [managers], transfer-out and")
    print("    social loafing at their neutral values (the core) vs all on, alternating")
    rates: dict[str, list[float]] = {"core": [], "all": []}
    for i in range(sizes.repeats):
        for label, scenario in (("core", off), ("all", on)):
            n, cpu = cpu_seconds(lambda s=scenario, seed=i + 1: sim_requests(s, seed))
            rates[label].append(n / cpu)
    core, full = (statistics.median(rates[k]) for k in ("core", "all"))
    print(
        f"    core {core:,.0f} req/CPU-s, all mechanisms {full:,.0f} req/CPU-s: "
        f"{full / core:.2f} of the core's throughput"
    )
    return core, full


def case_scale(sizes: Sizes) -> dict[str, dict[int, float]]:
    """(e) requests per CPU-second of each preset at each scale. The x5 runs are spread over
    the others (before x25, between x25 and x100, after x100) and their median is the
    reference, so that the machine's load drifts alike for both sides of the ratio."""
    days = sizes.scale_days
    factors = sizes.scale_factors
    print(
        f"(e) scale: the presets x{', x'.join(map(str, factors))} in headcount, units and "
        f"demand, {days} working days, no warm-up"
    )
    plan = list(factors)
    if 5 in factors:  # x1, x5, x25, x5, x100, x5
        plan = [f for f in factors if f <= 5] + [x for f in factors if f > 5 for x in (f, 5)]
    curve: dict[str, dict[int, float]] = {}
    unstable: list[str] = []
    for name in PRESETS:
        preset = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        sim_requests(scaled(preset, 1, 2), seed=0)  # untimed warm-up
        rates: dict[int, list[float]] = {}
        utilisation: dict[int, float] = {}
        for factor in plan:
            scenario = scaled(preset, factor, days)
            result: list[RunResult] = []
            n, cpu = cpu_seconds(lambda s=scenario, k=result: sim_requests(s, 1, k))
            rates.setdefault(factor, []).append(n / cpu)
            utilisation[factor] = float(result[0].units["utilisation"].mean())
            if not result[0].stable:
                unstable.append(f"{name} x{factor}")
        curve[name] = {f: statistics.median(r) for f, r in rates.items()}
        cells = "  ".join(f"x{f} {curve[name][f]:>8,.0f}" for f in factors)
        print(f"    {name:18} {cells}  req/CPU-s")
        cells = "  ".join(f"x{f} {utilisation[f]:>8.2f}" for f in factors)
        print(f"    {'':18} {cells}  mean utilisation of the units")
    employees = scaled(load_scenario(FUNCTIONAL_SCENARIO), max(factors), days).headcount
    print(f"    (x{max(factors)}: {employees:,} employees)")
    if unstable:  # a run that stops early measures another workload: no ratio from it
        print(f"    did not keep up (stopped early): {', '.join(unstable)}")
        for name in {u.split()[0] for u in unstable}:
            curve[name] = {}
    else:
        print("    every run kept up (stable)")
    return curve


def case_network(sizes: Sizes) -> dict:
    """(f) the 50-unit Jackson network in sim and in Ciw, alternating run by run."""
    scenario = jackson_network(sizes.network_requests)
    hours = scenario.run.days * scenario.run.hours_per_day
    print(
        f"(f) {NETWORK_UNITS}-unit Jackson network: {NETWORK_SERVERS} servers per unit, "
        f"{NETWORK_LOAD:.0%} load, {NETWORK_HOPS} units per request, "
        f"{scenario.run.days:,} days x {scenario.run.hours_per_day:g} h "
        f"(~{scenario.demand.requests_per_day * scenario.run.days:,.0f} requests)"
    )
    small = jackson_network(500)
    sim_requests(small, seed=0)
    if ciw is not None:
        ciw_network(small.run.days * small.run.hours_per_day, seed=0)
    sim_rates, ciw_rates = [], []
    means: dict[str, float] = {}

    def sim_once(seed: int) -> int:
        r = run(scenario, seed=seed)
        means["sim"] = r.kpis["resolution_hours_mean"]
        return len(r.requests)

    def ciw_once(seed: int) -> int:
        done, means["ciw"] = ciw_network(hours, seed)
        return done

    for i in range(sizes.repeats):
        seed = i + 1
        n, cpu = cpu_seconds(lambda seed=seed: sim_once(seed))
        sim_rates.append(n / cpu)
        line = f"    repeat {seed}: sim {n:,} in {cpu:.2f} CPU-s = {n / cpu:,.0f} req/CPU-s"
        line += f" (mean {means['sim']:.2f} h)"
        if ciw is not None:
            n, cpu = cpu_seconds(lambda seed=seed: ciw_once(seed))
            ciw_rates.append(n / cpu)
            line += f" | Ciw {n:,} in {cpu:.2f} CPU-s = {n / cpu:,.0f} req/CPU-s"
            line += f" (mean {means['ciw']:.2f} h)"
        print(line)
    sim_rate, ciw_rate = print_medians(sim_rates, ciw_rates)
    print("    theory: mean time in the network 3 x 2.778 = 8.333 h")
    return {"sim": sim_rate, "ciw": ciw_rate}


def case_memory(sizes: Sizes, trace: bool) -> dict:
    print(f"(c) memory: M/M/c run of ~{sizes.memory_requests:,} requests in a fresh subprocess")
    report = memory_in_subprocess(sizes.memory_requests, trace=False)
    if trace:  # a second child: tracemalloc's own bookkeeping would inflate the RSS figure
        traced = memory_in_subprocess(sizes.memory_requests, trace=True)
        report["tracemalloc_peak_mib"] = traced["tracemalloc_peak_mib"]
    print(
        f"    {report['shape']}: {report['requests']:,} requests in "
        f"{report['cpu_seconds']:.1f} CPU-s "
        f"({report['requests'] / report['cpu_seconds']:,.0f} req/CPU-s)"
    )
    print(
        f"    peak RSS {report['peak_rss_mib']:,.0f} MiB "
        f"(of which {report['baseline_rss_mib']:,.0f} MiB after imports); "
        + (
            f"VmHWM cross-check {report['vm_hwm_mib']:,.0f} MiB"
            if report["vm_hwm_mib"] is not None
            else "no VmHWM cross-check on this platform"
        )
    )
    if report["tracemalloc_peak_mib"] is not None:
        traced = report["tracemalloc_peak_mib"]
        print(f"    tracemalloc peak (Python allocations): {traced:,.0f} MiB")
    else:
        print("    tracemalloc peak: not measured (it slows the run ~3x; use --tracemalloc)")
    return report


def profile(title: str, scenario: Scenario) -> None:
    print(f"\ncProfile of one sim run of {title}, top 15 by tottime:")
    profiler = cProfile.Profile()
    profiler.enable()
    run(scenario, seed=1)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def status(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile case (a) and the largest scaled presets"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure the tracemalloc peak in (c) (a second, ~3x slower subprocess)",
    )
    parser.add_argument(
        "--functional",
        type=Path,
        default=FUNCTIONAL_SCENARIO,
        help="scenario for case (b) (default: scenarios/functional.toml)",
    )
    parser.add_argument(
        "--cases",
        default="abcdef",
        help="which figures to measure, by letter (default: abcdef, all; e: the scale curve)",
    )
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child is not None:
        memory_child(args.memory_child, args.tracemalloc)
        return 0
    cases = set(args.cases)
    if not cases or not cases <= set("abcdef"):
        print(f"error: --cases takes letters from abcdef, not {args.cases!r}", file=sys.stderr)
        return 2
    if not args.functional.exists():
        print(f"error: functional scenario {args.functional} not found", file=sys.stderr)
        return 2

    sizes = QUICK if args.quick else FULL
    ciw_version = ciw.__version__ if ciw is not None else "not installed"
    print(
        f"Benchmark ({'quick: indicative figures only' if args.quick else 'full'}) - "
        f"Python {platform.python_version()}, Mesa {mesa.__version__}, Ciw {ciw_version}; "
        f"{platform.machine()}, CPU time (time.process_time), median of repeats\n"
        f"Core: {which_core()} (sim {Path(sim.__file__).parent})\n"
    )
    mmc = case_mmc(sizes) if "a" in cases else None
    functional = case_functional(sizes, args.functional) if "b" in cases else None
    core, full = case_people_side(sizes, args.functional) if "d" in cases else (None, None)
    curve = case_scale(sizes) if "e" in cases else {}
    network = case_network(sizes) if "f" in cases else None
    memory = case_memory(sizes, args.tracemalloc) if "c" in cases else None
    if args.profile:
        if mmc is not None:
            profile("case (a)", mmc["scenario"])
        biggest = max(sizes.scale_factors)
        for name in PRESETS[:2]:
            preset = load_scenario(ROOT / "scenarios" / f"{name}.toml")
            profile(f"{name} x{biggest}", scaled(preset, biggest, sizes.scale_days))

    rows = []
    if mmc is not None:
        rows.append(("(a) sim M/M/10, requests per CPU-second", f"{mmc['sim']:,.0f}", "-", "-"))
    if mmc is not None and mmc["ciw"] is not None:
        rows += [
            (
                f"(a) Ciw {ciw.__version__} M/M/10, requests per CPU-second",
                f"{mmc['ciw']:,.0f}",
                "-",
                "-",
            ),
            (
                "(a) ratio sim/Ciw, M/M/10",
                f"{mmc['sim'] / mmc['ciw']:.2f}",
                f">= {TARGET_MMC_RATIO:.2f}",
                status(mmc["sim"] >= TARGET_MMC_RATIO * mmc["ciw"]),
            ),
        ]
    if functional is not None:
        rows.append(
            (
                "(b) sim functional preset, every mechanism on, req/CPU-s",
                f"{functional:,.0f}",
                f">= {TARGET_FUNCTIONAL:,.0f}",
                status(functional >= TARGET_FUNCTIONAL),
            )
        )
    if core is not None and full is not None:
        rows.append(
            (
                "(d) people side: share of the core's throughput kept",
                f"{full / core:.2f}",
                ">= 0.67",
                status(full / core >= 2 / 3),
            )
        )
    top = max(sizes.scale_factors)
    for name, rates in curve.items():
        label = f"(e) {name} x{top} against x5 (req/CPU-s)"
        if not rates and top > 5:
            rows.append((label, "stopped early", f">= {TARGET_SCALE:.2f}", "MISS"))
        elif 5 in rates and top > 5:
            rows.append(
                (
                    label,
                    f"{rates[top] / rates[5]:.2f}",
                    f">= {TARGET_SCALE:.2f}",
                    status(rates[top] >= TARGET_SCALE * rates[5]),
                )
            )
    if network is not None:
        rows.append(
            (f"(f) sim {NETWORK_UNITS}-unit network, req/CPU-s", f"{network['sim']:,.0f}", "-", "-")
        )
    if network is not None and network["ciw"] is not None:
        rows.append(
            (
                f"(f) ratio sim/Ciw, {NETWORK_UNITS}-unit network",
                f"{network['sim'] / network['ciw']:.2f}",
                f">= {TARGET_NETWORK_RATIO:.2f}",
                status(network["sim"] >= TARGET_NETWORK_RATIO * network["ciw"]),
            )
        )
    if memory is not None:
        rows.append(
            (
                f"(c) peak RSS, {memory['requests']:,}-request run, MiB",
                f"{memory['peak_rss_mib']:,.0f}",
                f"< {TARGET_MEMORY_MB:,.0f}",
                status(memory["peak_rss_mib"] < TARGET_MEMORY_MB),
            )
        )
    if memory is not None and memory["tracemalloc_peak_mib"] is not None:
        rows.append(
            ("(c) tracemalloc peak, MiB", f"{memory['tracemalloc_peak_mib']:,.0f}", "-", "-")
        )
    header = ("figure", "value", "target", "status")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print(f"\nSummary (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for figure, value, target, result in [header, *rows]:
        print(f"  {figure:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
