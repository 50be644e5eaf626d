//! The two timestamp formats a signed request can carry, as Unix seconds.
//!
//! Only what verification needs: the ISO 8601 "basic format" of `X-Amz-Date`
//! (`20150830T123600Z`), the IMF-fixdate form of the `Date` header
//! (`Sun, 30 Aug 2015 12:36:00 GMT`), and formatting back to the former.

use crate::ascii::Ascii;

/// Parses `YYYYMMDDTHHMMSSZ` (UTC) into seconds since the Unix epoch.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[4..6])?;
    let day = digits(&b[6..8])?;
    let hour = digits(&b[9..11])?;
    let minute = digits(&b[11..13])?;
    let second = digits(&b[13..15])?;
    to_unix(year, month, day, hour, minute, second)
}

/// Parses an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 30 Aug 2015 12:36:00 GMT`.
///
/// The obsolete RFC 850 and asctime forms are not accepted; AWS SDKs send
/// `X-Amz-Date`, so the `Date` fallback only has to cover well-formed clients.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 29
        || &b[3..5] != b", "
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || &b[25..] != b" GMT"
    {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| &b[8..11] == *m)? as u32 + 1;
    let day = digits(&b[5..7])?;
    let year = digits(&b[12..16])?;
    let hour = digits(&b[17..19])?;
    let minute = digits(&b[20..22])?;
    let second = digits(&b[23..25])?;
    to_unix(year, month, day, hour, minute, second)
}

/// A time as `YYYYMMDDTHHMMSSZ`.
pub(crate) type AmzDate = Ascii<16>;

/// Formats seconds since the Unix epoch as `YYYYMMDDTHHMMSSZ` (years 0 to 9999; others are
/// clamped, and no request date parses outside them).
pub(crate) fn format_amz_date(unix: i64) -> AmzDate {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = *b"00000000T000000Z";
    let mut put = |at: usize, width: usize, value: i64| {
        let mut value = value.clamp(0, 10_i64.pow(width as u32) - 1);
        for i in (at..at + width).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, y);
    put(4, 2, m);
    put(6, 2, d);
    put(9, 2, secs / 3600);
    put(11, 2, secs % 3600 / 60);
    put(13, 2, secs % 60);
    Ascii::new(out)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn to_unix(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 => match (year % 4, year % 100, year % 400) {
            (_, _, 0) | (0, 1.., _) => 29,
            _ => 28,
        },
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITE_INSTANT: i64 = 1_440_938_160; // 2015-08-30T12:36:00Z

    #[test]
    fn amz_date_round_trips() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(SUITE_INSTANT));
        assert_eq!(format_amz_date(SUITE_INSTANT), "20150830T123600Z");
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        let leap = parse_amz_date("20240229T235959Z").unwrap();
        assert_eq!(format_amz_date(leap), "20240229T235959Z");
        assert_eq!(format_amz_date(leap + 1), "20240301T000000Z");
        assert!(parse_amz_date("20000229T000000Z").is_some());
        assert!(parse_amz_date("19000229T000000Z").is_none());
        assert!(parse_amz_date("21000229T000000Z").is_none());
    }

    #[test]
    fn amz_date_rejects_malformed() {
        for bad in [
            "",
            "201",
            "20150830T123600",
            "20150830t123600z",
            "2015-08-30T12:36:00Z",
            "20150230T123600Z",
            "20230229T000000Z",
            "20151301T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_date_parses_imf_fixdate() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(SUITE_INSTANT)
        );
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date("Sunday, 30-Aug-15 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT"), None);
    }
}
