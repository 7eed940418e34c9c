"""The fact store. The only package that imports SQLModel / SQLAlchemy.

Table rows never leave this package: callers get frozen domain types or plain values back.
"""

from perfrules.storage.db import Database, connect

__all__ = ["Database", "connect"]
