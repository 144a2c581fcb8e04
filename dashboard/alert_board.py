"""Everything the Alerts page shows, read in one go: the rules (from metrics.yml, through
dashboard.alert_rules) and, from the app database (through alerts.store), the series' states,
silences in force, deliveries in trouble, the newest notification of each unresolved series and
the recent history.

`read_board` never raises for a database or a rules file that cannot be read: the board then
carries the problem in words (`db_problem`, `rules_problem`) and whatever could be read, so the
page shows a banner instead of failing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from alerts import store
from alerts.model import Rule, SeriesState
from appdb import AppDb, AppDbError
from appdb.engine import database_url, is_sqlite_file
from appdb.models import AlertEvent, AlertSilence, Delivery
from dashboard.paths import shown
from metric_layer.errors import SpecError

HISTORY_SHOWN = 200  # events on the page; the CLI's `northstar alerts history` has them all
FAILURES_SHOWN = timedelta(days=14)  # failed deliveries older than this are history, not news

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Board:
    now: datetime  # naive UTC
    rules: tuple[Rule, ...] = ()
    states: dict[tuple[str, str], SeriesState] = field(default_factory=dict)
    unresolved: list[SeriesState] = field(default_factory=list)
    silences: list[AlertSilence] = field(default_factory=list)
    troubles: list[Delivery] = field(default_factory=list)
    payloads: dict[tuple[str, str], dict] = field(default_factory=dict)
    history: list[AlertEvent] = field(default_factory=list)
    history_rules: tuple[str, ...] = ()  # every rule the history mentions
    db_problem: str | None = None
    rules_problem: SpecError | None = None

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def silence_of(self, rule_name: str, series: str) -> AlertSilence | None:
        """The silence in force that mutes this series (the one ending last), if any. A rule no
        longer configured has no labels: only silences by name and series can match it."""
        rule = self.rule(rule_name) or Rule(name=rule_name, metric=None, condition=None)
        matching = [s for s in self.silences if store.silence_matches(s, rule, series)]
        return max(matching, key=lambda s: s.ends_at) if matching else None

    @property
    def known_rules(self) -> tuple[str, ...]:
        """Rule names a history filter may name: configured ones and those the history keeps."""
        return tuple(sorted({r.name for r in self.rules} | set(self.history_rules)))


def read_board(
    open_db: Callable[[], AppDb],
    load_rules: Callable[[], Iterable[Rule]],
    now: datetime,
    history_rule: str | None = None,
    app_db_url: str | None = None,
) -> Board:
    """The board at `now`. `open_db()` gives the AppDb (or raises AppDbError), `load_rules()` the
    configured rules (or raises SpecError); `app_db_url` lets a message name a SQLite file
    without its server path."""
    rules: tuple[Rule, ...] = ()
    rules_problem = None
    try:
        rules = tuple(load_rules())
    except SpecError as exc:
        rules_problem = exc
    try:
        db = open_db()
        with db.session() as session:
            states = store.load_states(session)
            unresolved = store.unresolved(session)
            keys = [(s.rule, s.series) for s in unresolved if s.state != "pending"]
            return Board(
                now=now,
                rules=rules,
                states=states,
                unresolved=unresolved,
                silences=store.active_silences(session, now),
                troubles=store.deliveries_in_trouble(session, since=now - FAILURES_SHOWN),
                payloads=store.latest_payloads(session, keys),
                history=store.history(session, rule=history_rule, limit=HISTORY_SHOWN),
                history_rules=tuple(store.history_rules(session)),
                rules_problem=rules_problem,
            )
    except AppDbError as exc:
        problem = without_paths(str(exc), app_db_url)
    except SQLAlchemyError as exc:  # a database that answers but is not ours (no alert tables)
        log.exception("reading alerts failed")
        problem = (
            f"the app database could not be read ({exc.__class__.__name__}); "
            "the log has the details"
        )
    return Board(now=now, rules=rules, db_problem=problem, rules_problem=rules_problem)


def without_paths(message: str, url: str | None) -> str:
    """`message` with a SQLite file's server path shown relative to the project (or by name)."""
    if not url:
        return message
    try:
        parsed = database_url(url)
    except AppDbError:
        return message
    if is_sqlite_file(parsed) and parsed.database:
        return message.replace(parsed.database, shown(parsed.database))
    return message


_ABSOLUTE = re.compile(r"(?<![\w.])/[^\s:()`'\"]+")


def issue_lines(error: SpecError) -> list[str]:
    """A rules file's problems as the page lists them: file:line first, and every path on this
    server shown relative to the project (or by name), never where it sits on the disk."""
    return [_relative(str(issue)) for issue in error.issues]


def _relative(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        path = Path(match.group(0))
        return shown(path) if path.exists() or path.parent.exists() else match.group(0)

    return _ABSOLUTE.sub(one, text)
