//! The envelope's `time`: UTC to the second, `yyyy-mm-ddThh:mm:ssZ`, as EventBridge events carry
//! it. Converted by hand (the workspace has no date crate) with the proleptic Gregorian
//! civil-from-days algorithm of Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms"
//! (<https://howardhinnant.github.io/date_algorithms.html>), exact for every `i64` millisecond
//! count whose year fits in four digits.

const MS_PER_DAY: i64 = 86_400_000;

/// `2024-02-29T12:34:56Z` for an epoch-milliseconds instant; milliseconds are truncated toward
/// the past (an instant 1 ms before the epoch is `1969-12-31T23:59:59Z`).
pub fn format_epoch_ms(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let secs_of_day = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March is 0
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The inverse conversion, to check the formatting against: events are only ever formatted.
    /// The epoch milliseconds of a `yyyy-mm-ddThh:mm:ssZ` time, or `None` when it is not one.
    fn parse_epoch_ms(s: &str) -> Option<i64> {
        let b = s.as_bytes();
        if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            let part = s.get(from..to)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if !(1..=12).contains(&m)
            || d < 1
            || d > days_in_month(y, m)
            || hh > 23
            || mm > 59
            || ss > 59
        {
            return None;
        }
        Some(days_from_civil(y, m, d) * MS_PER_DAY + (hh * 3600 + mm * 60 + ss) * 1000)
    }

    /// The inverse of [`civil_from_days`].
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn days_in_month(y: i64, m: i64) -> i64 {
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    #[test]
    fn time_is_formatted_to_the_second_in_utc() {
        assert_eq!(format_epoch_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_epoch_ms(999), "1970-01-01T00:00:00Z");
        assert_eq!(format_epoch_ms(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_epoch_ms(12_344_566_754), "1970-05-23T21:02:46Z");
        // Leap days: a year divisible by 4, a century that is not leap, one that is.
        assert_eq!(format_epoch_ms(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(format_epoch_ms(1_709_251_199_000), "2024-02-29T23:59:59Z");
        assert_eq!(format_epoch_ms(1_709_251_200_000), "2024-03-01T00:00:00Z");
        assert_eq!(format_epoch_ms(4_107_542_400_000), "2100-03-01T00:00:00Z");
        assert_eq!(format_epoch_ms(1_735_689_599_999), "2024-12-31T23:59:59Z");
        assert_eq!(format_epoch_ms(1_735_689_600_000), "2025-01-01T00:00:00Z");
        assert_eq!(format_epoch_ms(253_402_300_799_000), "9999-12-31T23:59:59Z");
        assert_eq!(parse_epoch_ms("2100-02-29T00:00:00Z"), None);
        assert_eq!(
            parse_epoch_ms("2000-02-29T00:00:00Z"),
            Some(951_782_400_000)
        );
        assert_eq!(parse_epoch_ms("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_epoch_ms("2024-01-01 00:00:00Z"), None);
        assert_eq!(parse_epoch_ms("2024-01-01T00:00:60Z"), None);
        assert_eq!(parse_epoch_ms("+024-01-01T00:00:00Z"), None);
    }

    #[test]
    fn days_round_trip_across_four_centuries() {
        // Every day from 1600-01-01 to 2400-12-31 converts to a valid date and back, consecutively.
        let (start, end) = (days_from_civil(1600, 1, 1), days_from_civil(2400, 12, 31));
        let mut prev = civil_from_days(start - 1);
        for days in start..=end {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let next_day = (y, m, d) == (prev.0, prev.1, prev.2 + 1);
            let next_month =
                d == 1 && ((y, m) == (prev.0, prev.1 + 1) || (y, m) == (prev.0 + 1, 1));
            assert!(next_day || next_month, "{prev:?} then {:?}", (y, m, d));
            prev = (y, m, d);
        }
        for ms in [0, 1_709_210_096_000, 4_107_542_399_000, -86_400_000] {
            assert_eq!(parse_epoch_ms(&format_epoch_ms(ms)), Some(ms));
        }
    }
}
