"""Running code written for Hopsworks on mlsys: import hook, `mlsys run`, pytest plugin.

``hopsworks``, ``hsfs`` and ``hsml`` (and the submodules pipeline code imports) resolve to small
modules over mlsys while :func:`~mlsys.compat.hook.hopsworks_imports` is active, so
``hopsworks.login()`` returns the mlsys project of the configured backend. With
``MLSYS_BACKEND=hopsworks`` the hook stays off and the real SDK is imported.
"""
