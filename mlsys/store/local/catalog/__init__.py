"""The local store's catalog: typed records behind one interface, SQLite its one implementation.

``base`` is the interface (a :class:`Catalog` with one repository per kind of record and
``transaction()``), ``records`` the frozen values in and out of it; ``sqlite`` (on
``sqlite_db``, with ``sqlite_groups`` and ``sqlite_views``) the SQLite catalog, the only modules
of mlsys that hold catalog SQL.
"""

from mlsys.store.local.catalog.base import Catalog, Groups, Models, Reports, TableFiles, Views
from mlsys.store.local.catalog.records import dumps, now_iso
from mlsys.store.local.catalog.sqlite import SqliteCatalog
from mlsys.store.local.catalog.sqlite_db import MIGRATIONS

__all__ = ["MIGRATIONS", "Catalog", "Groups", "Models", "Reports", "SqliteCatalog",
           "TableFiles", "Views", "dumps", "now_iso"]
