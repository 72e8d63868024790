"""``python -m mlsys.cli``: the ``mlsys`` command."""

from mlsys.cli import main

main()
