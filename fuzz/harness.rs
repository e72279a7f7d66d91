//! What each fuzz target does with its input, shared by the cargo-fuzz
//! targets (`fuzz_targets/*.rs`) and the regression tests that replay saved
//! inputs (`tests/adversarial.rs`, which includes this file by path). Uses only
//! what the main crate's tests can also use: oimdiag, chrono, serde_json, std.
#![allow(dead_code)]

use chrono::FixedOffset;
use oimdiag_evidence::scan::encoding::{self, Encoding};
use oimdiag_evidence::scan::lines::LineReader;
use oimdiag_evidence::scan::{admin, logs, sip, spooler, tracerpt, uccapilog, xml};
use oimdiag_evidence::signatures::{SignatureEntry, SignatureFile, Signatures};
use oimdiag_vocab::events::Record;
use oimdiag_vocab::timefmt;
use std::io::{self, Read};
use std::path::Path;
use std::sync::LazyLock;

static BUILTIN: LazyLock<Signatures> = LazyLock::new(Signatures::builtin);

/// A leading byte picks a UTC offset of about ±23:40 (0x7f = +00:00), or
/// (0x00) Europe/Rome's rules, with their DST gaps and overlaps.
fn split_offset(data: &[u8]) -> Option<(oimdiag_vocab::timezone::LocalZone, &[u8])> {
    let (&first, rest) = data.split_first()?;
    if first == 0 {
        return Some((
            oimdiag_vocab::timezone::LocalZone::parse_flag("Europe/Rome").ok()?,
            rest,
        ));
    }
    let offset = FixedOffset::east_opt((i32::from(first) - 127) * 670)?;
    Some((offset.into(), rest))
}

/// UccApilog reader on arbitrary bytes; every record also goes through the
/// SIP reader, the built-in signature table and the EWS URL finder, as
/// `logs::read_log` does.
pub fn uccapilog(data: &[u8]) {
    let Some((offset, bytes)) = split_offset(data) else {
        return;
    };
    let mut records = 0u64;
    let stats = uccapilog::read_records(bytes, &offset, &mut |r| {
        records += 1;
        assert!(r.continuation.len() <= uccapilog::MAX_CONTINUATION);
        let _ = sip::sip_events(&r);
        let _ = sip::record_message(&r);
        let _ = BUILTIN.match_text(&r.text);
        for url in logs::ews_urls(&r.text) {
            let _ = logs::url_host(url);
        }
    })
    .expect("reading a slice never fails");
    assert_eq!(stats.records, records);
}

/// SIP packets inside records built from arbitrary text: after a mode byte,
/// the first line is the record text (forced to `Sending Packet` / `Data
/// Received` for modes 0 and 1 so the packet path is reached), the other
/// lines its continuation. Also every helper the SIP reader exposes.
pub fn sip(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split('\n').map(str::to_owned);
    let first = lines.next().unwrap_or_default();
    let continuation: Vec<String> = lines.collect();
    let record_text = match mode % 4 {
        0 => format!("Sending Packet - 10.0.0.1:5061 {first}"),
        1 => format!("Data Received - 10.0.0.1:5061 {first}"),
        _ => first.clone(),
    };
    let record = Record {
        line: 1,
        time: None,
        clock: Default::default(),
        level: Some("INFO".into()),
        text: record_text,
        continuation,
    };
    let _ = sip::sip_events(&record);
    if let Some(msg) = sip::parse_sip(&record.continuation) {
        let _ = msg.cseq_method();
        let _ = msg.method();
        let _ = msg.status();
        let _ = msg.headers_named("Via").count();
        for (_, v) in &msg.headers {
            let _ = sip::sip_address(v);
            let _ = sip::client_build_from_user_agent(v);
        }
        let _ = sip::provisioning_properties(&msg.body);
        let _ = sip::im_auto_archiving_option(&msg.body);
    }
    let _ = sip::sip_address(&first);
    let _ = sip::client_build_from_user_agent(&first);
    let _ = xml::decode_entities(&text);
    let _ = sip::provisioning_properties(&text);
    let _ = sip::im_auto_archiving_option(&text);
    let _ = sip::packet_direction(&first);
}

/// A spooled item's bytes as `spooler::read_item` sees them: decoded, sniffed
/// as MIME or XML, its date field parsed.
pub fn spool_item(data: &[u8]) {
    let data = data.get(..spooler::ITEM_READ_LIMIT).unwrap_or(data);
    let decoded = encoding::decode(data);
    let _ = encoding::is_texty(&decoded.text);
    let s = spooler::sniff(&decoded.text);
    if let Some(d) = &s.date_text {
        for secs in [0, 3600, -8 * 3600, 14 * 3600] {
            let offset = FixedOffset::east_opt(secs).expect("in range");
            let _ = timefmt::parse_content_date(d, &offset.into());
        }
    }
    for v in s.recipients.iter().chain(&s.sender) {
        assert!(v.contains('@'), "an address has an @: {v:?}");
    }
}

/// tracerpt CSV reader on arbitrary bytes; rows go through the SIP reader and
/// the signature table as in a scan.
pub fn tracerpt(data: &[u8]) {
    let Some((offset, bytes)) = split_offset(data) else {
        return;
    };
    let mut records = 0u64;
    let stats = tracerpt::read_records(bytes, &offset, BUILTIN.type_words(), &mut |r| {
        records += 1;
        let _ = sip::sip_events(&r);
        let _ = BUILTIN.match_text(&r.text);
    })
    .expect("reading a slice never fails");
    assert_eq!(stats.records, records);
    if let Ok(s) = std::str::from_utf8(bytes.get(..64).unwrap_or(bytes)) {
        let _ = tracerpt::parse_time(s, &offset);
    }
    if let Some(b) = bytes.get(..8) {
        let mut t = [0u8; 8];
        t.copy_from_slice(b);
        let _ = tracerpt::filetime(u64::from_le_bytes(t));
    }
}

