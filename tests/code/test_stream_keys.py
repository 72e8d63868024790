"""The streamed key check (mlsys.store.rules.stream_keys): a shared hash is confirmed exactly
when the stream can be read again, an ordered key column needs no hashes, nulls are refused."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest

from mlsys.errors import SchemaError
from mlsys.store.rules import stream_keys
from mlsys.store.rules.stream_keys import StreamKeys


def _batches(*ids: list[int]) -> list[pa.Table]:
    return [pa.table({"id": pa.array(i, pa.int64()), "v": pa.array([1.0] * len(i))})
            for i in ids]


def _check(batches: list[pa.Table], replay: bool, strict: bool = False) -> int:
    keys = StreamKeys(["id"], "test", strict, replayable=replay)
    for b in batches:
        keys.add(b)

    def reread() -> Iterator[pa.Table]:
        return iter(batches)
    return keys.repeats(reread if replay else None)


def test_repeats_across_batches_are_counted() -> None:
    batches = _batches([5, 1, 9], [4, 1, 7], [9, 2])
    assert _check(batches, replay=True) == 2
    assert _check(batches, replay=False) == 2
    with pytest.raises(SchemaError) as info:
        _check(batches, replay=False, strict=True)
    assert info.value.reason == SchemaError.DUPLICATE_KEY


def test_a_hash_collision_is_not_a_repeat_when_the_stream_can_be_read_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # every key hashes alike: only the exact comparison tells the keys apart
    monkeypatch.setattr(stream_keys, "key_hashes",
                        lambda batch, keys: np.zeros(batch.num_rows, dtype="uint64"))
    batches = _batches([5, 1, 9], [4, 3, 7])
    assert _check(batches, replay=True) == 0
    assert _check(batches, replay=True, strict=True) == 0
    assert _check(_batches([5, 1], [4, 5]), replay=True) == 1
    # a one-shot stream cannot be compared again: equal hashes count (the documented bound)
    assert _check(batches, replay=False) == 5


def test_a_key_ordered_across_batches_makes_every_key_unique(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_keys, "key_hashes",
                        lambda batch, keys: np.zeros(batch.num_rows, dtype="uint64"))
    assert _check(_batches([1, 2, 3], [4], [5, 9]), replay=False) == 0  # rising
    assert _check(_batches([9, 8], [7, 3]), replay=False) == 0  # falling
    # ordered within each batch, but not across them: hashes decide (all equal here)
    assert _check(_batches([1, 2, 3], [2, 5]), replay=False) == 4
    assert _check(_batches([1, 2], [5, 4]), replay=False) == 3


def test_null_keys_are_refused_in_any_batch() -> None:
    keys = StreamKeys(["id"], "test", False)
    keys.add(_batches([1, 2])[0])
    with pytest.raises(SchemaError) as info:
        keys.add(pa.table({"id": pa.array([3, None], pa.int64()), "v": [1.0, 2.0]}))
    assert info.value.reason == SchemaError.NULL_KEY


def test_a_replayable_stream_hashes_its_ordered_start_on_a_second_read() -> None:
    # ordered over the first two batches (left unhashed), then not: the repeat of 2 is found
    assert _check(_batches([1, 2], [3, 4], [2, 9]), replay=True) == 1
    assert _check(_batches([1, 2], [3, 4], [0, 9]), replay=True) == 0
    assert _check(_batches([1, 2], [3, 4], [5, 6]), replay=True) == 0
