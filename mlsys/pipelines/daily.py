"""Daily feature pipeline: one synthetic row per day, idempotent per day, with catch-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mlsys.errors import InvalidArgumentError, PipelineError
from mlsys.pipelines.common import feature_group, read_or_empty
from mlsys.systems.base import REFERENCE_TIME

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import Project
    from mlsys.systems.base import System

MAX_CATCH_UP_DAYS = 3660  # ten years: a typo in --since should not write a century of rows


@dataclass(frozen=True)
class DailyResult:
    """Which days were asked for, which got a new row, and which already had one."""

    system: str
    days: tuple[date, ...]
    added: tuple[date, ...]
    already_present: tuple[date, ...]


def today() -> date:
    """Today in UTC (the schedules run in UTC)."""
    return datetime.now(UTC).date()


def days_to_run(
    day: date | None = None,
    since: date | None = None,
    last: date | None = None,
    catch_up: bool = False,
) -> list[date]:
    """The days a run covers: ``day`` alone; ``since``..today; or, with ``catch_up``, the day
    after ``last`` (the newest daily row) up to today (today alone when there is none)."""
    now = today()
    end = day or now
    if end > now:
        # a future row would also stop --catch-up for good (it resumes after the newest row)
        raise InvalidArgumentError(f"--date {end} is in the future (today is {now}); give a date "
                                   "up to today")
    if since is not None and catch_up:
        raise InvalidArgumentError("give either --since or --catch-up, not both")
    start = since if since is not None else end
    if catch_up:
        start = last + timedelta(days=1) if last is not None else end
    first = REFERENCE_TIME.date() + timedelta(days=1)
    if start < first:
        # a row at or before the real data's event time would read as real data (daily rows
        # are told apart by being newer) and shift every later catch-up
        option = "--since" if since is not None else "--date"
        raise InvalidArgumentError(
            f"{option} {start} is not after {REFERENCE_TIME.date()}, the event time of the real "
            f"data; synthetic days start on {first}: give a date from {first} to {now}")
    if start > end:
        if catch_up:
            return []
        raise InvalidArgumentError(
            f"--since {start} is after the last day {end}; give an earlier date"
        )
    n = (end - start).days + 1
    if n > MAX_CATCH_UP_DAYS:
        raise InvalidArgumentError(
            f"{n} days from {start} to {end} is more than {MAX_CATCH_UP_DAYS}; give a later --since"
        )
    return [start + timedelta(days=i) for i in range(n)]


MAX_REDRAWS = 50  # per day; a collision needs the same rare pair twice, so 1 is already rare


def _redraw_stored_items(system: System, new: pd.DataFrame, existing: pd.DataFrame,
                         ) -> pd.DataFrame:
    """``new`` with every row whose primary key is already stored (or drawn for an earlier day
    of this run) replaced by a redraw of its day, so one item is never stored twice."""
    import pandas as pd

    pk = list(system.primary_key)

    def key(row: pd.DataFrame) -> tuple[Any, ...]:
        return tuple(row[pk].to_numpy().tolist()[0])

    seen = set() if existing.empty else set(map(tuple, existing[pk].to_numpy().tolist()))
    rows = []
    for i in range(len(new)):
        row = new.iloc[[i]]
        day = pd.Timestamp(row[system.event_time].iloc[0]).date()
        attempt = 0
        while key(row) in seen:
            attempt += 1
            if attempt > MAX_REDRAWS:
                raise PipelineError(f"{system.name}: every draw for {day} is already stored "
                                    f"({MAX_REDRAWS} tried); the generator has run out of items")
            row = system.synthesize(day, attempt=attempt)
        seen.add(key(row))
        rows.append(row)
    return pd.concat(rows, ignore_index=True) if rows else new


def daily(
    project: Project,
    system: System,
    day: date | None = None,
    since: date | None = None,
    catch_up: bool = False,
) -> DailyResult:
    """Add the synthetic row of every covered day that has none yet, in one insert."""
    import pandas as pd

    fg = feature_group(project, system)
    existing = read_or_empty(fg)
    times = (pd.Series(dtype="datetime64[us, UTC]") if existing.empty
             else pd.to_datetime(existing[system.event_time], utc=True))
    daily_times = times[times > pd.Timestamp(REFERENCE_TIME)]
    last = daily_times.max().date() if not daily_times.empty else None
    days = days_to_run(day, since, last, catch_up)
    if not days:
        return DailyResult(system.name, (), (), ())
    frame = pd.concat([system.synthesize(d) for d in days], ignore_index=True)
    # a day is stored when a row has its event time (its row may be a redraw, see below)
    stored = set(times)
    todo = pd.to_datetime(frame[system.event_time], utc=True).map(lambda t: t not in stored)
    new = _redraw_stored_items(system, frame[todo.to_numpy()].reset_index(drop=True), existing)
    if not new.empty:
        fg.insert(new)
    added_times = set(pd.to_datetime(new[system.event_time], utc=True).dt.date)
    added = tuple(d for d in days if d in added_times)
    present = tuple(d for d in days if d not in added_times)
    return DailyResult(system.name, tuple(days), added, present)
