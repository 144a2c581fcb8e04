"""What happens after a paid order: refunds and NPS survey answers.

Refunds and answers that would happen after `end` are dropped (they are still in the future), so the
most recent orders naturally show fewer refunds, as in a real shop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REASONS = np.array(
    [
        "changed_mind",
        "wrong_size",
        "damaged",
        "not_as_described",
        "late_delivery",
        "defective_batch",
    ]
)
_REASON_SHARE = np.array([0.35, 0.2, 0.15, 0.2, 0.1])  # the ordinary reasons
DEFECTIVE = 5
DAY = 86_400


@dataclass
class Refunds:
    order: np.ndarray  # index into the chunk's orders
    seconds: np.ndarray
    amount: np.ndarray  # fen
    reason: np.ndarray


def refunds(
    rng: np.random.Generator,
    seconds: np.ndarray,
    amount: np.ndarray,
    paid: np.ndarray,
    electronics: np.ndarray,
    defect_window: np.ndarray,
    end_seconds: int,
) -> Refunds:
    """~5% of paid orders are refunded; electronics more often, three times as often in the
    defective-batch window (the extra refunds carry reason 'defective_batch')."""
    n = seconds.size
    base = np.where(electronics, 0.07, 0.045)
    boost = np.where(electronics & defect_window, 3.0, 1.0)
    u = rng.random(n)
    refunded = paid & (u < base * boost)
    reason = np.where(
        u >= base, DEFECTIVE, rng.choice(_REASON_SHARE.size, size=n, p=_REASON_SHARE)
    ).astype(np.int8)
    delay = 3600 + 4 * DAY * rng.lognormal(0.0, 0.7, n)
    when = seconds + delay.astype(np.int64)
    partial = rng.random(n) < 0.3
    value = np.where(
        partial, np.maximum(1, np.round(amount * rng.uniform(0.2, 0.8, n))), amount
    ).astype(np.int64)
    keep = refunded & (when <= end_seconds)
    idx = np.flatnonzero(keep)
    return Refunds(idx, when[idx], value[idx], reason[idx])


def nps_answers(
    rng: np.random.Generator,
    seconds: np.ndarray,
    paid: np.ndarray,
    refund_seconds: np.ndarray,
    refund_reason: np.ndarray,
    end_seconds: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survey sent a few days after delivery; ~8% answer, unhappy customers more often.

    refund_seconds / refund_reason are per order (-1 when not refunded). Returns (order index,
    answered seconds, score).
    """
    n = seconds.size
    refunded = refund_seconds >= 0
    answers = paid & (rng.random(n) < np.where(refunded, 0.2, 0.08))
    after = np.where(refunded, refund_seconds, seconds)
    when = after + (DAY * (2 + rng.exponential(3.0, n))).astype(np.int64)
    mood = np.where(refund_reason == DEFECTIVE, 3.5, np.where(refunded, 5.5, 8.5))
    score = np.clip(np.round(rng.normal(mood, 1.8)), 0, 10).astype(np.int32)
    idx = np.flatnonzero(answers & (when <= end_seconds))
    return idx, when[idx], score[idx]
