"""Exact queueing-theory formulas used as an oracle by the simulator's validation tests.

All functions are pure and deterministic.  The time unit is arbitrary: rates are
"per time unit" and waits/sojourns come back in that same unit.

Sources (standard textbook results; full references in docs/references.md, the results
themselves in docs/domain-notes.md §1):

* Erlang B / Erlang C and M/M/c measures: Kleinrock, *Queueing Systems Vol. 1* (1975),
  sections 3.6-3.7; Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*
  (4th ed., 2008), section 2.3.
* Stable Erlang B recursion: Jagerman, "Some properties of the Erlang loss function",
  Bell System Technical Journal 53 (1974).
* Open Jackson networks: Jackson, "Jobshop-like queueing systems", Management Science 10
  (1963); Gross et al. section 5.2.
* Pollaczek-Khinchine mean-value formula for M/G/1: Kleinrock section 5.6; Gross et al. section 6.1.
* Square-root staffing: Halfin & Whitt, "Heavy-traffic limits for queues with many
  exponential servers", Operations Research 29 (1981).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MMC",
    "erlang_b",
    "erlang_c",
    "erlang_k_second_moment",
    "jackson_sojourn",
    "mg1_wait",
    "mmc",
    "service_level",
    "smallest_servers",
    "tandem_sojourn",
]


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, (int, np.integer)):
        raise ValueError(f"servers must be an integer, got {servers!r}")
    if servers < 1:
        raise ValueError(f"servers must be >= 1, got {servers}")


def _check_positive(name: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _check_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of an M/M/c/c loss system (Erlang B formula).

    ``offered_load`` is a = lambda/mu in Erlangs.  Uses the numerically stable recursion
    B(0) = 1, B(k) = a*B(k-1) / (k + a*B(k-1)) (Jagerman 1974), which avoids the
    factorial overflow of the closed form.  Valid for any a >= 0 (no stability condition).
    """
    if isinstance(servers, bool) or not isinstance(servers, (int, np.integer)):
        raise ValueError(f"servers must be an integer, got {servers!r}")
    if servers < 0:
        raise ValueError(f"servers must be >= 0, got {servers}")
    _check_non_negative("offered_load", offered_load)
    b = 1.0
    for k in range(1, int(servers) + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival must wait in an M/M/c queue (Erlang C formula).

    Computed from Erlang B as C = B / (1 - rho*(1 - B)) with rho = a/c (Gross et al.
    section 2.3).  Raises ValueError if the system is unstable (a >= c) or arguments are invalid.
    """
    _check_servers(servers)
    _check_non_negative("offered_load", offered_load)
    if offered_load >= servers:
        raise ValueError(f"unstable: offered_load {offered_load} >= servers {servers} (need a < c)")
    b = erlang_b(servers, offered_load)
    rho = offered_load / servers
    return b / (1.0 - rho * (1.0 - b))


@dataclass(frozen=True)
class MMC:
    """Steady-state measures of an M/M/c queue (see :func:`mmc`).

    Fields: ``utilisation`` rho = lambda/(c*mu); ``p_wait`` = Erlang C; ``wait`` = mean
    time in queue Wq; ``sojourn`` = mean time in system W; ``number_in_system`` = L;
    ``number_in_queue`` = Lq.
    """

    arrival_rate: float
    service_rate: float
    servers: int
    utilisation: float
    p_wait: float
    wait: float
    sojourn: float
    number_in_system: float
    number_in_queue: float

    def service_level(self, t: float) -> float:
        """P(queue wait <= t) = 1 - C*exp(-(c*mu - lambda)*t) for FCFS M/M/c.

        This is the call-centre "service level" (e.g. fraction answered within 20 s).
        """
        _check_non_negative("t", t)
        rate = self.servers * self.service_rate - self.arrival_rate
        return 1.0 - self.p_wait * math.exp(-rate * t)


def mmc(arrival_rate: float, service_rate: float, servers: int) -> MMC:
    """Exact steady-state measures of an M/M/c FCFS queue.

    Wq = C/(c*mu - lambda), W = Wq + 1/mu, L = lambda*W, Lq = lambda*Wq (Little's law),
    with C the Erlang C probability of waiting (Kleinrock section 3.7; Gross et al. section 2.3).
    Raises ValueError for non-positive rates, invalid ``servers`` or lambda >= c*mu.
    """
    _check_positive("arrival_rate", arrival_rate)
    _check_positive("service_rate", service_rate)
    _check_servers(servers)
    load = arrival_rate / service_rate
    c = erlang_c(servers, load)
    wq = c / (servers * service_rate - arrival_rate)
    w = wq + 1.0 / service_rate
    return MMC(
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=int(servers),
        utilisation=load / servers,
        p_wait=c,
        wait=wq,
        sojourn=w,
        number_in_system=arrival_rate * w,
        number_in_queue=arrival_rate * wq,
    )


def service_level(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """Fraction of M/M/c arrivals whose queue wait is <= t: 1 - C*exp(-(c*mu - lambda)*t).

    Convenience wrapper around :meth:`MMC.service_level` (Gross et al. section 2.3).
    """
    return mmc(arrival_rate, service_rate, servers).service_level(t)


def _mmc_number_in_system(arrival_rate: float, service_rate: float, servers: int) -> float:
    return mmc(arrival_rate, service_rate, servers).number_in_system


def tandem_sojourn(arrival_rate: float, stations: Sequence[tuple[float, int]]) -> float:
    """Mean end-to-end time in an open series (tandem Jackson) network of M/M/c stations.

    ``stations`` lists (service_rate, servers) per station; every job visits each station
    once, in order.  By Jackson's theorem (Burke's output theorem for series) each station
    behaves as an independent M/M/c with arrival rate lambda, so the mean sojourn is the
    sum of the stations' M/M/c sojourns.  Raises ValueError if any station is unstable.
    """
    _check_positive("arrival_rate", arrival_rate)
    if len(stations) == 0:
        raise ValueError("stations must not be empty")
    return sum(mmc(arrival_rate, mu, c).sojourn for mu, c in stations)


def jackson_sojourn(
    external_rates: Sequence[float],
    routing_matrix: Sequence[Sequence[float]],
    stations: Sequence[tuple[float, int]],
) -> float:
    """Mean time in system of a job in an open Jackson network of M/M/c nodes.

    ``external_rates`` gamma_j are Poisson arrival rates from outside into node j;
    ``routing_matrix`` P[i][j] is the probability that a job leaving node i goes next to
    node j (row deficit 1 - sum_j P[i][j] leaves the network); ``stations`` gives
    (service_rate, servers) per node.  Solves the traffic equations lambda = gamma +
    lambda*P, treats each node as an independent M/M/c (Jackson 1963) and returns
    W = sum_j L_j / sum_j gamma_j by Little's law.  Raises ValueError on malformed input
    or if any node is unstable (lambda_j >= c_j*mu_j).
    """
    gamma = np.asarray(external_rates, dtype=float)
    p = np.asarray(routing_matrix, dtype=float)
    n = gamma.shape[0] if gamma.ndim == 1 else -1
    if n < 1:
        raise ValueError("external_rates must be a non-empty 1-D sequence")
    if p.shape != (n, n):
        raise ValueError(f"routing_matrix must be {n}x{n}, got shape {p.shape}")
    if len(stations) != n:
        raise ValueError(f"need {n} stations, got {len(stations)}")
    if not np.all(np.isfinite(gamma)) or np.any(gamma < 0):
        raise ValueError("external_rates must be non-negative and finite")
    total_external = float(gamma.sum())
    if total_external <= 0:
        raise ValueError("at least one external arrival rate must be positive")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p.sum(axis=1) > 1 + 1e-12):
        raise ValueError("routing_matrix must be substochastic (entries >= 0, rows sum <= 1)")
    try:
        # lambda = gamma + lambda P  <=>  (I - P)^T lambda = gamma
        lam = np.linalg.solve((np.eye(n) - p).T, gamma)
    except np.linalg.LinAlgError as exc:
        raise ValueError("traffic equations are singular (jobs never leave)") from exc
    if not np.all(np.isfinite(lam)) or np.any(lam < -1e-12):
        raise ValueError("traffic equations have no valid solution (jobs never leave)")
    total_l = 0.0
    for j, (mu, c) in enumerate(stations):
        _check_positive(f"service_rate of node {j}", mu)
        _check_servers(c)
        lam_j = max(float(lam[j]), 0.0)
        if lam_j == 0.0:
            continue
        if lam_j >= c * mu:
            raise ValueError(f"node {j} unstable: arrival rate {lam_j} >= c*mu = {c * mu}")
        total_l += _mmc_number_in_system(lam_j, mu, c)
    return total_l / total_external


def mg1_wait(arrival_rate: float, mean_service: float, second_moment_service: float) -> float:
    """Mean queue wait of an M/G/1 FCFS queue (Pollaczek-Khinchine mean-value formula).

    Wq = lambda*E[S^2] / (2*(1 - rho)) with rho = lambda*E[S] (Kleinrock section 5.6).
    Raises ValueError for invalid moments (E[S^2] < E[S]^2) or rho >= 1.
    """
    _check_positive("arrival_rate", arrival_rate)
    _check_positive("mean_service", mean_service)
    _check_non_negative("second_moment_service", second_moment_service)
    if second_moment_service < mean_service**2 * (1 - 1e-12):
        raise ValueError("second_moment_service must be >= mean_service**2")
    rho = arrival_rate * mean_service
    if rho >= 1:
        raise ValueError(f"unstable: utilisation {rho} >= 1")
    return arrival_rate * second_moment_service / (2.0 * (1.0 - rho))


def erlang_k_second_moment(mean: float, k: int) -> float:
    """E[S^2] of an Erlang-k service time with the given mean: mean^2 * (1 + 1/k).

    k = 1 is exponential (2*mean^2); k -> infinity tends to deterministic (mean^2).
    For use with :func:`mg1_wait` (M/E_k/1).
    """
    _check_positive("mean", mean)
    _check_servers(k)
    return mean**2 * (1.0 + 1.0 / k)


def smallest_servers(offered_load: float, max_p_wait: float) -> int:
    """Smallest number of servers c with Erlang C(c, a) <= ``max_p_wait``.

    Staffing oracle for call-centre style validation.  The search starts just below the
    square-root staffing guess c ~ a + beta*sqrt(a) (Halfin & Whitt 1981) and then steps
    to the exact minimum, so the answer is exact (Erlang C decreases in c).
    """
    _check_positive("offered_load", offered_load)
    if not math.isfinite(max_p_wait) or not 0 < max_p_wait <= 1:
        raise ValueError(f"max_p_wait must be in (0, 1], got {max_p_wait!r}")
    c = math.floor(offered_load) + 1  # smallest stable staffing
    # Erlang C is decreasing in c, so any c below a valid answer is also checked upward.
    # Jump ahead close to the square-root staffing estimate, but never past the answer.
    guess = math.floor(offered_load + 0.5 * math.sqrt(offered_load))
    if guess > c and erlang_c(guess, offered_load) > max_p_wait:
        c = guess
    while erlang_c(c, offered_load) > max_p_wait:
        c += 1
    return c
