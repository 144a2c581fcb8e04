"""A signed-in user's scope reaches the numbers: the sign-in gate tells the metric service whose
request it is, so an account limited to the South exports the South's rows only — through the real
HTTP callback, the way the browser asks — and everyone else still gets the whole company."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pandas as pd
import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from page_client import join_warm_ups, register_page_callbacks
from sign_in_client import csrf_header, sign_in

from appdb import AppDb
from auth.accounts import add_user, set_scope
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
    yield app
    join_warm_ups()
    app.server.extensions["northstar"].close()
    db.close()


def exported(dash_app, name: str) -> pd.DataFrame:
    client = dash_app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
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
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    content = json.loads(answer.get_data(as_text=True))["response"][ids.DOWNLOAD]["data"]
    return pd.read_csv(io.StringIO(content["content"]))


def paid_orders_by_region() -> dict[str, int]:
    """Paid orders from 2025-10-01 to 2026-02-28 (Shanghai days) per region, by hand."""
    tables = shop_tables()
    orders = tables["raw.orders"].merge(
        tables["raw.customers"][["customer_id", "region"]], on="customer_id", how="left"
    )
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date.astype(str)
    kept = orders[(orders["status"] == "paid") & (day >= "2025-10-01") & (day <= "2026-02-28")]
    return {k: int(v) for k, v in kept.groupby("region").size().items()}


def test_a_scoped_account_exports_only_its_rows_and_others_the_whole(dash_app) -> None:  # type: ignore[no-untyped-def]
    want = paid_orders_by_region()
    everyone = exported(dash_app, "ceo")  # asked first: its cached answer must not reach sol
    south = exported(dash_app, "sol")
    assert set(south["region"]) == {"south"}
    assert int(south["orders"].sum()) == want["south"]
    assert set(everyone["region"]) == set(want)
    assert {r: int(v) for r, v in everyone.groupby("region")["orders"].sum().items()} == want
