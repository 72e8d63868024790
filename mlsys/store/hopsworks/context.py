"""What every adapter object of one Hopsworks login shares: settings, SDK project, call wrapper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsys.store.hopsworks.config import HopsworksConfig
    from mlsys.store.hopsworks.errors import SdkCalls


@dataclass
class Context:
    """One login: its (key-free to print) config, the SDK project and the safe-call wrapper."""

    config: HopsworksConfig
    calls: SdkCalls
    sdk_project: Any
    _dataset_api: Any = field(default=None, repr=False)

    def dataset_api(self) -> Any:
        """The SDK's dataset API of the project (made once)."""
        if self._dataset_api is None:
            self._dataset_api = self.calls.run("open the dataset API",
                                               self.sdk_project.get_dataset_api)
        return self._dataset_api
