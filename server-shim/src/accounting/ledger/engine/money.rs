//! The ledger's money arithmetic: interest accrued exactly day by day (actual/actual), rounded
//! half up to a kopeck once, and the annuity payment computed exactly.
//!
//! Nothing here uses floating point: a schedule printed today must come out the same on any
//! machine and in any later version, to the kopeck, or reconciliation acts stop agreeing.

use std::cmp::Ordering;

use kabinet_api::cabinet::Kopecks;
use time::{Date, Month};

/// Common denominator of one day's interest in any year: rate in basis points (10 000) times
/// both year lengths, so a day of a 365-day year and a day of a 366-day year add up exactly.
pub const DAY_DENOMINATOR: i128 = 10_000 * 365 * 366;

/// An exact amount of interest or penalty: kopecks × [`DAY_DENOMINATOR`]. Sums of days stay
/// exact; only [`Accrued::rounded`] turns one into kopecks, when a period closes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Accrued(i128);

impl Accrued {
    pub const ZERO: Accrued = Accrued(0);

    /// Interest on `amount` at `rate_bp` a year for each day of `(from, to]`: the day `from`
    /// is not counted, the day `to` is (the day of issue is free, the day of repayment is
    /// charged). A day of a leap year is 1/366 of the yearly rate, any other day 1/365.
    pub fn over(amount: Kopecks, rate_bp: u32, from: Date, to: Date) -> Accrued {
        if to <= from || amount == 0 || rate_bp == 0 {
            return Accrued::ZERO;
        }
        let per_day_units: i128 = days_by_year(from, to)
            .into_iter()
            // amount·rate/(10 000·365) = amount·rate·366/DAY_DENOMINATOR, and the other way round.
            .map(|(year, days)| i128::from(days) * if time::util::is_leap_year(year) { 365 } else { 366 })
            .sum();
        Accrued(i128::from(amount) * i128::from(rate_bp) * per_day_units)
    }

    /// Half up to a kopeck (0,5 kopeck goes up); what is below is dropped, not carried.
    ///
    /// Fits i64 for everything the engine accepts, and only the engine calls this on sums of
    /// its own: a savings contract's interest is kept under `BALANCE_LIMIT` (i64::MAX / 4) by
    /// its ceiling on deposits (savings.rs, `ceiling`), and a loan's penalty, the largest loan
    /// sum, stays below 5.1e18 because no day more than `MAX_HORIZON_MONTHS` after the issue
    /// is looked at (loan.rs). The i128 inside stays far from overflow: a balance below i64
    /// times 100 000 bp times the units of 100 years is below 10³².
    pub fn rounded(self) -> Kopecks {
        let k = (2 * self.0 + DAY_DENOMINATOR).div_euclid(2 * DAY_DENOMINATOR);
        Kopecks::try_from(k).expect("bounded by the savings ceiling and the loan horizon")
    }
}

impl std::ops::Add for Accrued {
    type Output = Accrued;
    fn add(self, other: Accrued) -> Accrued {
        Accrued(self.0 + other.0)
    }
}

impl std::ops::AddAssign for Accrued {
    fn add_assign(&mut self, other: Accrued) {
        self.0 += other.0;
    }
}

/// How many days of `(from, to]` fall in each calendar year, oldest first.
pub fn days_by_year(from: Date, to: Date) -> Vec<(i32, i64)> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    for year in from.year()..=to.year() {
        let last_of_previous = Date::from_calendar_date(year - 1, Month::December, 31).expect("a valid date");
        let last_of_year = Date::from_calendar_date(year, Month::December, 31).expect("a valid date");
        let days = (to.min(last_of_year) - from.max(last_of_previous)).whole_days();
        if days > 0 {
            out.push((year, days));
        }
    }
    out
}

/// Rounds `num / den` (both non-negative, `den` > 0) half up.
pub fn div_half_up(num: Kopecks, den: i64) -> Kopecks {
    (2 * i128::from(num) + i128::from(den)).div_euclid(2 * i128::from(den)) as Kopecks
}

