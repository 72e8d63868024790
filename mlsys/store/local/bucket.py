"""What a store in a bucket needs beyond whole objects: objects at a URL, removing a prefix."""

from __future__ import annotations

import functools
import os

from mlsys.store.local.objects import BucketObjects


def objects_at(url: str) -> BucketObjects:
    """The objects under ``s3://bucket/prefix``; one client per URL and AWS environment
    (making one costs ~5 ms, and a table's log is read through one on every commit)."""
    aws = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    return _objects(url, aws)


@functools.lru_cache(maxsize=64)
def _objects(url: str, aws: tuple[tuple[str, str], ...]) -> BucketObjects:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return BucketObjects(bucket, prefix)


def remove_all(url: str) -> int:
    """Delete every object under ``url`` (a table, a project); how many there were."""
    objects = objects_at(url)
    keys = objects.keys()
    for key in keys:
        objects.delete(key)
    return len(keys)


__all__ = ["objects_at", "remove_all"]
