"""Fault injection shared by the contract servers: 'answer the next N matching requests with this' (5xx, 429,
a dropped connection), optionally after letting K matching requests through (an outage mid-sync)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    status: int
    remaining: int
    after: int = 0
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str | None = None
    method: str | None = None
    delay_s: float = 0.0  # answer only after this long (longer than the client's timeout = a timeout);
    # with status 0 the request is processed normally and only the answer is late: the write happened, the
    # client never heard (the case that makes a non-idempotent create duplicate)


DELAY_HEADER = "X-Contract-Delay-S"  # internal: handle() -> the ASGI layer, which sleeps and strips it


def fault_headers(fault: Fault, headers: dict[str, str]) -> dict[str, str]:
    out = {**headers, **fault.headers}
    if fault.delay_s:
        out[DELAY_HEADER] = str(fault.delay_s)
    return out


async def apply_delay(headers: dict[str, str]) -> dict[str, str]:
    import asyncio

    delay = float(headers.pop(DELAY_HEADER, 0) or 0)
    if delay:
        await asyncio.sleep(delay)
    return headers


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.injected = 0  # how many requests got a fault answer

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request gets, if any (consumes one use)."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining <= 0:
                    continue
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.method and fault.method.upper() != method.upper():
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.remaining -= 1
                self.injected += 1
                return fault
            return None

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)
