"""The Alerts page over the app's HTTP interface (Flask test client, the fixture shop's snapshot)
with a real app database on SQLite and PostgreSQL: what it shows for seeded states, history,
silences and deliveries, its words when there is nothing, its writes (acknowledge, silence, end
a silence: audited, `local` with sign-in off), hostile addresses, and a database that cannot be
reached. Rules are handed to the page as metrics.yml would declare them (dashboard.alert_rules)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from alert_seed import NOW, RULES, seed_board
from browser.fixture_shop import AS_OF, SPEC, build_shop
from page_client import Answer, flask_fetch, join_warm_ups, register_page_callbacks, render
from sqlalchemy import select

from alerts.model import SeriesState
from alerts.store import add_silence, save_state
from appdb import AppDb, AuditEntry
from appdb.models import AlertSilence, AlertState, Delivery
from dashboard import alert_rules, app_state
from settings import Settings

UPDATE = "/_dash-update-component"
BODY = "alerts-body.children"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def app(shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    register_page_callbacks()
    folder = tmp_path_factory.mktemp("alerts-app")
    settings = Settings(
        metrics=SPEC,
        serving_dir=shop,
        as_of=AS_OF.isoformat(),
        app_db=f"sqlite:///{folder / 'never-opened.db'}",  # each test hands the page its own
    )
    dash_app = create_dash(settings)
    dash_app.server.extensions[app_state.CLOCK] = lambda: NOW
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions["northstar"].close()


@pytest.fixture
def db(app, app_db_url: str) -> Iterator[AppDb]:  # type: ignore[no-untyped-def]
    """A fresh app database on each engine, as the page would have opened it lazily."""
    database = AppDb(app_db_url)
    database.upgrade()
    app.server.extensions[app_state.EXTENSION] = app_state._Lazy(db=database)
    yield database
    app.server.extensions.pop(app_state.EXTENSION, None)
    database.close()


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_rules, "load_rules", lambda metrics, spec, sources=None: RULES)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.server.test_client()


def text_of(answer: Answer) -> str:
    """What a person reads in a callback answer: text, links, titles and labels, in order."""
    found: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, str):
            if key in SHOWN:
                found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, dict):
            for inner, value in node.items():
                walk(value, inner if inner != "props" else key)

    if answer.text.startswith(("{", "[")):  # callbacks and the layout; not the HTML page
        walk(json.loads(answer.text))
    return " ".join(found)


SHOWN = {"children", "href", "title", "label"}


def page_text(client, search: str = "") -> str:  # type: ignore[no-untyped-def]
    answers = render(flask_fetch(client), "/alerts", search)
    failed = [(a.what, a.status, a.text[:300]) for a in answers if a.status != 200]
    assert failed == []
    return " ".join(text_of(a) for a in answers if a.what in (BODY, ROUTER))


ROUTER = ".._pages_content.children..._pages_store.data.."


# -- what the page shows ---------------------------------------------------------------------


def test_firing_and_pending_alerts_with_since_value_expected_owners_and_why(
    client, db: AppDb, rules: None
) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    text = page_text(client)
    # the firing NSM rule: severity, state, since-when (Shanghai time), value vs condition
    assert "critical Firing orders_below_target Orders" in text
    assert "Firing since 18 Mar 09:00 (for 3 h)" in text  # 01:00 UTC = 09:00 in Shanghai
    assert "7 · expected above 10 · W11 · 9 Mar 2026" in text
    assert "7 paid orders against a target of 10 (−30%)" in text
    assert "Paid orders are below this quarter's weekly target" in text
    assert "Owners: CEO, growth" in text
    # its explanation: the notification's top segments and Drivers link (its own comparison)
    assert "platform=android × region=south: -2 (67% of the change)" in text
    assert "channel=email: -1 (33% of the change)" in text
    assert "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=last_year" in text
    # the pending split series: in the revenue's format, how far along `for` it is
    assert "warning Pending revenue_drop (platform=ios) Revenue" in text
    assert (
        "Pending since 17 Mar 16:00 (for 20 h); 1 of the 2 days in breach it needs to fire" in text
    )
    assert "¥1,234.50 · expected no more than 10% below the day before · Mon 16 Mar 2026" in text
    # no notification for it: the Drivers link is built for its day, rule filter and series
    assert (
        "/drivers?metric=revenue&from=2026-03-16&to=2026-03-16&compare=previous"
        "&filters=channel%3Dads%3Bplatform%3Dios" in text
    )


def test_the_rule_list_shows_each_rules_state_per_series(client, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    text = page_text(client)
    assert "orders_below_target metrics.yml:61 Orders · week above 10 critical CEO, growth" in text
    assert "in-app, growth-slack Firing" in text
    assert "Revenue · day · channel=ads · each platform" in text
    assert "platform=ios: Pending platform=web: Normal" in text
    assert "shop_fresh metrics.yml data freshness — info — in-app not checked yet" in text


def test_failed_and_retrying_deliveries_show_their_last_error(
    client, db: AppDb, rules: None
) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    text = page_text(client)
    assert "growth-slack orders_below_target firing failed after 6 tries" in text
    assert "HTTP 500 from hooks.slack.com: internal_error" in text
    assert "team-mail orders_below_target firing retrying: 2 tries, next 18 Mar 12:25" in text
    assert "SMTP 451 4.7.1 try again later" in text
    assert "in-app" not in text.split("Failed deliveries")[1].split("History")[0]  # sent: fine


def test_a_failure_older_than_two_weeks_is_history_not_news(client, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        for days, error in ((20, "old: connection refused"), (13, "recent: connection refused")):
            when = NOW - timedelta(days=days)
            s.add(
                Delivery(
                    created_at=when, channel="ops-hook", kind="firing", rule="r", series="",
                    status="failed", attempts=6, next_attempt_at=when, payload={},
                    last_error=error,
                )
            )  # fmt: skip
    text = page_text(client)
    assert "recent: connection refused" in text and "old: connection refused" not in text


def test_history_newest_first_and_narrowed_to_one_rule(client, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    everything = page_text(client).split("History")[-1]
    firing = everything.index("orders_below_target firing pending → firing 7 W11")
    pending_ios = everything.index("revenue_drop (platform=ios) pending normal → pending ¥1,234.50")
    first_pending = everything.index("orders_below_target pending normal → pending 9 W10")
    assert firing < pending_ios < first_pending  # 3 h ago, 20 h ago, 8 days ago
    one = page_text(client, "?rule=revenue_drop").split("Who")[-1]
    assert "revenue_drop (platform=ios) pending" in one and "orders_below_target" not in one


def test_every_empty_section_says_so_in_words(client, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    text = page_text(client)
    assert "No alerts are firing" in text
    assert "No rules yet: add an `alerts:` section to metrics.yml — docs/alerts.md" in text
    assert "No silences in force." in text
    assert "Every notification of the last two weeks was delivered." in text
    assert "No alert events yet." in text


def test_all_normal_says_no_alerts_are_firing(client, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        save_state(s, SeriesState("orders_below_target", "", "normal", NOW))
    text = page_text(client)
    assert "Every rule's latest check was within its condition. No alerts are firing" in text


@pytest.mark.parametrize(
    ("search", "says"),
    [
        ("?rule=a&rule=b", "`rule` is given 2 times; keep one"),
        ("?rule=" + "x" * 5000, "`rule` is longer than 200 characters"),
        ("?rule=" + quote("no_such_rule"), "No rule called 'no_such_rule' is configured"),
        ("?rule=" + quote("<script>alert(1)</script>"), "No rule called '<script>"),
        ("?rule=%00%ff", "No rule called"),
    ],
)
def test_hostile_addresses_are_clear_messages(
    client, db: AppDb, rules: None, search: str, says: str
) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    text = page_text(client, search)
    assert says in text
    assert "Traceback" not in text and "Something went wrong" not in text


def test_an_unreachable_database_is_a_banner_and_the_rules_still_show(
    app, client, rules: None
) -> None:  # type: ignore[no-untyped-def]
    serving = app.server.extensions["northstar"]
    kept = serving.settings
    serving.settings = replace(kept, app_db="postgresql://nobody@127.0.0.1:9/alerts")
    app.server.extensions.pop(app_state.EXTENSION, None)
    try:
        text = page_text(client)
        again = page_text(client)  # within the retry pause: the same words, no second wait
    finally:
        serving.settings = kept
        app.server.extensions.pop(app_state.EXTENSION, None)
    assert "The app database cannot be reached" in text
    assert "check NORTHSTAR_APP_DB" in text
    assert "orders_below_target" in text and "not checked yet" in text  # rules from metrics.yml
    assert "The app database cannot be reached" in again


def test_a_database_file_path_is_shown_relative_never_absolute(tmp_path: Path) -> None:
    from dashboard.alert_board import without_paths

    url = f"sqlite:///{tmp_path / 'sub' / 'app.db'}"
    message = f"cannot use the app database {url}: unable to open database file"
    assert str(tmp_path) not in without_paths(message, url)
    assert "app.db" in without_paths(message, url)


# -- writes ----------------------------------------------------------------------------------


def _deps(client) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(client.get("/_dash-dependencies").get_data(as_text=True))


def fire(client, first_input: str, inputs: list, state: dict | None = None, headers=None):  # type: ignore[no-untyped-def]
    """One callback request as Dash's renderer sends it; the callback found by its first input."""
    dep = next(
        d for d in _deps(client) if d["inputs"] and _named(d["inputs"][0]["id"], first_input)
    )

    def out(text: str) -> dict:
        cid, prop = text.rsplit(".", 1)
        return {"id": cid, "property": prop}

    output = dep["output"]
    outputs = (
        [out(p) for p in output.strip(".").split("...")] if output.startswith("..") else out(output)
    )
    changed = []
    for item in inputs:
        for entry in item if isinstance(item, list) else [item]:
            cid = entry["id"]
            if isinstance(cid, dict):
                cid = json.dumps(cid, sort_keys=True, separators=(",", ":"))
            changed.append(f"{cid}.{entry['property']}")
    body = {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": [{**s, "value": (state or {}).get(s["id"])} for s in dep.get("state", [])],
        "changedPropIds": changed,
    }
    answer = client.post(UPDATE, json=body, headers=headers or {})
    return answer.status_code, answer.get_data(as_text=True)


