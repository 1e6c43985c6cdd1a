"""Five-field cron schedules: the one grammar that validation accepts and that timers are built from.

`parse` reads `m h dom mon dow` (or `@hourly`/`@daily`/`@weekly`/`@monthly`, as 2015's crontab
did) into the set of values each field matches; `on_calendar` turns a schedule into systemd
`OnCalendar=` expressions. A text `parse` refuses can never reach a timer.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *"}
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_MONDAY_FIRST = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CronError(ValueError):
    """A text that is not a five-field cron schedule; the message says which field is wrong."""


@dataclass(frozen=True)
class Schedule:
    text: str
    fields: tuple[str, str, str, str, str]
    """The five fields as written (aliases expanded)."""
    values: tuple[tuple[int, ...], ...]
    """The values each field matches, sorted; day of week folds 7 into 0 (Sunday)."""


def _expand(text: str, low: int, high: int) -> list[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        if step_text and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(item)
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        else:
            lo, _, hi = base.partition("-")
            if not lo.isdigit() or (hi and not hi.isdigit()):
                raise ValueError(item)
            start = int(lo)
            end = int(hi) if hi else (high if step_text else start)
            if not (low <= start <= high and low <= end <= high) or start > end:
                raise ValueError(item)
        values.update(range(start, end + 1, step))
    return sorted(values)


def parse(schedule: str) -> Schedule:
    """The schedule's fields and the values they match; `CronError` names the first bad field."""
    expanded = ALIASES.get(schedule, schedule)
    fields = expanded.split()
    if len(fields) != 5:
        raise CronError(f'it has {len(fields)} field{"s" if len(fields) != 1 else ""}, not five ("m h dom mon dow", or @hourly/@daily/@weekly/@monthly)')
    values = []
    for text, (label, low, high) in zip(fields, FIELDS):
        try:
            matched = _expand(text, low, high)
        except ValueError:
            raise CronError(f'its {label} field "{text}" is not a value, range or step within {low}-{high}') from None
        if label == "day of week":
            matched = sorted({v % 7 for v in matched})
        values.append(tuple(matched))
    return Schedule(schedule, tuple(fields), tuple(values))  # type: ignore[arg-type]


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _calendar_field(values: list[int], low: int, high: int, width: int, names: tuple[str, ...] | None = None) -> str:
    if values == list(range(low, high + 1)):
        return "*"

    def show(v: int) -> str:
        return names[v] if names else str(v).zfill(width)

    parts = []
    for start, end in _runs(values):
        if start == end:
            parts.append(show(start))
        elif end == start + 1:
            parts += [show(start), show(end)]
        else:
            parts.append(f"{show(start)}..{show(end)}")
    return ",".join(parts)


def on_calendar(schedule: str) -> list[str]:
    """A cron schedule as systemd `OnCalendar=` values, in UTC.

    cron runs a job when *either* day-of-month or day-of-week matches if both are restricted;
    systemd requires both. That case becomes two expressions, which a timer ORs.
    """
    parsed = parse(schedule)
    minute, hour, dom, month, dow = parsed.values
    minutes = _calendar_field(list(minute), 0, 59, 2)
    hours = _calendar_field(list(hour), 0, 23, 2)
    months = _calendar_field(list(month), 1, 12, 2)
    days = _calendar_field(list(dom), 1, 31, 2)
    # systemd lists weekdays from Monday: Mon=0 … Sun=6.
    monday_first = sorted((v + 6) % 7 for v in dow)
    weekdays = "*" if len(monday_first) == 7 else _calendar_field(monday_first, 0, 6, 1, _MONDAY_FIRST)
    time = f"{hours}:{minutes}:00"

    def expression(weekday: str, day: str) -> str:
        prefix = "" if weekday == "*" else f"{weekday} "
        return f"{prefix}*-{months}-{day} {time} UTC"

    dom_text, dow_text = parsed.fields[2], parsed.fields[4]
    if not dom_text.startswith("*") and not dow_text.startswith("*"):  # vixie cron's DOM_STAR/DOW_STAR rule
        return [expression("*", days), expression(weekdays, "*")]
    return [expression(weekdays, days)]
