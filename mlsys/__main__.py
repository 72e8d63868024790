"""``python -m mlsys``: the same command line as ``mlsys``."""

from mlsys.cli import main

main()
