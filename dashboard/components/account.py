"""The header's account corner: who is signed in, their role, and Sign out (a form posting to
/logout with the CSRF token). Empty with sign-in off, for screens, and behind a sign-in proxy
(which signs people out itself) the name only."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html
from flask_wtf.csrf import generate_csrf

from auth.principal import PROXY, USER, current_principal

ACCOUNT = "account"
SIGN_OUT = "sign-out"


def account_corner() -> html.Div:
    who = current_principal()
    if who is None or who.kind not in (USER, PROXY):
        return html.Div(id=ACCOUNT)
    team = f" · {who.team}" if who.team else ""  # whose rows they see
    label = dmc.Text(f"{who.name} · {who.role}{team}", size="sm", c="dimmed")
    if who.kind == PROXY:
        return html.Div(label, id=ACCOUNT)
    return html.Div(
        html.Form(
            dmc.Group(
                [
                    label,
                    dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                    html.Button("Sign out", id=SIGN_OUT, type="submit", className="ns-sign-out"),
                ],
                gap="sm",
            ),
            method="post",
            action="/logout",
        ),
        id=ACCOUNT,
    )
