//! Local times written without an offset (UccApilog lines, zone-less item
//! `Date:` headers, tracerpt date strings) and the zone rules that turn
//! them into instants: a fixed `--utc-offset`, an IANA zone (`--tz`, or the
//! machine's own, DST included), or what the logs themselves reconcile to
//! (`inferred`). FILETIMEs and dates that carry their own offset never pass
//! through here: they are instants already.
//!
//! Local times that do not exist (a DST gap) or exist twice (an overlap)
//! are resolved one way, and counted: a gap time is read with the offset in
//! force before the gap (so it lands as far past the gap's end as it was
//! past its start: "shifted forward by the gap"), an overlap time as the
//! earlier of its two instants (the clock's first pass).

mod machine;

pub use machine::machine_zone;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::Serialize;

/// The rules local times are read by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rules {
    Fixed(FixedOffset),
    Zone(Tz),
    /// The machine's own rules, known only to the OS (a TZif file that is
    /// not a link to a named zone, a POSIX `TZ` string, a Windows zone
    /// missing from the CLDR table): `chrono::Local` reads them.
    Machine,
}

/// Where the rules in force came from (JSON `time_zone.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    /// `--tz` or `--utc-offset`.
    Flag,
    /// The zone of the machine oimdiag runs on.
    Machine,
    /// The offset that reconciles the logs' local times with their absolute ones.
    Inferred,
}

/// The zone local times are read in, and what the report says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalZone {
    pub rules: Rules,
    /// IANA name, when known.
    pub name: Option<String>,
    /// The Windows zone id it came from (Windows machines only).
    pub windows_id: Option<String>,
    pub source: ZoneSource,
}

impl From<FixedOffset> for LocalZone {
    /// A fixed offset given as a flag.
    fn from(o: FixedOffset) -> Self {
        LocalZone::fixed(o, ZoneSource::Flag)
    }
}

/// How a local time fell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// One instant.
    Single,
    /// In a DST gap: read with the offset before the gap.
    Gap,
    /// In a DST overlap: the earlier instant.
    Overlap,
}

/// A local time read as an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub utc: DateTime<Utc>,
    /// Seconds east of UTC that were applied.
    pub offset: i32,
    pub fold: Fold,
}

impl LocalZone {
    pub fn fixed(o: FixedOffset, source: ZoneSource) -> Self {
        LocalZone {
            rules: Rules::Fixed(o),
            name: None,
            windows_id: None,
            source,
        }
    }

    pub fn named(tz: Tz, source: ZoneSource) -> Self {
        LocalZone {
            rules: Rules::Zone(tz),
            name: Some(tz.name().to_string()),
            windows_id: None,
            source,
        }
    }

    /// `--tz ZONE`: an IANA name (any case), else a usage error.
    pub fn parse_flag(s: &str) -> Result<LocalZone, String> {
        parse_iana(s.trim())
            .map(|tz| LocalZone::named(tz, ZoneSource::Flag))
            .ok_or_else(|| {
                format!("'{s}' is not an IANA time zone name like Europe/Rome or America/New_York")
            })
    }

    /// The one offset every local time gets, when the rules are a fixed offset.
    pub fn as_fixed(&self) -> Option<FixedOffset> {
        match self.rules {
            Rules::Fixed(o) => Some(o),
            _ => None,
        }
    }

    /// The offset in force at `t`.
    pub fn offset_at(&self, t: DateTime<Utc>) -> FixedOffset {
        match self.rules {
            Rules::Fixed(o) => o,
            Rules::Zone(tz) => tz.offset_from_utc_datetime(&t.naive_utc()).fix(),
            Rules::Machine => chrono::Local.offset_from_utc_datetime(&t.naive_utc()).fix(),
        }
    }

    /// The instant of local time `n` (`None` only past chrono's range).
    pub fn resolve(&self, n: &NaiveDateTime) -> Option<Resolved> {
        match self.rules {
            Rules::Fixed(o) => Some(Resolved {
                utc: n
                    .checked_sub_signed(TimeDelta::seconds(i64::from(o.local_minus_utc())))?
                    .and_utc(),
                offset: o.local_minus_utc(),
                fold: Fold::Single,
            }),
            Rules::Zone(tz) => resolve_in(&tz, n),
            Rules::Machine => resolve_in(&chrono::Local, n),
        }
    }

    /// The flag that pins these rules, for messages: `--tz Europe/Rome`,
    /// `--utc-offset +01:00`.
    pub fn flag(&self) -> String {
        match (&self.rules, &self.name) {
            (Rules::Fixed(o), _) => format!("--utc-offset {}", offset_string(*o)),
            (_, Some(n)) => format!("--tz {n}"),
            (_, None) => "--tz ZONE".to_string(),
        }
    }
}

/// An IANA name, matched without regard to case (`europe/rome`).
fn parse_iana(s: &str) -> Option<Tz> {
    s.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(s))
    })
}

fn resolve_in<Z: TimeZone>(z: &Z, n: &NaiveDateTime) -> Option<Resolved> {
    let at = |d: &DateTime<Z>, fold| Resolved {
        utc: d.with_timezone(&Utc),
        offset: d.offset().fix().local_minus_utc(),
        fold,
    };
    match z.from_local_datetime(n) {
        LocalResult::Single(d) => Some(at(&d, Fold::Single)),
        LocalResult::Ambiguous(a, b) => {
            let earlier = if a.with_timezone(&Utc) <= b.with_timezone(&Utc) {
                a
            } else {
                b
            };
            Some(at(&earlier, Fold::Overlap))
        }
        LocalResult::None => {
            // The offset before the gap: the one in force a day earlier
            // (zones change offset months apart, not twice a day).
            let before = n.checked_sub_signed(TimeDelta::days(1))?;
            let o = z.offset_from_utc_datetime(&before).fix().local_minus_utc();
            Some(Resolved {
                utc: n
                    .checked_sub_signed(TimeDelta::seconds(i64::from(o)))?
                    .and_utc(),
                offset: o,
                fold: Fold::Gap,
            })
        }
    }
}

