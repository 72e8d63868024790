"""Whole-object storage (``mlsys.store.local.objects``): the same promises from a real
S3-compatible server (moto's, on 127.0.0.1) and from a local folder."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mlsys.errors import ConfigurationError
from mlsys.store.local.objects import BucketObjects, FolderObjects, Objects


@pytest.fixture(params=["bucket", "folder"])
def objects(request: pytest.FixtureRequest, tmp_path: Path) -> Objects:
    if request.param == "bucket":
        return BucketObjects(request.getfixturevalue("s3_bucket"), "team/project")
    return FolderObjects(tmp_path / "objects")


def test_create_only_where_nothing_is(objects: Objects) -> None:
    assert objects.read("a/b.json") is None
    tag = objects.create("a/b.json", b"first")
    assert tag is not None
    assert objects.create("a/b.json", b"second") is None  # the first writer's stays
    found = objects.read("a/b.json")
    assert found is not None and found.data == b"first" and found.tag == tag


def test_replace_only_what_was_read(objects: Objects) -> None:
    tag = objects.create("doc", b"v1")
    assert tag is not None
    newer = objects.replace("doc", b"v2", tag)
    assert newer is not None and newer != tag
    assert objects.replace("doc", b"v3", tag) is None  # stale: v2 was written since
    found = objects.read("doc")
    assert found is not None and found.data == b"v2"
    assert objects.replace("absent", b"x", tag) is None


def test_no_update_is_lost_under_concurrent_compare_and_swap(objects: Objects) -> None:
    objects.create("counter", b"0")
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                while True:
                    cur = objects.read("counter")
                    assert cur is not None
                    if objects.replace("counter", str(int(cur.data) + 1).encode(), cur.tag):
                        break
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=bump, args=(15,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    found = objects.read("counter")
    assert found is not None and int(found.data) == 60


def test_write_list_delete_and_files(objects: Objects, tmp_path: Path) -> None:
    objects.write("m/1/model.pkl", b"weights")
    objects.write("m/1/model.pkl", b"weights2")
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * 40_000)  # 10 MB: a multipart upload on S3
    objects.upload("m/1/big.bin", source)
    objects.write("n/x", b"")
    assert objects.keys("m/") == ["m/1/big.bin", "m/1/model.pkl"]
    assert objects.keys() == ["m/1/big.bin", "m/1/model.pkl", "n/x"]
    dest = tmp_path / "back.bin"
    assert objects.download("m/1/big.bin", dest) and dest.read_bytes() == source.read_bytes()
    assert not objects.download("m/2/none", tmp_path / "none")
    objects.delete("m/1/model.pkl")
    objects.delete("m/1/model.pkl")  # gone already: no-op
    assert objects.keys("m/") == ["m/1/big.bin"]


@pytest.mark.parametrize("key", ["../x", "a//b", "/abs", "a/./b", ""])
def test_keys_stay_under_the_prefix(objects: Objects, key: str) -> None:
    with pytest.raises(ValueError, match="plain relative key"):
        objects.write(key, b"x")


def test_a_missing_bucket_is_named_with_the_fix(s3_bucket: str) -> None:
    objects = BucketObjects(f"{s3_bucket}-missing", "p")
    with pytest.raises(ConfigurationError, match=f"{s3_bucket}-missing.*does not exist"):
        objects.write("x", b"1")


def test_credentials_are_in_no_repr_or_message(s3_bucket: str) -> None:
    from s3_server import ACCESS_KEY, SECRET_KEY

    objects = BucketObjects(f"{s3_bucket}-missing", "p")
    texts = [repr(objects), objects.location]
    calls: list[Callable[[], object]] = [lambda: objects.write("x", b"1"),
                                         lambda: objects.read("x"), lambda: objects.keys()]
    for call in calls:
        with pytest.raises(ConfigurationError) as err:
            call()
        texts.append(str(err.value))
    for text in texts:
        assert SECRET_KEY not in text and ACCESS_KEY not in text
    assert texts[0] == f"BucketObjects('s3://{s3_bucket}-missing/p')"
