"""A signed-in user's scope reaches the numbers: the sign-in gate tells the metric service whose
request it is, so an account limited to the South exports the South's rows only — through the real
HTTP callback, the way the browser asks — and everyone else still gets the whole company. A team
member gets the rows their scope and their team's both allow, and a team's new scope counts from
their next request, without signing in again."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pandas as pd
import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from page_client import join_warm_ups, register_page_callbacks
from sign_in_client import csrf_header, sign_in
from sqlalchemy import select

from appdb import AppDb, Team
from auth.accounts import add_user, set_scope
from auth.teams import add_team, set_team_scope
from dashboard import ids
from settings import Settings

PASSWORD = "correct horse battery"
HREF = (
    "/metric/orders?grain=month&range=custom&start=2025-10-01&end=2026-02-28&compare=none&by=region"
)


@pytest.fixture(scope="module")
def dash_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    folder = tmp_path_factory.mktemp("scoped")
    register_page_callbacks()
    settings = Settings(
        metrics=SPEC,
        serving_dir=build_shop(folder / "shop"),
        as_of=AS_OF.isoformat(),
        auth="password",
        app_db=f"sqlite:///{folder / 'app.db'}",
        cache="simple",
    )
    app = create_dash(settings)
    db = AppDb(settings.app_db)
    add_user(db, "sol", PASSWORD, "viewer", by="test")
    set_scope(db, "sol", {"region": ["south"]}, by="test")
    add_user(db, "ceo", PASSWORD, "viewer", by="test")
    add_team(db, "South", {"region": ["south"]}, by="test")
    add_user(db, "tess", PASSWORD, "viewer", by="test", scope={"channel": ["ads"]}, team="South")
    app.server.extensions["test.app_db"] = db
    yield app
    join_warm_ups()
    app.server.extensions["northstar"].close()
    db.close()


def exported(dash_app, name: str) -> pd.DataFrame:
    client = dash_app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return export(dash_app, client)


def export(dash_app, client, status: int = 200):  # type: ignore[no-untyped-def]
    """The explorer's CSV export as the signed-in `client` asks for it (None if refused)."""
    output = next(k for k in dash_app.callback_map if k.startswith(f"..{ids.DOWNLOAD}.data"))
    body = {
        "output": output,
        "outputs": [
            {"id": ids.DOWNLOAD, "property": "data"},
            {"id": ids.EXPLORER_MESSAGE, "property": "children"},
        ],
        "inputs": [{"id": ids.EXPORT_CSV, "property": "n_clicks", "value": 1}],
        "state": [{"id": ids.EXPLORER_VIEW, "property": "data", "value": HREF}],
        "changedPropIds": [f"{ids.EXPORT_CSV}.n_clicks"],
    }
    answer = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    if status != 200:
        return json.loads(answer.get_data(as_text=True))
    content = json.loads(answer.get_data(as_text=True))["response"][ids.DOWNLOAD]["data"]
    return pd.read_csv(io.StringIO(content["content"]))


def paid_orders_by_region(channel: str | None = None) -> dict[str, int]:
    """Paid orders from 2025-10-01 to 2026-02-28 (Shanghai days) per region, by hand; only
    customers from `channel` if given."""
    tables = shop_tables()
    orders = tables["raw.orders"].merge(
        tables["raw.customers"][["customer_id", "region", "channel"]], on="customer_id", how="left"
    )
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date.astype(str)
    kept = orders[(orders["status"] == "paid") & (day >= "2025-10-01") & (day <= "2026-02-28")]
    if channel is not None:
        kept = kept[kept["channel"] == channel]
    return {k: int(v) for k, v in kept.groupby("region").size().items()}


def test_a_scoped_account_exports_only_its_rows_and_others_the_whole(dash_app) -> None:  # type: ignore[no-untyped-def]
    want = paid_orders_by_region()
    everyone = exported(dash_app, "ceo")  # asked first: its cached answer must not reach sol
    south = exported(dash_app, "sol")
    assert set(south["region"]) == {"south"}
    assert int(south["orders"].sum()) == want["south"]
    assert set(everyone["region"]) == set(want)
    assert {r: int(v) for r, v in everyone.groupby("region")["orders"].sum().items()} == want


def test_a_team_member_exports_the_rows_both_scopes_allow_and_follows_team_changes(
    dash_app,
) -> None:  # type: ignore[no-untyped-def]
    """tess (own scope channel=ads) in team South (region=south): the South's ads customers'
    orders. The team moves to the North while she is signed in: her next export is the North's,
    without signing in again. A team scope that clashes with hers refuses her next request."""
    db = dash_app.server.extensions["test.app_db"]
    ads = paid_orders_by_region("ads")
    assert paid_orders_by_region()["south"] > ads["south"] > 0  # both scopes narrowed it
    client = dash_app.server.test_client()
    assert sign_in(client, "tess", PASSWORD).status_code == 302
    layout = json.loads(client.get("/_dash-layout").get_data(as_text=True))
    assert "tess · viewer · South" in json.dumps(layout, ensure_ascii=False)  # the header
    south = export(dash_app, client)
    assert {r: int(v) for r, v in south.groupby("region")["orders"].sum().items()} == {
        "south": ads["south"]
    }
    set_team_scope(db, "South", {"region": ["north"]}, by="test")
    north = export(dash_app, client)
    assert {r: int(v) for r, v in north.groupby("region")["orders"].sum().items()} == {
        "north": ads["north"]
    }
    # The commands refuse to make a clash; a database edited by hand can still hold one.
    with db.session() as session:
        session.scalars(select(Team).where(Team.name == "South")).one().scope = {
            "channel": ["email"]
        }
    refused = export(dash_app, client, status=403)
    assert refused["error"] == "Nothing to show"
    assert "share no value of channel" in refused["message"]
    with db.session() as session:  # as it was, for any test after this one
        session.scalars(select(Team).where(Team.name == "South")).one().scope = {
            "region": ["south"]
        }
