//! `Format-Table` text: a header row, a row of dashes under it, one row per
//! object; a blank line ends the table (a file may hold several, `>>`).
//!
//! PowerShell draws each dash run exactly under its header label, and aligns
//! a value either to the label's start (text) or to its end (numbers), so a
//! value always overlaps its column's dashes at one end. Column positions
//! come from the dashes, and a word of a row belongs to the column whose
//! dashes it overlaps; a word in the gap after a column continues that
//! column's value (`Description` text longer than its label). With `-Wrap`,
//! a value too long for its column goes on in the next lines, told apart from
//! the next object by their Identity cell (see [`continues`]). Without it,
//! the value is cut: `…` from PowerShell 7, `...` from PowerShell 5; a cut
//! value is kept as it is (never completed: a cut boolean is no boolean),
//! and a cut header names no property, except `Identity`'s.
//!
//! Positions are counted in characters: PowerShell pads with spaces, one per
//! character of the values it writes here (names and `True`/`False`).

use super::{is_cut, is_identity, setting_object, short, TextProp};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    /// Character positions of the dashes, `[start, end)`.
    start: usize,
    end: usize,
    name: String,
}

/// A whitespace-delimited word of a line: character and byte positions.
#[derive(Debug, Clone, Copy)]
struct Word {
    from: usize,
    to: usize,
    byte_from: usize,
    byte_to: usize,
}

struct Row {
    line: u64,
    cells: Vec<String>,
}

/// The objects of the tables in `t` and notes on what was not read; `None`
/// when `t` holds no table (no header over a row of dashes).
pub(super) fn parse(t: &str) -> Option<(Vec<Vec<TextProp>>, Vec<String>)> {
    let lines: Vec<&str> = t.lines().collect();
    let mut objects = Vec::new();
    let mut notes = Vec::new();
    let mut table: Option<Vec<Column>> = None;
    let mut row: Option<Row> = None;
    let mut found = false;
    let mut outside = 0usize;
    let mut first_outside: Option<&str> = None;
    let mut cut_headers: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let next = lines.get(i + 1).copied().unwrap_or("");
        if let Some(columns) = header(line, next) {
            flush(&mut row, table.as_deref(), &mut objects);
            cut_headers.extend(cut_names(&columns));
            table = Some(columns);
            found = true;
            i += 2;
            continue;
        }
        i += 1;
        if line.trim().is_empty() {
            flush(&mut row, table.as_deref(), &mut objects);
            table = None;
            continue;
        }
        let Some(columns) = table.as_deref() else {
            outside += 1;
            first_outside.get_or_insert(line.trim());
            continue;
        };
        let cells = cells(line, columns);
        match row.as_mut() {
            Some(r) if continues(&cells, columns) => {
                for (into, more) in r.cells.iter_mut().zip(&cells) {
                    if !more.is_empty() {
                        if !into.is_empty() {
                            into.push(' ');
                        }
                        into.push_str(more);
                    }
                }
            }
            _ => {
                flush(&mut row, Some(columns), &mut objects);
                row = Some(Row {
                    line: i as u64,
                    cells,
                });
            }
        }
    }
    flush(&mut row, table.as_deref(), &mut objects);
    if !found {
        return None;
    }
    if let Some(first) = cut_headers.first() {
        notes.push(format!(
            "{} column header(s) cut by Format-Table (e.g. `{first}`): such a column is not read",
            cut_headers.len()
        ));
    }
    if let Some(first) = first_outside {
        notes.push(format!(
            "{outside} line(s) outside any table not read (first: `{}`)",
            short(first, 60)
        ));
    }
    Some((objects, notes))
}

/// Whether a row goes on from the one above (`-Wrap`): its Identity cell is
/// empty, or is no identity's start (every identity is `Global` or scoped,
/// `Tag:…`, `Site:…`, `Service:…`) and not cut (a table that cuts does not
/// wrap); without an Identity column, its first cell is empty.
fn continues(cells: &[String], columns: &[Column]) -> bool {
    match columns.iter().position(|c| is_identity(&c.name)) {
        Some(k) => cells.get(k).is_some_and(|c| {
            c.is_empty() || !(is_cut(c) || c.contains(':') || c.eq_ignore_ascii_case("global"))
        }),
        None => cells.first().is_some_and(String::is_empty),
    }
}

