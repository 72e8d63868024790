"""Generic pipelines (backfill, daily, train, infer) over a System; they never import a backend."""
