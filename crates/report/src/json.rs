//! `--format json`: the report model as one JSON object, exactly as
//! `serde_json::to_writer_pretty` writes it, plus a final newline.
//!
//! A report of 100,000 spool items is some 80 MB of JSON, and rendering it
//! took a tenth of a second on one core after everything else was done. The
//! long lists (the spool items and the files scanned) are therefore rendered
//! a chunk of elements at a time on every core, and the chunks are written
//! in order as they come: the same bytes, a few chunks held at a time. The
//! rest is rendered by serde as it is; the two report objects that hold the
//! long lists are written field by field here, in the order of their
//! structs (a test checks every byte against serde's own rendering).

use super::model::{shown, Inputs, Report, ScannedOut, SpoolItemOut};
use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};
use std::sync::mpsc::sync_channel;

/// The report written as it is serialised, never held whole.
pub fn write(report: &Report, mut w: impl Write) -> io::Result<()> {
    let w = &mut w;
    let mut top = Object::begin(w, 0)?;
    top.field("schema_version", &report.schema_version)?;
    top.field("tool", &report.tool)?;
    top.field("scan_time", &report.scan_time)?;
    top.field("since", &report.since)?;
    top.field("utc_offset", &report.utc_offset)?;
    top.field("time_zone", &report.time_zone)?;
    top.field("redacted", &report.redacted)?;
    top.field("machine", &report.machine)?;
    top.field("summary", &report.summary)?;
    top.field("coverage", &report.coverage)?;
    top.field("facts", &report.facts)?;
    let items = &report.spool_items;
    top.field_with("spool_items", |w, depth| {
        array(w, depth, items.len(), |out, k, depth| match items.get(k) {
            Some(i) => spool_item(out, depth, &i),
            None => out.extend_from_slice(b"null"),
        })
    })?;
    top.field("attempts", &report.attempts)?;
    top.field("findings", &report.findings)?;
    top.field_with("inputs", |w, depth| inputs(w, depth, &report.inputs))?;
    top.end()?;
    w.write_all(b"\n")
}

