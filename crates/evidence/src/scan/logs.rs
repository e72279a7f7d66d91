//! From log records to typed events: every record goes through the signature
//! table, SIP packets through the SIP reader, and any EWS URL is noted.
//! Repetitive facts (the User-Agent on every packet, the same URL again) are
//! kept only when they change, so events grow with what happened, not with
//! the size of the log.
use crate::fsread;
use crate::scan::ci::CiLiteral;
use crate::scan::classify::Opened;
use crate::scan::literals::{Found, LiteralSet, MAX_LITERALS};
use crate::scan::uccapilog::RecordView;
use crate::scan::{admin, encoding, sip, tracerpt, uccapilog};
use crate::signatures::Signatures;
use aho_corasick::AhoCorasick;
use oimdiag_vocab::events::{EventKind, LogEvent, Origin, ReadStats, Record};
use oimdiag_vocab::found::InputKind;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

/// Admin exports are small; a larger file is read up to here.
const ADMIN_READ_LIMIT: usize = 16 * 1024 * 1024;
const EXCERPT_CHARS: usize = 160;

/// Reads one log file, handing each event to `out` as it is found, from
/// where `opened` is (its start, or what recognising it read); `path` is
/// what evidence names. A read that breaks off part-way keeps what it read
/// and says why. `read_bytes` is told how many bytes each read took (for
/// progress).
pub fn read_log(
    opened: Opened,
    path: &Path,
    kind: InputKind,
    zone: &oimdiag_vocab::timezone::LocalZone,
    sigs: &Signatures,
    out: &mut dyn FnMut(LogEvent),
    read_bytes: &dyn Fn(u64),
) -> Result<(ReadStats, Option<String>), String> {
    // What recognising the log read is handed on, not read again.
    read_bytes(opened.head.len() as u64);
    let head = opened.head;
    let rest = Counted {
        inner: opened.file,
        read_bytes,
    };
    let mut interp = Interpreter::new(path.to_path_buf(), sigs, out);
    let literals = interp.literal_set();
    let result = match kind {
        InputKind::Uccapilog => {
            uccapilog::read_views_finding_after(head, rest, zone, literals, &mut |r, found| {
                interp.record(r, found)
            })
        }
        InputKind::TracerptCsv => {
            // Rows are few: each is lent out through one reused buffer.
            let mut joined = String::new();
            let file = std::io::Read::chain(std::io::Cursor::new(head), rest);
            tracerpt::read_records(file, zone, sigs.type_words(), &mut |r: Record| {
                joined.clear();
                for l in &r.continuation {
                    joined.push_str(l);
                    joined.push('\n');
                }
                let found = Found {
                    text: literals.in_text(&r.text),
                    continuation: literals.in_text(&joined),
                    no_signature: false,
                };
                interp.record(
                    &RecordView {
                        line: r.line,
                        time: r.time,
                        clock: r.clock,
                        level: r.level.as_deref(),
                        text: &r.text,
                        continuation: &joined,
                    },
                    found,
                );
            })
        }
        _ => return Err("not a log".into()),
    };
    let (sip_packets, unreadable_packets) = (interp.sip_packets, interp.unreadable_packets);
    let urls_not_noted = interp.urls_not_noted;
    Ok(match result {
        Ok(stats) => (
            ReadStats {
                sip_packets,
                urls_not_noted,
                unparsed_packets: stats.unparsed_packets + unreadable_packets,
                ..stats
            },
            None,
        ),
        Err(e) => (
            ReadStats::default(),
            Some(format!(
                "reading broke off part-way ({}): events before that point were kept",
                fsread::describe_io_error(&e)
            )),
        ),
    })
}

/// Distinct EWS URLs a log notes: a real client uses a handful; a log of
/// millions of distinct hosts is bounded here.
const MAX_URLS_NOTED: usize = 4096;

/// A reader that says how much it has read, so one long log moves the
/// progress bar while it is read, not only once it is done.
struct Counted<'a, R> {
    inner: R,
    read_bytes: &'a dyn Fn(u64),
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.read_bytes)(n as u64);
        Ok(n)
    }
}

