"""The local store's catalog: typed records behind one interface, in SQLite or on object storage.

``base`` is the interface (a :class:`Catalog` with one repository per kind of record and
``transaction()``), ``records`` the frozen values in and out of it; ``sqlite`` (on
``sqlite_db``, with ``sqlite_groups`` and ``sqlite_views``) the SQLite catalog, the only modules
of mlsys that hold catalog SQL; ``objects`` (on ``objects_doc``, with ``objects_groups`` and
``objects_views``) the catalog as one JSON document on an S3-compatible bucket or a folder,
changed by compare-and-swap.
"""

from mlsys.store.local.catalog.base import Catalog, Groups, Models, Reports, TableFiles, Views
from mlsys.store.local.catalog.objects import ObjectCatalog
from mlsys.store.local.catalog.records import dumps, now_iso
from mlsys.store.local.catalog.sqlite import SqliteCatalog
from mlsys.store.local.catalog.sqlite_db import MIGRATIONS

__all__ = ["MIGRATIONS", "Catalog", "Groups", "Models", "ObjectCatalog", "Reports",
           "SqliteCatalog", "TableFiles", "Views", "dumps", "now_iso"]
