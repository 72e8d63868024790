"""The rules both backends apply, in one place below them (neither backend imports the other).

``frames`` (a frame's names, columns, keys and Arrow types), ``times`` (points in time),
``paths`` (project paths and download targets), ``metrics`` (model metrics, the best version),
``arguments`` (hsfs option values, lookup keys, a group's keys, a view's labels), ``splits``
(the one seeded, stratified train/test split) and ``views`` (a view's X and y). These modules
import only the contract (``mlsys.store.api``), ``mlsys.errors``, ``mlsys.names``, pandas,
pyarrow and, when a split runs, scikit-learn.
"""