/// Reads an admin export; `open` is what to open, `path` what evidence names.
/// Gives the settings and, when not all of the file could be used, why.
pub fn read_admin(
    open: &Path,
    path: &Path,
    sigs: &Signatures,
) -> Result<(Vec<oimdiag_vocab::events::AdminSetting>, Option<String>), String> {
    let mut file = fsread::open_evidence(open)
        .map_err(|e| format!("cannot be read: {}", fsread::describe_io_error(&e)))?;
    // One byte past the limit tells a file of exactly the limit from a longer one.
    let mut bytes = fsread::read_prefix(&mut file, ADMIN_READ_LIMIT + 1)
        .map_err(|e| format!("cannot be read: {}", fsread::describe_io_error(&e)))?;
    let cut = bytes.len() > ADMIN_READ_LIMIT;
    bytes.truncate(ADMIN_READ_LIMIT);
    let limit = cut.then(|| {
        format!(
            "larger than {} MiB: only the start was read",
            ADMIN_READ_LIMIT >> 20
        )
    });
    let (settings, note) = admin::settings_and_note(&bytes, path, limit, sigs.identity_fields())?;
    // Decoded as `encoding::decode` reads it: lines that are not UTF-8 in a
    // file without a BOM were Windows-1252.
    let ansi = match encoding::detect(&bytes) {
        (encoding::Encoding::Utf8, 0) => {
            let end = if cut {
                encoding::without_cut_character(&bytes)
            } else {
                bytes.len()
            };
            encoding::ansi_lines(bytes.get(..end).unwrap_or(&bytes))
        }
        _ => 0,
    };
    let ansi = (ansi > 0).then(|| format!("{ansi} line(s) not valid UTF-8, read as Windows-1252"));
    let note = match (note, ansi) {
        (Some(n), Some(a)) => Some(format!("{n}; {a}")),
        (n, a) => n.or(a),
    };
    Ok((settings, note))
}

/// A one-line summary of what a reader could not use as-is, if anything.
pub fn stats_note(s: &ReadStats) -> Option<String> {
    let mut parts = Vec::new();
    if s.day_first {
        parts.push(
            "dates read day first (DD/MM/YYYY): a date in the first 16 KiB has a first field \
             above 12"
                .to_string(),
        );
    }
    let mut add = |n: u64, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    add(s.malformed_lines, "line(s) outside any record");
    add(
        s.lossy_lines,
        "line(s) with bytes invalid in the file's encoding",
    );
    add(s.cut_lines, "over-long line(s) cut");
    add(
        s.dropped_lines,
        "continuation line(s) dropped past the per-record cap",
    );
    add(s.bad_times, "record(s) with an unreadable time");
    add(
        s.urls_not_noted,
        "EWS URL(s) past the first 4,096 distinct ones not noted",
    );
    add(
        s.date_order_contradictions,
        if s.day_first {
            "record(s) dated month first against the file's order (read month first)"
        } else {
            "record(s) dated day first against the file's order (read day first)"
        },
    );
    add(
        s.ansi_lines,
        "line(s) not valid UTF-8, read as Windows-1252",
    );
    add(
        s.unparsed_packets,
        "record(s) naming a SIP packet that could not be read",
    );
    parts.extend(s.zone.fold_note());
    if s.columns_by_shape {
        parts.push(
            "header not in English: columns found by their shape (a FILETIME column, the \
             text last)"
                .to_string(),
        );
    }
    let u = &s.unknown_types;
    if u.rows > 0 {
        let words: Vec<String> = u.words.iter().map(|w| format!("'{w}'")).collect();
        parts.push(format!(
            "{} row(s) without a Level whose Type word the table does not know ({}{}): read \
             without a level; tracerpt translates Type words and the table's are ASSUMED: add \
             yours under tracerpt_type_words in a --signatures file",
            u.rows,
            words.join(", "),
            if u.words.len() == 3 { ", …" } else { "" }
        ));
    }
    (!parts.is_empty()).then(|| format!("{} records; {}", s.records, parts.join("; ")))
}

struct Interpreter<'a> {
    path: Arc<Path>,
    sigs: &'a Signatures,
    out: &'a mut dyn FnMut(LogEvent),
    /// EWS URLs noted so far (each is noted once), at most `MAX_URLS_NOTED`.
    seen_urls: HashSet<String>,
    /// The URL, as written, last found in `seen_urls`: a log repeats one
    /// URL line after line, and that one needs no lower-cased copy and no
    /// hashing (the set only grows, so it stays in).
    last_seen_url: String,
    /// URLs met once `seen_urls` was full: not noted, counted.
    urls_not_noted: u64,
    last_user: Option<String>,
    last_build: Option<(String, bool)>,
    /// Keyed by name: only the few `sip::PROVISIONING_NAMES` are told.
    last_provisioning: HashMap<String, String>,
    last_user_archiving: Option<bool>,
    /// Records that carry a SIP packet (for `coverage`).
    sip_packets: u64,
    /// Records that named a SIP packet with no SIP message after them.
    unreadable_packets: u64,
}

