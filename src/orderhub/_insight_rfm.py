"""RFM: per-customer purchase series by period, and the summary lifetimes computes from them.

A customer's purchases are kept as a :class:`_Series` per currency: the purchase days in
order with the net value bought on each, and the same rolled up by week and by month. Each
new order appends to the tails (or adds to the last entry), so keeping the series costs the
same whatever the customer's history; only an order back-dated before the last purchase day,
or a day emptied by a cancellation, costs a pass over that customer's days.

The summary follows ``lifetimes.utils.summary_data_from_transaction_data`` exactly (see
``docs/insight.md``): purchases are grouped by period (``D`` day, ``W`` week ending Sunday,
``M`` calendar month), the whole period holding the observation end is inside the window, and
recency and T are the distance between period starts in days, weeks, or months of 30.436875
days (the mean Gregorian month, which is how pandas 1.x converted ``np.timedelta64(1, "M")``
in lifetimes' arithmetic).
"""

from __future__ import annotations

import decimal
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from datetime import date
from decimal import Decimal
from typing import Final

import attrs

from orderhub._money import minor_units
from orderhub.errors import ValidationError

__all__ = ["PERIODS", "RFM", "RFMScore", "RFMScoring", "RFMSummary", "rfm_segment"]

PERIODS: Final = ("D", "W", "M")
"""The periods RFM can group purchases by: day, week (Monday to Sunday), calendar month."""

_CTX: Final = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, traps=[])
_ZERO: Final = Decimal(0)
# A mean Gregorian month is 30.436875 days = 48699/1600 days.
_MONTH_NUM: Final = 1600
_MONTH_DEN: Final = 48699

_INT_DECIMALS: dict[int, Decimal] = {}
_MONTH_SPANS: dict[int, Decimal] = {}
_MONTH_OF_DAY: dict[int, int] = {}
_MONTH_START: dict[int, int] = {}


def _int_decimal(n: int) -> Decimal:
    d = _INT_DECIMALS.get(n)
    if d is None:
        d = _INT_DECIMALS[n] = Decimal(n)
    return d


def _month_span(days: int) -> Decimal:
    """``days`` in months of 30.436875 days, to 28 significant digits."""
    d = _MONTH_SPANS.get(days)
    if d is None:
        d = _MONTH_SPANS[days] = _CTX.divide(Decimal(days * _MONTH_NUM), _MONTH_DEN)
    return d


def week_of(day: int) -> int:
    """The week (Monday to Sunday, numbered from 0001-01-01, a Monday) of a day ordinal."""
    return (day - 1) // 7


def month_of(day: int) -> int:
    """The month (``year * 12 + month - 1``) of a day ordinal."""
    m = _MONTH_OF_DAY.get(day)
    if m is None:
        d = date.fromordinal(day)
        m = _MONTH_OF_DAY[day] = d.year * 12 + d.month - 1
    return m