/// The row being built, as an object.
fn flush(row: &mut Option<Row>, columns: Option<&[Column]>, out: &mut Vec<Vec<TextProp>>) {
    let (Some(r), Some(columns)) = (row.take(), columns) else {
        return;
    };
    out.push(
        columns
            .iter()
            .zip(r.cells)
            .map(|(c, value)| TextProp {
                name: c.name.clone(),
                value,
                line: r.line,
            })
            .collect(),
    );
}

/// Cut headers that could be a property we read: named in a note. A cut
/// `Identity` label is still read as the Identity (it is PowerShell's first
/// column, and its values say what they are).
fn cut_names(columns: &[Column]) -> Vec<String> {
    columns
        .iter()
        .filter(|c| is_cut(&c.name))
        .map(|c| c.name.clone())
        .collect()
}

/// The columns of a table whose header is `head` and whose dashes row is
/// `dashes`; `None` unless every label lies within its dashes and every run
/// of dashes has a label (so a `Format-List` value of dashes is no table).
fn header(head: &str, dashes: &str) -> Option<Vec<Column>> {
    let runs = dash_runs(dashes)?;
    let labels = words(head);
    if labels.is_empty() {
        return None;
    }
    let mut columns = Vec::with_capacity(runs.len());
    let mut used = 0;
    for (start, end) in runs {
        let inside: Vec<&Word> = labels
            .iter()
            .filter(|w| w.from >= start && w.to <= end)
            .collect();
        let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
            return None;
        };
        used += inside.len();
        let name = head.get(first.byte_from..last.byte_to)?.to_string();
        columns.push(Column {
            start,
            end,
            name: read_name(name),
        });
    }
    (used == labels.len()).then_some(columns)
}

/// A cut `Identity` label (`Ident…`) is the Identity column all the same.
fn read_name(label: String) -> String {
    let stem = label.trim_end_matches('…').trim_end_matches("...");
    if is_cut(&label)
        && !stem.is_empty()
        && "identity".starts_with(&stem.to_ascii_lowercase())
        && setting_object(stem).is_none()
    {
        "Identity".to_string()
    } else {
        label
    }
}

/// `----  ---------` → character runs of dashes; `None` if the line has
/// anything but dashes and spaces, or no dash.
fn dash_runs(line: &str) -> Option<Vec<(usize, usize)>> {
    let mut runs = Vec::new();
    let mut start = None;
    let mut n = 0;
    for (i, c) in line.chars().enumerate() {
        n = i + 1;
        match c {
            '-' => {
                start.get_or_insert(i);
            }
            ' ' => {
                if let Some(s) = start.take() {
                    runs.push((s, i));
                }
            }
            _ => return None,
        }
    }
    if let Some(s) = start {
        runs.push((s, n));
    }
    (!runs.is_empty()).then_some(runs)
}

fn words(line: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur: Option<Word> = None;
    for (col, (b, c)) in line.char_indices().enumerate() {
        if c.is_whitespace() {
            out.extend(cur.take());
            continue;
        }
        let end = b + c.len_utf8();
        match cur.as_mut() {
            Some(w) => {
                w.to = col + 1;
                w.byte_to = end;
            }
            None => {
                cur = Some(Word {
                    from: col,
                    to: col + 1,
                    byte_from: b,
                    byte_to: end,
                })
            }
        }
    }
    out.extend(cur);
    out
}

