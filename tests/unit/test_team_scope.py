"""A team member's numbers: the rows their own scope and their team's both allow, against pandas
filtered by hand, on both query paths (raw tables, rollups); and what happens when the two scopes
share no value — sign-in refused with the reason, an open session refused from its next request,
through the sign-in form and through the sign-in proxy, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from sign_in_client import sign_in
from sqlalchemy import select
from test_scope import END, START, assert_same, got_series, monthly, orders_of
from test_sign_in import PASSWORD, tiny_server

from appdb import AppDb, AuditEntry, Team
from auth.accounts import add_user, find_user, set_scope
from auth.principal import Principal
from auth.teams import add_team, set_team_scope
from metric_layer.query import MetricQuery
from metric_layer.scope import Scope
from settings import Settings


# -- numbers -----------------------------------------------------------------------------------
@pytest.fixture
def app_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = AppDb(f"sqlite:///{tmp_path / 'app.db'}")
    db.upgrade()
    yield db
    db.close()


def signed_in_as(db: AppDb, name: str) -> Scope | None:
    """The scope the metric service gets for `name`'s requests: their principal as the sign-in
    gate builds it from the app database, read by the dashboard's scope hook."""
    with db.session() as session:
        user = find_user(session, name)
        assert user is not None
        who = Principal.of_user(user)
    assert not who.no_rows
    return Scope.of(who.scope) if who.scope else None


def paid(data, regions: set[str], channels: set[str] | None = None) -> pd.DataFrame:
    rows = orders_of(data, region=None)
    rows = rows[rows["region"].isin(regions)]
    return rows if channels is None else rows[rows["channel"].isin(channels)]


def assert_monthly(frame: pd.DataFrame, rows: pd.DataFrame) -> None:
    orders = monthly(rows, lambda g: len(g))
    revenue = monthly(rows, lambda g: g["amount"].sum())
    assert_same(got_series(frame, "orders"), orders)
    assert_same(got_series(frame, "revenue"), revenue)
    assert_same(got_series(frame, "aov"), revenue / orders, fill=None)
    assert_same(got_series(frame, "buyers"), monthly(rows, lambda g: g["customer_id"].nunique()))


def within_range(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["day"] >= START) & (rows["day"] <= END)]


QUERY = MetricQuery(("orders", "revenue", "aov", "buyers"), "month", START, END)


def test_a_team_members_numbers_are_their_teams_rows_of_their_own_scope(
    app_db, medium_service, medium_data
):
    """Team South (region=south); sam's own scope is channel ads or email: the South's orders
    from ads and email customers, by month and broken down by channel."""
    add_team(app_db, "South", {"region": ["south"]}, by="test")
    add_user(
        app_db, "sam", None, "viewer", by="test", scope={"channel": ["ads", "email"]}, team="South"
    )
    service = medium_service.scoped(signed_in_as(app_db, "sam"))
    rows = paid(medium_data, {"south"}, {"ads", "email"})
    assert_monthly(service.query(QUERY).frame, rows)
    by_channel = service.query(
        MetricQuery(("orders",), "month", START, END, dimensions=("channel",))
    ).frame
    assert set(by_channel["channel"]) == {"ads", "email"}
    want = within_range(rows).groupby("channel").size()
    assert by_channel.groupby("channel")["orders"].sum().to_dict() == want.to_dict()
    # Neither scope alone gives these numbers: both narrowed them.
    south_only = paid(medium_data, {"south"})
    assert len(within_range(south_only)) > len(within_range(rows)) > 0


def test_both_limiting_one_dimension_leaves_the_values_both_allow(
    app_db, medium_service, medium_data
):
    """Team South+North (region south or north), ana limited to the South herself: the South's
    numbers, not the team's two regions (the intersection, not the team's scope alone)."""
    add_team(app_db, "Stores", {"region": ["south", "north"]}, by="test")
    add_user(app_db, "ana", None, "viewer", by="test", scope={"region": ["south"]}, team="Stores")
    scope = signed_in_as(app_db, "ana")
    assert scope == Scope.of({"region": ["south"]})
    assert_monthly(medium_service.scoped(scope).query(QUERY).frame, paid(medium_data, {"south"}))
    # Her own scope widened to both regions: the team's two regions now.
    set_scope(app_db, "ana", {"region": ["north", "south", "east"]}, by="test")
    wider = medium_service.scoped(signed_in_as(app_db, "ana")).query(QUERY).frame
    assert_monthly(wider, paid(medium_data, {"south", "north"}))


