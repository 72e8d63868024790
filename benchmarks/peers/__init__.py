"""mlsys against its peers (Feast, MLflow) on the same data; run by ``nox -s bench_peers``."""
