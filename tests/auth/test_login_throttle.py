"""``LoginThrottle``: failed password logins per (account, address) and per address."""

from __future__ import annotations

import pytest
from chatwidget_server.auth import _throttle
from chatwidget_server.auth._throttle import PER_ADDRESS_FACTOR, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(_throttle.time, "monotonic", clock)
    return clock


def test_a_pair_is_refused_past_the_limit_until_its_oldest_failure_leaves_the_window(clock: Clock) -> None:
    throttle = LoginThrottle(attempts=3, window=60)
    for _ in range(3):
        assert throttle.retry_after("bob", "10.0.0.1") == 0
        throttle.failed("bob", "10.0.0.1")
        clock.now += 10
    assert throttle.retry_after("bob", "10.0.0.1") == pytest.approx(30)  # first failure at 1000, now 1030
    assert throttle.retry_after("Bob ", "10.0.0.1") == pytest.approx(30)  # the same account
    assert throttle.retry_after("bob", "10.0.0.2") == 0  # the user, from elsewhere, is not locked out
    assert throttle.retry_after("alice", "10.0.0.1") == 0
    clock.now += 30
    assert throttle.retry_after("bob", "10.0.0.1") == 0


def test_success_clears_the_pair_but_not_the_address(clock: Clock) -> None:
    throttle = LoginThrottle(attempts=2, window=60)
    throttle.failed("bob", "10.0.0.1")
    throttle.succeeded("bob", "10.0.0.1")
    throttle.failed("bob", "10.0.0.1")
    assert throttle.retry_after("bob", "10.0.0.1") == 0  # one failure since the success
    for i in range(2 * PER_ADDRESS_FACTOR):
        throttle.failed(f"user{i}", "10.0.0.9")
        throttle.succeeded(f"user{i}", "10.0.0.9")
    assert throttle.retry_after("anyone", "10.0.0.9") > 0  # one address trying many accounts


def test_memory_is_bounded(clock: Clock) -> None:
    throttle = LoginThrottle(attempts=1, window=60, max_keys=100)
    for i in range(10_000):
        throttle.failed(f"user{i}", f"10.0.{i // 256}.{i % 256}")
    assert len(throttle._failures) <= 100
    assert throttle.retry_after("user9999", "10.0.39.15") > 0  # the newest are kept


def test_zero_attempts_means_no_limit(clock: Clock) -> None:
    throttle = LoginThrottle(attempts=0, window=60)
    for _ in range(50):
        throttle.failed("bob", "10.0.0.1")
    assert throttle.retry_after("bob", "10.0.0.1") == 0