impl<'a> Interpreter<'a> {
    fn new(path: PathBuf, sigs: &'a Signatures, out: &'a mut dyn FnMut(LogEvent)) -> Self {
        Interpreter {
            path: path.into(),
            sigs,
            out,
            seen_urls: HashSet::new(),
            last_seen_url: String::new(),
            urls_not_noted: 0,
            last_user: None,
            last_build: None,
            last_provisioning: HashMap::new(),
            last_user_archiving: None,
            sip_packets: 0,
            unreadable_packets: 0,
        }
    }

    /// The literals [`record`](Self::record) wants found: its own, then the
    /// signatures' when the table has no gate and they all fit. With a gate
    /// the signatures' are not searched in the block: a literal inside
    /// another word (`ews` in `news`) is common, and each occurrence costs
    /// the block search a stop; the few records the gate lets through are
    /// searched for them one by one.
    fn literal_set(&self) -> &'a LiteralSet {
        let sigs = self.sigs;
        let sig_bits = self.sig_bits();
        sigs.log_literals(|| {
            let mut all: Vec<&str> = OWN_LITERALS.to_vec();
            if sig_bits {
                all.extend(sigs.literals().iter().map(String::as_str));
            }
            // A record that is no packet, and in which neither the gate nor
            // the EWS path is found, yields nothing here: not lent at all.
            // The body words matter only in a packet: looked for in packets
            // alone.
            LiteralSet::with_packet_only(&all, BODY_WORDS)
                .with_gate(sigs.gate())
                .with_quiet(EWS_PATH_BIT)
        })
    }

    /// Whether the signatures' literals are in [`literal_set`](Self::literal_set).
    fn sig_bits(&self) -> bool {
        !self.sigs.has_gate() && self.sigs.literals().len() <= MAX_LITERALS - OWN_LITERALS.len()
    }

    /// `found`: which of [`literal_set`](Self::literal_set)'s literals occur
    /// in the record's text and continuation.
    fn record(&mut self, r: &RecordView, found: Found) {
        let matched = if found.no_signature {
            None
        } else if self.sig_bits() {
            self.sigs
                .match_present(r.text, found.text >> OWN_LITERALS.len())
        } else {
            self.sigs.match_text(r.text)
        };
        if let Some((event, fields)) = matched {
            for url in [&fields.url, &fields.url2].into_iter().flatten() {
                if *url != self.last_seen_url && self.seen_urls.len() < MAX_URLS_NOTED {
                    self.seen_urls.insert(url.to_ascii_lowercase());
                    self.last_seen_url.clone_from(url);
                }
            }
            let excerpt = excerpt(r.text);
            self.push(r, EventKind::Signature { event, fields }, excerpt);
        }
        // Nothing, and no allocation, unless the record is a packet.
        let body_words = found.continuation & BODY_WORDS != 0;
        // The build every sent packet repeats is not even copied when it is
        // the one already noted (`is_new` would drop it).
        let known = self.last_build.as_ref().map(|(b, o)| (b.as_str(), *o));
        let (kinds, packet) = sip::sip_events_with(r.text, r.continuation, body_words, known);
        match packet {
            sip::Packet::None => {}
            sip::Packet::Read => self.sip_packets += 1,
            sip::Packet::Unreadable => {
                self.sip_packets += 1;
                self.unreadable_packets += 1;
            }
        }
        for kind in kinds {
            if self.is_new(&kind) {
                let excerpt = describe(&kind);
                self.push(r, kind, excerpt);
            }
        }
        if found.text & EWS_PATH_BIT != 0 {
            self.note_urls(r, r.text);
        }
        // Line by line only when the path is in the continuation at all.
        if found.continuation & EWS_PATH_BIT != 0 {
            for line in r.lines() {
                self.note_urls(r, line);
            }
        }
    }

    /// EWS URLs in one line of the record, each noted the first time it is seen.
    fn note_urls(&mut self, r: &RecordView, line: &str) {
        if !EWS_PATH_LITERAL.occurs_in(line.as_bytes()) {
            return;
        }
        for url in ews_urls(line) {
            if url == self.last_seen_url {
                continue;
            }
            let key = url.to_ascii_lowercase();
            if self.seen_urls.len() >= MAX_URLS_NOTED && !self.seen_urls.contains(&key) {
                self.urls_not_noted += 1;
                continue;
            }
            self.last_seen_url.clear();
            self.last_seen_url.push_str(url);
            if self.seen_urls.insert(key) {
                let excerpt = excerpt(line.trim());
                let url = url.to_string();
                self.push(r, EventKind::EwsUrl { url }, excerpt);
            }
        }
    }

    /// Whether a SIP-derived fact is news (first sight or a change).
    fn is_new(&mut self, kind: &EventKind) -> bool {
        match kind {
            // Every packet the client sends repeats its build: copied only
            // when it changes.
            EventKind::ClientBuild { build, from_oc } => {
                let new = self
                    .last_build
                    .as_ref()
                    .is_none_or(|(b, o)| b != build || o != from_oc);
                if new {
                    self.last_build = Some((build.clone(), *from_oc));
                }
                new
            }
            // Who is signed in changes over a log: note each change, not
            // each REGISTER refresh.
            EventKind::SipUser { address } => {
                let new = self.last_user.as_deref() != Some(address.as_str());
                if new {
                    self.last_user = Some(address.clone());
                }
                new
            }
            EventKind::Provisioning { name, value, .. } => {
                let key = name.to_ascii_lowercase();
                let new = self.last_provisioning.get(&key) != Some(value);
                self.last_provisioning.insert(key, value.clone());
                new
            }
            EventKind::UserImAutoArchiving { enabled } => {
                let new = self.last_user_archiving != Some(*enabled);
                self.last_user_archiving = Some(*enabled);
                new
            }
            _ => true,
        }
    }

    fn push(&mut self, r: &RecordView, kind: EventKind, excerpt: String) {
        (self.out)(LogEvent {
            time: r.time,
            clock: r.clock,
            origin: Origin {
                path: self.path.clone(),
                line: Some(r.line),
                excerpt,
            },
            kind,
        });
    }
}