/// The cell of each column in a row: its words from the first to the last,
/// spaces between them kept.
fn cells(line: &str, columns: &[Column]) -> Vec<String> {
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; columns.len()];
    for w in words(line) {
        let k = columns
            .iter()
            .position(|c| w.from < c.end && c.start < w.to)
            .or_else(|| columns.iter().rposition(|c| c.start <= w.from))
            .unwrap_or(0);
        if let Some(span) = spans.get_mut(k) {
            let (from, _) = span.unwrap_or((w.byte_from, w.byte_to));
            *span = Some((from, w.byte_to));
        }
    }
    spans
        .into_iter()
        .map(|s| {
            s.and_then(|(a, b)| line.get(a..b))
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(t: &str) -> Vec<Vec<(String, String, u64)>> {
        parse(t)
            .unwrap()
            .0
            .into_iter()
            .map(|o| o.into_iter().map(|p| (p.name, p.value, p.line)).collect())
            .collect()
    }

    fn cell<'a>(o: &'a [(String, String, u64)], name: &str) -> &'a str {
        &o.iter().find(|p| p.0 == name).unwrap().1
    }

    #[test]
    fn left_and_right_aligned_values_and_long_text() {
        let t = "\r\n\
Identity      Description                 EnableIMAutoArchiving TracingLevel\r\n\
--------      -----------                 --------------------- ------------\r\n\
Global                                                     True            1\r\n\
Tag:NoArchive Legal hold exemption for HR False                    123456789\r\n\
\r\n";
        let o = props(t);
        assert_eq!(o.len(), 2);
        assert_eq!(cell(&o[0], "Identity"), "Global");
        assert_eq!(cell(&o[0], "Description"), "");
        assert_eq!(cell(&o[0], "EnableIMAutoArchiving"), "True");
        assert_eq!(o[0][0].2, 4);
        assert_eq!(cell(&o[1], "Identity"), "Tag:NoArchive");
        assert_eq!(cell(&o[1], "Description"), "Legal hold exemption for HR");
        assert_eq!(cell(&o[1], "EnableIMAutoArchiving"), "False");
        // Right-aligned and wider than its label: still its own column.
        assert_eq!(cell(&o[1], "TracingLevel"), "123456789");
        assert_eq!(o[1][0].2, 5);
    }

    #[test]
    fn wrapped_rows_continue_the_object_above() {
        // `-Wrap`: Identity and Description go on in the lines below.
        let t = "Identity   Description EnableOfflineIM\n\
                 --------   ----------- ---------------\n\
                 Tag:AVeryL Legal hold            False\n\
                 ongName    for HR\n           \
                 (ticket 7)\n\
                 Global                            True\n\
                 Site:Rome                         True\n";
        let o = props(t);
        assert_eq!(o.len(), 3, "{o:?}");
        assert_eq!(cell(&o[0], "Identity"), "Tag:AVeryL ongName");
        assert_eq!(cell(&o[0], "Description"), "Legal hold for HR (ticket 7)");
        assert_eq!(cell(&o[0], "EnableOfflineIM"), "False");
        assert_eq!(cell(&o[1], "Identity"), "Global");
        assert_eq!(o[1][0].2, 6);
        assert_eq!(cell(&o[2], "Identity"), "Site:Rome");
    }

    #[test]
    fn continuation_is_told_by_the_identity_column_wherever_it_is() {
        let t = "EnableIMAutoArchiving Identity\n\
                   --------------------- --------\n                \
                   False Tag:A\n                 \
                   True Global\n";
        let o = props(t);
        assert_eq!(o.len(), 2, "{o:?}");
        assert_eq!(cell(&o[0], "Identity"), "Tag:A");
    }

    #[test]
    fn several_tables_and_lines_outside_them() {
        let t = "PS C:\\> Get-CsImConfiguration | ft Identity,EnableOfflineIM\n\
\n\
Identity EnableOfflineIM\n\
-------- ---------------\n\
Global             False\n\
\n\
\n\
Identity      EnableIMAutoArchiving\n\
--------      ---------------------\n\
Tag:NoArchive                 False\n";
        let (objects, notes) = parse(t).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1][1].name, "EnableIMAutoArchiving");
        assert_eq!(objects[1][1].line, 10);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("1 line(s) outside any table") && notes[0].contains("PS C:"),
            "{notes:?}"
        );
    }

    #[test]
    fn cut_headers_are_noted_and_a_cut_identity_label_is_still_identity() {
        let t = "Iden… EnableIMAutoArc…\n\
----- ----------------\n\
Global            True\n";
        let (objects, notes) = parse(t).unwrap();
        assert_eq!(objects[0][0].name, "Identity");
        assert_eq!(objects[0][1].name, "EnableIMAutoArc…");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("`Iden…`") || notes[0].contains("EnableIMAutoArc…"));
    }

    #[test]
    fn format_list_text_is_no_table() {
        // A value of dashes under a property line: the label is not within the dashes.
        let t = "Identity    : Global\nDescription : notes\n              -----\nEnableOfflineIM : False\n";
        assert!(parse(t).is_none());
        let t = "Identity        : Tag:NoArchive\nEnableOfflineIM : False\n";
        assert!(parse(t).is_none());
        // Dashes with no label over one of them.
        assert!(parse("Identity\n-------- ----\nGlobal\n").is_none());
    }

    #[test]
    fn odd_lines_never_panic() {
        for t in [
            "-\n-",
            "a\n-",
            "é ü\n- -\nß\u{2026} x",
            "Identity\n--------\n\u{2026}\u{2026}\u{2026}\u{2026}\u{2026}\u{2026}\u{2026}\u{2026}\u{2026}x y z",
            "x\n---\n   \t  \n",
        ] {
            let _ = parse(t);
        }
    }
}
