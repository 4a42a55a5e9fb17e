"""Log-in attempts limited per account and per IP address, counted in Redis (the `limits` library)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import APIError
from infra.settings import Settings


class LoginLimiter:
    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.effective_redis_url))
        self._per_account = parse(settings.login_limit_per_account)
        self._per_ip = parse(settings.login_limit_per_ip)

    def hit(self, email: str, ip: str) -> None:
        """Count one attempt against both limits; refuse with 429 and Retry-After once either is reached."""
        counters = ((self._per_account, f"account:{email.lower()}"), (self._per_ip, f"ip:{ip}"))
        refused = [(limit, who) for limit, who in counters if not self._limiter.hit(limit, "login", who)]
        if refused:
            retry_after = max(self._retry_after(limit, who) for limit, who in refused)
            raise APIError(
                429,
                f"too many log-in attempts; try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )

    def _retry_after(self, limit: RateLimitItem, who: str) -> int:
        reset_at, _ = self._limiter.get_window_stats(limit, "login", who)
        return max(1, math.ceil(reset_at - time.time()))
