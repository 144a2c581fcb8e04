"""Check-ins and recorded key-result values in the app database.

Every function works inside the caller's session, so a check-in and its audit entry commit
together or not at all. Check-ins are appended and never changed: the history is the rows. The
worker's weekly values are one row per objective × key result × week (a second run in the same
week replaces the value it read earlier that week). Times are naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appdb.audit import audit
from appdb.models import CONFIDENCE_MAX, OkrCheckIn, OkrKrValue
from okrs.model import KeyResult, Objective, OkrError

CHECK_IN = "okr check-in"  # the audit log's action name
MAX_TEXT = 2000  # characters of each text field; longer is refused, never cut
TEXT_FIELDS = ("obstacles", "help_needed", "comment")


@dataclass(frozen=True)
class CheckIn:
    id: int
    at: datetime  # naive UTC
    quarter: str
    objective: str
    key_result: str
    who: str
    value: float | None
    confidence: int | None
    obstacles: str
    help_needed: str
    comment: str


@dataclass(frozen=True)
class RecordedValue:
    objective: str
    key_result: str
    week: date
    value: float | None
    value_day: date | None
    score: float | None
    title: str
    metric: str | None
    definition: str
    note: str
    recorded_at: datetime


def parse_confidence(raw: object) -> int | None:
    """0-10 as typed (an int, or text of one); None for nothing; OkrError otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or not 0 <= int(text) <= CONFIDENCE_MAX:
        shown = text[:20]
        raise OkrError(
            f"confidence must be a whole number from 0 (no chance) to {CONFIDENCE_MAX} (sure), "
            f"not {shown!r}"
        )
    return int(text)


def parse_value(raw: object) -> float | None:
    """A check-in value as typed (a number or text of one); None for nothing; OkrError otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise OkrError("the value must be a number")
    text = str(raw).strip()
    if "," in text:  # 1,5 or 1,500? ask rather than guess
        raise OkrError(f"write the value without commas (e.g. 1500 or 1.5), not {text[:20]!r}")
    try:
        value = float(text)
    except ValueError:
        raise OkrError(f"the value must be a number, not {text[:20]!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise OkrError("the value must be a finite number")
    return value


def add_check_in(
    session: Session,
    objective: Objective,
    kr: KeyResult,
    *,
    who: str,
    at: datetime,
    value: object = None,
    confidence: object = None,
    obstacles: object = "",
    help_needed: object = "",
    comment: object = "",
    address: str | None = None,
) -> CheckIn:
    """Append a check-in on `kr` of `objective` by `who` at `at` (naive UTC), audited.

    A value only for a manual key result (a linked one is measured, not typed); confidence 0-10;
    texts up to MAX_TEXT characters; at least one of them. OkrError, nothing written, otherwise."""
    number = parse_value(value)
    if number is not None and not kr.manual:
        raise OkrError(
            f"`{objective.id}.{kr.id}` is read from metric `{kr.metric}`: its value is measured, "
            "not typed; check in a confidence and comments only"
        )
    level = parse_confidence(confidence)
    texts = {
        name: _text(name, raw)
        for name, raw in zip(TEXT_FIELDS, (obstacles, help_needed, comment), strict=True)
    }
    if number is None and level is None and not any(texts.values()):
        what = "a value, a confidence" if kr.manual else "a confidence"
        raise OkrError(f"an empty check-in: give {what}, obstacles, help needed or a comment")
    row = OkrCheckIn(
        at=at,
        quarter=str(objective.quarter),
        objective=objective.id,
        key_result=kr.id,
        kr_title=kr.title[:400],
        who=who[:200],
        value=number,
        confidence=level,
        **texts,
    )
    session.add(row)
    session.flush()
    said = [
        f"value {number:g}" if number is not None else "",
        f"confidence {level}/10" if level is not None else "",
    ]
    audit(
        session,
        who,
        CHECK_IN,
        f"{objective.id}.{kr.id}: " + (", ".join(s for s in said if s) or "comments"),
        address,
    )
    return _check_in(row)


def _text(name: str, raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise OkrError(f"{name.replace('_', ' ')} must be text")
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise OkrError(f"{name.replace('_', ' ')} is longer than {MAX_TEXT} characters; shorten it")
    return text


def check_ins(
    session: Session,
    quarter: str | None = None,
    objective: str | None = None,
    key_result: str | None = None,
) -> list[CheckIn]:
    """Check-ins newest first, of a quarter, an objective and/or one key result."""
    query = select(OkrCheckIn).order_by(OkrCheckIn.at.desc(), OkrCheckIn.id.desc())
    if quarter is not None:
        query = query.where(OkrCheckIn.quarter == quarter)
    if objective is not None:
        query = query.where(OkrCheckIn.objective == objective)
    if key_result is not None:
        query = query.where(OkrCheckIn.key_result == key_result)
    return [_check_in(row) for row in session.scalars(query)]


def _check_in(row: OkrCheckIn) -> CheckIn:
    return CheckIn(
        row.id,
        row.at,
        row.quarter,
        row.objective,
        row.key_result,
        row.who,
        row.value,
        row.confidence,
        row.obstacles,
        row.help_needed,
        row.comment,
    )


def record_value(
    session: Session,
    objective: Objective,
    kr: KeyResult,
    *,
    week: date,
    value: float | None,
    value_day: date | None,
    score: float | None,
    note: str,
    recorded_at: datetime,
) -> None:
    """Insert or replace the value of `kr` for `week`, with the definition it was read by."""
    row = session.scalars(
        select(OkrKrValue).where(
            OkrKrValue.objective == objective.id,
            OkrKrValue.key_result == kr.id,
            OkrKrValue.week == week,
        )
    ).one_or_none()
    if row is None:
        row = OkrKrValue(objective=objective.id, key_result=kr.id, week=week)
        session.add(row)
    row.quarter = str(objective.quarter)
    row.value, row.value_day, row.score, row.note = value, value_day, score, note[:2000]
    row.title, row.metric, row.definition = kr.title[:400], kr.metric, kr.definition()
    row.recorded_at = recorded_at


def recorded_values(session: Session, quarter: str) -> list[RecordedValue]:
    """The quarter's recorded values, oldest week first."""
    query = (
        select(OkrKrValue)
        .where(OkrKrValue.quarter == quarter)
        .order_by(OkrKrValue.objective, OkrKrValue.key_result, OkrKrValue.week)
    )
    return [
        RecordedValue(
            r.objective,
            r.key_result,
            r.week,
            r.value,
            r.value_day,
            r.score,
            r.title,
            r.metric,
            r.definition,
            r.note,
            r.recorded_at,
        )
        for r in session.scalars(query)
    ]
