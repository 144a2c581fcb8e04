"""`northstar alerts check|list|history|silence|silences|unsilence|ack`.

`alerts check` is for cron: exit 0 when nothing fires, 1 when something fires, 2 when it could
not check at all; so a failure to check is never mistaken for an alert, nor for all clear.
Times are shown and read in UTC (a time with an offset is converted).
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from alerts.evaluate import CheckReport, check
from alerts.model import WHOLE
from alerts.store import (
    AlertError,
    acknowledge,
    add_silence,
    end_silence,
    history,
    is_silenced,
    load_states,
    silences,
)
from appdb import AppDbError
from appdb.models import utc_now
from cli.alert_context import AlertsUnavailable, check_inputs, rules_config
from cli.app_db import open_app_db
from cli.audit_commands import parse_since
from cli.guard import describe
from cli.output import USAGE, console, fail, say
from metric_layer.errors import SpecError
from metric_layer.suggest import did_you_mean
from settings import Settings
from warehouse import WarehouseError

FIRING = 1  # `alerts check`: something is firing
HISTORY_SHOWN = 1000

DURATION = re.compile(r"(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)")
UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

As = Annotated[
    str | None, typer.Option("--as", help="who does this (default: $USER); shown in history")
]


def register(app: typer.Typer) -> None:
    alerts = typer.Typer(
        help="Alerts: check rules, list states, history, silences and acknowledgements.",
        no_args_is_help=True,
    )
    alerts.command("check")(check_command)
    alerts.command("list")(list_command)
    alerts.command("history")(history_command)
    alerts.command("silence")(silence_command)
    alerts.command("silences")(silences_command)
    alerts.command("unsilence")(unsilence_command)
    alerts.command("ack")(ack_command)
    app.add_typer(alerts, name="alerts")


def check_command() -> None:
    """Evaluate every alert rule once, record states and send notifications.

    Prints the series that are not normal.

    Exit code 0: nothing is firing. 1: something is firing.
    2: the check could not run (spec errors, no warehouse, settings, app database).
    """
    with _could_not_check():
        settings = Settings.load()
        db = open_app_db(settings)
        with check_inputs(settings) as inputs:
            report = check(
                inputs.service, inputs.config, db, utc_now(), settings=settings,
                environ=dict(os.environ), last_loads=inputs.last_loads,
            )  # fmt: skip
    print_report(report)
    if report.firing:
        raise typer.Exit(FIRING)


def print_report(report: CheckReport) -> None:
    shown = report.unresolved()
    if shown:
        table = Table(
            "rule", "series", "state", "since (UTC)", "value", "expected", "detail", "note"
        )
        for r in shown:
            s = r.state
            table.add_row(
                r.rule.name, s.series or "(all)", s.state, f"{s.since:%Y-%m-%d %H:%M}",
                _value(s.value), s.expected, s.detail, _note(r.silenced, s.acked_by),
            )  # fmt: skip
        console().print(table)
    elif report.results:
        say(f"all {len(report.results)} series are normal")
    else:
        say("no alert rules to check: add an `alerts:` section to metrics.yml or an alerts.yml")
    for line in report.lines():
        if line.error:
            say(str(line), err=True, color="red")
    say(report.summary())
    if report.delivery_note:
        say(report.delivery_note, err=True, color="yellow")


def list_command() -> None:
    """Each rule with the current state of each of its series (as of the last check)."""
    settings = Settings.load()
    config = rules_config(settings)
    if not config.rules:
        say("no alert rules: add an `alerts:` section to metrics.yml or an alerts.yml beside it")
        return
    db = open_app_db(settings)
    now = utc_now()
    with db.session() as session:
        states = load_states(session)
        in_force = silences(session, now)
    table = Table(
        "rule", "metric", "severity", "series", "state", "since (UTC)", "value", "expected",
        "note",
    )  # fmt: skip
    for rule in config.rules:
        mine = sorted((s for (r, _), s in states.items() if r == rule.name), key=_series_key)
        for s in mine or [None]:
            table.add_row(
                rule.name, rule.metric or "(freshness)", rule.severity,
                "" if s is None else s.series or "(all)",
                "not evaluated yet" if s is None else s.state,
                "" if s is None else f"{s.since:%Y-%m-%d %H:%M}",
                "" if s is None else _value(s.value),
                "" if s is None else s.expected,
                _note(is_silenced(in_force, rule, s.series if s else WHOLE), s and s.acked_by),
            )  # fmt: skip
    console().print(table)


def history_command(
    rule: Annotated[str | None, typer.Option(help="only this rule")] = None,
    since: Annotated[
        str, typer.Option(help="from this UTC day or time (2026-03-01) or ago (24h, 7d)")
    ] = "7d",
) -> None:
    """What happened to alerts, newest first: state changes, acknowledgements, silences."""
    start = parse_since(since)
    db = open_app_db()
    with db.session() as session:
        events = history(session, rule=rule, since=start, limit=HISTORY_SHOWN)
    if not events:
        which = f" of rule {rule}" if rule else ""
        say(f"no alert history{which} since {start:%Y-%m-%d %H:%M} UTC")
        return
    table = Table("when (UTC)", "rule", "series", "event", "change", "value", "detail", "who")
    for e in events:
        change = f"{e.from_state or 'new'} → {e.to_state}" if e.to_state else ""
        series = e.series or ("(all)" if e.to_state else "")  # silences: any series
        table.add_row(
            f"{e.at:%Y-%m-%d %H:%M}", e.rule, series, e.event, change, _value(e.value),
            e.detail, e.who or "",
        )  # fmt: skip
    console().print(table)
    if len(events) == HISTORY_SHOWN:
        say(f"the newest {HISTORY_SHOWN} events; narrow with --since or --rule", err=True)


def silence_command(
    comment: Annotated[str, typer.Option(help="why (shown in history and on the Alerts page)")],
    rule: Annotated[str | None, typer.Option(help="the rule to mute")] = None,
    series: Annotated[str | None, typer.Option(help="only this series, e.g. region=South")] = None,
    label: Annotated[
        list[str] | None, typer.Option(help="rules with this label, k=v (repeatable)")
    ] = None,
    for_: Annotated[
        str | None, typer.Option("--for", help="how long: 30m, 2h, 1d, 2 hours")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="until this UTC time (2026-12-01T09:00, or with +08:00)")
    ] = None,
    as_: As = None,
) -> None:
    """Mute notifications of matching series for a while (states and history still move)."""
    now = utc_now()
    if (for_ is None) == (until is None):
        fail("give how long the silence lasts: --for 2h or --until 2026-12-01T09:00")
    ends_at = now + parse_duration(for_) if for_ is not None else parse_time(until or "")
    labels = dict(_label(text) for text in label or [])
    if rule is not None:
        _known_rule(rule)
    db = open_app_db()
    with db.session() as session:
        made = add_silence(
            session, who=who(as_), now=now, ends_at=ends_at, rule=rule, series=series,
            labels=labels, comment=comment,
        )  # fmt: skip
    say(f"silence #{made.id} until {ends_at:%Y-%m-%d %H:%M} UTC; `northstar alerts "
        f"unsilence {made.id}` ends it early")  # fmt: skip


def silences_command(
    all_: Annotated[bool, typer.Option("--all", help="also those that have ended")] = False,
) -> None:
    """Silences in force (newest first)."""
    now = utc_now()
    db = open_app_db()
    with db.session() as session:
        found = silences(session, now, include_ended=all_)
    if not found:
        say("no silences" if all_ else "no silences in force")
        return
    table = Table("id", "rule", "series", "labels", "from (UTC)", "until (UTC)", "by", "comment")
    for s in found:
        labels = ", ".join(f"{k}={v}" for k, v in sorted((s.labels or {}).items()))
        ended = " (ended)" if s.ends_at <= now else ""
        table.add_row(
            str(s.id), s.rule or "(any)", s.series or "", labels, f"{s.starts_at:%Y-%m-%d %H:%M}",
            f"{s.ends_at:%Y-%m-%d %H:%M}{ended}", s.created_by, s.comment,
        )  # fmt: skip
    console().print(table)


def unsilence_command(
    silence_id: Annotated[int, typer.Argument(help="the silence's id (alerts silences)")],
    as_: As = None,
) -> None:
    """End a silence now."""
    db = open_app_db()
    with db.session() as session:
        end_silence(session, silence_id, who=who(as_), now=utc_now())
    say(f"silence #{silence_id} ended")


def ack_command(
    rule: Annotated[str, typer.Argument(help="the firing rule")],
    comment: Annotated[str, typer.Option(help="what is being done about it")],
    series: Annotated[
        str, typer.Option(help="the series of a split rule, e.g. region=South")
    ] = WHOLE,
    as_: As = None,
) -> None:
    """Acknowledge a firing alert: no repeat notifications until it resolves."""
    _known_rule(rule)
    name = who(as_)
    db = open_app_db()
    with db.session() as session:
        acknowledge(session, rule, series, who=name, now=utc_now(), comment=comment)
    shown = f"{rule} ({series})" if series else rule
    say(f"{shown} acknowledged by {name}: no repeats until it resolves")


# -- helpers ----------------------------------------------------------------------------------


def who(given: str | None) -> str:
    """The name acks and silences record: --as, else the operating-system user."""
    if given and given.strip():
        return given.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "cli"


def parse_duration(text: str) -> timedelta:
    """30m, 2h, 1d, 2w, or the spec's words: 90 minutes, 2 hours, 1 day."""
    found = DURATION.fullmatch(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"--for takes a duration such as 30m, 2h, 1d or 2 hours, not {text!r}")
    return timedelta(**{UNIT[found.group(2)[0]]: int(found.group(1))})


def parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--until takes a UTC time such as 2026-12-01T09:00 (or with +08:00), not {text!r}"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ValueError(f"--label takes key=value, such as team=growth, not {text!r}")
    return key.strip(), value.strip()


def _known_rule(name: str) -> None:
    """A typo must not silence or acknowledge nothing; skipped when the spec cannot be read
    (muting must still work while someone fixes a broken metrics.yml)."""
    try:
        names = [r.name for r in rules_config(Settings.load()).rules]
    except (SpecError, AlertsUnavailable, OSError):
        return
    if name not in names:
        hint = did_you_mean(name, names)
        known = f" ({hint})" if hint else f"; rules: {', '.join(names) or 'none'}"
        raise AlertError(f"no alert rule {name!r}{known}")


def _series_key(state) -> str:  # type: ignore[no-untyped-def]
    return state.series


def _value(value: float | None) -> str:
    return "" if value is None else f"{value:,.6g}"


def _note(silenced: bool, acked_by: str | None) -> str:
    parts = ["silenced"] if silenced else []
    if acked_by:
        parts.append(f"acked by {acked_by}")
    return ", ".join(parts)


@contextmanager
def _could_not_check() -> Iterator[None]:
    """Every reason the check could not run ends in exit 2 (1 means firing)."""
    try:
        yield
    except (SpecError, WarehouseError, AppDbError, AlertsUnavailable, ValueError, OSError) as exc:
        fail(f"{describe(exc)}\nalerts not checked", USAGE)
