//! Writing for a terminal: sanitising strings from scanned files, wrapping to
//! 80 columns, and the few ANSI colours the text report uses. Colour codes
//! come only from here, so no scanned string can carry one to the screen.

use std::fmt::Write;
use unicode_width::UnicodeWidthStr;

pub const WIDTH: usize = 80;

/// Makes a string safe for a terminal: control characters (escape sequences
/// among them) and bidirectional overrides become visible escapes, so a
/// hostile file name cannot rewrite the screen.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
        if c.is_control() || bidi {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// [`clean`] line by line: a message of several lines (a regex error points
/// at the pattern under it) keeps its line breaks, each later line indented
/// by `indent`; every other control character is escaped.
pub fn clean_lines(s: &str, indent: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        out.push_str(&clean(line));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Red,
    Yellow,
    Green,
    Cyan,
    Bold,
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Red => "\x1b[1;31m",
            Style::Yellow => "\x1b[1;33m",
            Style::Green => "\x1b[1;32m",
            Style::Cyan => "\x1b[36m",
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
        }
    }
}

pub const RESET: &str = "\x1b[0m";

/// Paints short labels when colour is on; a no-op otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    pub fn paint(self, style: Style, s: &str) -> String {
        if self.on {
            format!("{}{s}{RESET}", style.code())
        } else {
            s.to_string()
        }
    }
}

/// Columns a string takes on screen, as `unicode-width` counts them (a CJK
/// character two, a combining accent none); our own colour codes take none.
pub fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut rest = s;
    while let Some(k) = rest.find('\x1b') {
        n += rest.get(..k).unwrap_or_default().width();
        // CSI ... final byte in @..~
        let after = rest.get(k + 1..).unwrap_or_default();
        let end = after
            .char_indices()
            .find(|&(_, c)| ('@'..='~').contains(&c) && c != '[')
            .map_or(after.len(), |(i, c)| i + c.len_utf8());
        rest = after.get(end..).unwrap_or_default();
    }
    n + rest.width()
}

/// Word-wraps `text` to the report width, `first` before the first line and
/// `rest` before the others, by display columns (textwrap with
/// unicode-width). Words are what `split_whitespace` finds, one space
/// between them; a word longer than a line (a URL, a path) stays whole on a
/// line of its own rather than being cut, and a hyphen is no place to break.
pub fn wrap_into(o: &mut impl Write, text: &str, first: &str, rest: &str) {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return;
    }
    let text = words.join(" ");
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    for line in textwrap::wrap(&text, options) {
        let _ = o.write_str(&line);
        let _ = o.write_char('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_neutralised() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(clean("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(clean("two\nlines"), "two\\u{a}lines");
        assert_eq!(clean("plain é"), "plain é");
    }

    #[test]
    fn wraps_at_width() {
        let mut o = String::new();
        let text = "word ".repeat(40);
        wrap_into(&mut o, &text, "  ", "    ");
        assert!(o.lines().all(|l| l.chars().count() <= WIDTH));
        assert_eq!(o.lines().next().unwrap().len(), 2 + 15 * 5 - 1);
        assert!(o.lines().count() > 1);
        assert!(o.lines().nth(1).unwrap().starts_with("    word"));
    }

    #[test]
    fn colour_codes_take_no_columns() {
        let p = Paint { on: true };
        let label = p.paint(Style::Red, "FAILING");
        assert_eq!(visible_width(&label), 7);
        let mut o = String::new();
        wrap_into(&mut o, &"word ".repeat(40), &format!("{label} "), "  ");
        let first = o.lines().next().unwrap();
        assert!(visible_width(first) <= WIDTH && visible_width(first) > WIDTH - 6);
    }

    /// A CJK character takes two columns, a combining accent none: a line
    /// of them is wrapped by what the terminal shows, not by chars.
    #[test]
    fn wide_and_combining_characters_are_measured_by_columns() {
        assert_eq!(visible_width("日本語"), 6);
        assert_eq!(visible_width("Rene\u{301}e"), 5);
        let mut o = String::new();
        wrap_into(&mut o, &"日本語の名前 ".repeat(20), "  ", "  ");
        assert!(o.lines().count() > 2);
        for l in o.lines() {
            assert!(
                visible_width(l) <= WIDTH,
                "{} columns: {l}",
                visible_width(l)
            );
            assert!(visible_width(l) > WIDTH - 14 || l == o.lines().last().unwrap());
        }
    }

    /// A hyphenated word is no place to break, and a word longer than a
    /// line stays whole on a line of its own.
    #[test]
    fn long_and_hyphenated_words_stay_whole() {
        let mut o = String::new();
        let long = "x".repeat(90);
        let text = format!("{}a-b-c-d-e-f-g-h {long} end", "word ".repeat(14));
        wrap_into(&mut o, &text, "  ", "  ");
        let lines: Vec<&str> = o.lines().collect();
        assert_eq!(lines[0], format!("  {}word", "word ".repeat(13)));
        assert_eq!(
            lines[1..],
            ["  a-b-c-d-e-f-g-h", &format!("  {long}"), "  end"]
        );
        let mut empty = String::new();
        wrap_into(&mut empty, " \n ", "  x: ", "  ");
        assert_eq!(empty, "");
    }

    #[test]
    fn paint_off_is_plain() {
        assert_eq!(Paint { on: false }.paint(Style::Green, "ok"), "ok");
    }
}