/// PowerShell admin exports (Format-List text or ConvertTo-Json).
pub fn admin(data: &[u8]) {
    if let Ok(settings) = admin::parse_admin_export(data, Path::new("fuzz.txt")) {
        for s in settings {
            assert!(
                s.origin.excerpt.chars().count() <= 121,
                "excerpts are short: {:?}",
                s.origin.excerpt
            );
        }
    }
}

const EVENTS: [&str; 9] = [
    "oim.queued",
    "oim.processing",
    "oim.delivered",
    "oim.failed",
    "oim.spooled",
    "ews.response",
    "ews.autodiscover_ok",
    "ews.autodiscover_failed",
    "ews.status",
];

/// Signature files. The input is `JSON \0 TEXT`: the part before the first
/// NUL is a signature file (serde), the part after it log text to match.
/// When the JSON is not a signature file, it is read as
/// `pattern \x01 literal \x01 ...`: one entry, so regex compilation, the
/// literal prefilter and matching are reached from any input.
pub fn signatures(data: &[u8]) {
    let (json, text) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], data.get(i + 1..).unwrap_or(&[])),
        None => (data, &[][..]),
    };
    let json = String::from_utf8_lossy(json);
    let text = String::from_utf8_lossy(text);
    let _ = BUILTIN.match_text(&text);
    let entries = match serde_json::from_str::<SignatureFile>(&json) {
        Ok(file) => file.signatures,
        Err(_) => {
            let mut parts = json.split('\u{1}');
            let pattern = parts.next().unwrap_or_default().to_string();
            let event = EVENTS[json.len() % EVENTS.len()].to_string();
            vec![SignatureEntry {
                name: "fuzz".into(),
                ok: (event == "ews.status").then_some(json.len() & 1 == 0),
                event,
                pattern,
                require: parts.map(str::to_owned).collect(),
            }]
        }
    };
    if let Ok(sigs) = Signatures::compile(entries) {
        let _ = sigs.match_text(&text);
        let _ = sigs.match_text(&json);
        let _ = serde_json::to_string(&sigs.to_file()).expect("a table serialises");
    }
}

/// Hands out at most `step` bytes per `read`.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

type Lines = Vec<(u64, String, bool, bool)>;

fn collect_lines<R: Read>(r: R, limit: usize) -> (Encoding, Lines) {
    let mut lr = LineReader::with_limit(r, limit).expect("no I/O error");
    let enc = lr.encoding();
    let mut v = Vec::new();
    while let Some(l) = lr.next_line().expect("no I/O error") {
        v.push((l.number, l.text.to_owned(), l.lossy, l.cut));
    }
    (enc, v)
}

/// The streaming line reader. After a knob byte (line limit, read size), the
/// bytes are read twice, once from a slice and once through a reader that
/// hands out a few bytes per `read` (so blocks, UTF-16 code units and
/// surrogate pairs split anywhere): both must give the same lines. UTF-8
/// input is also checked against a plain split on `\n`.
pub fn lines(data: &[u8]) {
    let Some((&knobs, bytes)) = data.split_first() else {
        return;
    };
    let limit = 1 + usize::from(knobs & 0x3F) * 7;
    let step = [7, 13, 509, 4093][usize::from(knobs >> 6)];
    let (enc, whole) = collect_lines(bytes, limit);
    let (enc2, trickled) = collect_lines(Trickle { data: bytes, step }, limit);
    assert_eq!(enc, enc2);
    assert_eq!(whole, trickled, "lines depend on how reads are split");
    for (i, (n, _, _, _)) in whole.iter().enumerate() {
        assert_eq!(*n, i as u64 + 1);
    }
    // UTF-8 (after any BOM): the lines are the `\n`-separated pieces, each
    // cut to the limit, then one trailing `\r` dropped.
    let head = bytes.get(..512).unwrap_or(bytes);
    let (e, bom) = encoding::detect(head);
    if e == Encoding::Utf8 {
        let body = bytes.get(bom..).unwrap_or(&[]);
        let mut expect: Vec<(String, bool)> = Vec::new();
        if !body.is_empty() {
            let mut pieces: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
            if body.last() == Some(&b'\n') {
                pieces.pop();
            }
            for p in pieces {
                let cut = p.len() > limit;
                let mut raw = &p[..p.len().min(limit)];
                if let Some(r) = raw.strip_suffix(b"\r") {
                    raw = r;
                }
                // Not UTF-8 without a BOM: Windows-1252, unless only a
                // character cut at the limit is incomplete.
                let cut_char = cut
                    && encoding::without_cut_character(raw) < raw.len()
                    && std::str::from_utf8(&raw[..encoding::without_cut_character(raw)]).is_ok();
                let line = match std::str::from_utf8(raw) {
                    Ok(s) => s.to_owned(),
                    Err(_) if bom == 0 && !cut_char => encoding::windows_1252(raw).into_owned(),
                    Err(_) => String::from_utf8_lossy(raw).into_owned(),
                };
                expect.push((line, cut));
            }
        }
        let got: Vec<(String, bool)> = whole.iter().map(|l| (l.1.clone(), l.3)).collect();
        assert_eq!(got, expect);
    }
}
