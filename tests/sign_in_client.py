"""Signing in through the app's HTTP interface with Flask's test client, as a browser does:
GET the sign-in page for its form token, POST the form, then carry the CSRF cookie Dash's
renderer would send back as the X-CSRFToken header."""

from __future__ import annotations

import re
from typing import Any

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: Any, path: str = "/login", **get: Any) -> str:
    page = client.get(path, **get).get_data(as_text=True)
    match = TOKEN_FIELD.search(page)
    assert match, f"no form token on {path}"
    return match.group(1)


def sign_in(
    client: Any, name: str, password: str, address: str = "127.0.0.1", next_path: str = "/"
):  # type: ignore[no-untyped-def]
    env = {"REMOTE_ADDR": address}
    token = form_token(client, "/login", environ_base=env)
    return client.post(
        f"/login?next={next_path}",
        data={"name": name, "password": password, "csrf_token": token},
        environ_base=env,
    )


def csrf_header(client: Any, **get: Any) -> dict[str, str]:
    """The header Dash's renderer sends: the `_csrf_token` cookie that loading a page sets
    (loaded here, as the browser does after signing in; `get`: that request's extras)."""
    client.get("/", **get)
    cookie = client.get_cookie("_csrf_token")
    assert cookie is not None
    return {"X-CSRFToken": cookie.value}