def _named(cid: str, name: str) -> bool:
    """An input id is `name`, or a pattern-matching id of type `name`."""
    return cid == name or (cid.startswith("{") and json.loads(cid).get("type") == name)


def clicked(kind: str, index: object) -> list:
    """A click on one button of a pattern-matching kind (ALL: the input is a list)."""
    return [[{"id": {"type": kind, "index": index}, "property": "n_clicks", "value": 1}]]


def button(cid: str) -> list:
    return [{"id": cid, "property": "n_clicks", "value": 1}]


def key(rule: str, series: str | None) -> str:
    return json.dumps([rule, series])


def test_acknowledge_opens_a_form_and_records_who_with_sign_in_off(
    client, db: AppDb, rules: None
) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    status, text = fire(
        client, "alert-ack-open", clicked("alert-ack-open", key("orders_below_target", ""))
    )
    assert status == 200, text
    opened = json.loads(text)["response"]
    assert opened["alert-ack-modal"]["opened"] is True
    assert opened["alert-ack-target"]["data"] == ["orders_below_target", ""]
    status, text = fire(
        client,
        "alert-ack-confirm",
        button("alert-ack-confirm"),
        {
            "alert-ack-target": ["orders_below_target", ""],
            "alert-ack-comment": "  on it: checking the app release  ",
        },
    )
    assert status == 200 and "Acknowledged orders_below_target." in text, text
    with db.session() as s:
        row = s.scalars(select(AlertState).where(AlertState.rule == "orders_below_target")).one()
        assert (row.acked_by, row.acked_at, row.ack_comment) == (
            "local",
            NOW,
            "on it: checking the app release",
        )
        audit = [(a.who, a.action) for a in s.scalars(select(AuditEntry))]
    assert audit == [("local", "alert.ack")]
    page = page_text(client)
    assert "Acknowledged by local 0 s ago: on it: checking the app release" in page