/// Offsets kept per reader: a zone uses two, history a few more.
const MAX_OFFSETS: usize = 8;

/// What reading local times met: the offsets applied, and the times that
/// fell in a DST gap or overlap. Plain counts, so readers on threads of
/// their own each keep one and the scan adds them up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneUse {
    pub gaps: u64,
    pub overlaps: u64,
    offsets: [i32; MAX_OFFSETS],
    len: u8,
}

impl ZoneUse {
    pub fn note(&mut self, r: &Resolved) {
        match r.fold {
            Fold::Single => {}
            Fold::Gap => self.gaps += 1,
            Fold::Overlap => self.overlaps += 1,
        }
        self.offset(r.offset);
    }

    /// An offset applied (kept once; past `MAX_OFFSETS` distinct ones, not kept).
    pub fn offset(&mut self, secs: i32) {
        let n = usize::from(self.len);
        if self.offsets.iter().take(n).any(|o| *o == secs) {
            return;
        }
        if let Some(slot) = self.offsets.get_mut(n) {
            *slot = secs;
            self.len += 1;
        }
    }

    pub fn add(&mut self, o: &ZoneUse) {
        self.gaps += o.gaps;
        self.overlaps += o.overlaps;
        for secs in o.offsets() {
            self.offset(secs);
        }
    }

    /// The offsets applied, in seconds east of UTC, ascending.
    pub fn offsets(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .offsets
            .iter()
            .take(usize::from(self.len))
            .copied()
            .collect();
        v.sort_unstable();
        v
    }

    /// What a file's note says of DST gaps and overlaps, if any were met.
    pub fn fold_note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.gaps > 0 {
            parts.push(format!(
                "{} local time(s) in a DST gap (read with the offset before the gap: shifted \
                 forward by the gap)",
                self.gaps
            ));
        }
        if self.overlaps > 0 {
            parts.push(format!(
                "{} local time(s) in a DST overlap (read as the earlier instant)",
                self.overlaps
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

pub fn offset_string(o: FixedOffset) -> String {
    let secs = o.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn rome() -> LocalZone {
        LocalZone::parse_flag("Europe/Rome").unwrap()
    }

    #[test]
    fn rome_in_july_and_december() {
        let r = rome().resolve(&local("2026-07-15 10:00:00")).unwrap();
        assert_eq!(r.utc.to_rfc3339(), "2026-07-15T08:00:00+00:00");
        assert_eq!((r.offset, r.fold), (7200, Fold::Single));
        let r = rome().resolve(&local("2026-12-15 10:00:00")).unwrap();
        assert_eq!(r.utc.to_rfc3339(), "2026-12-15T09:00:00+00:00");
        assert_eq!(r.offset, 3600);
    }

    #[test]
    fn gap_is_shifted_forward_and_overlap_is_the_earlier() {
        // 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
        let g = rome().resolve(&local("2026-03-29 02:30:00")).unwrap();
        assert_eq!(g.fold, Fold::Gap);
        assert_eq!(g.utc.to_rfc3339(), "2026-03-29T01:30:00+00:00");
        let o = rome().resolve(&local("2026-10-25 02:30:00")).unwrap();
        assert_eq!(o.fold, Fold::Overlap);
        assert_eq!(o.utc.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert_eq!(o.offset, 7200);
        // Either side of each change is a single instant.
        for s in [
            "2026-03-29 01:59:59",
            "2026-03-29 03:00:00",
            "2026-10-25 03:00:00",
        ] {
            assert_eq!(rome().resolve(&local(s)).unwrap().fold, Fold::Single, "{s}");
        }
    }

    #[test]
    fn names_any_case_and_bad_names() {
        assert_eq!(
            LocalZone::parse_flag("europe/rome")
                .unwrap()
                .name
                .as_deref(),
            Some("Europe/Rome")
        );
        assert!(LocalZone::parse_flag("Mars/Olympus").is_err());
        assert!(LocalZone::parse_flag("+01:00").is_err());
    }

    #[test]
    fn offsets_are_kept_once_and_sorted() {
        let mut u = ZoneUse::default();
        for o in [7200, 3600, 7200, 3600] {
            u.offset(o);
        }
        let mut w = ZoneUse::default();
        w.note(&Resolved {
            utc: NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            offset: -18000,
            fold: Fold::Gap,
        });
        u.add(&w);
        assert_eq!(u.offsets(), [-18000, 3600, 7200]);
        assert_eq!(u.gaps, 1);
        assert!(u
            .fold_note()
            .unwrap()
            .contains("1 local time(s) in a DST gap"));
    }

    #[test]
    fn fixed_offsets_are_flags() {
        let z: LocalZone = FixedOffset::east_opt(3600).unwrap().into();
        assert_eq!(z.flag(), "--utc-offset +01:00");
        assert_eq!(z.source, ZoneSource::Flag);
        assert_eq!(rome().flag(), "--tz Europe/Rome");
    }
}
