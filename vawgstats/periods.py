"""Reporting periods: whole calendar months, ``YYYY-MM`` to ``YYYY-MM`` inclusive."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._lazy import lazy_module
from .errors import ParamsError

pd = lazy_module("pandas", globals(), "pd")  # imported on first use

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: object, what: str = "month") -> pd.Period:
    """Parse ``YYYY-MM`` into a monthly :class:`pandas.Period`; ParamsError otherwise."""
    match = _MONTH.match(str(text).strip()) if text is not None else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1990:
        raise ParamsError(f"Bad {what} {text!r}: expected a month as YYYY-MM, e.g. 2024-03 (from 1990).")
    return pd.Period(f"{match.group(1)}-{match.group(2)}", freq="M")


@dataclass(frozen=True)
class Period:
    """A run of whole months, ``start`` to ``end`` inclusive."""

    start: pd.Period
    end: pd.Period

    @classmethod
    def parse(cls, start: object, end: object) -> "Period":
        first, last = parse_month(start, "start"), parse_month(end, "end")
        if last < first:
            raise ParamsError(f"Bad period: end {end} is before start {start}.")
        return cls(first, last)

    @property
    def months(self) -> int:
        return (self.end - self.start).n + 1

    @property
    def first_day(self) -> pd.Timestamp:
        return self.start.start_time.normalize()

    @property
    def last_day(self) -> pd.Timestamp:
        return self.end.end_time.normalize()

    def previous(self) -> "Period":
        """The period of the same length immediately before this one."""
        return Period(self.start - self.months, self.end - self.months)

    def year_earlier(self) -> "Period":
        """The same months one year earlier."""
        return Period(self.start - 12, self.end - 12)

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask: which dates fall in the period (by day)."""
        return dates.ge(self.first_day) & dates.lt(self.last_day + pd.Timedelta(days=1))

    def label(self) -> str:
        """E.g. ``"April 2024 to March 2025"``."""
        return f"{self.start.strftime('%B %Y')} to {self.end.strftime('%B %Y')}"

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def as_period(start: object, end: object) -> Period:
    """A :class:`Period` from ``YYYY-MM`` strings or Periods."""
    return Period.parse(str(start), str(end))


def latest_complete_months(last_recorded: pd.Timestamp, months: int = 12) -> Period:
    """The latest ``months`` whole months ending with the last complete month of data.

    A month counts as complete when the data contains a record on or after its
    last day; otherwise the month before is the last complete one.
    """
    last = pd.Timestamp(last_recorded).normalize()
    end = last.to_period("M")
    if last < end.end_time.normalize():
        end = end - 1
    return Period(end - (months - 1), end)
