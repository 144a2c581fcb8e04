"""Refuse to serve the dashboard beyond this machine with sign-in off.

With sign-in off anyone who reaches the port reads every metric, its SQL and its CSV; that is
right on a laptop (127.0.0.1, `make demo`) and wrong on 0.0.0.0. `northstar serve` and
gunicorn.conf.py call `exposure_problem` with the addresses they will listen on and stop with its
message unless sign-in is on or `allow_public_without_auth` says the exposure is intended (a
sign-in proxy in front that the app does not know about, a private network).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from settings import Settings

LOCAL_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


def bind_host(address: str) -> str | None:
    """The host part of a gunicorn bind (`0.0.0.0:8050`, `[::1]:80`, `localhost`); None for a
    unix socket, which only this machine can reach."""
    if address.startswith("unix:"):
        return None
    if address.startswith("fd://"):
        return address  # an inherited socket: where it listens cannot be told from here
    if address.startswith("["):
        return address[1 : address.index("]")]
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and host.count(":") == 0:
        return host
    return address


def is_local(host: str | None) -> bool:
    if host is None:
        return True
    host = host.strip().strip("[]").lower()
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or an inherited socket: may be reachable from elsewhere


def exposure_problem(addresses: Iterable[str], settings: Settings) -> str | None:
    """Why serving on `addresses` is refused, or None when it is fine."""
    if settings.auth.strip().lower() != "off" or settings.allow_public_without_auth:
        return None
    public = [a for a in addresses if not is_local(bind_host(a))]
    if not public:
        return None
    return (
        f"refusing to listen on {', '.join(public)} with sign-in off: anyone who reaches it "
        "would read every metric. Turn sign-in on (NORTHSTAR_AUTH=password or proxy; README, "
        '"Sign-in"), listen on 127.0.0.1, or, if something in front already checks who comes '
        "in, say so with NORTHSTAR_ALLOW_PUBLIC_WITHOUT_AUTH=1 (`northstar serve "
        "--allow-public-without-auth`)."
    )
