"""Open the app database by URL: one engine per process, sessions that commit or roll back whole.

After a fork (gunicorn workers) the child drops the parent's pooled connections without closing
them: a connection shared by two processes corrupts both sides' conversations with the server.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from appdb.engine import AppDbError, database_url, make_engine, shown
from appdb.migrate import upgrade


def _forget_pool_after_fork(db: AppDb):  # type: ignore[no-untyped-def]
    ref = weakref.ref(db)  # a closed AppDb must not be kept alive by the fork hook

    def forget() -> None:
        alive = ref()
        if alive is not None:
            alive.engine.dispose(close=False)

    return forget


class AppDb:
    """The app database of one process: `session()` for reads and writes, `upgrade()` to migrate."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        os.register_at_fork(after_in_child=_forget_pool_after_fork(self))

    def __repr__(self) -> str:
        return f"AppDb({shown(self.url)!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed when the block ends, rolled back (and the error raised) otherwise."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise self._error(exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (`alembic upgrade head`); safe to run from many
        processes at once (see appdb.migrate)."""
        try:
            upgrade(self.url, self.engine)
        except OperationalError as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        self.engine.dispose()

    def _error(self, exc: OperationalError) -> AppDbError:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return AppDbError(
            f"cannot use the app database {shown(self.url)}: {reason} "
            "(check NORTHSTAR_APP_DB and that the database is reachable)"
        )
