//! `Export-Csv` / `ConvertTo-Csv` output: PowerShell 5 writes a `#TYPE …`
//! line first, PowerShell 7 does not; then a header of property names and
//! one record per object. `-UseCulture` or `-Delimiter` change the separator
//! (`;` where the decimal mark is a comma), so it is read from the header
//! line: the one of `,` `;` tab `|` that splits it into property names we
//! know. Excel's `sep=;` first line names it outright. Quoting (fields with
//! the delimiter, quotes or line breaks inside) is the `csv` crate's.

use super::{is_identity, setting_object, short, TextProp};

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Where the header is and how the file is split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    /// Byte offset and 1-based line of the header line.
    offset: usize,
    line: u64,
    delimiter: u8,
}

/// The layout of `t` when it is CSV: a `#TYPE` (or `sep=`) line, or a header
/// line naming `Identity` or a setting as a field of its own.
pub(super) fn sniff(t: &str) -> Option<Layout> {
    let mut offset = 0;
    let mut typed = false;
    let mut sep = None;
    for (i, raw) in t.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if !typed
            && sep.is_none()
            && line
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case("#TYPE"))
        {
            typed = true;
            continue;
        }
        if sep.is_none() {
            if let Some([d]) = line.strip_prefix("sep=").map(str::as_bytes) {
                sep = Some(*d);
                continue;
            }
        }
        let (delimiter, known, fields) = match sep {
            Some(d) => {
                let (known, fields) = known_fields(line, d);
                (d, known, fields)
            }
            // Reversed: among equals, `max_by_key` keeps the last, and `,` is the default.
            None => DELIMITERS
                .iter()
                .rev()
                .map(|&d| {
                    let (known, fields) = known_fields(line, d);
                    (d, known, fields)
                })
                .max_by_key(|&(_, known, fields)| (known, fields))?,
        };
        let header = known > 0 && (fields > 1 || known == fields);
        return (header || typed || sep.is_some()).then_some(Layout {
            offset: at,
            line: i as u64 + 1,
            delimiter,
        });
    }
    None
}

/// How many fields of a header line are `Identity` or a setting, and how
/// many fields it has; no known field when one is not a property name (a
/// sentence that lists a setting between commas is no header).
fn known_fields(line: &str, delimiter: u8) -> (usize, usize) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line.as_bytes());
    match rdr.records().next() {
        Some(Ok(r)) if r.iter().all(is_name) => (
            r.iter()
                .filter(|f| is_identity(f.trim()) || setting_object(f.trim()).is_some())
                .count(),
            r.len(),
        ),
        Some(Ok(r)) => (0, r.len()),
        _ => (0, 0),
    }
}

/// A header field PowerShell could have written: a property name, no spaces.
fn is_name(field: &str) -> bool {
    let f = field.trim();
    !f.is_empty() && !f.contains(char::is_whitespace)
}

