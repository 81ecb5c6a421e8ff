"""Business-calendar arithmetic for SLA clocks.

Pure Python on purpose (no Django): SLA services snapshot a calendar onto each ticket as a spec
dict (``to_spec``) and rebuild it with ``from_spec`` whenever a due time is computed, so this
module must be cheap, deterministic and easy to property-test.

Model: a calendar is a set of spans of *real* time. An interval opens at the instant its start
wall time first occurs in the calendar's zone and closes at the instant its end wall time first
occurs, so an interval containing a DST change lasts the real elapsed time (00:00-24:00 is 23 h
on a spring-forward day). A wall time skipped by a spring-forward gap maps to the instant of the
jump, which keeps the wall-to-instant mapping monotonic. Holidays and ``extra_closed_dates``
close whole local days. Results are aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]
_Span = tuple[datetime, datetime]  # (open, close) as aware UTC instants

#: ``time`` cannot express 24:00, so an interval end of ``time.max`` means midnight at the end
#: of the day; the spec spells it "24:00".
END_OF_DAY: Final = time.max
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Safety net against endless searches (e.g. every upcoming day listed as a closed date).
MAX_CLOSED_DAYS: Final = 3 * 366

_ONE_DAY: Final = timedelta(days=1)
_SECOND: Final = timedelta(seconds=1)
_SPEC_KEYS: Final = frozenset({"time_zone", "hours", "holidays", "closed_dates", "always_open"})
_HHMM: Final = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class CalendarError(ValueError):
    """The calendar definition is invalid (the message names the spec field), or no business
    time exists within ``MAX_CLOSED_DAYS`` days where some is needed."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in one IANA zone, minus public holidays and extra closed dates.

    ``weekly_hours`` maps weekday (0=Mon .. 6=Sun) to non-overlapping naive wall-clock intervals
    with start < end on whole minutes (``END_OF_DAY`` as an end means 24:00); absent or empty
    days are closed. The constructor validates (``CalendarError``) and normalises: intervals
    sorted, empty days dropped, the mapping made read-only, so equal calendars compare and hash
    equal (a calendar can key a cache).
    ``always_open`` is 24x7 with no holidays; combining it with hours, holidays or closed dates
    is rejected, because a silently ignored setting is worse than an error.
    """

    time_zone: str
    weekly_hours: Mapping[int, DayHours]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    extra_closed_dates: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (KeyError, ValueError, TypeError, OSError):  # KeyError: ZoneInfoNotFoundError
            raise CalendarError(f"time_zone: unknown IANA time zone {self.time_zone!r}") from None
        if not isinstance(self.weekly_hours, Mapping):
            raise CalendarError("hours: expected a mapping of weekday to intervals")
        hours = {day: _check_day(day, ivs) for day, ivs in self.weekly_hours.items() if ivs}
        object.__setattr__(self, "weekly_hours", MappingProxyType(dict(sorted(hours.items()))))
        closed = frozenset(self.extra_closed_dates)
        for day in closed:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise CalendarError(f"closed_dates: {day!r} is not a date")
        object.__setattr__(self, "extra_closed_dates", closed)
        _check_holiday_region(self.holiday_country, self.holiday_subdivision)
        if self.always_open and (hours or closed or self.holiday_country):
            raise CalendarError("always_open: cannot be combined with hours/holidays/closed_dates")
        if not self.always_open and not hours:
            raise CalendarError("hours: no open hours on any weekday (use always_open for 24x7)")

    def __hash__(self) -> int:
        hours = tuple(self.weekly_hours.items())
        return hash((self.time_zone, hours, self.holiday_country, self.holiday_subdivision))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).from_spec, (self.to_spec(),))  # mappingproxy itself cannot be pickled

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """Always open: business time equals elapsed time (used for P1)."""
        return cls(time_zone=time_zone, weekly_hours={}, always_open=True)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from the JSON/YAML-friendly dict that ``to_spec`` produces.

        Raises ``CalendarError`` naming the bad field (``time_zone``, ``hours.tue[1]``, ...).
        Unknown keys are errors so a typo cannot silently leave a day open or closed.
        """
        if not isinstance(spec, Mapping):
            raise CalendarError("calendar spec must be a mapping")
        unknown = sorted(str(key) for key in spec if key not in _SPEC_KEYS)
        if unknown:
            raise CalendarError(f"unknown calendar spec field(s): {', '.join(unknown)}")
        if not isinstance(spec.get("time_zone"), str):
            raise CalendarError("time_zone: required, an IANA zone name such as 'Europe/Berlin'")
        always_open = spec.get("always_open") or False  # null means unset, as for the others
        if not isinstance(always_open, bool):
            raise CalendarError(f"always_open: expected true or false, got {always_open!r}")
        region = spec.get("holidays") or {"country": None}
        if not isinstance(region, Mapping) or not set(region) <= {"country", "subdivision"}:
            raise CalendarError("holidays: expected {'country': 'DE', 'subdivision': 'BY'}")
        return cls(
            time_zone=spec["time_zone"],
            weekly_hours=_parse_hours(spec.get("hours") or {}),
            holiday_country=region.get("country"),
            holiday_subdivision=region.get("subdivision"),
            extra_closed_dates=_parse_closed_dates(spec.get("closed_dates") or []),
            always_open=always_open,
        )

    def to_spec(self) -> dict[str, Any]:
        """JSON-serialisable spec such that ``from_spec(cal.to_spec()) == cal``."""
        region = {"country": self.holiday_country, "subdivision": self.holiday_subdivision}
        return {
            "time_zone": self.time_zone,
            "hours": {
                WEEKDAYS[day]: [f"{_fmt(start)}-{_fmt(end)}" for start, end in intervals]
                for day, intervals in self.weekly_hours.items()
            },
            "holidays": region if self.holiday_country else None,
            "closed_dates": [day.isoformat() for day in sorted(self.extra_closed_dates)],
            "always_open": self.always_open,
        }