def month_start(month: int) -> int:
    """The day ordinal of the first day of ``month`` (as numbered by :func:`month_of`)."""
    s = _MONTH_START.get(month)
    if s is None:
        s = _MONTH_START[month] = date(month // 12, month % 12 + 1, 1).toordinal()
    return s


def check_period(period: object) -> int:
    """The index of ``period`` in :data:`PERIODS`, or a ``ValidationError``."""
    if period == "D" and isinstance(period, str):
        return 0
    if period == "W" and isinstance(period, str):
        return 1
    if period == "M" and isinstance(period, str):
        return 2
    raise ValidationError("must be 'D', 'W' or 'M'", field="period", value=period)


def period_key(kind: int, day: date) -> int:
    """The key of the period of ``kind`` that holds ``day``."""
    o = day.toordinal()
    return o if kind == 0 else week_of(o) if kind == 1 else month_of(o)


class _Series:
    """One customer's purchases in one currency, by day, week and month (private).

    ``keys[k]`` are the sorted period keys of kind ``k`` (0 day ordinals, 1 weeks, 2 months)
    with a purchase, ``totals[k]`` the net value bought in each, in minor units; ``counts``
    the live orders on each day; ``total`` the sum of every day's value. A series attached
    to a :class:`_Columns` keeps its row there current after every change.
    """

    __slots__ = ("_columns", "_slot", "counts", "keys", "total", "totals")

    def __init__(self) -> None:
        self.keys: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.totals: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.counts: list[int] = []
        self.total = 0
        self._columns: _Columns | None = None
        self._slot = 0

    def __bool__(self) -> bool:
        return bool(self.counts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Series):
            return NotImplemented
        return (self.keys, self.totals, self.counts, self.total) == (
            other.keys,
            other.totals,
            other.counts,
            other.total,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        days = dict(zip(self.keys[0], self.totals[0], strict=True))
        return f"_Series({days!r}, counts={self.counts!r})"

    def _sync(self) -> None:
        """Write this series' row of its columns: per kind of period, the first and last
        period, the number of periods, recency, and the monetary value of the repeat
        periods."""
        c = self._columns
        if c is None:
            return
        i = self._slot
        if c.deferred is not None:
            c.deferred.add(i)
            return
        total = self.total
        for k in (0, 1, 2):
            keys = self.keys[k]
            if not keys:
                c.count[k][i] = 0
                continue
            first, last, n = keys[0], keys[-1], len(keys)
            c.first[k][i] = first
            c.last[k][i] = last
            c.count[k][i] = n
            c.recency[k][i] = _span(k, first, last)
            c.monetary[k][i] = (
                _CTX.divide(total - self.totals[k][0], (n - 1) * c.unit) if n > 1 else _ZERO
            )

    def add(self, day: int, value: int, count: int = 1) -> None:
        """One more order (``count`` of them) worth ``value`` on ``day``."""
        days, wks, mos = self.keys
        dtot, wtot, mtot = self.totals
        self.total += value
        if days and day == days[-1]:
            dtot[-1] += value
            wtot[-1] += value
            mtot[-1] += value
            self.counts[-1] += count
        elif not days or day > days[-1]:
            days.append(day)
            dtot.append(value)
            self.counts.append(count)
            w = week_of(day)
            if wks and wks[-1] == w:
                wtot[-1] += value
            else:
                wks.append(w)
                wtot.append(value)
            m = month_of(day)
            if mos and mos[-1] == m:
                mtot[-1] += value
            else:
                mos.append(m)
                mtot.append(value)
        else:
            i = bisect_left(days, day)
            if days[i] == day:
                dtot[i] += value
                self.counts[i] += count
                self._bump(1, week_of(day), value)
                self._bump(2, month_of(day), value)
            else:
                days.insert(i, day)
                dtot.insert(i, value)
                self.counts.insert(i, count)
                self._bump(1, week_of(day), value, insert=True)
                self._bump(2, month_of(day), value, insert=True)
        if self._columns is not None:
            self._sync()

    def adjust(self, day: int, delta: int) -> None:
        """The value bought on ``day`` (which has an order) changed by ``delta``."""
        if not delta:
            return
        days = self.keys[0]
        i = len(days) - 1 if days[-1] == day else bisect_left(days, day)
        self.totals[0][i] += delta
        self.total += delta
        self._bump(1, week_of(day), delta)
        self._bump(2, month_of(day), delta)
        self._sync()

    def remove(self, day: int, value: int, count: int = 1) -> None:
        """An order worth ``value`` on ``day`` no longer counts."""
        days = self.keys[0]
        i = bisect_left(days, day)
        self.counts[i] -= count
        if self.counts[i]:
            self.adjust(day, -value)
            return
        # The day's last order: the day goes, and with it its week or month if it was the
        # only day of them.
        gone = self.totals[0][i]
        self.total -= gone
        del days[i]
        del self.totals[0][i]
        del self.counts[i]
        for kind, of in ((1, week_of), (2, month_of)):
            k = of(day)
            keys, totals = self.keys[kind], self.totals[kind]
            j = bisect_left(keys, k)
            if (i and of(days[i - 1]) == k) or (i < len(days) and of(days[i]) == k):
                totals[j] -= gone
            else:
                del keys[j]
                del totals[j]
        self._sync()

    def _bump(self, kind: int, key: int, delta: int, *, insert: bool = False) -> None:
        keys, totals = self.keys[kind], self.totals[kind]
        i = len(keys) - 1 if keys and keys[-1] == key else bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            totals[i] += delta
        elif insert:
            keys.insert(i, key)
            totals.insert(i, delta)
        else:  # pragma: no cover - a day with an order always has its week and month
            raise AssertionError("period missing from the series")

    def absorb(self, other: _Series) -> None:
        """Add every purchase of ``other`` to this series (a merge of two customers)."""
        for day, value, count in zip(other.keys[0], other.totals[0], other.counts, strict=True):
            self.add(day, value, count)

    @classmethod
    def of(cls, days: Iterable[tuple[int, int, int]]) -> _Series:
        """A series from ``(day, value, orders)`` triples in any order."""
        s = cls()
        for day, value, count in sorted(days):
            s.add(day, value, count)
        return s


class _Columns:
    """Every customer's series in one currency, with their summary rows in columns (private).

    Row ``i`` holds, per kind of period, the first and last period key, the number of
    periods, the recency and the monetary value of the customer's whole history, kept
    current as each series changes; an RFM summary whose window holds every purchase reads
    a row as it is, and walks flat columns instead of each customer's lists. Rows of
    customers gone are reused.
    """

    __slots__ = (
        "cids",
        "count",
        "deferred",
        "first",
        "free",
        "last",
        "monetary",
        "recency",
        "series",
        "slot_of",
        "unit",
    )

    def __init__(self, currency: str) -> None:
        self.unit = 10 ** minor_units(currency)
        self.cids: list[str] = []
        self.series: list[_Series | None] = []
        self.first = (array("q"), array("q"), array("q"))
        self.last = (array("q"), array("q"), array("q"))
        self.count = (array("q"), array("q"), array("q"))
        self.recency: tuple[list[Decimal], list[Decimal], list[Decimal]] = ([], [], [])
        self.monetary: tuple[list[Decimal], list[Decimal], list[Decimal]] = ([], [], [])
        self.slot_of: dict[str, int] = {}
        self.free: list[int] = []
        self.deferred: set[int] | None = None

    def __len__(self) -> int:
        return len(self.slot_of)

    def defer(self) -> None:
        """Hold back row updates (a bulk load) until :meth:`flush`."""
        if self.deferred is None:
            self.deferred = set()

    def flush(self) -> None:
        """Write the rows held back since :meth:`defer`."""
        dirty, self.deferred = self.deferred, None
        for i in sorted(dirty or ()):
            s = self.series[i]
            if s is not None:
                s._sync()

    def __contains__(self, customer_id: object) -> bool:
        return customer_id in self.slot_of

    def items(self) -> Iterator[tuple[str, _Series]]:
        """Every ``(customer_id, series)``."""
        for cid, i in self.slot_of.items():
            s = self.series[i]
            assert s is not None
            yield cid, s

    def attach(self, customer_id: str, series: _Series) -> None:
        """Keep ``series`` (of ``customer_id``) in these columns from now on."""
        if self.free:
            i = self.free.pop()
            self.cids[i] = customer_id
            self.series[i] = series
        else:
            i = len(self.cids)
            self.cids.append(customer_id)
            self.series.append(series)
            for k in (0, 1, 2):
                self.first[k].append(0)
                self.last[k].append(0)
                self.count[k].append(0)
                self.recency[k].append(_ZERO)
                self.monetary[k].append(_ZERO)
        self.slot_of[customer_id] = i
        series._columns, series._slot = self, i
        series._sync()

    def detach(self, customer_id: str) -> None:
        """Forget ``customer_id``'s series."""
        i = self.slot_of.pop(customer_id)
        s = self.series[i]
        assert s is not None
        s._columns = None
        self.series[i] = None
        self.cids[i] = ""
        for k in (0, 1, 2):
            self.count[k][i] = 0
        self.free.append(i)

    @classmethod
    def of(cls, series: Iterable[tuple[str, _Series]], currency: str) -> _Columns:
        """Columns of ``series`` that do not stay attached (a one-off summary)."""
        c = cls(currency)
        for cid, s in series:
            keep = s._columns, s._slot
            c.attach(cid, s)
            s._columns, s._slot = keep
        return c


def _span(kind: int, first: int, last: int) -> Decimal:
    """Periods from period key ``first`` to ``last`` in lifetimes' units."""
    if kind == 2:
        return _month_span(month_start(last) - month_start(first))
    d = _INT_DECIMALS.get(last - first)
    return _int_decimal(last - first) if d is None else d


@attrs.frozen
class RFM:
    """A customer's RFM summary, with lifetimes' definitions.

    ``frequency`` is the number of periods with a purchase, less the first; ``recency`` the
    time from the first to the last purchase period and ``T`` from the first purchase period
    to the period of the observation end, both in periods (whole numbers for ``D`` and
    ``W``; months of 30.436875 days for ``M``, to 28 significant digits, as lifetimes
    measures them). ``monetary_value`` is the mean value bought per repeat period, in
    ``currency`` (0 when ``frequency`` is 0), to 28 significant digits: a mean, so finer
    than the minor unit. Values are net of cancellations and returns.
    """

    frequency: int
    recency: Decimal
    T: Decimal
    monetary_value: Decimal
    currency: str


class RFMSummary(Mapping[str, RFM]):
    """The RFM summary of a population: a read-only mapping of customer id to :class:`RFM`,
    held in columns.

    Like the DataFrame lifetimes returns, the summary keeps one column per measure —
    :attr:`customer_ids`, :attr:`frequency`, :attr:`recency`, :attr:`T` and
    :attr:`monetary_value`, row ``i`` of each belonging to customer ``customer_ids[i]`` — and
    ``summary[customer_id]`` gives that customer's row as an :class:`RFM`. It equals any
    mapping with the same items.
    """

    __slots__ = (
        "T",
        "_index",
        "currency",
        "customer_ids",
        "end",
        "frequency",
        "monetary_value",
        "period",
        "recency",
    )

    def __init__(
        self,
        *,
        end: date,
        period: str,
        currency: str,
        customer_ids: tuple[str, ...],
        frequency: tuple[int, ...],
        recency: tuple[Decimal, ...],
        T: tuple[Decimal, ...],
        monetary_value: tuple[Decimal, ...],
    ) -> None:
        self.end = end
        self.period = period
        self.currency = currency
        self.customer_ids = customer_ids
        self.frequency = frequency
        self.recency = recency
        self.T = T
        self.monetary_value = monetary_value
        self._index: dict[str, int] | None = None

    @classmethod
    def empty(cls, end: date, period: str, currency: str) -> RFMSummary:
        """A summary of nobody."""
        return cls(
            end=end,
            period=period,
            currency=currency,
            customer_ids=(),
            frequency=(),
            recency=(),
            T=(),
            monetary_value=(),
        )

    def __getitem__(self, customer_id: str) -> RFM:
        index = self._index
        if index is None:
            index = self._index = {c: i for i, c in enumerate(self.customer_ids)}
        i = index[customer_id]
        return RFM(
            self.frequency[i], self.recency[i], self.T[i], self.monetary_value[i], self.currency
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.customer_ids)

    def rows(self) -> Iterator[tuple[str, RFM]]:
        """Every ``(customer_id, RFM)``, in column order: the fast way through them all."""
        new, cur = _new_rfm, self.currency
        for cid, f, r, t, m in zip(
            self.customer_ids,
            self.frequency,
            self.recency,
            self.T,
            self.monetary_value,
            strict=True,
        ):
            rfm: RFM = new(RFM)
            _set_frequency(rfm, f)
            _set_recency(rfm, r)
            _set_t(rfm, t)
            _set_monetary(rfm, m)
            _set_currency(rfm, cur)
            yield cid, rfm

    def items(self) -> ItemsView[str, RFM]:
        """The ``(customer_id, RFM)`` pairs (iterated in column order)."""
        return _Items(self)

    def values(self) -> ValuesView[RFM]:
        """The RFMs (iterated in column order)."""
        return _Values(self)

    def __len__(self) -> int:
        return len(self.customer_ids)

    def __contains__(self, customer_id: object) -> bool:
        if self._index is None:
            self._index = {c: i for i, c in enumerate(self.customer_ids)}
        return customer_id in self._index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.rows()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"<RFMSummary of {len(self)} customers, period {self.period!r}, "
            f"end {self.end.isoformat()}, {self.currency}>"
        )


def rfm_of(series: _Series, kind: int, end: date, currency: str) -> RFM | None:
    """One customer's RFM from their series (``None`` if they bought nothing by then)."""
    keys = series.keys[kind]
    okey = period_key(kind, end)
    n = len(keys) if keys and keys[-1] <= okey else bisect_right(keys, okey)
    if not n:
        return None
    totals = series.totals[kind]
    rest = series.total - totals[0] if n == len(keys) else sum(totals[1:n])
    return RFM(
        n - 1,
        _span(kind, keys[0], keys[n - 1]),
        _span(kind, keys[0], okey),
        _CTX.divide(rest, (n - 1) * 10 ** minor_units(currency)) if n > 1 else _ZERO,
        currency,
    )


class _Items(ItemsView[str, RFM]):
    _mapping: RFMSummary

    def __iter__(self) -> Iterator[tuple[str, RFM]]:
        return self._mapping.rows()


class _Values(ValuesView[RFM]):
    _mapping: RFMSummary

    def __iter__(self) -> Iterator[RFM]:
        return (rfm for _, rfm in self._mapping.rows())


# Reading a whole summary builds one RFM per customer: filling the slots directly takes two
# thirds of the time of the generated __init__ (the values are computed, so there is nothing
# to check).
_new_rfm = object.__new__
_set_frequency = RFM.frequency.__set__  # type: ignore[attr-defined]
_set_recency = RFM.recency.__set__  # type: ignore[attr-defined]
_set_t = RFM.T.__set__  # type: ignore[attr-defined]
_set_monetary = RFM.monetary_value.__set__  # type: ignore[attr-defined]
_set_currency = RFM.currency.__set__  # type: ignore[attr-defined]


def summarise(
    series: _Columns | Iterable[tuple[str, _Series]], kind: int, end: date, currency: str
) -> RFMSummary:
    """The RFM summary of every customer with a purchase by the period holding ``end``.

    From columns (the store's), customers whose purchases all lie in the window are
    answered from their rows as kept (all but T, which depends on the end), and those who
    bought after the end have their series cut there; from ``(customer_id, series)`` pairs,
    each customer is computed from their series alone (:func:`rfm_of`).
    """
    if not isinstance(series, _Columns):
        found = [(cid, rfm_of(s, kind, end, currency)) for cid, s in series]
        bought = [(cid, r) for cid, r in found if r is not None]
        return RFMSummary(
            end=end,
            period=PERIODS[kind],
            currency=currency,
            customer_ids=tuple(cid for cid, _ in bought),
            frequency=tuple(r.frequency for _, r in bought),
            recency=tuple(r.recency for _, r in bought),
            T=tuple(r.T for _, r in bought),
            monetary_value=tuple(r.monetary_value for _, r in bought),
        )
    cols = series
    okey = period_key(kind, end)
    first, last, count = cols.first[kind], cols.last[kind], cols.count[kind]
    cut: list[int] = []
    if not cols.free and (not last or max(last) <= okey):  # every row, whole (the usual)
        whole = None
    else:
        rows = list(enumerate(zip(last, count, strict=True)))
        whole = [i for i, (k, n) in rows if n and k <= okey]
        cut = [i for i, (k, n) in rows if n and k > okey]
    if whole is None:
        ids: list[str] = list(cols.cids)
        firsts: Iterable[int] = first
        counts: Iterable[int] = count
        recency: list[Decimal] = list(cols.recency[kind])
        monetary: list[Decimal] = list(cols.monetary[kind])
    else:
        ids = [cols.cids[i] for i in whole]
        firsts = [first[i] for i in whole]
        counts = [count[i] for i in whole]
        recency = [cols.recency[kind][i] for i in whole]
        monetary = [cols.monetary[kind][i] for i in whole]
    frequency = [n - 1 for n in counts]
    # T depends only on the first period: one Decimal per distinct first period.
    age_of = {f: _span(kind, f, okey) for f in set(firsts)}
    ages = list(map(age_of.__getitem__, firsts))
    for i in cut:
        s = cols.series[i]
        assert s is not None
        keys = s.keys[kind]
        n = bisect_right(keys, okey)
        if not n:
            continue
        rest = sum(s.totals[kind][1:n])
        ids.append(cols.cids[i])
        frequency.append(n - 1)
        recency.append(_span(kind, keys[0], keys[n - 1]))
        ages.append(_span(kind, keys[0], okey))
        monetary.append(_CTX.divide(rest, (n - 1) * cols.unit) if n > 1 else _ZERO)
    return RFMSummary(
        end=end,
        period=PERIODS[kind],
        currency=currency,
        customer_ids=tuple(ids),
        frequency=tuple(frequency),
        recency=tuple(recency),
        T=tuple(ages),
        monetary_value=tuple(monetary),
    )


# -- scores and named segments ------------------------------------------------------------

RFM_SEGMENTS: Final = (
    "champions",
    "loyal",
    "potential loyalists",
    "new",
    "at risk",
    "can't lose",
    "hibernating",
    "lost",
)


def rfm_segment(r: int, f: int) -> str:
    """The named segment of recency score ``r`` and frequency score ``f`` (1–5 each).

    * champions: R 5 and F 4–5;
    * loyal: R 3–4 and F 4–5;
    * potential loyalists: R 3–5 and F 2–3;
    * new: R 4–5 and F 1;
    * at risk: R 1–2 and F 3–4;
    * can't lose: R 1–2 and F 5;
    * hibernating: R 3 and F 1, or R 2 and F 1–2;
    * lost: R 1 and F 1–2.

    Every pair of scores falls in exactly one segment.
    """
    if r >= 3:
        if f >= 4:
            return "champions" if r == 5 else "loyal"
        if f >= 2:
            return "potential loyalists"
        return "new" if r >= 4 else "hibernating"
    if f == 5:
        return "can't lose"
    if f >= 3:
        return "at risk"
    return "hibernating" if r == 2 else "lost"


@attrs.frozen
class RFMScore:
    """Quintile scores 1–5 (5 best) for recency, frequency and monetary value, and the named
    segment they put the customer in (see :func:`rfm_segment`)."""

    recency: int
    frequency: int
    monetary: int
    segment: str


def _quintile(worse: int, n: int) -> int:
    return 1 + (5 * worse) // n


@attrs.frozen(eq=False)
class RFMScoring:
    """Quintile boundaries taken from one population's RFM summary.

    A customer's score is ``1 + ⌊5 × w / n⌋`` for each measure, where ``n`` is the size of
    the population and ``w`` the number of its customers strictly worse on that measure:
    more periods since the last purchase (``T − recency``) for R, a lower frequency for F, a
    lower monetary value for M. Equal values get equal scores.
    """

    end: date
    period: str
    currency: str
    _idle: list[Decimal]
    _frequency: list[int]
    _monetary: list[Decimal]

    @classmethod
    def of(cls, summary: Mapping[str, RFM], end: date, period: str, currency: str) -> RFMScoring:
        """The scoring of the population ``summary``."""
        if isinstance(summary, RFMSummary):
            idle = [t - r for t, r in zip(summary.T, summary.recency, strict=True)]
            return cls(
                end,
                period,
                currency,
                sorted(idle),
                sorted(summary.frequency),
                sorted(summary.monetary_value),
            )
        values = summary.values()
        return cls(
            end,
            period,
            currency,
            sorted(r.T - r.recency for r in values),
            sorted(r.frequency for r in values),
            sorted(r.monetary_value for r in values),
        )

    @property
    def size(self) -> int:
        """The number of customers in the population."""
        return len(self._frequency)

    def score(self, rfm: RFM) -> RFMScore:
        """The scores of ``rfm`` against this population."""
        n = len(self._frequency)
        if not n:
            raise ValidationError("the scoring population is empty", field="summary", value=0)
        r = _quintile(n - bisect_right(self._idle, rfm.T - rfm.recency), n)
        f = _quintile(bisect_left(self._frequency, rfm.frequency), n)
        m = _quintile(bisect_left(self._monetary, rfm.monetary_value), n)
        return RFMScore(r, f, m, rfm_segment(r, f))
