//! The commonest lines of seven built-in patterns, read by hand.
//!
//! A dense log is mostly offline-message stories: every message queued,
//! processed, posted to EWS and delivered, each line a signature match
//! whose captures the backtracker takes in ~10,000 instructions (the
//! patterns' nested `.*?` and `[^…]+@[^…]+` make it try many paths). A line
//! written exactly as the client writes it is read here in a few hundred.
//!
//! A shape says only "this text matches, with these groups" and only for a
//! text of one rigid form, for which the regex's first path (greedy parts
//! as long as they go, lazy ones as short, each optional group taken)
//! succeeds, so that path is its match: any other text, or a variation in
//! case or blanks, is left to the automata. A shape applies to a pattern
//! that is, byte for byte, the one it was written for (whatever file the
//! pattern came from), and a test holds each against the automata.

/// The patterns (as `signatures.json` has them) a shape reads.
pub(super) const QUEUED: &str = r#"OfflineIM\s*:.*?\bqueued\b(?:\s+message\s+(?P<id>[\w.{}-]+))?(?:.*?\bfor\s+(?:sip:)?(?P<recipient>[^\s,;()<>"]+@[^\s,;()<>"]+))?"#;
pub(super) const PROCESSING: &str = r#"OfflineIM\s*:.*?\bprocessing\b(?:\s+message\s+(?P<id>[\w.{}-]+))?(?:.*?(?P<url>https?://[^\s,;()<>"]+))?"#;
pub(super) const DELIVERED: &str = r#"OfflineIM\s*:(?:.*?\bmessage\s+(?P<id>[\w.{}-]+))?.*?\bdelivered\b(?:\s+to\s+(?:sip:)?(?P<recipient>[^\s,;()<>"]+@[^\s,;()<>"]+))?"#;
pub(super) const FAILED: &str = r#"OfflineIM\s*:(?:.*?\bmessage\s+(?P<id>[\w.{}-]+))?.*?\bfailed\b[:\s]*(?P<reason>(?:.*?\b(?P<status>[1-5]\d\d)\b)?.*)$"#;
pub(super) const SPOOLED: &str = r#"OfflineIM\s*:(?:.*?\bmessage\s+(?P<id>[\w.{}-]+))?.*?\bspooled\b(?:.*?\bfile\s+(?P<file>[^\s()"]+))?"#;
pub(super) const AUTODISCOVER: &str = r#"Autodiscover\s*:.*?\bEWS\s+internal\s+URL\s+(?P<url>https?://[^\s,;()<>"]+)(?:.*?\bexternal\s+URL\s+(?P<url2>https?://[^\s,;()<>"]+))?"#;
pub(super) const EWS_POST: &str = r#"\bEWS\s*:?\s+(?:POST|GET)\s+(?P<url>https?://[^\s,;()<>"]+)(?:\s+\w+)?\s*(?:->|=>|returned|:)\s*(?P<status>\d{3})\b\s*(?P<reason>.*)$"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// `OfflineIM: queued message <id> for sip:<address>…`
    Queued,
    /// `OfflineIM: processing message <id> via EWS <url>…`
    Processing,
    /// `OfflineIM: message <id> delivered to sip:<address>…`
    Delivered,
    /// `OfflineIM: message <id> failed<reason>`
    Failed,
    /// `OfflineIM: message <id> spooled to History Spooler (file <file>…`
    Spooled,
    /// `EWS: POST <url> <word> -> <status>[ <reason>]`
    EwsPost,
    /// `Autodiscover: EWS internal URL <url>, external URL <url2>…`
    Autodiscover,
}

/// The groups of a match, by capture name (those the pattern has).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Groups<'t> {
    pub id: Option<&'t str>,
    pub recipient: Option<&'t str>,
    pub url: Option<&'t str>,
    pub url2: Option<&'t str>,
    pub status: Option<&'t str>,
    pub file: Option<&'t str>,
    pub reason: Option<&'t str>,
}

impl Groups<'_> {
    /// The group named `name` (one of `CAPTURES`).
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        match name {
            "id" => self.id,
            "recipient" => self.recipient,
            "url" => self.url,
            "url2" => self.url2,
            "status" => self.status,
            "file" => self.file,
            "reason" => self.reason,
            _ => None,
        }
    }
}