def add_business_seconds(calendar: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    """Earliest instant (aware UTC) by which ``seconds`` of business time have elapsed after
    ``start`` (aware, any zone).

    ``seconds == 0`` returns ``start`` in UTC unchanged, even outside business hours. A target
    used up exactly at a closing time returns that closing time (due "by Friday 17:00", not
    "Monday 09:00"), which is what makes ``add(add(t, a), b) == add(t, a + b)`` hold. Cost is
    O(calendar days spanned). Raises ``ValueError`` for negative seconds or naive datetimes and
    ``CalendarError`` after ``MAX_CLOSED_DAYS`` consecutive days without open time.
    """
    start_utc = _to_utc(start, "start")
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}")
    if seconds == 0 or calendar.always_open:
        return start_utc + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    zone = ZoneInfo(calendar.time_zone)  # cached by zoneinfo: a dict lookup
    day = start_utc.astimezone(zone).date()
    closed_run = 0
    while True:
        spans = _open_spans(calendar, zone, day)
        closed_run = 0 if spans else closed_run + 1
        if closed_run > MAX_CLOSED_DAYS:
            raise CalendarError(f"no business hours in the {MAX_CLOSED_DAYS} days up to {day}")
        for open_at, close_at in spans:
            if close_at > start_utc:
                begin = max(open_at, start_utc)
                if remaining <= close_at - begin:
                    return begin + remaining
                remaining -= close_at - begin
        day += _ONE_DAY


