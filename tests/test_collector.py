"""While a model simulates or its clock is advanced, the garbage collector's young passes are
rarer (`sim.collector`); the process gets its own thresholds back afterwards, whatever happened
in the run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import load_scenario
from sim.collector import YOUNG_THRESHOLD, rare_young_passes
from sim.model import OrgModel
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """The test's own thresholds (not CPython's defaults, so a restore to defaults would show),
    and the process's put back afterwards."""
    saved = gc.get_threshold()
    gc.set_threshold(555, 7, 9)
    yield (555, 7, 9)
    gc.set_threshold(*saved)


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The thresholds in force at each daily review of the models the test builds."""
    seen: list[tuple[int, ...]] = []
    end_day = OrgModel.end_day

    def watching(model: OrgModel) -> None:
        seen.append(gc.get_threshold())
        end_day(model)

    monkeypatch.setattr(OrgModel, "end_day", watching)
    return seen


def functional(days: int) -> Scenario:
    return load_scenario(SCENARIOS / "functional.toml").with_overrides(
        **{"run.days": days, "run.warmup_days": 0}
    )


def test_a_run_raises_the_young_threshold_and_restores_the_process_thresholds(
    thresholds: tuple[int, int, int], seen: list[tuple[int, ...]]
) -> None:
    OrgModel(functional(2), rng=1).simulate()
    assert seen and set(seen) == {(YOUNG_THRESHOLD, 7, 9)}
    assert gc.get_threshold() == thresholds


def test_a_live_model_advanced_by_run_until_also_raises_it(
    thresholds: tuple[int, int, int], seen: list[tuple[int, ...]]
) -> None:
    """The classroom advances its models with `run_until`, a slice at a time."""
    model = OrgModel(functional(3), rng=1)
    for hours in (5.0, 8.0, 8.5, 17.0):
        model.run_until(hours)
        assert gc.get_threshold() == thresholds
    assert len(seen) == 3 and set(seen) == {(YOUNG_THRESHOLD, 7, 9)}  # hours 0, 8 and 16


def test_a_failed_run_restores_the_thresholds(
    thresholds: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(model: OrgModel) -> None:
        raise RuntimeError("a handler failed")

    monkeypatch.setattr(OrgModel, "end_day", failing)
    with pytest.raises(RuntimeError, match="a handler failed"):
        OrgModel(functional(2), rng=1).simulate()
    assert gc.get_threshold() == thresholds


def test_nested_runs_restore_once_the_last_ends(thresholds: tuple[int, int, int]) -> None:
    with rare_young_passes():
        with rare_young_passes():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, 7, 9)
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 7, 9)  # the outer run still runs
    assert gc.get_threshold() == thresholds


def test_automatic_collection_switched_off_stays_off(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(0, 7, 9)
    with rare_young_passes():
        assert gc.get_threshold() == (0, 7, 9)
    assert gc.get_threshold() == (0, 7, 9)
