//! Days and times as the person's browser sees them: today's date for date fields, and the
//! server's UTC instants shown in local time as «01.12.2026 14:05».

/// Today in the browser's time zone, `YYYY-MM-DD` (what a date input holds), `days` days on.
pub fn local_day(days: u32) -> String {
    let d = js_sys::Date::new_0();
    if days > 0 {
        // `setDate` carries past the month's end into the next month, as a calendar does.
        d.set_date(d.get_date() + days);
    }
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
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
    fn times_read_day_first() {
        assert_eq!(clock(2026, 12, 1, 9, 5), "01.12.2026 09:05");
    }
}
