"""The shop's calendar: when people sign up and buy, hour by hour, in Shanghai local time.

Everything time-varying in the demo (weekly rhythm, Spring Festival, the 618 and Double 11 promotions,
evening peaks, growth) is expressed as an hourly *intensity*. Generators draw event times by inverting
the cumulative intensity ("operational time"), so a promotion day with weight 4 simply receives four
times the events of a normal day without any per-row logic. Hours are counted from local midnight of
the first history day; local hour = hour % 24 and UTC = local - 8h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

HISTORY_DAYS = 730  # "about two years", ending on `end` inclusive
UTC_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving time

# Spring Festival (lunar new year) dates: logistics stop, so orders dip for about two weeks.
_SPRING_FESTIVAL = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}

# Promotion name -> (first day, last day) as (month, day); the last day is the big day.
PROMOTIONS = {
    "spring_sale": ((3, 1), (3, 8)),  # "38 festival" around Women's Day
    "618": ((6, 11), (6, 18)),  # JD anniversary: the week before plus June 18
    "double11": ((11, 1), (11, 11)),  # Singles' Day: ten days of pre-sale plus Nov 11
}
PROMOTION_NAMES = np.array(list(PROMOTIONS))
# Order-rate multiplier during the run-up and on the big day of each promotion.
_PROMO_LIFT = {"spring_sale": (1.25, 1.8), "618": (1.35, 3.2), "double11": (1.6, 4.5)}

_WEEKDAY_ORDERS = np.array([0.96, 0.97, 0.98, 0.99, 1.02, 1.06, 1.04])  # Mon..Sun
_WEEKDAY_SIGNUPS = np.array([0.97, 0.97, 0.98, 0.98, 1.0, 1.1, 1.08])
# Local-hour profiles: lunch bump, evening peak at 21:00; weekends start later and stay busy all day.
# fmt: off
_HOURS_WEEKDAY = np.array([
    0.6, 0.3, 0.15, 0.1, 0.08, 0.1, 0.25, 0.6, 1.0, 1.3, 1.5, 1.6,  # 00-11
    1.9, 1.7, 1.4, 1.3, 1.3, 1.4, 1.5, 1.8, 2.4, 2.7, 2.5, 1.5,  # 12-23
])
_HOURS_WEEKEND = np.array([
    0.9, 0.5, 0.25, 0.12, 0.08, 0.08, 0.15, 0.3, 0.6, 1.0, 1.5, 1.8,
    1.9, 1.8, 1.7, 1.7, 1.6, 1.6, 1.7, 1.9, 2.3, 2.5, 2.3, 1.6,
])
# fmt: on
YEARLY_GROWTH = 1.5  # signups grow ~50% a year; orders follow as cohorts accumulate


def history_start(end: date) -> date:
    return end - timedelta(days=HISTORY_DAYS - 1)


def spring_festival(year: int) -> date:
    return _SPRING_FESTIVAL.get(year, date(year, 2, 5))  # outside the table: a typical date


def promotion_on(day: date) -> str | None:
    for name, ((m0, d0), (m1, d1)) in PROMOTIONS.items():
        if date(day.year, m0, d0) <= day <= date(day.year, m1, d1):
            return name
    return None


def _promotion_index(day: date) -> int:
    name = promotion_on(day)
    return -1 if name is None else list(PROMOTIONS).index(name)


def _special_multiplier(day: date) -> float:
    """Promotion and holiday effect on orders for one day (1.0 on an ordinary day)."""
    for name, ((m0, d0), (m1, d1)) in PROMOTIONS.items():
        first, last = date(day.year, m0, d0), date(day.year, m1, d1)
        run_up, big_day = _PROMO_LIFT[name]
        if first <= day < last:
            return run_up
        if day == last:
            return big_day
        if name != "spring_sale" and last < day <= last + timedelta(days=7):
            return 0.88  # pulled-forward demand: a dip after the big promotions
        if name == "double11" and first - timedelta(days=8) <= day < first:
            return 0.92  # shoppers wait for the pre-sale
    for year in (day.year, day.year + 1):
        offset = (day - spring_festival(year)).days
        if -8 <= offset < 0:
            return 0.85 + 0.1 * offset / 8  # couriers go home, orders fade
        if 0 <= offset < 7:
            return 0.55
        if 7 <= offset < 15:
            return 0.6 + 0.4 * (offset - 7) / 8
    return 1.0


@dataclass(frozen=True)
class Calendar:
    """Day and hour grids for one history window."""

    start: date
    days: int
    order_day_weight: np.ndarray  # per day: weekly * yearly * promotions (no growth)
    special: np.ndarray  # per day: True during promotions, their dips and Spring Festival
    promotion: np.ndarray  # per day: index into PROMOTION_NAMES, -1 outside promotions
    order_cum: np.ndarray  # cumulative hourly order intensity, length days*24+1 (operational days)
    signup_cum: np.ndarray  # cumulative hourly signup intensity, length days*24+1

    @property
    def hours(self) -> int:
        return self.days * 24

    def day_index(self, day: date) -> int:
        return (day - self.start).days

    def to_operational(self, t_hours: np.ndarray) -> np.ndarray:
        return np.interp(t_hours, np.arange(self.hours + 1, dtype=np.float64), self.order_cum)

    def from_operational(self, op: np.ndarray) -> np.ndarray:
        return np.interp(op, self.order_cum, np.arange(self.hours + 1, dtype=np.float64))

    def month_starts(self) -> list[int]:
        """Day indices where a chunk starts: day 0 and every first of the month; plus the end."""
        firsts = [0]
        for i in range(1, self.days):
            if (self.start + timedelta(days=i)).day == 1:
                firsts.append(i)
        return [*firsts, self.days]


def build_calendar(end: date) -> Calendar:
    start = history_start(end)
    days = [start + timedelta(days=i) for i in range(HISTORY_DAYS)]
    weekday = np.array([d.weekday() for d in days])
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=np.float64)
    special_mult = np.array([_special_multiplier(d) for d in days])
    yearly = 1 + 0.06 * np.cos(2 * math.pi * (doy - 355) / 365.25)  # busier in winter
    order_day = _WEEKDAY_ORDERS[weekday] * yearly * special_mult
    # Promotions also bring sign-ups, but less than orders; growth compounds daily.
    growth = YEARLY_GROWTH ** (np.arange(HISTORY_DAYS) / 365.25)
    signup_day = _WEEKDAY_SIGNUPS[weekday] * yearly * np.sqrt(special_mult) * growth

    weekend = weekday >= 5
    profile = np.where(weekend[:, None], _HOURS_WEEKEND, _HOURS_WEEKDAY)
    profile = profile / profile.sum(axis=1, keepdims=True)
    order_hourly = profile * order_day[:, None]
    # Midnight rush when the big promotion days open.
    for i, d in enumerate(days):
        if (d.month, d.day) in ((11, 11), (6, 18)):
            order_hourly[i, 0] *= 6.0 if d.month == 11 else 3.0
    signup_hourly = profile * signup_day[:, None]
    return Calendar(
        start=start,
        days=HISTORY_DAYS,
        order_day_weight=order_day,
        special=special_mult != 1.0,
        promotion=np.array([_promotion_index(d) for d in days], dtype=np.int8),
        order_cum=np.concatenate([[0.0], np.cumsum(order_hourly.ravel())]),
        signup_cum=np.concatenate([[0.0], np.cumsum(signup_hourly.ravel())]),
    )
