"""What each object of the local store is handed: the config, catalog and online stores."""

from __future__ import annotations

from dataclasses import dataclass

from mlsys.store.local.catalog import Catalog
from mlsys.store.local.config import LocalConfig
from mlsys.store.local.online import OnlineStores


@dataclass(frozen=True)
class LocalContext:
    """The shared state of one opened project. Groups and views receive it instead of a
    back-pointer to the feature store, so no module below the store imports the store."""

    config: LocalConfig
    catalog: Catalog
    online: OnlineStores

    def close(self) -> None:
        """Close the online stores and the catalog (the project's ``close``)."""
        self.online.close()
        self.catalog.close()