impl Shape {
    /// The shape written for `pattern`, if any.
    pub(super) fn of(pattern: &str) -> Option<Shape> {
        [
            (QUEUED, Shape::Queued),
            (PROCESSING, Shape::Processing),
            (DELIVERED, Shape::Delivered),
            (FAILED, Shape::Failed),
            (SPOOLED, Shape::Spooled),
            (EWS_POST, Shape::EwsPost),
            (AUTODISCOVER, Shape::Autodiscover),
        ]
        .into_iter()
        .find_map(|(p, s)| (p == pattern).then_some(s))
    }

    /// The pattern's fixed words (`fixed_words`, which a test holds this
    /// to): a match contains each, in some case.
    pub(super) fn words(&self) -> &'static [&'static str] {
        match self {
            Shape::Queued => &["offlineim", "queued"],
            Shape::Processing => &["offlineim", "processing"],
            Shape::Delivered => &["offlineim", "delivered"],
            Shape::Failed => &["offlineim", "failed"],
            Shape::Spooled => &["offlineim", "spooled"],
            Shape::EwsPost => &[],
            Shape::Autodiscover => &["autodiscover", "internal"],
        }
    }

    /// The groups of the pattern's match in `text` when `text` has this
    /// shape; `None`: it has not (the automata decide).
    pub(super) fn groups<'t>(self, text: &'t str) -> Option<Groups<'t>> {
        let mut r = Reader { text, at: 0 };
        match self {
            // `OfflineIM\s*:` at 0 (the leftmost start); `.*?` one blank (at
            // the blank `\bqueued` fails); the message group; then `.*?` one
            // blank before `\bfor`, `\s+`, `sip:` taken, and the address.
            Shape::Queued => {
                r.word(b"OfflineIM: queued message ")?;
                let id = r.id()?;
                r.word(b" for sip:")?;
                let recipient = r.address()?;
                Some(Groups {
                    id: Some(id),
                    recipient: Some(recipient),
                    ..Groups::default()
                })
            }
            // As queued; the lazy `.*?` before the URL stops at the first
            // `http` after the id, and ` via EWS ` has none.
            Shape::Processing => {
                r.word(b"OfflineIM: processing message ")?;
                let id = r.id()?;
                r.word(b" via EWS ")?;
                let url = r.url()?;
                Some(Groups {
                    id: Some(id),
                    url: Some(url),
                    ..Groups::default()
                })
            }
            // The optional message group's `.*?` is one blank (at the blank
            // `\bmessage` fails), then `.*?` one blank before `\bdelivered`.
            Shape::Delivered => {
                r.word(b"OfflineIM: message ")?;
                let id = r.id()?;
                r.word(b" delivered to sip:")?;
                let recipient = r.address()?;
                Some(Groups {
                    id: Some(id),
                    recipient: Some(recipient),
                    ..Groups::default()
                })
            }
            // As delivered up to `\bfailed\b` (a word's end after it);
            // `[:\s]*` takes every colon and blank after, and, with no line
            // end in the text, `(?:.*?\b([1-5]\d\d)\b)?.*$` has the first
            // such number as the status (if any) and all the rest as the
            // reason.
            Shape::Failed => {
                if text.as_bytes().contains(&b'\n') {
                    return None;
                }
                r.word(b"OfflineIM: message ")?;
                let id = r.id()?;
                r.word(b" failed")?;
                let rest = r.rest();
                if rest.bytes().next().is_some_and(is_word) {
                    return None;
                }
                let reason = rest.trim_start_matches(|c| c == ':' || is_space(c as u8));
                let from = text.len() - reason.len();
                let b = text.as_bytes();
                let status = (from..b.len()).find_map(|p| {
                    let d = b.get(p..p + 3)?;
                    let number = (b'1'..=b'5').contains(&d[0])
                        && d[1].is_ascii_digit()
                        && d[2].is_ascii_digit();
                    let starts = p == 0 || !is_word(b[p - 1]);
                    let ends = b.get(p + 3).is_none_or(|&c| !is_word(c));
                    (number && starts && ends).then(|| &text[p..p + 3])
                });
                Some(Groups {
                    id: Some(id),
                    status,
                    reason: Some(reason),
                    ..Groups::default()
                })
            }
            // As delivered up to `\bspooled\b`; the lazy `.*?` before
            // `\bfile` stops at the first `file` after a word's end, and
            // ` to History Spooler (` has none.
            Shape::Spooled => {
                r.word(b"OfflineIM: message ")?;
                let id = r.id()?;
                r.word(b" spooled to History Spooler (file ")?;
                let file = r.run(|b| !is_space(b) && !matches!(b, b'(' | b')' | b'"'))?;
                Some(Groups {
                    id: Some(id),
                    file: Some(file),
                    ..Groups::default()
                })
            }
            // `.*?` one blank before `\bEWS`; the URL as long as it goes,
            // then the lazy `.*?` before `\bexternal` is the comma and the
            // blank (neither starts the word).
            Shape::Autodiscover => {
                r.word(b"Autodiscover: EWS internal URL ")?;
                let url = r.url()?;
                r.word(b", external URL ")?;
                let url2 = r.url()?;
                Some(Groups {
                    url: Some(url),
                    url2: Some(url2),
                    ..Groups::default()
                })
            }
            // `(?:\s+\w+)?` takes the word, `\s*` the blank, `->`, `\s*`
            // the blank, three digits and a word's end (a blank or the
            // end), `\s*` every blank after, and `.*$` the rest: so the
            // text must have no line end (`.` stops at one).
            Shape::EwsPost => {
                if text.as_bytes().contains(&b'\n') {
                    return None;
                }
                r.word(b"EWS: POST ")?;
                let url = r.url()?;
                r.word(b" ")?;
                r.run(|b| b.is_ascii_alphanumeric() || b == b'_')?;
                r.word(b" -> ")?;
                let status = r.run(|b| b.is_ascii_digit())?;
                if status.len() != 3 {
                    return None;
                }
                let rest = r.rest();
                let reason = match rest.as_bytes().first() {
                    None => rest,
                    Some(b' ') => rest.trim_start_matches(|c| is_space(c as u8)),
                    Some(_) => return None,
                };
                Some(Groups {
                    url: Some(url),
                    status: Some(status),
                    reason: Some(reason),
                    ..Groups::default()
                })
            }
        }
    }
}

