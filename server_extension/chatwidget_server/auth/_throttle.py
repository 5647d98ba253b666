"""Failed password logins, counted so that guessing is slow.

Failures are counted in a sliding window per (account, client address) and per client
address. Past the limit, attempts are refused before the password callback runs, so a
guess cannot be tested even when it is right. Counting per pair rather than per account
means an attacker cannot lock a user out from another address; the per-address limit
(ten times the per-account one) slows one address trying many accounts. Many addresses
guessing one account is not stopped here (a reverse proxy's rate limit is the place).

The counts live in memory, bounded: the oldest keys are dropped first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

#: How many more failures an address may have than an (account, address) pair.
PER_ADDRESS_FACTOR = 10


class LoginThrottle:
    def __init__(self, attempts: int, window: float, max_keys: int = 100_000) -> None:
        self.attempts = attempts
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[tuple[str, ...], deque[float]] = OrderedDict()

    @staticmethod
    def _keys(account: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        """Each counted key with its limit factor (account names compared case-insensitively)."""
        pair = ("pair", account.strip().casefold(), address)
        return [(pair, 1), (("address", address), PER_ADDRESS_FACTOR)]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, account: str, address: str) -> float:
        """Seconds until this account may be tried from this address again (0: now)."""
        if self.attempts <= 0:
            return 0.0
        now = time.monotonic()
        wait = 0.0
        for key, factor in self._keys(account, address):
            times = self._recent(key, now)
            limit = self.attempts * factor
            if len(times) >= limit:
                wait = max(wait, times[-limit] + self.window - now)
        return wait

    def failed(self, account: str, address: str) -> None:
        now = time.monotonic()
        for key, _ in self._keys(account, address):
            times = self._recent(key, now)
            self._failures[key] = times
            self._failures.move_to_end(key)
            times.append(now)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, account: str, address: str) -> None:
        """A right password clears that pair's failures (not the address's)."""
        self._failures.pop(self._keys(account, address)[0][0], None)