/// The annuity payment A = P·i / (1 − (1 + i)^−n) with the monthly rate i = rate / 12,
/// rounded half up to a kopeck. Computed as an exact fraction with big integers, so it is the
/// correctly rounded value for any term, not an approximation of it.
pub fn annuity_payment(principal: Kopecks, rate_bp: u32, n: u32) -> Kopecks {
    assert!(principal >= 0 && n > 0, "annuity of a positive term");
    if rate_bp == 0 {
        return div_half_up(principal, i64::from(n));
    }
    // i = r / 120 000 with r in basis points; with B = 120 000 + r and S = 120 000:
    // A = P·r·Bⁿ / (S·(Bⁿ − Sⁿ)) = X / Y; half up is floor((2X + Y) / 2Y).
    let s: u64 = 120_000;
    let b: u64 = s + u64::from(rate_bp);
    let b_n = Big::pow(b, n);
    let s_n = Big::pow(s, n);
    let x = b_n.mul_small(principal as u64).mul_small(u64::from(rate_bp));
    let y = b_n.sub(&s_n).mul_small(s);
    let target = x.mul_small(2).add(&y);
    let two_y = y.mul_small(2);
    // A ≤ P·(1 + i) = P·B/S, so the answer lies in [0, P·B/S + 1].
    let (mut lo, mut hi) = (0u64, (principal as u64).saturating_mul(b) / s + 1);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if two_y.mul_small(mid).cmp(&target) != Ordering::Greater {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo as Kopecks
}

/// A non-negative big integer (little-endian base 2³²) with only what the annuity needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn one() -> Big {
        Big(vec![1])
    }

    fn pow(base: u64, n: u32) -> Big {
        (0..n).fold(Big::one(), |acc, _| acc.mul_small(base))
    }

    fn mul_small(&self, m: u64) -> Big {
        let mut out = Vec::with_capacity(self.0.len() + 2);
        let mut carry: u128 = 0;
        for &limb in &self.0 {
            let v = u128::from(limb) * u128::from(m) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        while carry > 0 {
            out.push(carry as u32);
            carry >>= 32;
        }
        Big(out).trimmed()
    }

    fn add(&self, other: &Big) -> Big {
        let len = self.0.len().max(other.0.len());
        let mut out = Vec::with_capacity(len + 1);
        let mut carry = 0u64;
        for i in 0..len {
            let v = u64::from(*self.0.get(i).unwrap_or(&0)) + u64::from(*other.0.get(i).unwrap_or(&0)) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out).trimmed()
    }

    /// `self − other`; callers guarantee `self ≥ other`.
    fn sub(&self, other: &Big) -> Big {
        debug_assert!(self.cmp(other) != Ordering::Less);
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut v = i64::from(self.0[i]) - i64::from(*other.0.get(i).unwrap_or(&0)) - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        Big(out).trimmed()
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn trimmed(mut self) -> Big {
        while self.0.len() > 1 && self.0.last() == Some(&0) {
            self.0.pop();
        }
        if self.0.is_empty() {
            self.0.push(0);
        }
        self
    }
}

#[cfg(test)]
// Amounts are written rubles_kopecks (28_498_70 = 28 498,70 ₽), which is how people read them;
// kopecks like _32 or _64 are not type suffixes.
#[allow(clippy::inconsistent_digit_grouping, clippy::mistyped_literal_suffixes)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_over_new_year_splits_its_days_between_the_two_year_lengths() {
        // (15 Dec 2027, 15 Jan 2028]: 16 days of 2027 (a 365-day year), 15 of 2028 (366 days).
        assert_eq!(days_by_year(date!(2027 - 12 - 15), date!(2028 - 01 - 15)), vec![(2027, 16), (2028, 15)]);
        assert_eq!(days_by_year(date!(2028 - 02 - 15), date!(2028 - 03 - 15)), vec![(2028, 29)]);
        assert_eq!(days_by_year(date!(2026 - 01 - 20), date!(2026 - 01 - 20)), vec![]);
        // 100 000,00 at 36,50 % a year for one day of 2027 is exactly 100,00; of 2028, 99,7267…
        assert_eq!(Accrued::over(100_000_00, 3650, date!(2027 - 06 - 01), date!(2027 - 06 - 02)).rounded(), 100_00);
        assert_eq!(Accrued::over(100_000_00, 3650, date!(2028 - 06 - 01), date!(2028 - 06 - 02)).rounded(), 99_73);
    }

    #[test]
    fn rounding_is_half_up_once_and_the_remainder_is_dropped() {
        // 1 kopeck at 1 bp for one day is far below a kopeck; 0,5 kopeck goes up, 0,4999 down.
        assert_eq!(Accrued(DAY_DENOMINATOR / 2).rounded(), 1);
        assert_eq!(Accrued(DAY_DENOMINATOR / 2 - 1).rounded(), 0);
        assert_eq!(Accrued(3 * DAY_DENOMINATOR + DAY_DENOMINATOR / 2).rounded(), 4);
        assert_eq!(div_half_up(5, 2), 3);
        assert_eq!(div_half_up(7, 3), 2);
    }

    #[test]
    fn annuity_payments_are_the_exact_fraction_rounded() {
        // Literals from annuity() in tests/reference/ledger_reference.py (exact Fractions):
        // cd tests/reference && python3 -c "import ledger_reference as r; print(r.annuity(30000000, 2490, 12),
        //   r.annuity(20000000, 2490, 12), r.annuity(13391025, 2490, 9), r.annuity(500000000, 1200, 360),
        //   r.annuity(100000, 0, 3), r.annuity(100000, 1, 1))"  →  2849870 1899914 1646485 5143063 33333 100001
        assert_eq!(annuity_payment(300_000_00, 2490, 12), 28_498_70);
        assert_eq!(annuity_payment(200_000_00, 2490, 12), 18_999_14);
        assert_eq!(annuity_payment(133_910_25, 2490, 9), 16_464_85);
        // A 30-year term needs numbers far beyond 128 bits; the fraction stays exact.
        assert_eq!(annuity_payment(5_000_000_00, 1200, 360), 51_430_63);
        assert_eq!(annuity_payment(1_000_00, 0, 3), 333_33);
        assert_eq!(annuity_payment(1_000_00, 1, 1), 1_000_01);
    }
}