/// `\w` without Unicode.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `\s` without Unicode.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// `[^\s,;()<>"]` without Unicode (on an ASCII text).
fn in_address(b: u8) -> bool {
    !is_space(b) && !matches!(b, b',' | b';' | b'(' | b')' | b'<' | b'>' | b'"')
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Reader<'t> {
    fn rest(&self) -> &'t str {
        self.text.get(self.at..).unwrap_or("")
    }

    /// These exact bytes next.
    fn word(&mut self, w: &[u8]) -> Option<()> {
        self.rest()
            .as_bytes()
            .starts_with(w)
            .then(|| self.at += w.len())
    }

    /// The longest run (of one byte or more) of bytes `keep` takes.
    fn run(&mut self, keep: impl Fn(u8) -> bool) -> Option<&'t str> {
        let rest = self.rest();
        let n = rest.bytes().take_while(|&b| keep(b)).count();
        let run = rest.get(..n).filter(|r| !r.is_empty())?;
        self.at += n;
        Some(run)
    }

    /// `[\w.{}-]+`, as long as it goes.
    fn id(&mut self) -> Option<&'t str> {
        self.run(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'{' | b'}' | b'-'))
    }

    /// `[^\s,;()<>"]+@[^\s,;()<>"]+` on the longest run of those bytes
    /// with one `@`, neither first nor last: the whole run.
    fn address(&mut self) -> Option<&'t str> {
        let run = self.run(in_address)?;
        let b = run.as_bytes();
        let at = b.iter().position(|&c| c == b'@')?;
        (at > 0 && at + 1 < b.len() && b.iter().filter(|&&c| c == b'@').count() == 1).then_some(run)
    }

    /// `https?://[^\s,;()<>"]+`, as long as it goes (the class holds `:`
    /// and `/`).
    fn url(&mut self) -> Option<&'t str> {
        let rest = self.rest().as_bytes();
        let scheme = if rest.starts_with(b"https://") {
            8
        } else if rest.starts_with(b"http://") {
            7
        } else {
            return None;
        };
        let run = self.run(in_address)?;
        (run.len() > scheme).then_some(run)
    }
}