/// One object per record, each property named by the header; notes on rows
/// that did not fit the header.
pub(super) fn parse(t: &str, layout: &Layout) -> (Vec<Vec<TextProp>>, Vec<String>) {
    let mut objects = Vec::new();
    let mut notes = Vec::new();
    let Some(rest) = t.get(layout.offset..) else {
        return (objects, notes);
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(layout.delimiter)
        .from_reader(rest.as_bytes());
    let names: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|n| n.trim().to_string()).collect(),
        Err(e) => {
            notes.push(format!("the CSV header could not be read: {e}"));
            return (objects, notes);
        }
    };
    let mut ragged = 0usize;
    let (mut line, mut counted_to) = (layout.line, 0usize);
    for record in rdr.records() {
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                notes.push(format!(
                    "reading stopped at a bad CSV record: {}",
                    short(&e.to_string(), 80)
                ));
                break;
            }
        };
        if r.len() != names.len() {
            ragged += 1;
        }
        // Lines counted up to the record's first byte: the crate's own line
        // count lags, and its position may point at the line break before
        // the record (after the `\r` of a `\r\n`).
        let from = r.position().map_or(counted_to, |p| p.byte() as usize);
        let at = from
            + rest
                .as_bytes()
                .iter()
                .skip(from)
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        line += rest
            .as_bytes()
            .get(counted_to..at)
            .map_or(0, |b| memchr::memchr_iter(b'\n', b).count() as u64);
        counted_to = counted_to.max(at);
        objects.push(
            names
                .iter()
                .zip(r.iter())
                .map(|(name, value)| TextProp {
                    name: name.clone(),
                    value: value.to_string(),
                    line,
                })
                .collect(),
        );
    }
    if ragged > 0 {
        notes.push(format!(
            "{ragged} record(s) with more or fewer fields than the header (read by position)"
        ));
    }
    (objects, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS5: &str =
        "#TYPE Microsoft.Rtc.Management.WritableConfig.Policy.Client.ClientPolicy\r\n\
\"Identity\",\"Description\",\"EnableIMAutoArchiving\",\"TracingLevel\"\r\n\
\"Global\",\"\",\"True\",\"Light\"\r\n\
\"Tag:NoArchive\",\"Legal hold; \"\"HR\"\", ticket\r\nINC0012345\",\"False\",\"Off\"\r\n";

    fn rows(t: &str) -> Vec<Vec<(String, String, u64)>> {
        let layout = sniff(t).unwrap();
        parse(t, &layout)
            .0
            .into_iter()
            .map(|o| o.into_iter().map(|p| (p.name, p.value, p.line)).collect())
            .collect()
    }

    #[test]
    fn powershell_5_with_type_line_and_quoted_line_break() {
        let layout = sniff(PS5).unwrap();
        assert_eq!(layout.delimiter, b',');
        assert_eq!(layout.line, 2);
        let o = rows(PS5);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0][2], ("EnableIMAutoArchiving".into(), "True".into(), 3));
        assert_eq!(o[1][0].1, "Tag:NoArchive");
        assert_eq!(o[1][1].1, "Legal hold; \"HR\", ticket\r\nINC0012345");
        assert_eq!(o[1][2], ("EnableIMAutoArchiving".into(), "False".into(), 4));
    }

    #[test]
    fn the_delimiter_is_read_from_the_header() {
        for d in [";", "\t", "|", ","] {
            let t = format!(
                "\"Identity\"{d}\"Description\"{d}\"EnableOfflineIM\"\n\"Global\"{d}\"a, b; c | d\"{d}\"False\"\n"
            );
            let layout = sniff(&t).unwrap();
            assert_eq!(layout.delimiter, d.as_bytes()[0], "{d:?}");
            let o = rows(&t);
            assert_eq!(o[0][1].1, "a, b; c | d", "{d:?}");
            assert_eq!(o[0][2].1, "False", "{d:?}");
        }
        // Unquoted (PowerShell 7 `-UseQuotes Never`), and Excel's `sep=` line.
        assert_eq!(
            sniff("Identity;EnableOfflineIM\nGlobal;True\n")
                .unwrap()
                .delimiter,
            b';'
        );
        let t = "sep=|\nIdentity|Notes\nGlobal|x\n";
        assert_eq!(sniff(t).unwrap().delimiter, b'|');
        assert_eq!(rows(t)[0][1].2, 3);
    }

    #[test]
    fn other_text_is_not_csv() {
        for t in [
            "Identity        : Global\nEnableOfflineIM : False\n",
            "Identity      EnableIMAutoArchiving\n--------      ---------------------\nGlobal                         True\n",
            "Description : a, b; c\nEnableOfflineIM : True\n",
            "just words, EnableOfflineIM, here\n",
            "",
        ] {
            assert_eq!(sniff(t), None, "{t:?}");
        }
        // A single known column is CSV.
        assert!(sniff("\"EnableOfflineIM\"\n\"False\"\n").is_some());
    }

    #[test]
    fn ragged_records_are_read_by_position_and_noted() {
        let t = "Identity,EnableOfflineIM,Extra\nGlobal,False\nTag:x,True,1,2\n";
        let (o, notes) = parse(t, &sniff(t).unwrap());
        assert_eq!(o[0].len(), 2);
        assert_eq!(o[1].len(), 3);
        assert!(notes[0].starts_with("2 record(s)"), "{notes:?}");
    }
}
