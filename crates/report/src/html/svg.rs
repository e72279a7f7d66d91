//! The page's pictures as numbers for the template: each message's timeline
//! on a time axis, and the overview of all messages by outcome. Only
//! geometry and words made here reach SVG attributes; strings from evidence
//! go through the template's escaping.

use super::super::model::{Report, SpoolItemOut};
use super::super::{event_time, ItemsByPath};
use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use oimdiag_analysis::correlate::Outcome;
use oimdiag_rules::spooler::ItemState;
use oimdiag_vocab::timefmt::human_duration;

/// Timelines drawn at most; the overview counts every message.
pub const MAX_TIMELINES: usize = 200;

/// The two-minute timer the client runs from queued.
const TIMER: TimeDelta = TimeDelta::seconds(120);

/// Width of every picture (SVG user units; the page scales it).
pub const W: f64 = 760.0;
const LEFT: f64 = 16.0;
const RIGHT: f64 = W - 16.0;
/// Where the axis ends when the item's age is drawn after it.
const AXIS_END_WITH_TAIL: f64 = 540.0;
const AXIS_Y: f64 = 58.0;
const LABEL_ROW: f64 = 13.0;

/// How an outcome is shown: a CSS class (colour and pattern) and words.
pub fn outcome_style(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Delivered => ("o-delivered", "delivered"),
        Outcome::DeliveredLate => ("o-late", "delivered late"),
        Outcome::Failed => ("o-failed", "failed"),
        Outcome::Expired => ("o-expired", "expired"),
        Outcome::Pending => ("o-pending", "pending"),
    }
}

pub struct Mark {
    pub x: String,
    /// SVG path data of the marker's shape (its own per kind of event).
    pub d: String,
    pub class: &'static str,
    pub label: String,
    pub label_y: String,
    /// Full time, for the marker's tooltip.
    pub title: String,
}

pub struct Tick {
    pub x: String,
    pub label: String,
}

pub struct Tail {
    pub x1: String,
    pub x2: String,
    pub label: String,
}

pub struct Timeline {
    pub title: String,
    pub class: &'static str,
    pub outcome: &'static str,
    pub height: String,
    pub axis_x1: String,
    pub axis_x2: String,
    pub band_x: String,
    pub band_w: String,
    pub ticks: Vec<Tick>,
    pub marks: Vec<Mark>,
    /// The item's age after the axis: still in the History Spooler at the
    /// scan time.
    pub tail: Option<Tail>,
    /// The scan time when it falls on the axis.
    pub now_x: Option<String>,
    /// The message's evidence as rows: time, event, where, excerpt.
    pub rows: Vec<[String; 4]>,
    pub events_dropped: usize,
    /// Spool items of the message, with their state.
    pub items: Vec<String>,
    /// Words said under the picture.
    pub note: Option<&'static str>,
}