def business_seconds_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Whole business seconds in ``[start, end)`` (a fraction is truncated); 0 if end <= start.

    Inverse of ``add_business_seconds``: ``between(t, add(t, s)) == s`` for every ``t`` and
    ``s >= 0``. Cost is O(calendar days spanned).
    """
    start_utc, end_utc = _to_utc(start, "start"), _to_utc(end, "end")
    if end_utc <= start_utc:
        return 0
    if calendar.always_open:
        return (end_utc - start_utc) // _SECOND
    zone = ZoneInfo(calendar.time_zone)
    day, last = start_utc.astimezone(zone).date(), end_utc.astimezone(zone).date()
    total = timedelta()
    while day <= last:
        for open_at, close_at in _open_spans(calendar, zone, day):
            total += max(timedelta(), min(close_at, end_utc) - max(open_at, start_utc))
        day += _ONE_DAY
    return total // _SECOND


def _to_utc(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _open_spans(calendar: BusinessCalendar, zone: ZoneInfo, day: date) -> list[_Span]:
    """Open spans of local ``day`` as ordered (open, close) UTC instants.

    Spans of consecutive days never overlap: the wall-to-instant mapping is monotonic and a
    day's intervals end no later than the next day's 00:00.
    """
    hours = calendar.weekly_hours.get(day.weekday())
    if not hours or day in calendar.extra_closed_dates:
        return []
    country = calendar.holiday_country
    if country and day in _holiday_dates(country, calendar.holiday_subdivision, day.year):
        return []
    spans = []
    for start, end in hours:
        open_at = _wall_to_utc(datetime.combine(day, start), zone)
        close_day, close_time = (day + _ONE_DAY, time()) if end == END_OF_DAY else (day, end)
        close_at = _wall_to_utc(datetime.combine(close_day, close_time), zone)
        if open_at < close_at:  # an interval lying wholly inside a DST gap has no real time
            spans.append((open_at, close_at))
    return spans


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """First UTC instant showing naive local ``wall``; for a wall time skipped by a gap, the
    instant of the jump."""
    # ZoneInfo.utcoffset never returns None for a datetime; ``or`` only narrows the type.
    before = zone.utcoffset(wall) or timedelta()
    after = zone.utcoffset(wall.replace(fold=1)) or timedelta()
    if before >= after:  # unambiguous, or repeated (fall back): fold=0 is the first occurrence
        return (wall - before).replace(tzinfo=UTC)
    # In a gap PEP 495 gives fold=0 the pre-jump offset and fold=1 the post-jump one, so the jump
    # lies in (wall - after, wall - before]. zoneinfo exposes no transition list, so bisect on
    # whole seconds (offsets and our wall times are whole seconds); only on DST-change days.
    base, low, high = wall - after, 0, (after - before) // _SECOND
    while high - low > 1:
        mid = (low + high) // 2
        if (base + mid * _SECOND).replace(tzinfo=UTC).astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    return (base + high * _SECOND).replace(tzinfo=UTC)


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # A frozenset snapshot: building a HolidayBase costs ~1 ms (too much per ticket), and it
    # grows itself on lookup (expand=True), so sharing one across threads is unsafe.
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _check_holiday_region(country: object, subdivision: object) -> None:
    if country is None:
        if subdivision is not None:
            raise CalendarError("holidays.subdivision: given without holidays.country")
        return
    if not isinstance(country, str) or not isinstance(subdivision, str | None):
        raise CalendarError("holidays: country and subdivision must be strings")
    try:
        _holiday_dates(country, subdivision, 2000)
    except NotImplementedError as exc:  # the holidays package's "not available" error
        known_country = country in holidays.list_supported_countries()
        field = "subdivision" if known_country else "country"
        raise CalendarError(f"holidays.{field}: {exc}") from None


def _check_day(day: object, intervals: Any) -> DayHours:
    if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day < len(WEEKDAYS):
        raise CalendarError(f"hours: unknown weekday {day!r} (expected 0=Mon .. 6=Sun)")
    label = f"hours.{WEEKDAYS[day]}"
    try:
        checked = sorted((start, end) for start, end in intervals)
    except (TypeError, ValueError):
        raise CalendarError(f"{label}: expected (start, end) time pairs") from None
    previous_end = time.min
    for start, end in checked:
        for moment in (start, end):
            if (
                not isinstance(moment, time)
                or moment.tzinfo is not None
                or (moment != END_OF_DAY and (moment.second or moment.microsecond))
            ):
                raise CalendarError(f"{label}: {moment!r} is not a naive whole-minute time")
        if start == END_OF_DAY or end <= start:
            raise CalendarError(f"{label}: {_fmt(start)}-{_fmt(end)} must end after it starts")
        if start < previous_end:
            raise CalendarError(f"{label}: {_fmt(start)}-{_fmt(end)} overlaps an earlier interval")
        previous_end = end
    # fold=1 would flip which occurrence of a repeated wall time _wall_to_utc picks.
    return tuple((start.replace(fold=0), end.replace(fold=0)) for start, end in checked)


def _parse_hours(raw: object) -> dict[int, DayHours]:
    if not isinstance(raw, Mapping):
        raise CalendarError("hours: expected a mapping such as {'mon': ['09:00-17:00']}")
    hours: dict[int, DayHours] = {}
    for key, value in raw.items():
        name = str(key).lower()
        if name not in WEEKDAYS or WEEKDAYS.index(name) in hours:
            raise CalendarError(f"hours: unknown or repeated weekday {key!r} (use mon..sun)")
        if not isinstance(value, list | tuple):
            raise CalendarError(f"hours.{name}: expected a list of 'HH:MM-HH:MM' strings")
        hours[WEEKDAYS.index(name)] = tuple(
            _parse_interval(f"hours.{name}[{i}]", item) for i, item in enumerate(value)
        )
    return hours


def _parse_interval(label: str, raw: object) -> Interval:
    start, sep, end = raw.strip().partition("-") if isinstance(raw, str) else ("", "", "")
    start_match, end_match = _HHMM.fullmatch(start.strip()), _HHMM.fullmatch(end.strip())
    if not (sep and start_match and (end_match or end.strip() == "24:00")):
        raise CalendarError(f"{label}: expected 'HH:MM-HH:MM' (00:00..24:00), got {raw!r}")
    end_time = time(int(end_match[1]), int(end_match[2])) if end_match else END_OF_DAY
    return time(int(start_match[1]), int(start_match[2])), end_time


def _parse_closed_dates(raw: object) -> frozenset[date]:
    if not isinstance(raw, list | tuple):
        raise CalendarError("closed_dates: expected a list of 'YYYY-MM-DD' dates")
    closed = set()
    for i, value in enumerate(raw):
        if isinstance(value, date) and not isinstance(value, datetime):
            closed.add(value)  # YAML loaders turn an unquoted 2025-12-24 into a date
            continue
        try:
            closed.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise CalendarError(f"closed_dates[{i}]: {value!r} is not a YYYY-MM-DD date") from None
    return frozenset(closed)


def _fmt(moment: time) -> str:
    return "24:00" if moment == END_OF_DAY else moment.strftime("%H:%M")
