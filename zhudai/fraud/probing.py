"""Probing detection: a device or IP cycling identities, and retries that tweak fields.

Black-market probers buy identities and try them one after another from the same few devices
and IPs, and after a rejection retry within minutes with small changes (another amount, term,
product, phone or card) to learn where the line is. Velocity says how many identities a device
or IP has used; this module remembers each key's last *rejected* application to see what
changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhudai.fraud.probing_memory import Attempt, RejectionMemory, default_rejection_memory
from zhudai.fraud.velocity import DAY


@dataclass(frozen=True)
class ProbingVerdict:
    """What the detector concluded about one application."""

    retry_after_reject: bool
    tweak_count: int
    amount_change_ratio: float
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ProbingThresholds:
    """When the detector speaks.

    Parameters
    ----------
    device_ids : int
        Distinct ID tokens on one device in 7 days that count as identity cycling.
    ip_ids : int
        Distinct ID tokens on one IP in 24 hours that count as identity cycling.
    retry_window : float
        Seconds after a rejection during which a new attempt is a retry.
    fast_retry : float
        Seconds after a rejection within which a retry alone marks probing.
    score : float
        Probing score at or above which the application is flagged as probing.
    """

    device_ids: int = 3
    ip_ids: int = 4
    retry_window: float = 7 * DAY
    fast_retry: float = DAY
    score: float = 0.5


class ProbingDetector:
    """Stateful detector; feed it every application and every rejection, in time order.

    Parameters
    ----------
    thresholds : ProbingThresholds, optional
    memory : RejectionMemory, optional
        Where rejections are remembered; by default Redis when ``settings.redis_url`` is set
        (shared by API workers), else this process.
    """

    def __init__(
        self, thresholds: ProbingThresholds | None = None, memory: RejectionMemory | None = None
    ) -> None:
        self.thresholds = thresholds or ProbingThresholds()
        self.memory = memory if memory is not None else default_rejection_memory()

    def assess(
        self,
        ts: float,
        keys: tuple[str, ...],
        attempt: dict,
        dev_ids_7d: float,
        ip_ids_24h: float,
        dev_rejects_24h: float,
    ) -> ProbingVerdict:
        """Judge one application from its velocity and the keys' last rejections.

        ``keys`` are the application's ``id:``, ``phone:`` and ``device:`` keys; ``attempt``
        holds ``amount``, ``term``, ``product``, ``phone``, ``card``.
        """
        th = self.thresholds
        reasons = []
        prior = None
        for got in self.memory.last(keys):
            if (
                got is not None
                and 0 <= ts - got.ts <= th.retry_window
                and (prior is None or got.ts > prior.ts)
            ):
                prior = got
        tweaks, ratio = 0, 0.0
        if prior is not None:
            amount = float(attempt["amount"])
            ratio = abs(amount - prior.amount) / max(prior.amount, 1.0)
            tweaks = (
                (ratio > 0)
                + (int(attempt["term"]) != prior.term)
                + (attempt["product"] != prior.product)
                + (attempt["phone"] != prior.phone)
                + (attempt["card"] != prior.card)
            )
            reasons.append(
                f"retry {(ts - prior.ts) / 60:.0f} min after a rejection, {tweaks} fields changed"
            )
        cycling_dev = dev_ids_7d / th.device_ids
        cycling_ip = ip_ids_24h / th.ip_ids
        if cycling_dev >= 1:
            reasons.append(f"device used {dev_ids_7d:.0f} identities in 7 days")
        if cycling_ip >= 1:
            reasons.append(f"IP used {ip_ids_24h:.0f} identities in 24 hours")
        # People retry days after a rejection; probers retry within minutes or hours.
        retry = 0.0
        if prior is not None:
            fast = ts - prior.ts <= th.fast_retry
            retry = (0.5 if fast else 0.0) + 0.1 * min(tweaks, 4) + 0.1 * min(dev_rejects_24h, 2.0)
        score = max(
            min(cycling_dev, 1.0) if cycling_dev >= 1 else 0.4 * cycling_dev,
            min(cycling_ip, 1.0) if cycling_ip >= 1 else 0.3 * cycling_ip,
            retry,
        )
        return ProbingVerdict(prior is not None, tweaks, ratio, min(score, 1.0), tuple(reasons))

    def record_rejection(self, ts: float, keys: tuple[str, ...], attempt: dict) -> None:
        """Remember a rejected application under each of its keys."""
        got = Attempt(
            ts,
            float(attempt["amount"]),
            int(attempt["term"]),
            str(attempt["product"]),
            str(attempt["phone"]),
            str(attempt["card"]),
        )
        self.memory.remember(keys, got, self.thresholds.retry_window)

    def __len__(self) -> int:
        """Keys with a remembered rejection."""
        return len(self.memory)