/// The literals [`Interpreter::record`] looks for itself, before the
/// signatures': the EWS path, then the words that make a SIP body worth reading.
const OWN_LITERALS: [&str; 4] = [
    "/ews/exchange.asmx",
    sip::BODY_WORD_LITERALS[0],
    sip::BODY_WORD_LITERALS[1],
    sip::BODY_WORD_LITERALS[2],
];
const EWS_PATH_BIT: u64 = 1;
const BODY_WORDS: u64 = 0b1110;

/// Evidence text for SIP-derived facts: the fact, never a packet body.
fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::ClientBuild {
            build,
            from_oc: true,
        } => format!("User-Agent: ... OC/{build}"),
        EventKind::ClientBuild {
            build,
            from_oc: false,
        } => {
            format!("User-Agent: UCCAPI/{build} (no OC/ part)")
        }
        EventKind::SipUser { address } => format!("REGISTER from sip:{address}"),
        EventKind::CalleeOffline { callee } => {
            format!("SIP/2.0 480 Temporarily Unavailable to INVITE sip:{callee}")
        }
        EventKind::Provisioning { group, name, value } => match group {
            Some(g) => format!("provisionGroup {g}: {name} = {value}"),
            None => format!("provisioning: {name} = {value}"),
        },
        EventKind::UserImAutoArchiving { enabled } => {
            format!("otherOptions: imAutoArchiving = {enabled}")
        }
        EventKind::EwsUrl { url } => url.clone(),
        EventKind::Signature { event, .. } => event.name().to_string(),
    }
}

fn excerpt(s: &str) -> String {
    // Nearly every text is ASCII: its characters are its bytes.
    if s.is_ascii() {
        let mut out = s.get(..EXCERPT_CHARS).unwrap_or(s).to_string();
        if s.len() > EXCERPT_CHARS {
            out.push('…');
        }
        return out;
    }
    let mut out: String = s.chars().take(EXCERPT_CHARS).collect();
    if s.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[expect(
    clippy::expect_used,
    reason = "a constant literal pattern: built by every test that reads a log"
)]
static EWS_PATH: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["/ews/exchange.asmx"])
        .expect("literal pattern")
});

/// The same path, for a quick "is it there at all".
static EWS_PATH_LITERAL: LazyLock<CiLiteral> =
    LazyLock::new(|| CiLiteral::new("/ews/exchange.asmx"));

