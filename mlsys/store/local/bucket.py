"""What a store in a bucket needs beyond whole objects: objects at a URL, removing a prefix."""

from __future__ import annotations

from mlsys.store.local.objects import BucketObjects


def objects_at(url: str) -> BucketObjects:
    """The objects under ``s3://bucket/prefix``."""
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
