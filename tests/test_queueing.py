"""Check the exact queueing oracle in ``sim.queueing`` against published numbers.

Reference values come from the project's domain notes (docs/domain-notes.md §1, §7; exact
formulas); tolerances match the number of digits quoted.
"""

from __future__ import annotations

import math

import pytest

from sim.queueing import (
    MMC,
    erlang_b,
    erlang_c,
    erlang_k_second_moment,
    jackson_sojourn,
    mg1_wait,
    mmc,
    service_level,
    smallest_servers,
    tandem_sojourn,
)


def test_mm1_textbook() -> None:
    q = mmc(0.8, 1.0, 1)
    assert isinstance(q, MMC)
    assert q.utilisation == pytest.approx(0.8)
    assert q.wait == pytest.approx(4.000, abs=5e-4)
    assert q.sojourn == pytest.approx(5.000, abs=5e-4)
    assert q.p_wait == pytest.approx(0.800, abs=5e-4)
    assert q.number_in_system == pytest.approx(4.0, abs=5e-2)
    assert q.number_in_queue == pytest.approx(3.2, abs=5e-2)


@pytest.mark.parametrize(
    ("servers", "arrival_rate", "wq", "wq_tol", "p_wait"),
    [
        (15, 13.5, 0.4018, 5e-5, 0.603),
        (30, 27.0, 0.1571, 5e-5, 0.471),
        (90, 81.0, 0.0265, 5e-5, 0.238),
    ],
)
def test_mmc_scale_at_rho_09(
    servers: int, arrival_rate: float, wq: float, wq_tol: float, p_wait: float
) -> None:
    q = mmc(arrival_rate, 1.0, servers)
    assert q.utilisation == pytest.approx(0.9)
    assert q.wait == pytest.approx(wq, abs=wq_tol)
    assert q.p_wait == pytest.approx(p_wait, abs=5e-4)
    # Little's law consistency
    assert q.number_in_system == pytest.approx(arrival_rate * q.sojourn)
    assert q.number_in_queue == pytest.approx(arrival_rate * q.wait)
    assert q.sojourn == pytest.approx(q.wait + 1.0)


# Call centre: 100 calls/h, 4-min average handling time -> R = 6.67 Erlangs.
CALL_RATE = 100 / 60  # per minute
CALL_MU = 1 / 4  # per minute
TWENTY_SECONDS = 20 / 60  # minutes


@pytest.mark.parametrize(
    ("servers", "p_wait", "p_tol", "asa", "sl20"),
    [
        (9, 0.313, 5e-4, 0.537, 0.742),
        (10, 0.1746, 5e-5, 0.209, 0.868),
        (11, 0.0920, 5e-5, None, 0.936),
    ],
)
def test_call_centre_staffing_table(
    servers: int, p_wait: float, p_tol: float, asa: float | None, sl20: float
) -> None:
    q = mmc(CALL_RATE, CALL_MU, servers)
    assert q.p_wait == pytest.approx(p_wait, abs=p_tol)
    if asa is not None:
        assert q.wait == pytest.approx(asa, abs=5e-4)
    assert q.service_level(TWENTY_SECONDS) == pytest.approx(sl20, abs=5e-4)
    assert service_level(CALL_RATE, CALL_MU, servers, TWENTY_SECONDS) == pytest.approx(
        q.service_level(TWENTY_SECONDS)
    )


def test_service_level_limits() -> None:
    q = mmc(CALL_RATE, CALL_MU, 10)
    assert q.service_level(0.0) == pytest.approx(1.0 - q.p_wait)
    assert q.service_level(1e6) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("rho", "k", "wq", "tol"),
    [
        (0.8, 1, 4.0, 5e-4),
        (0.8, 2, 1.778, 5e-4),
        (0.8, 4, 0.7455, 5e-5),
        (0.8, 8, 0.2860, 5e-5),
        (0.8, 16, 0.0953, 5e-5),
        (0.9, 4, 1.969, 5e-4),
        (0.9, 8, 0.877, 5e-4),
    ],
)
def test_pooling(rho: float, k: int, wq: float, tol: float) -> None:
    # k servers pooled at per-server utilisation rho, mean service time 1.
    assert mmc(rho * k, 1.0, k).wait == pytest.approx(wq, abs=tol)


@pytest.mark.parametrize(("load", "servers"), [(4, 7), (10, 14), (25, 31), (100, 111), (400, 422)])
def test_smallest_servers_for_p_wait_20_percent(load: float, servers: int) -> None:
    assert smallest_servers(load, 0.2) == servers
    assert erlang_c(servers, load) <= 0.2
    if servers - 1 > load:  # one fewer server (if still stable) misses the target
        assert erlang_c(servers - 1, load) > 0.2


def test_erlang_b_recursion_matches_closed_form() -> None:
    a, c = 6.5, 9
    closed = (a**c / math.factorial(c)) / sum(a**k / math.factorial(k) for k in range(c + 1))
    assert erlang_b(c, a) == pytest.approx(closed, rel=1e-12)
    assert erlang_b(0, a) == 1.0
    # large systems stay finite (closed form would overflow)
    assert 0.0 < erlang_b(2000, 1900.0) < 1.0
    assert 0.0 < erlang_c(2000, 1900.0) < 1.0


