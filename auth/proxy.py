"""Trusted-header sign-in: behind a sign-in proxy (oauth2-proxy, the company's SSO gateway) the
proxy signs people in and names them in a header (X-Forwarded-User, X-Forwarded-Email).

A header is only believed from the proxy: the request's own peer address must be in
`proxy_addresses`, or anyone reaching the app directly could claim to be anyone. Someone seen for
the first time gets an account with `proxy_role` (viewer by default; empty: only accounts an
admin added with `northstar users add NAME --proxy`); admins change roles with the CLI as usual.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from flask import request, session

from appdb import AppDb, User, audit
from auth import actions
from auth.accounts import USER_NAME, find_user
from auth.principal import PROXY, Principal
from auth.roles import parse_role

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


NOTHING_TO_SHOW = "Nothing to show"  # an account whose scope and team's scope clash


@dataclass(frozen=True)
class Refusal:
    """A request turned away: the HTTP status and what to tell the person."""

    status: int
    title: str
    text: str


def trusted_networks(text: str) -> tuple[Network, ...]:
    """NORTHSTAR_PROXY_ADDRESSES: addresses or networks, comma-separated."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"NORTHSTAR_PROXY_ADDRESSES: {item!r} is not an address or network "
                "(e.g. 127.0.0.1,10.0.0.0/8)"
            ) from None
    if not networks:
        raise ValueError("NORTHSTAR_PROXY_ADDRESSES is empty: name the sign-in proxy's address")
    return tuple(networks)


def from_proxy(peer: str | None, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return any(address in net for net in networks)


def proxy_principal(
    db: AppDb,
    networks: Sequence[Network],
    user_header: str,
    email_header: str,
    new_user_role: str,
) -> Principal | Refusal:
    if not from_proxy(request.remote_addr, networks):
        return Refusal(
            403,
            "Sign in through the proxy",
            "This address answers only requests that come through the company's sign-in proxy.",
        )
    name = request.headers.get(user_header, "").strip()
    if not USER_NAME.fullmatch(name):
        return Refusal(
            401,
            "Not signed in",
            f"The sign-in proxy sent no usable {user_header} header; check its configuration.",
        )
    email = request.headers.get(email_header, "").strip()[:320] or None
    with db.session() as s:
        user = find_user(s, name)
        if user is None:
            if not new_user_role.strip():
                return Refusal(
                    403,
                    "No Northstar account",
                    f"{name} has no Northstar account; an admin adds one with "
                    f"`northstar users add {name} --proxy`.",
                )
            role = parse_role(new_user_role)
            user = User(name=name, email=email, role=role.value)
            s.add(user)
            audit(
                s,
                "proxy",
                actions.USER_ADDED,
                f"{name} as {role} (first visit)",
                request.remote_addr,
            )
        if user.disabled:
            return Refusal(403, "Account disabled", f"{name}'s Northstar account is disabled.")
        principal = Principal.of_user(user, PROXY)  # read on every request: changes count at once
        if principal.no_rows:
            return Refusal(403, NOTHING_TO_SHOW, principal.no_rows)
        if session.get("proxy_user") != name:  # one sign-in entry per browser session
            session["proxy_user"] = name
            audit(s, name, actions.SIGN_IN, "through the sign-in proxy", request.remote_addr)
        return principal