def test_acknowledging_a_series_that_is_not_firing_says_why(client, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    status, text = fire(
        client, "alert-ack-confirm", button("alert-ack-confirm"),
        {"alert-ack-target": ["revenue_drop", "platform=ios"], "alert-ack-comment": ""},
    )  # fmt: skip
    assert status == 200
    assert "revenue_drop (platform=ios) is pending, not firing" in text
    with db.session() as s:
        assert s.scalars(select(AuditEntry)).all() == []


def test_silence_one_series_then_end_it(client, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    status, text = fire(
        client,
        "alert-silence-open",
        clicked("alert-silence-open", key("revenue_drop", "platform=ios")),
    )
    opened = json.loads(text)["response"]
    assert opened["alert-silence-scope"]["value"] == "series"
    assert [d["value"] for d in opened["alert-silence-scope"]["data"]] == ["series", "rule"]
    status, text = fire(
        client, "alert-silence-confirm", button("alert-silence-confirm"),
        {"alert-silence-target": ["revenue_drop", "platform=ios"], "alert-silence-scope": "series",
         "alert-silence-duration": "4 hours", "alert-silence-comment": "known: app store outage"},
    )  # fmt: skip
    assert status == 200 and "Silenced revenue_drop (platform=ios) until 18 Mar 16:00." in text
    with db.session() as s:
        silence = s.scalars(select(AlertSilence)).one()
    assert (silence.rule, silence.series, silence.created_by) == (
        "revenue_drop",
        "platform=ios",
        "local",
    )
    assert silence.ends_at == NOW + timedelta(hours=4)
    page = page_text(client)
    assert f"#{silence.id} rule revenue_drop · series platform=ios 18 Mar 16:00 (in 4 h)" in page
    assert "known: app store outage local" in page
    assert "Silenced until 18 Mar 16:00 by local: known: app store outage" in page  # on its card

    status, text = fire(client, "alert-silence-end", clicked("alert-silence-end", silence.id))
    assert status == 200 and f"Ended silence #{silence.id}." in text
    with db.session() as s:
        ended = s.get(AlertSilence, silence.id)
        assert (ended.ends_at, ended.ended_by) == (NOW, "local")
        assert [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
            "alert.silence", "alert.unsilence"
        ]  # fmt: skip
    assert "No silences in force." in page_text(client)


def test_a_rule_wide_silence_from_the_rule_list(client, db: AppDb, rules: None) -> None:  # type: ignore[no-untyped-def]
    _, text = fire(
        client, "alert-silence-open", clicked("alert-silence-open", key("revenue_drop", None))
    )
    assert json.loads(text)["response"]["alert-silence-scope"]["value"] == "rule"
    _, text = fire(
        client, "alert-silence-confirm", button("alert-silence-confirm"),
        {"alert-silence-target": ["revenue_drop", None], "alert-silence-scope": "rule",
         "alert-silence-duration": "1 week", "alert-silence-comment": None},
    )  # fmt: skip
    assert "Silenced revenue_drop until 25 Mar 12:00." in text
    with db.session() as s:
        silence = s.scalars(select(AlertSilence)).one()
    assert (silence.rule, silence.series, silence.comment) == ("revenue_drop", None, "")


def test_ending_a_silence_that_already_ended_says_so(client, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        silence = add_silence(
            s, who="ana", now=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1), rule="x"
        )
    status, text = fire(client, "alert-silence-end", clicked("alert-silence-end", silence.id))
    assert status == 200 and f"no silence #{silence.id} is in force" in text


@pytest.mark.parametrize(
    "target",
    [None, "x", ["only-one"], [1, 2], ["r", ["s"]], ["x" * 500, ""], {"rule": "r"}, [None, None]],
)
def test_junk_targets_are_refused_with_a_message(client, db: AppDb, target: object) -> None:  # type: ignore[no-untyped-def]
    for confirm, extra in (
        ("alert-ack-confirm", {"alert-ack-comment": "x"}),
        (
            "alert-silence-confirm",
            {"alert-silence-duration": "1 day", "alert-silence-scope": "rule"},
        ),
    ):
        state = {confirm.replace("confirm", "target"): target, **extra}
        status, text = fire(client, confirm, button(confirm), state)
        assert status == 200 and "no longer on the page as shown" in text, text
    with db.session() as s:
        assert s.scalars(select(AuditEntry)).all() == []


def test_a_silence_for_an_unknown_length_is_refused(client, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    status, text = fire(
        client, "alert-silence-confirm", button("alert-silence-confirm"),
        {"alert-silence-target": ["r", ""], "alert-silence-duration": "forever"},
    )  # fmt: skip
    assert status == 200 and "Pick how long: 1 hour, 4 hours, 1 day, 3 days, 1 week." in text


# -- the rules seam --------------------------------------------------------------------------


def test_invalid_rules_are_listed_and_states_still_shown(
    client, db: AppDb, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from metric_layer.errors import SpecError, SpecIssue

    beside = tmp_path / "alerts.yml"
    beside.write_text("alerts: {}\n")

    def invalid(metrics, spec, sources=None):  # type: ignore[no-untyped-def]
        raise SpecError(
            [SpecIssue("metrics.yml", 64, "alerts.rules[0].metric", "unknown metric `order`",
                       "did you mean `orders`?"),
             SpecIssue(str(beside), 1, "", f"alerts are defined twice: here and in {tmp_path}/metrics.yml")]
        )  # fmt: skip

    monkeypatch.setattr(alert_rules, "load_rules", invalid)
    seed_board(db)
    text = page_text(client)
    assert "The alert rules in metrics.yml are invalid" in text
    assert "metrics.yml:64: alerts.rules[0].metric: unknown metric `order`" in text
    assert "alerts.yml:1: alerts are defined twice: here and in metrics.yml" in text
    assert str(tmp_path) not in text  # the server's directories are nobody's business
    assert "orders_below_target" in text and "7 paid orders against a target of 10" in text


def test_rules_are_read_again_only_when_a_file_changes(app, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[Path] = []

    def counting(metrics, spec, sources=None):  # type: ignore[no-untyped-def]
        calls.append(metrics)
        return RULES

    monkeypatch.setattr(alert_rules, "load_rules", counting)
    metrics = tmp_path / "metrics.yml"
    metrics.write_text("models: []\n")
    spec = object()
    with app.server.test_request_context("/"):
        assert alert_rules.configured_rules(metrics, spec) == RULES  # type: ignore[arg-type]
        assert alert_rules.configured_rules(metrics, spec) == RULES  # type: ignore[arg-type]
        assert len(calls) == 1
        (tmp_path / "alerts.yml").write_text("alerts: {rules: []}\n")  # the other place
        alert_rules.configured_rules(metrics, spec)  # type: ignore[arg-type]
        assert len(calls) == 2
        alert_rules.configured_rules(metrics, object())  # type: ignore[arg-type]  # new spec
        assert len(calls) == 3


def test_the_history_rule_picker_writes_the_address(client, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    def pick(value: object, stored: str = "/alerts") -> dict:
        entry = [{"id": "alerts-history-rule", "property": "value", "value": value}]
        status, text = fire(client, "alerts-history-rule", entry, {"alerts-view": stored})
        assert status == 200, text
        return json.loads(text)["response"]

    assert pick("revenue_drop")["_pages_location"]["href"] == "/alerts?rule=revenue_drop"
    assert pick("", "/alerts?rule=revenue_drop")["_pages_location"]["href"] == "/alerts"
    assert "_pages_location" not in pick("revenue_drop", "/alerts?rule=revenue_drop")  # no change
    assert "`rule` is given 2 times; keep one" in json.dumps(pick(["a", "b"]))  # a message