/// Every `http(s)://host/EWS/Exchange.asmx` in a line, any case, in order:
/// borrowed, for the line's URL is most often the one noted last.
pub fn ews_urls(line: &str) -> impl Iterator<Item = &str> {
    EWS_PATH.find_iter(line).filter_map(move |m| {
        // The URL starts at the last scheme before the path, with no space between.
        let start = last_http(line.as_bytes().get(..m.start())?)?;
        let candidate = line.get(start..m.end())?;
        let has = |scheme: &str| {
            candidate
                .get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        };
        let scheme_ok = has("https://") || has("http://");
        let clean = !candidate
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\'' | ','));
        (scheme_ok && clean).then_some(candidate)
    })
}

/// Where the last `http`, in any case, in `b` starts: found by its first
/// byte from the end, not by comparing every four bytes.
fn last_http(b: &[u8]) -> Option<usize> {
    let mut end = b.len();
    while let Some(i) = memchr::memrchr2(b'h', b'H', b.get(..end)?) {
        if b.get(i..i + 4).is_some_and(|w| w.eq_ignore_ascii_case(b"http")) {
            return Some(i);
        }
        end = i;
    }
    None
}

/// Host of an http(s) URL, lower-cased.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', ':', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(line: &str) -> Vec<&str> {
        ews_urls(line).collect()
    }

    #[test]
    fn finds_ews_urls_in_any_case_and_context() {
        assert_eq!(
            urls("via EWS https://Mail.Contoso.com/ews/EXCHANGE.asmx, then"),
            ["https://Mail.Contoso.com/ews/EXCHANGE.asmx"]
        );
        assert_eq!(
            urls(
                "<property name=\"x\">https://outlook.office365.com/EWS/Exchange.asmx</property>"
            ),
            ["https://outlook.office365.com/EWS/Exchange.asmx"]
        );
        assert_eq!(
            urls("a HTTP://x/ then HTTPS://Y.Z/ews/exchange.asmx"),
            ["HTTPS://Y.Z/ews/exchange.asmx"]
        );
        assert!(urls("see /EWS/Exchange.asmx on the server").is_empty());
        assert!(urls("nothing here").is_empty());
    }

    /// The URLs as every four bytes before the path were compared for the
    /// scheme, and the whole line copied: what the search by the scheme's
    /// first byte must find.
    fn urls_by_windows(line: &str) -> Vec<String> {
        let mut urls = Vec::new();
        for m in EWS_PATH.find_iter(line) {
            let before = &line[..m.start()];
            let Some(candidate) = before
                .as_bytes()
                .windows(4)
                .rposition(|w| w.eq_ignore_ascii_case(b"http"))
                .and_then(|start| line.get(start..m.end()))
            else {
                continue;
            };
            let has = |scheme: &str| {
                candidate
                    .get(..scheme.len())
                    .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            };
            let clean = !candidate
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\'' | ','));
            if (has("https://") || has("http://")) && clean {
                urls.push(candidate.to_string());
            }
        }
        urls
    }

    /// Lines spliced from schemes, hosts, the path, spaces (a vertical tab
    /// and a no-break space among them), quotes and non-ASCII letters: the
    /// same URLs as the four-byte comparison found.
    #[test]
    fn urls_found_by_the_schemes_first_byte_are_the_same() {
        let pieces = [
            "http", "HTTP", "hTtP", "https://", "http://", "HTTPS://", "h", "H", "ht",
            "mail.contoso.com", "/EWS/Exchange.asmx", "/ews/EXCHANGE.ASMX", "/EWS/", " ",
            "\u{b}", "\u{a0}", "\"", "'", ",", "<", ">", "é", "ж", "x", "://", "tp", "htt", "t", "p",
        ];
        let mut seed = 0x853C_49E6_748F_EA9B_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut found = 0;
        for _ in 0..50_000 {
            let line: String = (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
            let want = urls_by_windows(&line);
            found += want.len();
            assert_eq!(urls(&line), want, "{line:?}");
        }
        assert!(found > 1_000, "{found} URLs in all");
    }

    #[test]
    fn hosts() {
        assert_eq!(
            url_host("https://mail.contoso.com:443/EWS/Exchange.asmx").as_deref(),
            Some("mail.contoso.com")
        );
        assert_eq!(url_host("nonsense"), None);
    }
}
