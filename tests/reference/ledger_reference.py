#!/usr/bin/env python3
"""Reference tables for the built-in ledger's engine, computed independently of the Rust code.

It implements the rules written in docs/ledger.md a second time, in a different shape: the
Rust engine jumps from one key date to the next and sums interest over day ranges; this script
walks the calendar one day at a time with exact fractions (fractions.Fraction) and derives
every figure from scratch. The Rust unit tests in
server-shim/src/accounting/ledger/engine/ carry this script's output as literal kopecks.

Python 3.11, standard library only. Usage:

    python3 tests/reference/ledger_reference.py            # every case
    python3 tests/reference/ledger_reference.py annuity    # one case (see CASES below)

The committed output lives beside this file, one table per case:
tests/reference/<case>.txt (regenerate with --write).
"""

from __future__ import annotations

import calendar
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

ONE_DAY = timedelta(days=1)


# ---------------------------------------------------------------- calendar and money


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day; always from the start day."""
    total = d.year * 12 + d.month - 1 + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def year_days(d: date) -> int:
    return 366 if calendar.isleap(d.year) else 365


def one_day(amount: int, rate_bp: int, d: date) -> Fraction:
    """Interest (or penalty) on `amount` kopecks for the single day `d`, exact."""
    return Fraction(amount * rate_bp, 10000 * year_days(d))


def half_up(x: Fraction) -> int:
    """Round a non-negative exact amount to a kopeck, half up."""
    assert x >= 0, x
    return (x.numerator * 2 + x.denominator) // (x.denominator * 2)


def annuity(principal: int, rate_bp: int, n: int) -> int:
    """A = P·i / (1 − (1 + i)^−n), i = rate / 12, exactly, rounded half up."""
    if rate_bp == 0:
        return half_up(Fraction(principal, n))
    i = Fraction(rate_bp, 10000 * 12)
    return half_up(principal * i / (1 - (1 + i) ** -n))


def rk(k: int) -> str:
    """Kopecks as a Rust literal written rubles_kopecks: 2294738 -> 22_947_38."""
    sign = "-" if k < 0 else ""
    k = abs(k)
    rub, kop = divmod(k, 100)
    return f"{sign}{rub:_}_{kop:02d}"


def camel(kind: str) -> str:
    """interest_accrued -> InterestAccrued, the Rust enum variant."""
    return "".join(part.capitalize() for part in kind.split("_"))


class Refused(Exception):
    """An event the rules refuse; the Rust engine returns an error for the same input."""


# ---------------------------------------------------------------- loans


@dataclass
class Row:
    date: date
    principal: int
    interest: int
    balance_after: int
    paid_p: int = 0
    paid_i: int = 0
    paid_on: date | None = None
    early: bool = False

    def unpaid(self) -> int:
        return self.principal + self.interest - self.paid_p - self.paid_i

    def done(self) -> bool:
        return self.unpaid() == 0


@dataclass
class Loan:
    issued_on: date
    amount: int
    rate_bp: int
    months: int
    kind: str  # "annuity" | "differentiated"
    penalty_bp: int


@dataclass
class LoanState:
    terms: Loan
    plan: list[date]
    rule: tuple[str, int]
    balance: int  # principal the client owes (overdue included)
    scheduled: int  # principal not yet assigned to a fixed row
    rows: list[Row] = field(default_factory=list)
    acc: Fraction = Fraction(0)  # interest of the open period so far
    pen: Fraction = Fraction(0)  # penalty accrued since issue
    pen_paid: int = 0
    pen_posted: int = 0
    # Money paid ahead: [operation index, payment date, amount left], oldest first. What it
    # pays when applied is added to the split of the payment it came from.
    advances: list[list] = field(default_factory=list)
    closed_on: date | None = None
    ops: list[list] = field(default_factory=list)

    @property
    def advance(self) -> int:
        return sum(a[2] for a in self.advances)


def principal_part(rule: tuple[str, int], interest: int, scheduled: int, last: bool) -> int:
    if last:
        return scheduled
    kind, value = rule
    part = value - interest if kind == "annuity" else value
    return min(max(part, 0), scheduled)


def project(s: LoanState, today: date) -> list[Row]:
    """Rows still to come after `today`: the open period runs on the actual principal from
    the interest accrued so far; later ones on the scheduled balance."""
    out = []
    scheduled = s.scheduled
    on = s.balance
    acc = s.acc
    prev = today
    for idx, d in enumerate(s.plan):
        day = prev + ONE_DAY
        while day <= d:
            acc += one_day(on, s.terms.rate_bp, day)
            day += ONE_DAY
        interest = half_up(acc)
        p = principal_part(s.rule, interest, scheduled, idx == len(s.plan) - 1)
        scheduled -= p
        out.append(Row(d, p, interest, scheduled))
        on, acc, prev = scheduled, Fraction(0), d
        if scheduled == 0:
            break
    return out


def allocate(s: LoanState, money: int, today: date, paid_on: date, extra_interest: int = 0):
    """Legal order (353-FZ art. 5 p. 20): overdue interest, overdue principal, penalty, current
    interest, current principal. `extra_interest` is the early-closed period's interest, which
    counts as current interest. Returns (principal, interest, penalty, extra paid, left)."""
    paid = {"p": 0, "i": 0, "pen": 0, "extra": 0}

    def take(want: int) -> int:
        nonlocal money
        got = min(want, money)
        money -= got
        return got

    overdue = [r for r in s.rows if r.date < today and not r.done()]
    current = [r for r in s.rows if r.date == today and not r.done()]
    for r in overdue:
        g = take(r.interest - r.paid_i)
        r.paid_i += g
        paid["i"] += g
    for r in overdue:
        g = take(r.principal - r.paid_p)
        r.paid_p += g
        paid["p"] += g
    g = take(half_up(s.pen) - s.pen_paid)
    s.pen_paid += g
    paid["pen"] += g
    for r in current:
        g = take(r.interest - r.paid_i)
        r.paid_i += g
        paid["i"] += g
    g = take(extra_interest)
    paid["extra"] += g
    for r in current:
        g = take(r.principal - r.paid_p)
        r.paid_p += g
        paid["p"] += g
    for r in overdue + current:
        if r.done() and r.paid_on is None:
            r.paid_on = paid_on
    s.balance -= paid["p"]
    return paid, money


def post_penalty(s: LoanState, today: date):
    total = half_up(s.pen)
    if total > s.pen_posted:
        s.ops.append([today, "penalty_accrued", total - s.pen_posted, 0, 0, total - s.pen_posted, "Начислена неустойка"])
        s.pen_posted = total


def close_period(s: LoanState, today: date):
    interest = half_up(s.acc)
    s.acc = Fraction(0)
    s.plan.pop(0)
    p = principal_part(s.rule, interest, s.scheduled, not s.plan)
    s.scheduled -= p
    s.rows.append(Row(today, p, interest, s.scheduled))
    if s.scheduled == 0:
        s.plan = []
    if interest > 0:
        s.ops.append([today, "interest_accrued", interest, 0, interest, 0, "Начислены проценты за период"])
    while s.advances:
        a = s.advances[0]
        paid, left = allocate(s, a[2], today, a[1])
        credit(s.ops[a[0]], paid)
        if left > 0:
            a[2] = left
            break
        s.advances.pop(0)


def credit(op: list, paid: dict, to_principal: int = 0):
    """Adds what an advance paid to the split of the payment it came from."""
    op[3] += paid["p"] + to_principal
    op[4] += paid["i"] + paid["extra"]
    op[5] += paid["pen"]


def payment(s: LoanState, today: date, amount: int):
    post_penalty(s, today)
    paid, left = allocate(s, amount, today, today)
    if left > 0:
        remaining = sum(r.principal + r.interest for r in project(s, today))
        if s.advance + left > remaining:
            raise Refused(f"MoreThanPayoff payoff={amount - (s.advance + left - remaining)}")
        s.advances.append([len(s.ops), today, left])
    s.ops.append([today, "payment", amount, paid["p"], paid["i"], paid["pen"], "Погашение по графику"])


def early_repayment(s: LoanState, today: date, amount: int, mode: str):
    accrued = half_up(s.acc)
    due_rows = [r for r in s.rows if r.date <= today]
    due = sum(r.unpaid() for r in due_rows) + half_up(s.pen) - s.pen_paid
    needed = due + accrued
    if amount + s.advance < needed:
        raise Refused(f"EarlyRepaymentTooSmall needed={needed - s.advance}")
    unpaid_principal = sum(r.principal - r.paid_p for r in due_rows)
    payoff = needed + (s.balance - unpaid_principal) - s.advance
    if amount > payoff:
        raise Refused(f"MoreThanPayoff payoff={payoff}")
    if accrued > 0:
        s.ops.append([today, "interest_accrued", accrued, 0, accrued, 0, "Начислены проценты за период"])
    post_penalty(s, today)
    # The advance is spent first, oldest payment first, and what is left of it repays
    # principal; each part goes to the split of the payment it came from.
    early = amount + s.advance - needed
    extra = accrued
    from_advance = 0
    for a in s.advances:
        paid, left = allocate(s, a[2], today, today, extra)
        extra -= paid["extra"]
        credit(s.ops[a[0]], paid, left)
        from_advance += left
    s.advances = []
    paid, _ = allocate(s, amount, today, today, extra)
    from_money_to_principal = early - from_advance
    s.balance -= early
    s.scheduled -= early
    s.acc = Fraction(0)
    if early > 0 or accrued > 0:
        s.rows.append(Row(today, early, accrued, s.scheduled, early, accrued, today, early=True))
    if s.scheduled == 0:
        s.plan = []
        s.closed_on = today
        text = "Полное досрочное погашение"
    else:
        remaining = len(s.plan)
        kind, value = s.rule
        if mode == "shorter_term":
            s.plan = s.plan[: len(project(s, today))]
            text = "Досрочное погашение (сокращение срока)"
        else:
            s.rule = (kind, annuity(s.scheduled, s.terms.rate_bp, remaining) if kind == "annuity" else s.scheduled // remaining)
            text = "Досрочное погашение (уменьшение платежа)"
    s.ops.append([today, "early_repayment", amount, paid["p"] + from_money_to_principal, paid["i"] + paid["extra"], paid["pen"], text])


def loan_run(t: Loan, events: list[tuple], as_of: date) -> dict:
    """The loan on `as_of`. events: ("payment", date, amount) or ("early", date, amount, mode)."""
    n = t.months
    plan = [add_months(t.issued_on, k) for k in range(1, n + 1)]
    rule = ("annuity", annuity(t.amount, t.rate_bp, n)) if t.kind == "annuity" else ("differentiated", t.amount // n)
    s = LoanState(t, plan, rule, t.amount, t.amount)
    s.ops.append([t.issued_on, "issue", t.amount, t.amount, 0, 0, "Выдача займа"])
    for a, b in zip(events, events[1:]):
        if b[1] < a[1]:
            raise Refused("Unordered")
    todo = [e for e in events if e[1] <= as_of]
    if any(e[1] < t.issued_on for e in todo):
        raise Refused("BeforeIssue")
    day = t.issued_on
    while True:
        if s.closed_on is None and day > t.issued_on:
            if s.plan:
                s.acc += one_day(s.balance, t.rate_bp, day)
            overdue = sum(r.unpaid() for r in s.rows if r.date < day)
            s.pen += one_day(overdue, t.penalty_bp, day)
            if s.plan and s.plan[0] == day:
                close_period(s, day)
        for e in [e for e in todo if e[1] == day]:
            if e[2] <= 0:
                raise Refused("NonPositiveAmount")
            if s.closed_on is not None:
                raise Refused(f"Closed {s.closed_on}")
            if e[0] == "payment":
                payment(s, day, e[2])
            else:
                early_repayment(s, day, e[2], e[3])
        if s.closed_on is None and s.balance == 0 and s.scheduled == 0 and all(r.done() for r in s.rows) \
                and half_up(s.pen) == s.pen_paid:
            s.closed_on = day
        if day >= as_of:
            break
        day += ONE_DAY
    if s.closed_on is None:
        post_penalty(s, as_of)
    return summarise(s, as_of)


def summarise(s: LoanState, as_of: date) -> dict:
    closed = s.closed_on is not None
    future = [] if closed else project(s, as_of)
    # The advance is shown against the next installments as it will be applied: interest,
    # then principal, oldest payment first; a row it completes is paid on that payment's day.
    queue = [[a[1], a[2]] for a in s.advances]
    for r in future:
        last = None
        while queue and not r.done():
            src = queue[0]
            g = min(src[1], r.interest - r.paid_i)
            r.paid_i, src[1] = r.paid_i + g, src[1] - g
            g = min(src[1], r.principal - r.paid_p)
            r.paid_p, src[1] = r.paid_p + g, src[1] - g
            last = src[0]
            if src[1] == 0:
                queue.pop(0)
        if r.done() and last is not None:
            r.paid_on = last
    rows = s.rows + future
    overdue = [r for r in s.rows if r.date < as_of and not r.done()]
    unpaid_interest = sum(r.interest - r.paid_i for r in s.rows)
    penalty = half_up(s.pen) - s.pen_paid
    accrued = 0 if closed else half_up(s.acc)
    nxt = next((r for r in rows if r.date >= as_of and not r.done()), None)
    debits = sum(o[2] for o in s.ops if o[1] in ("issue", "interest_accrued", "penalty_accrued"))
    credits = sum(o[2] for o in s.ops if o[1] in ("payment", "early_repayment"))
    debt = s.balance + unpaid_interest + penalty - s.advance
    assert debits - credits == debt, (debits, credits, debt)
    return {
        "rows": rows,
        "ops": s.ops,
        "principal_balance": s.balance,
        "overdue_amount": sum(r.unpaid() for r in overdue),
        "overdue_days": (as_of - min(r.date for r in overdue)).days if overdue else 0,
        "penalty": penalty,
        "accrued_interest": accrued,
        "payoff": 0 if closed else max(0, s.balance + unpaid_interest + penalty + accrued - s.advance),
        "next": None if closed or nxt is None else (nxt.date, nxt.unpaid()),
        "status": "closed" if closed else ("overdue" if overdue else "active"),
        "closed_on": s.closed_on,
        "advance": s.advance,
        "debt": debt,
    }


def row_status(r: Row, as_of: date) -> str:
    if r.done():
        return "Paid"
    if r.date < as_of:
        return "Overdue"
    return "PartiallyPaid" if r.paid_p + r.paid_i > 0 else "Planned"


def print_loan(title: str, source: str, d: dict, as_of: date, out: list[str]):
    out.append(f"== {title}")
    out.append(f"-- {source}; as of {as_of}")
    out.append("-- schedule: (n, date, principal, interest, total, balance_after, paid_principal, paid_interest, status, paid_on)")
    for i, r in enumerate(d["rows"], 1):
        paid_on = f'Some("{r.paid_on}")' if r.paid_on else "None"
        out.append(
            f'({i}, "{r.date}", {rk(r.principal)}, {rk(r.interest)}, {rk(r.principal + r.interest)}, '
            f"{rk(r.balance_after)}, {rk(r.paid_p)}, {rk(r.paid_i)}, {row_status(r, as_of)}, {paid_on}),"
        )
    out.append("-- operations: (date, kind, amount, principal, interest, penalty, description)")
    for o in d["ops"]:
        out.append(f'("{o[0]}", {camel(o[1])}, {rk(o[2])}, {rk(o[3])}, {rk(o[4])}, {rk(o[5])}, "{o[6]}"),')
    out.append(
        "-- summary: principal_balance {} overdue_amount {} overdue_days {} penalty {} accrued_interest {} "
        "payoff_amount {} next_payment {} status {} closed_on {} (advance {}, debt {})".format(
            rk(d["principal_balance"]), rk(d["overdue_amount"]), d["overdue_days"], rk(d["penalty"]),
            rk(d["accrued_interest"]), rk(d["payoff"]),
            f'{d["next"][0]} {rk(d["next"][1])}' if d["next"] else "None", d["status"], d["closed_on"],
            rk(d["advance"]), rk(d["debt"]),
        )
    )
    total_p = sum(r.principal for r in d["rows"])
    total_i = sum(r.interest for r in d["rows"])
    out.append(f"-- sums: principal {rk(total_p)} interest {rk(total_i)} total {rk(total_p + total_i)}")
    out.append("")


def days_split(start: date, end: date) -> list[tuple[int, int]]:
    """(year, days) of the period (start, end]."""
    split: dict[int, int] = {}
    d = start + ONE_DAY
    while d <= end:
        split[d.year] = split.get(d.year, 0) + 1
        d += ONE_DAY
    return sorted(split.items())


# ---------------------------------------------------------------- savings


@dataclass
class Savings:
    opened_on: date
    amount: int
    rate_bp: int
    months: int
    capitalisation: bool
    top_up: bool
    withdrawal: bool
    min_balance: int
    early_rate_bp: int


def savings_interest(t: Savings, rate_bp: int, events: list[tuple], until: date) -> int:
    """All interest to `until` (complete months credited, the open month to the day) at
    `rate_bp`, the same top-ups and withdrawals, capitalising what this rate earns."""
    dates = [add_months(t.opened_on, k) for k in range(1, t.months + 1)]
    balance = t.amount + sum(e[2] if e[0] == "top_up" else -e[2] for e in events if e[1] == t.opened_on)
    acc, total, day = Fraction(0), 0, t.opened_on
    while day < until:
        day += ONE_DAY
        acc += one_day(max(balance, 0), rate_bp, day)
        if day in dates:
            i = half_up(acc)
            acc, total = Fraction(0), total + i
            if t.capitalisation:
                balance += i
        for e in events:
            if e[1] == day:
                balance += e[2] if e[0] == "top_up" else -e[2]
    return total + half_up(acc)


def savings_run(t: Savings, events: list[tuple], as_of: date) -> dict:
    """events: ("top_up", date, amount), ("withdrawal", date, amount), ("early", date)."""
    dates = [add_months(t.opened_on, k) for k in range(1, t.months + 1)]
    end = dates[-1]
    balance, acc, credited, closed = 0, Fraction(0), 0, None
    ops, periods = [], []

    def op(d, kind, amount, text):
        ops.append((d, kind, amount, text))

    balance = t.amount
    op(t.opened_on, "deposit", t.amount, "Внесение сбережений")
    for a, b in zip(events, events[1:]):
        if b[1] < a[1]:
            raise Refused("Unordered")
    todo = [e for e in events if e[1] <= as_of]
    if any(e[1] < t.opened_on for e in todo):
        raise Refused("BeforeOpening")
    day = t.opened_on
    while True:
        if closed is None and day > t.opened_on:
            acc += one_day(balance, t.rate_bp, day)
            if day in dates:
                i = half_up(acc)
                acc = Fraction(0)
                periods.append((len(periods) + 1, day, balance, i, True))
                credited += i
                if t.capitalisation:
                    balance += i
                    op(day, "interest_capitalised", i, "Капитализация процентов")
                else:
                    op(day, "interest_paid", i, "Выплата процентов")
                if day == end:
                    op(day, "closing", -balance, "Возврат сбережений по окончании договора")
                    balance, closed = 0, day
        for e in [e for e in todo if e[1] == day]:
            if e[0] != "early" and e[2] <= 0:
                raise Refused("NonPositiveAmount")
            if closed is not None:
                raise Refused(f"Closed {closed}")
            if e[0] == "top_up":
                if not t.top_up:
                    raise Refused("TopUpNotAllowed")
                balance += e[2]
                op(day, "top_up", e[2], "Пополнение")
            elif e[0] == "withdrawal":
                if not t.withdrawal:
                    raise Refused("WithdrawalNotAllowed")
                if balance - e[2] < t.min_balance:
                    raise Refused("BelowMinimum")
                balance -= e[2]
                op(day, "withdrawal", -e[2], "Частичное снятие")
            else:
                moves = [x for x in events if x[0] != "early" and x[1] <= day]
                recomputed = savings_interest(t, t.early_rate_bp, moves, day)
                diff = max(recomputed - credited, -balance)
                if diff != 0:
                    op(day, "interest_recalculated", diff, "Перерасчёт процентов по ставке досрочного расторжения")
                credited += diff
                balance += diff
                op(day, "closing", -balance, "Возврат сбережений при досрочном расторжении")
                balance, closed, acc = 0, day, Fraction(0)
        if day >= as_of:
            break
        day += ONE_DAY
    if closed is None:
        b, a, prev = balance, acc, as_of
        for d in dates[len(periods):]:
            x = prev + ONE_DAY
            while x <= d:
                a += one_day(b, t.rate_bp, x)
                x += ONE_DAY
            i = half_up(a)
            periods.append((len(periods) + 1, d, b, i, False))
            if t.capitalisation:
                b += i
            a, prev = Fraction(0), d
    assert sum(o[2] for o in ops if o[1] != "interest_paid") == balance
    return {
        "periods": periods,
        "ops": ops,
        "balance": balance,
        "accrued": 0 if closed else half_up(acc),
        "paid_interest": credited,
        "status": "closed" if closed else "active",
        "end_date": end,
        "closed_on": closed,
    }


def print_savings(title: str, source: str, d: dict, as_of: date, out: list[str]):
    out.append(f"== {title}")
    out.append(f"-- {source}; as of {as_of}")
    out.append("-- schedule: (n, date, balance, interest, done)")
    for p in d["periods"]:
        out.append(f'({p[0]}, "{p[1]}", {rk(p[2])}, {rk(p[3])}, {str(p[4]).lower()}),')
    out.append("-- operations: (date, kind, amount, description)")
    for o in d["ops"]:
        out.append(f'("{o[0]}", {camel(o[1])}, {rk(o[2])}, "{o[3]}"),')
    out.append(
        f'-- summary: balance {rk(d["balance"])} accrued_interest {rk(d["accrued"])} paid_interest {rk(d["paid_interest"])} '
        f'status {d["status"]} end_date {d["end_date"]} closed_on {d["closed_on"]}'
    )
    out.append(f'-- sums: interest {rk(sum(p[3] for p in d["periods"]))}')
    out.append("")


# ---------------------------------------------------------------- the cases the Rust tests carry

ANNUITY = Loan(date(2026, 1, 20), 300_000_00, 2490, 12, "annuity", 2000)
DIFFERENTIATED = Loan(date(2026, 1, 31), 150_000_00, 1990, 12, "differentiated", 2000)
LEAP = Loan(date(2027, 11, 15), 200_000_00, 2490, 12, "annuity", 2000)


def on_time(t: Loan, count: int) -> list[tuple]:
    plan = loan_run(t, [], t.issued_on)["rows"]
    return [("payment", r.date, r.principal + r.interest) for r in plan[:count]]


def case_annuity(out):
    d = loan_run(ANNUITY, [], ANNUITY.issued_on)
    out.append(f"-- annuity payment A = {rk(annuity(ANNUITY.amount, ANNUITY.rate_bp, ANNUITY.months))}")
    print_loan("annuity: 300 000,00 at 24,90 % for 12 months, the plan on the issue day", "loan_run(ANNUITY, [], issue)", d, ANNUITY.issued_on, out)
    events = on_time(ANNUITY, 12)
    end = add_months(ANNUITY.issued_on, 12)
    d = loan_run(ANNUITY, events, end)
    print_loan("annuity: every installment paid on its day", "loan_run(ANNUITY, on_time(12), last date)", d, end, out)


def case_differentiated(out):
    d = loan_run(DIFFERENTIATED, [], DIFFERENTIATED.issued_on)
    out.append(f"-- principal part = {rk(DIFFERENTIATED.amount // DIFFERENTIATED.months)}")
    print_loan("differentiated: 150 000,00 at 19,90 % for 12 months from 31 Jan, the plan on the issue day", "loan_run(DIFFERENTIATED, [], issue)", d, DIFFERENTIATED.issued_on, out)


def case_leap(out):
    plan = [LEAP.issued_on] + [add_months(LEAP.issued_on, k) for k in range(1, 13)]
    for a, b in zip(plan, plan[1:]):
        out.append(f"-- days ({a}, {b}]: {days_split(a, b)}")
    d = loan_run(LEAP, [], LEAP.issued_on)
    out.append(f"-- annuity payment A = {rk(annuity(LEAP.amount, LEAP.rate_bp, LEAP.months))}")
    print_loan("leap year: 200 000,00 at 24,90 % for 12 months from 2027-11-15, the plan on the issue day", "loan_run(LEAP, [], issue)", d, LEAP.issued_on, out)


EARLY_ON = date(2026, 5, 5)


def case_early(out):
    base = on_time(ANNUITY, 3)
    before = loan_run(ANNUITY, base, EARLY_ON)
    out.append(f"-- on {EARLY_ON} before the repayment: accrued {rk(before['accrued_interest'])} payoff {rk(before['payoff'])}")
    for mode, name in (("shorter_term", "ShorterTerm"), ("smaller_installment", "SmallerInstallment")):
        events = base + [("early", EARLY_ON, 100_000_00, mode)]
        d = loan_run(ANNUITY, events, EARLY_ON)
        print_loan(f"early repayment 100 000,00 on {EARLY_ON}, {name}", f"loan_run(ANNUITY, on_time(3) + early {mode})", d, EARLY_ON, out)
    events = base + [("early", EARLY_ON, before["payoff"], "shorter_term")]
    d = loan_run(ANNUITY, events, EARLY_ON)
    print_loan(f"full early repayment of the payoff on {EARLY_ON}", "loan_run(ANNUITY, on_time(3) + early payoff)", d, EARLY_ON, out)


LATE_ON = date(2026, 5, 5)


def case_overdue(out):
    base = on_time(ANNUITY, 2)
    d = loan_run(ANNUITY, base, LATE_ON - ONE_DAY)
    print_loan("overdue: installment 3 (2026-04-20) unpaid, the day before the payment", "loan_run(ANNUITY, on_time(2), 2026-05-04)", d, LATE_ON - ONE_DAY, out)
    events = base + [("payment", LATE_ON, 30_000_00)]
    d = loan_run(ANNUITY, events, LATE_ON)
    print_loan("overdue: 30 000,00 paid 15 days late", "loan_run(ANNUITY, on_time(2) + 30 000,00 on 2026-05-05)", d, LATE_ON, out)
    nxt = date(2026, 5, 20)
    d = loan_run(ANNUITY, events, nxt)
    print_loan("overdue: the advance applied on the next due date", "same events, as of 2026-05-20", d, nxt, out)
    events = base + [("payment", LATE_ON, 10_000_00)]
    d = loan_run(ANNUITY, events, LATE_ON)
    print_loan("overdue: 10 000,00 paid 15 days late, not enough for all", "loan_run(ANNUITY, on_time(2) + 10 000,00 on 2026-05-05)", d, LATE_ON, out)


CAPITALISED = Savings(date(2026, 1, 20), 200_000_00, 1500, 12, True, True, True, 10_000_00, 100)
PAYOUT = Savings(date(2026, 1, 20), 500_000_00, 1650, 12, False, False, False, 0, 100)
TOP_UP = ("top_up", date(2026, 4, 5), 50_000_00)


def case_savings(out):
    as_of = date(2026, 6, 1)
    d = savings_run(CAPITALISED, [TOP_UP], as_of)
    print_savings("savings with capitalisation: 200 000,00 at 15,00 %, top-up 50 000,00 on 2026-04-05", "savings_run(CAPITALISED, [TOP_UP], 2026-06-01)", d, as_of, out)
    end = add_months(CAPITALISED.opened_on, 12)
    d = savings_run(CAPITALISED, [TOP_UP], end)
    print_savings("savings with capitalisation to the end date", "savings_run(CAPITALISED, [TOP_UP], end)", d, end, out)
    early = date(2026, 8, 10)
    d = savings_run(CAPITALISED, [TOP_UP, ("early", early)], early)
    print_savings("savings with capitalisation ended early on 2026-08-10 at 1,00 %", "savings_run(CAPITALISED, [TOP_UP, early], 2026-08-10)", d, early, out)
    moves = [TOP_UP, ("withdrawal", date(2026, 9, 10), 30_000_00)]
    d = savings_run(CAPITALISED, moves, end)
    print_savings("savings with capitalisation, the top-up and a withdrawal of 30 000,00 on 2026-09-10, to the end date", "savings_run(CAPITALISED, [TOP_UP, withdrawal], end)", d, end, out)
    d = savings_run(PAYOUT, [], as_of)
    print_savings("savings with monthly payout: 500 000,00 at 16,50 %", "savings_run(PAYOUT, [], 2026-06-01)", d, as_of, out)
    early = date(2026, 7, 1)
    d = savings_run(PAYOUT, [("early", early)], early)
    print_savings("savings with monthly payout ended early on 2026-07-01 at 1,00 %", "savings_run(PAYOUT, [early], 2026-07-01)", d, early, out)


CASES = {
    "annuity": case_annuity,
    "differentiated": case_differentiated,
    "leap_year": case_leap,
    "early_repayment": case_early,
    "overdue_penalty": case_overdue,
    "savings": case_savings,
}


def main(argv: list[str]) -> None:
    write = "--write" in argv
    names = [a for a in argv if not a.startswith("--")] or list(CASES)
    here = Path(__file__).resolve().parent
    for name in names:
        out: list[str] = [
            f"# {name}: printed by `python3 tests/reference/ledger_reference.py {name}` (rules: docs/ledger.md);",
            "# the engine's tests in server-shim/src/accounting/ledger/engine/ carry these figures as literals.",
            "",
        ]
        CASES[name](out)
        text = "\n".join(out).rstrip() + "\n"
        if write:
            (here / f"{name}.txt").write_text(text, encoding="utf-8")
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
