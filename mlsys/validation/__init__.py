"""Data validation: Pandera schemas at function boundaries, GE suites on feature groups."""
