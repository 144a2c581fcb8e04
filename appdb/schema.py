"""Every table of the app database in one metadata: what the migrations are compared with.
A model module registers its tables on appdb.base.Base when imported, so this imports them all.
"""

from __future__ import annotations

from appdb import models, review_models
from appdb.base import Base

MODULES = (models, review_models)  # every module that declares tables
metadata = Base.metadata