fn inputs(w: &mut dyn Write, depth: usize, inputs: &Inputs) -> io::Result<()> {
    let mut o = Object::begin(w, depth)?;
    let scanned = &inputs.scanned;
    o.field_with("scanned", |w, depth| {
        array(w, depth, scanned.len(), |out, k, depth| {
            match scanned.get(k) {
                Some(s) => scanned_file(out, depth, s),
                None => out.extend_from_slice(b"null"),
            }
        })
    })?;
    o.field("skipped", &inputs.skipped)?;
    o.field("limits", &inputs.limits)?;
    o.end()
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("the report model always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// serde_json's `PrettyFormatter` (two spaces a level), starting at a depth
/// of `indent` levels, as it is when it reaches a value nested that deep.
struct Pretty {
    indent: usize,
    has_value: bool,
}

impl Pretty {
    fn at(indent: usize) -> Self {
        Pretty {
            indent,
            has_value: false,
        }
    }
}

fn indent<W: ?Sized + Write>(w: &mut W, levels: usize) -> io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    let mut n = levels * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        w.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

/// Before an element or a key `levels` deep: a new line (after a comma
/// unless it is the first) and the indent.
fn line_start<W: ?Sized + Write>(w: &mut W, first: bool, levels: usize) -> io::Result<()> {
    w.write_all(if first { b"\n" } else { b",\n" })?;
    indent(w, levels)
}

/// A closing `bracket` for a value `levels` deep: on a line of its own
/// after any element, right after the opening one if there was none.
fn close_line<W: ?Sized + Write>(
    w: &mut W,
    levels: usize,
    any: bool,
    bracket: &[u8],
) -> io::Result<()> {
    if any {
        w.write_all(b"\n")?;
        indent(w, levels)?;
    }
    w.write_all(bracket)
}

impl Pretty {
    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.indent += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`, on a line of its own after any value.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.indent -= 1;
        close_line(w, self.indent, self.has_value, bracket)
    }

    /// Before an element or a key: a new line, after a comma unless first.
    fn next<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        line_start(w, first, self.indent)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.next(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.next(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as it is rendered `depth` levels down.
fn value<T: Serialize + ?Sized>(w: &mut dyn Write, depth: usize, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Pretty::at(depth));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// A JSON object written a field at a time, `depth` levels down (its
/// fields one level further). No field is an empty object: serde writes
/// one as `{}`, which `end` does not.
struct Object<'w> {
    w: &'w mut dyn Write,
    depth: usize,
    first: bool,
}

impl<'w> Object<'w> {
    fn begin(w: &'w mut dyn Write, depth: usize) -> io::Result<Self> {
        w.write_all(b"{")?;
        Ok(Object {
            w,
            depth,
            first: true,
        })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> io::Result<()> {
        self.field_with(key, |w, depth| value(w, depth, v))
    }

    /// A field whose value `render` writes, given the depth it is at.
    fn field_with(
        &mut self,
        key: &str,
        render: impl FnOnce(&mut dyn Write, usize) -> io::Result<()>,
    ) -> io::Result<()> {
        line_start(self.w, self.first, self.depth + 1)?;
        self.first = false;
        value(self.w, 0, key)?;
        self.w.write_all(b": ")?;
        render(self.w, self.depth + 1)
    }

    fn end(self) -> io::Result<()> {
        close_line(self.w, self.depth, !self.first, b"}")
    }
}

/// Elements an array is rendered in, a chunk per thread at a time: about
/// 200 KB of spool items.
/// Items per chunk rendered by one thread (public for the tests that check
/// lists of several chunks).
pub const CHUNK: usize = 256;

/// The array of `len` elements, `depth` levels down, each written by
/// `element(out, k, its depth)`, rendered a chunk at a time on every core
/// and written in order. Each thread renders every `threads`-th chunk and
/// hands it over through a channel of one, so memory holds at most two
/// chunks per thread.
fn array<F>(w: &mut dyn Write, depth: usize, len: usize, element: F) -> io::Result<()>
where
    F: Fn(&mut Vec<u8>, usize, usize) + Sync,
{
    if len == 0 {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    // The elements of chunk `c`, each after its separator, into `out`.
    let render = |c: usize, out: &mut Vec<u8>| -> io::Result<()> {
        for k in c * CHUNK..len.min((c + 1) * CHUNK) {
            line_start(out, k == 0, depth + 1)?;
            element(out, k, depth + 1);
        }
        Ok(())
    };
    let chunks = len.div_ceil(CHUNK);
    let threads = oimdiag_vocab::threads::count(chunks);
    if threads == 1 {
        let mut buf = Vec::new();
        for c in 0..chunks {
            buf.clear();
            render(c, &mut buf)?;
            w.write_all(&buf)?;
        }
    } else {
        std::thread::scope(|s| -> io::Result<()> {
            let render = &render;
            let lanes: Vec<_> = (0..threads)
                .map(|t| {
                    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(1);
                    s.spawn(move || {
                        for c in (t..chunks).step_by(threads) {
                            let mut buf = Vec::with_capacity(CHUNK * 1024);
                            let r = render(c, &mut buf).map(|()| buf);
                            let failed = r.is_err();
                            // The writer stopped (a write failed): so do we.
                            if tx.send(r).is_err() || failed {
                                break;
                            }
                        }
                    });
                    rx
                })
                .collect();
            for c in 0..chunks {
                let chunk = lanes[c % threads]
                    .recv()
                    .map_err(|_| io::Error::other("a JSON rendering thread stopped"))??;
                w.write_all(&chunk)?;
            }
            Ok(())
        })?;
    }
    close_line(w, depth, true, b"]")
}

/// One spool item, `depth` levels down: its fields in the order of
/// [`SpoolItemOut`], written straight into the chunk (serde's general
/// path cost ten instructions a byte; a big report is mostly these).
fn spool_item(out: &mut Vec<u8>, depth: usize, i: &SpoolItemOut) {
    let mut o = Fields::begin(out, depth);
    o.str("path", &i.path);
    o.opt("user", i.user);
    o.ser("size_bytes", &i.size_bytes);
    o.str("sent_at", &i.sent_at);
    o.ser("sent_at_source", &i.sent_at_source);
    o.ser("age_seconds", &i.age_seconds);
    o.ser("state", &i.state);
    o.opt("recipient", i.recipient);
    o.strs("recipients", i.recipients.iter());
    o.opt("sender", i.sender);
    o.opt("message_class", i.message_class);
    o.ser("format", &i.format);
    o.opt("subject", i.subject);
    o.opt("problem", i.problem);
    o.ser("attempt_outcome", &i.attempt_outcome);
    o.end();
}

/// One of `inputs.scanned`, as [`spool_item`].
fn scanned_file(out: &mut Vec<u8>, depth: usize, s: &ScannedOut) {
    let mut o = Fields::begin(out, depth);
    o.str("path", &shown(&s.path));
    o.ser("kind", &s.kind);
    o.opt("note", s.note.as_deref());
    o.end();
}

/// An object's fields written as serde_json's pretty printer writes them,
/// `depth` levels down. The keys are plain names (nothing to escape); an
/// object has at least one field (serde writes an empty one as `{}`).
struct Fields<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    first: bool,
}

impl<'o> Fields<'o> {
    fn begin(out: &'o mut Vec<u8>, depth: usize) -> Self {
        out.push(b'{');
        Fields {
            out,
            depth,
            first: true,
        }
    }

    fn key(&mut self, key: &str) {
        debug_assert!(!key.bytes().any(needs_escape));
        // Writing to a Vec does not fail.
        let _ = line_start(self.out, self.first, self.depth + 1);
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\": ");
    }

    fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        string(self.out, v);
    }

    fn opt(&mut self, key: &str, v: Option<&str>) {
        self.key(key);
        match v {
            Some(v) => string(self.out, v),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// A list of strings, one a line as serde writes it (`[]` when empty).
    fn strs<'s>(&mut self, key: &str, v: impl Iterator<Item = &'s str>) {
        self.key(key);
        self.out.push(b'[');
        let mut first = true;
        for s in v {
            let _ = line_start(self.out, first, self.depth + 2);
            first = false;
            string(self.out, s);
        }
        let _ = close_line(self.out, self.depth + 1, !first, b"]");
    }

    /// A number, or a value serde writes on one line (an enum's name).
    fn ser<T: Serialize>(&mut self, key: &str, v: &T) {
        self.key(key);
        // Writing to a Vec does not fail, nor do these values.
        let _ = serde_json::to_writer(&mut *self.out, v);
    }

    fn end(self) {
        let _ = close_line(self.out, self.depth, !self.first, b"}");
    }
}

/// What serde_json escapes in a string: `"`, `\` and the control
/// characters below U+0020.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// `s` as a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    // Nearly every string has nothing to escape: learnt without a branch
    // per byte (the compiler runs this fold many bytes at a time).
    if !b.iter().fold(false, |any, &c| any | needs_escape(c)) {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut from = 0;
    for (k, &c) in b.iter().enumerate() {
        if !needs_escape(c) {
            continue;
        }
        out.extend_from_slice(b.get(from..k).unwrap_or_default());
        from = k + 1;
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xF)]);
            }
        }
    }
    out.extend_from_slice(b.get(from..).unwrap_or_default());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x100)
            .chain([0x2028, 0x1F600])
            .filter_map(char::from_u32)
        {
            all.push(c);
        }
        for s in [all.as_str(), "", "plain", "\\\"\\", "a\u{7f}é\u{0}"] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }
}
