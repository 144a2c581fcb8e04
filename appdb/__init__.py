"""The app database: what the web side writes, shared by sign-in, alerts, OKRs and review mode.

SQLAlchemy 2.0 models (`appdb.models`: users and their teams, meeting-room screens, the audit
log) in SQLite by default (`NORTHSTAR_APP_DB`, `sqlite:///data/app.db`) or PostgreSQL by URL. The schema is owned by
Alembic migrations in `appdb/migrations`, run programmatically (`AppDb.upgrade()`, i.e.
`upgrade head`) when the web app starts with sign-in on and before every CLI command that reads or
writes it; a new table or column is a new migration, never a `create_all`.

The metric warehouse is never here: this database holds people and their actions, not numbers.
"""

from appdb.audit import audit, audit_entries
from appdb.database import AppDb
from appdb.engine import AppDbError
from appdb.models import AuditEntry, Screen, Team, User

__all__ = ["AppDb", "AppDbError", "AuditEntry", "Screen", "Team", "User", "audit", "audit_entries"]
