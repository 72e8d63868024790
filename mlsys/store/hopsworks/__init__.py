"""The Hopsworks backend: the store API (``mlsys.store.api``) mapped onto the real hopsworks SDK.

Nothing here imports ``hopsworks`` at import time; :func:`mlsys.store.hopsworks.project.connect`
does, so ``import mlsys`` stays light and a missing extra gives a clear error at login.
"""
