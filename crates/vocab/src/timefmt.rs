//! Parsing and printing times. Machine output is always UTC (RFC 3339);
//! local time appears only in the human report, labelled with its offset.
use crate::timezone::{LocalZone, Resolved};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, SecondsFormat, Utc};

/// Parses `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH` or `Z`/`UTC`.
pub fn parse_utc_offset(s: &str) -> Result<FixedOffset, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0).ok_or_else(|| "bad offset".into());
    }
    let bad = || format!("'{s}' is not a UTC offset like +05:30 or -08:00");
    let (sign, rest) = if let Some(rest) = t.strip_prefix('+') {
        (1, rest)
    } else if let Some(rest) = t.strip_prefix('-') {
        (-1, rest)
    } else {
        return Err(bad());
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return Err(bad());
    }
    let (h, m) = digits.split_at_checked(2).ok_or_else(bad)?;
    let hours: i32 = h.parse().map_err(|_| bad())?;
    let minutes: i32 = if digits.len() == 4 {
        m.parse().map_err(|_| bad())?
    } else {
        0
    };
    if hours > 14 || minutes > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)
}

pub fn parse_rfc3339_utc(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("'{s}' is not an RFC 3339 time like 2026-11-24T09:00:00Z: {e}"))
}

/// A date read from content: the instant, and how the zone rules placed it
/// when it was written as local time (no offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    pub utc: DateTime<Utc>,
    pub local: Option<Resolved>,
}

/// Parses a date found inside an item or log: RFC 3339 / ISO 8601 or RFC
/// 2822, with or without offset; without one it is local time by `zone`.
pub fn parse_content_date(s: &str, zone: &LocalZone) -> Option<Dated> {
    parse_content_date_unbounded(s, zone).filter(|d| plausible(d.utc))
}

/// Reads local time `n` by `zone`.
pub fn local_date(n: &NaiveDateTime, zone: &LocalZone) -> Option<Dated> {
    zone.resolve(n).map(|r| Dated {
        utc: r.utc,
        local: Some(r),
    })
}

/// Dates a Skype for Business client could have written: 1980 to 9999 (UTC).
/// Anything else is corrupt or hostile, and past 9999 not even RFC 3339.
pub fn plausible(t: DateTime<Utc>) -> bool {
    (1980..=9999).contains(&t.year())
}

fn parse_content_date_unbounded(s: &str, zone: &LocalZone) -> Option<Dated> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let instant = |d: DateTime<FixedOffset>| Dated {
        utc: d.with_timezone(&Utc),
        local: None,
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(instant(d));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(instant(d));
    }
    // Without a zone: ISO 8601, and RFC 2822 with its zone left off (the
    // day name is optional there).
    let rfc2822 = t.split_once(", ").map_or(t, |(_, rest)| rest);
    for (text, fmt) in [
        (t, "%Y-%m-%dT%H:%M:%S%.f"),
        (t, "%Y-%m-%d %H:%M:%S%.f"),
        (rfc2822, "%d %b %Y %H:%M:%S"),
        (rfc2822, "%d %b %Y %H:%M"),
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(text, fmt) {
            return local_date(&n, zone);
        }
    }
    None
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub use crate::timezone::offset_string;

/// "3 h 02 min", "95 s": how long, for people.
pub fn human_duration(secs: i64) -> String {
    let a = secs.unsigned_abs();
    let s = if a < 120 {
        format!("{a} s")
    } else if a < 3600 {
        format!("{} min", a / 60)
    } else if a < 48 * 3600 {
        format!("{} h {:02} min", a / 3600, (a % 3600) / 60)
    } else {
        format!("{} days {} h", a / 86400, (a % 86400) / 3600)
    };
    if secs < 0 {
        format!("-{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("+05:30").unwrap().local_minus_utc(), 19800);
        assert_eq!(parse_utc_offset("-0800").unwrap().local_minus_utc(), -28800);
        assert_eq!(parse_utc_offset("Z").unwrap().local_minus_utc(), 0);
        assert!(parse_utc_offset("5:30").is_err());
        assert!(parse_utc_offset("+25:00").is_err());
        assert_eq!(offset_string(parse_utc_offset("-03:30").unwrap()), "-03:30");
    }

    #[test]
    fn content_dates() {
        let ist: LocalZone = parse_utc_offset("+05:30").unwrap().into();
        let want = "2026-11-23T09:14:03Z";
        for (s, local) in [
            ("Mon, 23 Nov 2026 09:14:03 +0000", false),
            ("2026-11-23T09:14:03Z", false),
            ("2026-11-23T10:14:03+01:00", false),
            ("2026-11-23T14:44:03", true),
            ("Mon, 23 Nov 2026 14:44:03", true),
            ("23 Nov 2026 14:44:03", true),
        ] {
            let d = parse_content_date(s, &ist).unwrap();
            assert_eq!(rfc3339(d.utc), want, "{s}");
            assert_eq!(d.local.is_some(), local, "{s}");
        }
        assert!(parse_content_date("yesterday", &ist).is_none());
        // Past year 9999 in UTC, or before 1980: corrupt, not a date.
        assert!(parse_content_date("Fri, 31 Dec 9999 23:59:59 -1200", &ist).is_none());
        assert!(parse_content_date("1970-01-01T00:00:00Z", &ist).is_none());
    }

    #[test]
    fn zone_less_dates_follow_the_zones_rules() {
        let rome = LocalZone::parse_flag("Europe/Rome").unwrap();
        let july = parse_content_date("Wed, 15 Jul 2026 10:00:00", &rome).unwrap();
        assert_eq!(rfc3339(july.utc), "2026-07-15T08:00:00Z");
        let dec = parse_content_date("2026-12-15 10:00:00", &rome).unwrap();
        assert_eq!(rfc3339(dec.utc), "2026-12-15T09:00:00Z");
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(95), "95 s");
        assert_eq!(human_duration(600), "10 min");
        assert_eq!(human_duration(3 * 3600 + 120), "3 h 02 min");
    }
}
