//! Days and times: the browser's today, the organisation's day carried forward for date
//! fields, and the server's UTC instants shown in local time as «01.12.2026 14:05».

/// Today in the browser's time zone, `YYYY-MM-DD` (what a date input holds), `days` days on.
pub fn local_day(days: u32) -> String {
    let d = js_sys::Date::new_0();
    if days > 0 {
        // `setDate` carries past the month's end into the next month, as a calendar does.
        d.set_date(d.get_date() + days);
    }
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

/// The ISO day `days` days after `iso` (`YYYY-MM-DD`), or `None` when `iso` is not one. Pure
/// calendar arithmetic (proleptic Gregorian), so the organisation's day from the server can be
/// carried forward without the browser's time zone getting a say.
pub fn day_plus(iso: &str, days: u32) -> Option<String> {
    let mut parts = iso.splitn(3, '-');
    let (y, m, d) = (parts.next()?.parse::<i64>().ok()?, parts.next()?.parse::<i64>().ok()?, parts.next()?.parse::<i64>().ok()?);
    if iso.len() != 10 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil date and back (H. Hinnant's algorithms).
    let (y0, m0) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y0.div_euclid(400);
    let yoe = y0 - era * 400;
    let doy = (153 * m0 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let z = era * 146_097 + doe + i64::from(days);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// An RFC 3339 instant in local time as «ДД.ММ.ГГГГ ЧЧ:ММ»; the text as it came if unreadable.
pub fn local_time(rfc3339: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    clock(d.get_full_year(), d.get_month() + 1, d.get_date(), d.get_hours(), d.get_minutes())
}

fn clock(year: u32, month: u32, day: u32, hour: u32, minute: u32) -> String {
    format!("{day:02}.{month:02}.{year:04} {hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_carry_across_months_years_and_leap_days() {
        assert_eq!(day_plus("2026-12-02", 0).as_deref(), Some("2026-12-02"));
        assert_eq!(day_plus("2026-12-02", 60).as_deref(), Some("2027-01-31"));
        assert_eq!(day_plus("2028-02-28", 1).as_deref(), Some("2028-02-29"));
        assert_eq!(day_plus("2027-02-28", 1).as_deref(), Some("2027-03-01"));
        assert_eq!(day_plus("2026-01-31", 30).as_deref(), Some("2026-03-02"));
        assert_eq!(day_plus("2026-13-01", 1), None);
        assert_eq!(day_plus("02.12.2026", 1), None);
    }

    #[test]
    fn times_read_day_first() {
        assert_eq!(clock(2026, 12, 1, 9, 5), "01.12.2026 09:05");
    }
}