# -- scopes that share no value: refused, not empty ---------------------------------------------
@pytest.fixture
def settings(app_db_url: str) -> Settings:
    return Settings(auth="password", app_db=app_db_url)


@pytest.fixture
def db(settings: Settings):  # type: ignore[no-untyped-def]
    database = AppDb(settings.app_db)
    database.upgrade()
    add_team(database, "South", {"region": ["South"]}, by="test")
    add_user(database, "sol", PASSWORD, "viewer", by="test", scope={"region": ["South"]})
    add_user(database, "tess", PASSWORD, "viewer", by="test", team="South")
    yield database
    database.close()


@pytest.fixture
def server(settings: Settings, db: AppDb) -> Flask:
    return tiny_server(settings)


def move_team_by_hand(db: AppDb, team: str, scope: dict[str, list[str]]) -> None:
    """What the commands refuse to do (a database edited by hand, or restored from before)."""
    with db.session() as session:
        session.scalars(select(Team).where(Team.name == team)).one().scope = scope


def joins_by_hand(db: AppDb, user: str, team: str) -> None:
    with db.session() as session:
        found = find_user(session, user)
        assert found is not None
        found.team = session.scalars(select(Team).where(Team.name == team)).one()


def test_a_members_page_shows_the_team_scope_and_its_changes_at_once(
    server: Flask, db: AppDb
) -> None:
    client = server.test_client()
    assert sign_in(client, "tess", PASSWORD).status_code == 302
    assert "scope={'region': ['South']}" in client.get("/").get_data(as_text=True)
    set_team_scope(db, "South", {"region": ["South", "East"]}, by="test")
    assert "scope={'region': ['South', 'East']}" in client.get("/").get_data(as_text=True)


def test_sign_in_is_refused_with_the_reason_when_the_scopes_share_no_value(
    server: Flask, db: AppDb
) -> None:
    move_team_by_hand(db, "South", {"region": ["North"]})
    joins_by_hand(db, "sol", "South")  # sol: region South herself
    client = server.test_client()
    refused = sign_in(client, "sol", PASSWORD)
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "sol would see no rows" in text and "share no value of region" in text
    assert "northstar users set-team sol TEAM|--none" in text
    assert client.get("/").status_code == 302  # not signed in
    with db.session() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.who, last.action, last.detail) == ("sol", "sign-in refused", "sees no rows")


def test_an_open_session_is_refused_from_the_next_request(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    assert sign_in(client, "tess", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    with db.session() as session:  # her own scope, edited by hand to clash with the team's
        found = find_user(session, "tess")
        assert found is not None
        found.scope = {"region": ["North"]}
    page = client.get("/")
    assert page.status_code == 403
    assert "Nothing to show" in page.get_data(as_text=True)
    assert "tess would see no rows" in page.get_data(as_text=True)
    callback = client.post("/_dash-update-component", json={})
    assert callback.status_code == 403 and callback.get_json()["error"] == "Nothing to show"
    # Someone else may still sign in on this browser: the sign-in page shows, not a redirect.
    assert client.get("/login").status_code == 200
    assert sign_in(client, "sol", PASSWORD).status_code == 302
    assert "hello sol" in client.get("/").get_data(as_text=True)


def test_proxy_members_see_their_team_and_a_clash_is_refused(app_db_url: str) -> None:
    settings = Settings(auth="proxy", app_db=app_db_url, proxy_addresses="10.1.0.0/16")
    server = tiny_server(settings)
    db = server.extensions["northstar.sign_in"].db
    add_team(db, "South", {"region": ["South"]}, by="test")
    add_user(db, "pat", None, "viewer", by="test", scope={"channel": ["ads"]}, team="South")
    client = server.test_client()
    env, headers = {"REMOTE_ADDR": "10.1.2.3"}, {"X-Forwarded-User": "pat"}
    page = client.get("/", headers=headers, environ_base=env).get_data(as_text=True)
    assert "scope={'region': ['South'], 'channel': ['ads']}" in page
    set_team_scope(db, "South", None, by="test")  # the next request: her own scope only
    page = client.get("/", headers=headers, environ_base=env).get_data(as_text=True)
    assert "scope={'channel': ['ads']}" in page
    move_team_by_hand(db, "South", {"channel": ["email"]})
    refused = client.get("/", headers=headers, environ_base=env)
    assert refused.status_code == 403
    assert "pat would see no rows" in refused.get_data(as_text=True)
    assert "share no value of channel" in refused.get_data(as_text=True)
