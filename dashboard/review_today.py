"""A review's frozen numbers against the served snapshot: compare_frozen, cached per snapshot.

The record pages (the editable one and the TV's) render again after every write and every
minute; the comparison runs the week's queries and its explanation once per snapshot and frozen
numbers, whoever asks. Only for visitors who see every row (the frozen numbers are company-wide).
"""

from __future__ import annotations

import hashlib
import json

from dashboard.result_cache import cache_get, cache_set
from dashboard.serving import serving
from reviews import Difference, ReviewRecord, compare_frozen


def differences_now(record: ReviewRecord) -> list[Difference]:
    """compare_frozen against the served snapshot, cached per snapshot and frozen numbers."""
    srv = serving()
    snap = srv.snapshot()
    frozen = json.dumps([(s.slide, s.numbers) for s in record.slides], sort_keys=True)
    key = "review-diff:" + hashlib.sha1(f"{snap.key()}|{record.week}|{frozen}".encode()).hexdigest()
    hit = cache_get(srv.cache, key)
    if hit is None:
        hit = compare_frozen(record, snap.service)
        cache_set(srv.cache, key, hit)
    return hit
