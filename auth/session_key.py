"""The key that signs session cookies: the same in every worker and on every restart, or each
worker would reject the others' cookies and every restart would sign everybody out.

NORTHSTAR_SECRET_KEY when set; otherwise one generated at the first start and kept in the app
database (whoever can read that database can already change its users)."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from appdb import AppDb
from appdb.models import AppSecret

NAME = "session_key"
MIN_CONFIGURED = 16


def session_key(db: AppDb, configured: str) -> str:
    if configured:
        if len(configured) < MIN_CONFIGURED:
            raise ValueError(
                f"NORTHSTAR_SECRET_KEY is too short to sign sessions; use {MIN_CONFIGURED} or "
                "more random characters (python -c 'import secrets; print(secrets.token_hex())')"
            )
        return configured
    with db.session() as session:
        kept = session.get(AppSecret, NAME)
        if kept is not None:
            return kept.value
    try:
        with db.session() as session:
            session.add(AppSecret(name=NAME, value=secrets.token_hex(32)))
    except IntegrityError:
        pass  # another worker made it first: use theirs
    with db.session() as session:
        kept = session.get(AppSecret, NAME)
        assert kept is not None
        return kept.value