/// `t + d`, held at the ends of time: evidence may be dated anywhere, and
/// a picture must not panic on it.
fn plus(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

fn n(x: f64) -> String {
    format!("{x:.1}")
}

/// What an event is called on the picture, its marker's class and shape.
fn event_style(event: &str) -> (&'static str, &'static str, Shape) {
    match event {
        "sip.callee_offline" => ("trigger (480)", "e-trigger", Shape::Diamond),
        "oim.queued" => ("queued", "e-queued", Shape::Circle),
        "oim.processing" => ("processing", "e-processing", Shape::Square),
        "oim.failed" => ("failure", "e-failed", Shape::Cross),
        "oim.delivered" => ("delivery", "e-delivered", Shape::Check),
        "oim.spooled" => ("spooled", "e-spooled", Shape::Triangle),
        _ => ("", "e-other", Shape::Dot),
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Diamond,
    Circle,
    Square,
    Cross,
    Check,
    Triangle,
    Dot,
}

fn shape(s: Shape, x: f64, y: f64) -> String {
    let r = 6.0;
    match s {
        Shape::Diamond => format!(
            "M{} {}L{} {}L{} {}L{} {}Z",
            n(x),
            n(y - r),
            n(x + r),
            n(y),
            n(x),
            n(y + r),
            n(x - r),
            n(y)
        ),
        Shape::Circle => format!(
            "M{} {}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0Z",
            n(x - r),
            n(y),
            n(2.0 * r),
            n(-2.0 * r)
        ),
        Shape::Square => format!(
            "M{} {}h{}v{}h{}Z",
            n(x - r + 1.0),
            n(y - r + 1.0),
            n(2.0 * r - 2.0),
            n(2.0 * r - 2.0),
            n(-2.0 * r + 2.0)
        ),
        Shape::Cross => format!(
            "M{} {}L{} {}M{} {}L{} {}",
            n(x - r),
            n(y - r),
            n(x + r),
            n(y + r),
            n(x + r),
            n(y - r),
            n(x - r),
            n(y + r)
        ),
        Shape::Check => format!(
            "M{} {}L{} {}L{} {}",
            n(x - r),
            n(y),
            n(x - 1.0),
            n(y + r),
            n(x + r),
            n(y - r)
        ),
        Shape::Triangle => format!(
            "M{} {}L{} {}L{} {}Z",
            n(x),
            n(y - r),
            n(x + r),
            n(y + r),
            n(x - r),
            n(y + r)
        ),
        Shape::Dot => format!("M{} {}a3 3 0 1 0 6 0a3 3 0 1 0 -6 0Z", n(x - 3.0), n(y)),
    }
}

/// A time axis from `t0` to `t1` drawn from `x0` to `x1`.
struct Axis {
    t0: DateTime<Utc>,
    ms: f64,
    x0: f64,
    x1: f64,
}

impl Axis {
    fn new(t0: DateTime<Utc>, t1: DateTime<Utc>, x0: f64, x1: f64) -> Axis {
        let ms = ((t1 - t0).num_milliseconds() as f64).max(1.0);
        Axis { t0, ms, x0, x1 }
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        let f = ((t - self.t0).num_milliseconds() as f64 / self.ms).clamp(0.0, 1.0);
        self.x0 + f * (self.x1 - self.x0)
    }

    /// Ticks on round local clock times, at most about six.
    fn ticks(&self, off: FixedOffset, fmt: &str) -> Vec<Tick> {
        const STEPS: [i64; 18] = [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
            86400,
        ];
        let span = self.ms / 1000.0;
        let step = STEPS
            .iter()
            .copied()
            .find(|s| span / *s as f64 <= 6.0)
            .unwrap_or_else(|| ((span / 6.0 / 86400.0).ceil() as i64).max(1) * 86400);
        let shift = i64::from(off.local_minus_utc());
        let local0 = self.t0.timestamp() + shift;
        let mut at = local0.div_euclid(step) * step;
        if at < local0 {
            at += step;
        }
        let end = plus(self.t0, TimeDelta::milliseconds(self.ms as i64));
        let mut out = Vec::new();
        while out.len() < 12 {
            let Some(t) = DateTime::from_timestamp(at - shift, 0) else {
                break;
            };
            if t > end {
                break;
            }
            out.push(Tick {
                x: n(self.x(t)),
                label: t.with_timezone(&off).format(fmt).to_string(),
            });
            at += step;
        }
        out
    }
}

/// A point of a timeline before it is placed.
struct Point {
    t: DateTime<Utc>,
    label: String,
    class: &'static str,
    shape: Shape,
}

/// Places the points: labels of points close together go on rows below
/// one another so they do not overlap.
fn marks(points: &[Point], axis: &Axis, off: FixedOffset) -> (Vec<Mark>, usize) {
    let mut out = Vec::new();
    let mut placed: Vec<(f64, usize)> = Vec::new();
    let mut rows = 1;
    for p in points {
        let x = axis.x(p.t);
        let row = (0..)
            .find(|row| {
                !placed
                    .iter()
                    .any(|(px, pr)| pr == row && (px - x).abs() < 80.0)
            })
            .unwrap_or(0);
        // Markers at one instant stand one above another.
        let stacked = placed.iter().filter(|(px, _)| (px - x).abs() < 8.0).count();
        let y = AXIS_Y - 12.0 * stacked.min(3) as f64;
        placed.push((x, row));
        rows = rows.max(row + 1);
        out.push(Mark {
            x: n(x),
            d: shape(p.shape, x, y),
            class: p.class,
            label: p.label.clone(),
            label_y: n(AXIS_Y + 22.0 + row as f64 * LABEL_ROW),
            title: format!(
                "{} {} (local {})",
                p.label,
                oimdiag_vocab::timefmt::rfc3339(p.t),
                p.t.with_timezone(&off).format("%H:%M:%S")
            ),
        });
    }
    (out, rows)
}

/// The timelines to draw (at most [`MAX_TIMELINES`]) and how many messages
/// would have one: every logged message, then every stuck or pending spool
/// item no logged message was linked to.
pub fn timelines(r: &Report) -> (Vec<Timeline>, usize) {
    let unlogged = |i: &SpoolItemOut| {
        i.attempt_outcome.is_none() && matches!(i.state, ItemState::Stuck | ItemState::Pending)
    };
    let total = r.attempts.len() + r.spool_items.iter().filter(|i| unlogged(i)).count();
    let by_path = ItemsByPath::new(&r.spool_items);
    let mut out = Vec::new();
    for a in r.attempts.iter().take(MAX_TIMELINES) {
        out.push(logged(r, &a, &by_path));
    }
    for i in r
        .spool_items
        .iter()
        .filter(|i| unlogged(i))
        .take(MAX_TIMELINES.saturating_sub(out.len()))
    {
        out.push(unlogged_item(r, &i));
    }
    (out, total)
}

/// Axis bounds around `t0..t1` with a margin, and whether the scan time
/// lies beyond them (then the item's age is drawn after the axis).
fn bounds(
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let pad = TimeDelta::milliseconds(((t1 - t0).num_milliseconds() / 12).max(5_000));
    let t1 = if now > t1 && now <= plus(t1, pad * 2) {
        now
    } else {
        t1
    };
    (plus(t0, -pad), plus(t1, pad))
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    r: &Report,
    title: String,
    class: &'static str,
    outcome: &'static str,
    start: DateTime<Utc>,
    points: Vec<Point>,
    timer_from: DateTime<Utc>,
    tail_label: Option<String>,
) -> Timeline {
    let off = r.utc_offset;
    let t0 = points.iter().map(|p| p.t).min().unwrap_or(start).min(start);
    let t1 = points
        .iter()
        .map(|p| p.t)
        .max()
        .unwrap_or(start)
        .max(plus(timer_from, TIMER));
    let (a0, a1) = bounds(t0, t1, r.scan_time);
    let now_beyond = r.scan_time > a1;
    let tail_label = tail_label.filter(|_| now_beyond);
    let x1 = if tail_label.is_some() {
        AXIS_END_WITH_TAIL
    } else {
        RIGHT
    };
    let axis = Axis::new(a0, a1, LEFT, x1);
    let (marks, rows) = marks(&points, &axis, off);
    let band0 = axis.x(timer_from);
    let band1 = axis.x(plus(timer_from, TIMER));
    let tail = tail_label.map(|label| Tail {
        x1: n(x1 + 6.0),
        x2: n(RIGHT - 4.0),
        label,
    });
    let now_x = (r.scan_time >= a0 && r.scan_time <= a1).then(|| n(axis.x(r.scan_time)));
    Timeline {
        title,
        class,
        outcome,
        height: n(AXIS_Y + 30.0 + rows as f64 * LABEL_ROW),
        axis_x1: n(LEFT),
        axis_x2: n(x1),
        band_x: n(band0),
        band_w: n((band1 - band0).max(1.0)),
        ticks: axis.ticks(off, "%H:%M:%S"),
        marks,
        tail,
        now_x,
        rows: Vec::new(),
        events_dropped: 0,
        items: Vec::new(),
        note: None,
    }
}

fn logged(
    r: &Report,
    a: &super::super::model::AttemptOut<'_>,
    items: &ItemsByPath<'_>,
) -> Timeline {
    let off = r.utc_offset;
    let (class, outcome) = outcome_style(a.outcome);
    let mut points = Vec::new();
    for e in &a.evidence {
        let Some(t) = event_time(e) else { continue };
        let (label, class, shape) = event_style(e.event);
        let label = if label.is_empty() {
            e.event.to_string()
        } else {
            label.to_string()
        };
        points.push(Point {
            t: t.with_timezone(&Utc),
            label,
            class,
            shape,
        });
    }
    if !points.iter().any(|p| p.class == "e-queued") {
        points.push(Point {
            t: a.queued_at,
            label: "queued".into(),
            class: "e-queued",
            shape: Shape::Circle,
        });
        points.sort_by_key(|p| p.t);
    }
    let listed: Vec<SpoolItemOut<'_>> = a.spool_items.iter().filter_map(|p| items.get(p)).collect();
    let tail = listed
        .iter()
        .find(|i| matches!(i.state, ItemState::Stuck | ItemState::Pending))
        .map(|i| {
            format!(
                "{} in the spooler {} (to now)",
                i.state.as_str(),
                human_duration(i.age_seconds)
            )
        });
    let id =
        a.id.map(|id| format!("Message {id}"))
            .unwrap_or_else(|| "Message".into());
    let to = a.recipient.unwrap_or("unknown recipient");
    let from = a.user.map(|u| format!(" from {u}")).unwrap_or_default();
    let title = format!("{id} to {to}{from}");
    let mut t = assemble(
        r,
        title,
        class,
        outcome,
        a.queued_at,
        points,
        a.queued_at,
        tail,
    );
    t.rows = a
        .evidence
        .iter()
        .map(|e| {
            let time = match event_time(e) {
                Some(t) => super::both(t.with_timezone(&Utc), off),
                None => "unknown".into(),
            };
            [
                time,
                e.event.to_string(),
                super::location(&e.path, e.line),
                e.excerpt.to_string(),
            ]
        })
        .collect();
    t.events_dropped = a.events_dropped;
    t.items = a
        .spool_items
        .iter()
        .map(|p| format!("{p}{}", items.state_suffix(p)))
        .collect();
    if a.outcome == Outcome::Expired {
        t.note = Some("Nothing logged after the two-minute timer ran out.");
    }
    t
}

fn unlogged_item(r: &Report, i: &SpoolItemOut<'_>) -> Timeline {
    let (class, outcome) = match i.state {
        ItemState::Pending => (
            "o-spool-pending",
            "pending in the spooler, no logged message",
        ),
        _ => ("o-spool-stuck", "stuck in the spooler, no logged message"),
    };
    let points = vec![Point {
        t: i.sent_at,
        label: "sent (item date)".into(),
        class: "e-queued",
        shape: Shape::Circle,
    }];
    let tail = Some(format!(
        "{} in the spooler {} (to now)",
        i.state.as_str(),
        human_duration(i.age_seconds)
    ));
    let to = i.recipient.unwrap_or("unknown recipient");
    let title = format!("Spool item to {to}");
    let mut t = assemble(r, title, class, outcome, i.sent_at, points, i.sent_at, tail);
    t.items = vec![i.path.to_string()];
    t.note = Some("No offline message in the logs was linked to this item: sent → timer → now.");
    t
}

/// One row of the overview: the messages of one outcome binned over time.
pub struct Row {
    pub label: String,
    pub class: &'static str,
    pub y: String,
    pub text_y: String,
    pub bars: Vec<Bar>,
}

pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub title: String,
}

pub struct Overview {
    pub height: String,
    pub rows: Vec<Row>,
    pub ticks: Vec<Tick>,
    pub axis_y: String,
    pub tick_y: String,
    pub now_x: String,
    pub total: usize,
}

const BINS: usize = 72;
const OV_LEFT: f64 = 200.0;
const ROW_H: f64 = 34.0;

/// Every message by outcome over time: logged ones at their queued time,
/// unlogged stuck or pending items at their date, binned so a report of
/// 100,000 messages draws as few bars as one of ten.
pub fn overview(r: &Report) -> Overview {
    let off = r.utc_offset;
    let mut groups: Vec<(&'static str, String, Vec<DateTime<Utc>>)> = [
        Outcome::Failed,
        Outcome::Expired,
        Outcome::Pending,
        Outcome::DeliveredLate,
        Outcome::Delivered,
    ]
    .into_iter()
    .map(|o| {
        let (class, label) = outcome_style(o);
        let times: Vec<_> = r
            .attempts
            .iter()
            .filter(|a| a.outcome == o)
            .map(|a| a.queued_at)
            .collect();
        (class, label.to_string(), times)
    })
    .collect();
    for (state, class, label) in [
        (ItemState::Stuck, "o-spool-stuck", "stuck item, not logged"),
        (
            ItemState::Pending,
            "o-spool-pending",
            "pending item, not logged",
        ),
    ] {
        let times = r
            .spool_items
            .iter()
            .filter(|i| i.attempt_outcome.is_none() && i.state == state)
            .map(|i| i.sent_at)
            .collect();
        groups.push((class, label.to_string(), times));
    }
    groups.retain(|g| !g.2.is_empty());
    let total = groups.iter().map(|g| g.2.len()).sum();
    let all = groups.iter().flat_map(|g| g.2.iter().copied());
    let t0 = all.clone().min().unwrap_or(r.scan_time);
    let t1 = all.max().unwrap_or(r.scan_time).max(r.scan_time);
    let pad = TimeDelta::milliseconds(((t1 - t0).num_milliseconds() / 40).max(30_000));
    let axis = Axis::new(plus(t0, -pad), plus(t1, pad), OV_LEFT, RIGHT);
    let bin_w = (RIGHT - OV_LEFT) / BINS as f64;
    let rows = groups
        .into_iter()
        .enumerate()
        .map(|(k, (class, label, times))| {
            let mut counts = [0usize; BINS];
            for t in &times {
                let b = ((axis.x(*t) - OV_LEFT) / bin_w) as usize;
                counts[b.min(BINS - 1)] += 1;
            }
            let most = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
            let top = 8.0 + k as f64 * ROW_H;
            let bars = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(b, c)| {
                    // At least a third of the row, so one message is seen.
                    let h = (ROW_H - 6.0) * (1.0 + 2.0 * *c as f64 / most) / 3.0;
                    Bar {
                        x: n(OV_LEFT + b as f64 * bin_w),
                        y: n(top + ROW_H - 4.0 - h),
                        w: n((bin_w - 1.0).max(2.0)),
                        h: n(h),
                        title: format!("{c} {label}"),
                    }
                })
                .collect();
            Row {
                label: format!("{label} ({})", times.len()),
                class,
                y: n(top),
                text_y: n(top + ROW_H / 2.0 + 4.0),
                bars,
            }
        })
        .collect::<Vec<_>>();
    let axis_y = 8.0 + rows.len() as f64 * ROW_H;
    let fmt = if (t1 - t0) > TimeDelta::days(1) {
        "%m-%d %H:%M"
    } else {
        "%H:%M"
    };
    Overview {
        height: n(axis_y + 24.0),
        ticks: axis.ticks(off, fmt),
        axis_y: n(axis_y),
        tick_y: n(axis_y + 16.0),
        now_x: n(axis.x(r.scan_time)),
        rows,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Ticks fall on round minutes of the local clock, left to right, on the axis.
    #[test]
    fn ticks_are_round_local_times_on_the_axis() {
        let axis = Axis::new(
            t("2026-11-23T09:14:00Z"),
            t("2026-11-23T09:17:10Z"),
            16.0,
            540.0,
        );
        let plus_one = FixedOffset::east_opt(3600).unwrap();
        let ticks = axis.ticks(plus_one, "%H:%M:%S");
        let labels: Vec<&str> = ticks.iter().map(|k| k.label.as_str()).collect();
        assert_eq!(labels, ["10:14:00", "10:15:00", "10:16:00", "10:17:00"]);
        let xs: Vec<f64> = ticks.iter().map(|k| k.x.parse().unwrap()).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]) && xs[0] >= 16.0 && xs[3] <= 540.0);
        // A time off the axis is drawn at its end, not outside the picture.
        assert_eq!(axis.x(t("2027-01-01T00:00:00Z")), 540.0);
        assert_eq!(axis.x(t("2000-01-01T00:00:00Z")), 16.0);
    }

    #[test]
    fn times_past_the_ends_of_chrono_are_held_there() {
        let max = DateTime::<Utc>::MAX_UTC;
        assert_eq!(plus(max, TIMER), max);
        assert_eq!(
            plus(DateTime::<Utc>::MIN_UTC, -TIMER),
            DateTime::<Utc>::MIN_UTC
        );
        assert_eq!(
            plus(t("2026-11-23T09:14:03Z"), TIMER),
            t("2026-11-23T09:16:03Z")
        );
    }
}