def test_tandem_three_mm1_stages() -> None:
    assert tandem_sojourn(0.8, [(1.0, 1)] * 3) == pytest.approx(15.0, abs=5e-2)


def test_jackson_series_agrees_with_tandem() -> None:
    stations = [(1.0, 1), (0.5, 3), (2.0, 1)]
    routing = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    assert jackson_sojourn([0.8, 0.0, 0.0], routing, stations) == pytest.approx(
        tandem_sojourn(0.8, stations)
    )


def test_jackson_two_node_feedback_hand_computed() -> None:
    # External Poisson rate 1 into node 0 only.  Node 0 -> node 1 always; node 1 -> node 0
    # with prob 1/2, otherwise leaves.
    # Traffic equations: l0 = 1 + l1/2, l1 = l0  =>  l0 = l1 = 2.
    # Node 0: M/M/1, mu = 4: rho = 1/2, L0 = rho/(1-rho) = 1.
    # Node 1: M/M/2, mu = 3: a = 2/3, rho = 1/3.
    #   Erlang B: B1 = a/(1+a) = 2/5, B2 = a*B1/(2 + a*B1) = 2/17.
    #   Erlang C = B2/(1 - rho*(1 - B2)) = (2/17)/(12/17) = 1/6.
    #   Wq = C/(c*mu - l1) = (1/6)/4 = 1/24;  W1 = 1/24 + 1/3 = 3/8;  L1 = 2 * 3/8 = 3/4.
    #   (check: M/M/2 closed form L = 2*rho/(1 - rho^2) = (2/3)/(8/9) = 3/4.)
    # Mean time in network = (L0 + L1)/gamma = (1 + 3/4)/1 = 1.75.
    routing = [[0.0, 1.0], [0.5, 0.0]]
    stations = [(4.0, 1), (3.0, 2)]
    assert jackson_sojourn([1.0, 0.0], routing, stations) == pytest.approx(1.75, rel=1e-12)
    # Each job visits each node 2 times on average -> same value via per-visit sojourns.
    assert 2 * mmc(2.0, 4.0, 1).sojourn + 2 * mmc(2.0, 3.0, 2).sojourn == pytest.approx(1.75)


def test_pollaczek_khinchine_mm1_special_case() -> None:
    lam, mu = 0.8, 1.25
    rho = lam / mu
    wq = mg1_wait(lam, 1 / mu, 2 / mu**2)
    assert wq == pytest.approx(rho / (mu - lam))
    assert wq == pytest.approx(mmc(lam, mu, 1).wait)
    assert erlang_k_second_moment(1 / mu, 1) == pytest.approx(2 / mu**2)


def test_pollaczek_khinchine_md1_is_half_mm1() -> None:
    lam, mu = 0.8, 1.0
    md1 = mg1_wait(lam, 1 / mu, (1 / mu) ** 2)
    assert md1 == pytest.approx(0.5 * mmc(lam, mu, 1).wait)
    assert md1 == pytest.approx(2.0)
    # Erlang-k lies between M/D/1 and M/M/1 and tends to M/D/1 as k grows.
    mek = [mg1_wait(lam, 1.0, erlang_k_second_moment(1.0, k)) for k in (1, 2, 4, 1000)]
    assert mek == sorted(mek, reverse=True)
    assert mek[-1] == pytest.approx(md1, rel=1e-2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_c(10, 10.0),
        lambda: erlang_c(10, 12.0),
        lambda: erlang_c(0, 0.5),
        lambda: erlang_c(5, -1.0),
        lambda: erlang_b(-1, 1.0),
        lambda: erlang_b(3, -1.0),
        lambda: mmc(1.0, 1.0, 1),
        lambda: mmc(-0.5, 1.0, 1),
        lambda: mmc(0.5, -1.0, 1),
        lambda: mmc(0.5, 1.0, 0),
        lambda: tandem_sojourn(0.8, [(1.0, 1), (0.5, 1)]),
        lambda: tandem_sojourn(-0.8, [(1.0, 1)]),
        lambda: jackson_sojourn([1.0, 0.0], [[0.0, 1.0], [0.9, 0.0]], [(4.0, 1), (3.0, 2)]),
        lambda: jackson_sojourn([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], [(4.0, 1), (3.0, 2)]),
        lambda: jackson_sojourn([-1.0, 0.0], [[0.0, 1.0], [0.0, 0.0]], [(4.0, 1), (3.0, 2)]),
        lambda: jackson_sojourn([1.0], [[0.0, 1.0], [0.0, 0.0]], [(4.0, 1), (3.0, 2)]),
        lambda: mg1_wait(1.0, 1.0, 2.0),
        lambda: mg1_wait(-0.5, 1.0, 2.0),
        lambda: mg1_wait(0.5, 1.0, 0.5),
        lambda: smallest_servers(-1.0, 0.2),
        lambda: smallest_servers(10.0, 0.0),
        lambda: MMC.service_level(mmc(0.5, 1.0, 1), -1.0),
    ],
)
def test_bad_inputs_raise(call) -> None:
    with pytest.raises(ValueError):
        call()
