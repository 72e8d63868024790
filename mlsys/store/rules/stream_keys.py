"""The key check of a streamed insert: repeated keys across batches, without keeping the keys.

Each batch's key columns are hashed to one uint64 per row (pandas' vectorised
``hash_pandas_object``, as the whole-frame check does); only these 8 bytes per row are kept, and
checked for repeats with numpy once the stream ends. A repeated hash is only a *possible*
repeated key (two keys can share a hash): a replayable source has the key columns of just those
rows read again and compared exactly; a one-shot reader cannot be read again, so for it equal
hashes count as equal keys (a chance of about n**2 / 2**65 for n rows, 3e-4 at 100M rows, of
counting one row too many).

A key column that rises (or falls) strictly across the whole stream, as running ids or the
event times of a time-ordered export do, makes every key unique; then no hash is compared. For a
replayable source no hash is even computed while some key column is still ordered: when the last
one stops being ordered, the batches before are hashed from a second read at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlsys.errors import SchemaError
from mlsys.store.rules.frames import check_arrow_key_values, check_keys, strictly_ordered


def key_hashes(batch: pa.Table, keys: Sequence[str]) -> np.ndarray:
    """One uint64 per row of ``batch``, equal for rows with equal keys."""
    return pd.util.hash_pandas_object(batch.select(list(keys)).to_pandas(),
                                      index=False).to_numpy()


class StreamKeys:
    """Null, nested and repeated keys over the batches of one insert (see the module doc)."""

    def __init__(self, keys: Sequence[str], where: str, reject_duplicates: bool,
                 replayable: bool = False) -> None:
        self.keys = list(keys)
        self.where = where
        self.reject_duplicates = reject_duplicates
        self.replayable = replayable
        self.rows = 0
        self._unhashed = 0  # rows of the first batches left unhashed (replayable only)
        self._hashes: list[np.ndarray] = []
        self._last: dict[str, pa.Scalar] = {}
        self._rising: dict[str, bool] = {}
        self._unordered: set[str] = set()

    def add(self, batch: pa.Table, values_checked: bool = False) -> None:
        """Check one batch (already cast to the stored types); refuses null or nested keys
        (unless ``values_checked``: the caller checked them on the batch as given)."""
        if not values_checked:
            check_arrow_key_values(batch, self.keys, self.where)
        for k in self.keys:
            self._track_order(k, batch.column(k))
        if self.replayable and self._ordered() and self._unhashed == self.rows:
            self._unhashed += batch.num_rows  # unique so far; hashed on a second read if need be
        else:
            self._hashes.append(key_hashes(batch, self.keys))
        self.rows += batch.num_rows

    def _ordered(self) -> bool:
        return any(k not in self._unordered for k in self.keys)

    def _track_order(self, key: str, col: pa.ChunkedArray) -> None:
        """Whether ``key`` still rises (or falls) strictly over every row seen so far."""
        if key in self._unordered or len(col) == 0:
            return
        if not strictly_ordered(col):
            self._unordered.add(key)
            return
        first, last = col[0], col[len(col) - 1]
        steps = []  # the direction of each step seen: within this batch, and from the last one
        if len(col) > 1:
            steps.append(bool(pc.greater(last, first).as_py()))
        if key in self._last:
            prev = self._last[key]
            if pc.equal(first, prev).as_py():
                self._unordered.add(key)
                return
            steps.append(bool(pc.greater(first, prev).as_py()))
        if key in self._rising:
            steps.append(self._rising[key])
        if len(set(steps)) > 1:
            self._unordered.add(key)
            return
        if steps:
            self._rising[key] = steps[0]
        self._last[key] = last

    def repeats(self, reread: Callable[[], Iterator[pa.Table]] | None) -> int:
        """How many rows repeat the key of an earlier row of the stream (0: all unique);
        SchemaError under ``reject_duplicates``. ``reread`` gives the stream's batches again
        (cast as they were given to :meth:`add`), to confirm possible repeats exactly; None for
        a stream that cannot be read again."""
        hashes, self._hashes = self._hashes, []
        if self._ordered() or self.rows == 0:
            return 0
        if self._unhashed:
            if reread is None:
                raise ValueError("the first batches were left unhashed: reread is needed")
            hashes = [*self._first_hashes(reread), *hashes]
        flat = np.concatenate(hashes)
        del hashes
        flat.sort()
        same = flat[1:] == flat[:-1]
        if not same.any():
            return 0
        suspects = np.unique(flat[1:][same])
        if reread is None:
            return self._hash_repeats(int(same.sum()))
        del flat, same
        rows = []
        for batch in reread():  # only the rows whose hash repeats: a handful, not the stream
            hit = np.isin(key_hashes(batch, self.keys), suspects)
            if hit.any():
                rows.append(batch.select(self.keys).filter(pa.array(hit)))
        if not rows:
            return 0
        found = pa.concat_tables(rows).to_pandas()
        return check_keys(found, self.keys, self.where, self.reject_duplicates)

    def _first_hashes(self, reread: Callable[[], Iterator[pa.Table]]) -> Iterator[np.ndarray]:
        """The hashes of the first ``_unhashed`` rows, from a second read of the stream."""
        left = self._unhashed
        for batch in reread():
            if left <= 0:
                break
            yield key_hashes(batch.slice(0, left), self.keys)
            left -= batch.num_rows

    def _hash_repeats(self, count: int) -> int:
        if self.reject_duplicates:
            raise SchemaError(
                f"{self.where}: {count} rows share a primary key + event time {self.keys} with "
                "an earlier row of the stream, and this group rejects duplicate keys "
                "(reject_duplicate_keys); keep one row per key (e.g. deduplicate the source on "
                f"{self.keys} before streaming it)",
                column=self.keys[0], reason=SchemaError.DUPLICATE_KEY)
        return count
