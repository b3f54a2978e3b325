"""When a device last served another identity: tells a resold phone from a farm's.

A farm phone serves a new identity every few days; a phone the farm sold on serves one honest
owner, months after the farm's last identity. The velocity windows (30 days at most) forget
the farm by then, while the relationship graph still ties the new owner to it; this tracker
keeps one small record per device so the model can read how long the hand-over took.
"""

from __future__ import annotations

import math

from zhudai.fraud.velocity import DAY

NEVER = -1.0  # the device never served another identity


class DeviceHandovers:
    """Per device: the last identity, when it last applied, and when another one did before.

    Parameters
    ----------
    forget_after : float
        Seconds after a device's last application when its record is dropped.

    Examples
    --------
    >>> h = DeviceHandovers()
    >>> h.days_since_other("d1", "id-a", 0.0), h.days_since_other("d1", "id-a", DAY)
    (-1.0, -1.0)
    >>> h.days_since_other("d1", "id-b", 91 * DAY)
    90.0
    >>> h.days_since_other("d1", "id-b", 92 * DAY)
    91.0
    """

    def __init__(self, forget_after: float = 365 * DAY) -> None:
        self.forget_after = forget_after
        # device -> (last time, last identity, last time another identity used it before)
        self._last: dict[str, tuple[float, str, float]] = {}
        self._calls = 0

    def days_since_other(self, device: str, identity: str, ts: float) -> float:
        """Record that ``identity`` applied from ``device`` at ``ts``; return the days since
        another identity last did (:data:`NEVER` if none has)."""
        self._calls += 1
        if self._calls % 8192 == 0:  # forget devices not seen for ``forget_after`` seconds
            self._last = {d: r for d, r in self._last.items() if r[0] >= ts - self.forget_after}
        record = self._last.get(device)
        if record is None:
            self._last[device] = (ts, identity, -math.inf)
            return NEVER
        last_ts, last_id, other_ts = record
        if last_id == identity:
            self._last[device] = (max(ts, last_ts), identity, other_ts)
            return NEVER if other_ts == -math.inf else max(ts - other_ts, 0.0) / DAY
        self._last[device] = (max(ts, last_ts), identity, last_ts)
        return max(ts - last_ts, 0.0) / DAY
