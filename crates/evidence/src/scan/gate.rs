//! A gate for the signature table, searched once per block of log text: one
//! regex, the alternation of a piece of each signature's pattern, so that a
//! record in whose text no piece occurs is known to match no signature
//! without trying one. The literal prefilter alone cannot tell: a literal
//! inside another word (`ews` in `news`, `offlineim` in `COfflineIMManager`)
//! makes every such record a candidate, and each candidate cost a regex run.
//!
//! Why it is exact. A signature's pattern is a concatenation `E1 E2 ... En`;
//! any match of it in a text contains a match of any run `Ei..Ej` of it, at
//! the same place, with the same context. The piece is such a run (the one
//! with the most fixed bytes), of elements that look at nothing outside the
//! text but ASCII word boundaries: no `^`, `$` or line anchors. A record's
//! text lies in the block between a non-word byte (or the block's start, or
//! a word byte: then the record is not gated) and a blank or line end, so a
//! word boundary tests the same in the block as in the text alone. The
//! pieces are taken from the ASCII automaton of each pattern (`unicode(false)`),
//! the one used on ASCII texts, and the gate is only used on ASCII blocks.
//! So a signature that matches the text has its piece match inside it; the
//! alternation then has a match starting at or before that place, and the
//! leftmost-first search over the block reports a match that overlaps the
//! text (one that ends before the text starts is passed over and the search
//! goes on from its end). The gate runs on the block lower-cased (the
//! literal search's copy), its pieces lower-cased to match.

use regex::bytes::{Regex, RegexBuilder};
use regex_automata::hybrid;
use std::sync::Arc;
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, HirKind, Look};

/// Gate matches kept per block; past this the block is not gated.
const MAX_SPANS: usize = 1 << 16;

/// The piece of `pattern` (compiled as the ASCII automaton of a signature:
/// case-insensitive, no Unicode) that every match of it contains, as a
/// regex; `None` when no run of it has at least three fixed bytes.
pub fn piece(pattern: &str) -> Option<String> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let subs: Vec<&Hir> = match hir.kind() {
        HirKind::Concat(v) => v.iter().collect(),
        _ => vec![&hir],
    };
    // The run of simple elements with the most fixed bytes.
    let mut best: Option<(usize, usize, usize)> = None; // (weight, from, to)
    let mut i = 0;
    while i < subs.len() {
        if !subs.get(i).is_some_and(|h| simple(h)) {
            i += 1;
            continue;
        }
        let from = i;
        while subs.get(i).is_some_and(|h| simple(h)) {
            i += 1;
        }
        let to = cut(subs.get(from..i).unwrap_or_default());
        let weight = subs
            .get(from..from + to)
            .unwrap_or_default()
            .iter()
            .map(|h| fixed(h))
            .sum();
        if best.is_none_or(|(w, _, _)| weight > w) {
            best = Some((weight, from, from + to));
        }
    }
    let (weight, from, to) = best?;
    if weight < 3 {
        return None;
    }
    let run: Vec<Hir> = subs.get(from..to)?.iter().map(|h| plain(h)).collect();
    Some(Hir::concat(run).to_string())
}

/// The gate of a signature table: the alternation of every pattern's piece,
/// or `None` when one pattern has none (then no record can be passed over).
pub fn gate<'p>(patterns: impl IntoIterator<Item = &'p str>) -> Option<Arc<Regex>> {
    let mut pieces: Vec<String> = Vec::new();
    for p in patterns {
        let piece = piece(p)?;
        if !pieces.contains(&piece) {
            pieces.push(piece);
        }
    }
    if pieces.is_empty() {
        return None;
    }
    let alternation: Vec<String> = pieces.iter().map(|p| format!("(?:{p})")).collect();
    RegexBuilder::new(&alternation.join("|"))
        .unicode(false)
        .size_limit(1 << 22)
        // The lazy DFA's cache, per thread that searches: a gate of a few
        // pieces needs few states, and the default (2 MiB, forward and
        // reverse) cost 7 MiB of peak memory over 20,000 small logs.
        .dfa_size_limit(1 << 18)
        .build()
        .ok()
        .map(Arc::new)
}

/// How much of a run of simple elements the piece keeps: up to its first
/// wide element (`.*?`, `[^\s]+`, a group holding one), unless fixed bytes
/// follow it, and then up to the end of those (`Autodiscover\s*:?\s*(?:.*?\s)?failed`,
/// `OfflineIM\s*:.*?\bqueued`): a word near a literal is what tells a
/// signature's line from a line that merely names the literal, while a
/// piece that runs on (the rest of a pattern's optional groups) costs the
/// lazy DFA states and the search for where a match starts a walk back.
fn cut(run: &[&Hir]) -> usize {
    let Some(wide) = run.iter().position(|h| !narrow(h)) else {
        return run.len();
    };
    let Some(word) = run
        .iter()
        .skip(wide + 1)
        .position(|h| fixed(h) > 0)
        .map(|k| wide + 1 + k)
    else {
        return wide;
    };
    let end = run
        .iter()
        .skip(word)
        .position(|h| fixed(h) == 0)
        .map_or(run.len(), |k| word + k);
    end
}

/// An ASCII word-boundary assertion (`\b` and kin with Unicode off).
fn ascii_word_look(l: &Look) -> bool {
    matches!(
        l,
        Look::WordAscii
            | Look::WordAsciiNegate
            | Look::WordStartAscii
            | Look::WordEndAscii
            | Look::WordStartHalfAscii
            | Look::WordEndHalfAscii
    )
}

/// An element that looks at nothing but ASCII word boundaries.
fn simple(h: &Hir) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => true,
        HirKind::Look(l) => ascii_word_look(l),
        HirKind::Repetition(r) => simple(&r.sub),
        HirKind::Capture(c) => simple(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(simple),
    }
}

/// A simple element whose repetitions without bound are of a few bytes
/// only (`\s*`, not `.*?`).
fn narrow(h: &Hir) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => true,
        HirKind::Look(l) => ascii_word_look(l),
        HirKind::Repetition(r) => {
            narrow(&r.sub)
                && (r.max.is_some()
                    || match r.sub.kind() {
                        HirKind::Literal(_) => true,
                        HirKind::Class(c) => class_len(c) <= 8,
                        _ => false,
                    })
        }
        HirKind::Capture(c) => narrow(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(narrow),
    }
}

/// Bytes a top-level element always matches the same way (up to case).
fn fixed(h: &Hir) -> usize {
    match h.kind() {
        HirKind::Literal(l) => l.0.len(),
        HirKind::Class(c) if class_len(c) <= 2 => 1,
        _ => 0,
    }
}

fn class_len(c: &Class) -> usize {
    match c {
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .map(|r| usize::from(r.end() - r.start()) + 1)
            .sum(),
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .map(|r| (u32::from(r.end()) - u32::from(r.start())) as usize + 1)
            .sum(),
    }
}

/// `h` without capture groups (their names would clash in the alternation),
/// for ASCII-lower-cased text: a case-insensitive pattern's classes hold
/// both cases of every letter they hold, so on lower-cased text the upper
/// case is dropped and the match is the same.
fn plain(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Literal(l) => Hir::literal(l.0.to_ascii_lowercase()),
        HirKind::Class(Class::Bytes(b)) => {
            let mut upper = ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]);
            upper.negate();
            let mut lower = b.clone();
            lower.intersect(&upper);
            Hir::class(Class::Bytes(lower))
        }
        HirKind::Capture(c) => plain(&c.sub),
        HirKind::Repetition(r) => Hir::repetition(regex_syntax::hir::Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(plain(&r.sub)),
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(plain).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(plain).collect()),
        _ => h.clone(),
    }
}

/// The gate searched from the places where a match may start, found by the
/// caller's literal pass over the block: every match of the gate starts with
/// one of [`prefixes`](Self::prefixes), so a pass that stops at each of them
/// (beside its own literals) finds every match, and the block is gone over
/// once instead of once for the literals and once for the gate's own
/// prefilter. At the first such place after the last match, a search
/// anchored there finds the match that the gate's leftmost-first search over
/// the block reports next (no match starts between the two places).
pub struct FromPrefixes {
    prefixes: Vec<Vec<u8>>,
    /// Forward only: an anchored search needs no reverse pass for its start.
    dfa: hybrid::dfa::DFA,
    /// Tells the caches of one automaton from another's.
    id: usize,
}

/// Most prefixes a literal pass is given (past this the gate runs on its own).
const MAX_PREFIXES: usize = 48;

impl FromPrefixes {
    /// `None` when the gate's matches cannot be told by a few prefixes.
    pub fn new(gate: &Regex) -> Option<FromPrefixes> {
        use regex_automata::{nfa::thompson, util::syntax};
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(gate.as_str())
            .ok()?;
        let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        let mut prefixes: Vec<Vec<u8>> = seq
            .literals()?
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .collect();
        prefixes.sort();
        prefixes.dedup();
        // One that starts with another adds no place to stop at.
        let all = prefixes.clone();
        prefixes.retain(|p| !all.iter().any(|q| q.len() < p.len() && p.starts_with(q)));
        if prefixes.is_empty()
            || prefixes.len() > MAX_PREFIXES
            || prefixes.iter().any(|p| p.len() < 3)
        {
            return None;
        }
        let dfa = hybrid::dfa::DFA::builder()
            .configure(
                hybrid::dfa::DFA::config()
                    .match_kind(regex_automata::MatchKind::LeftmostFirst)
                    .cache_capacity(1 << 18),
            )
            // On the block as written: the pieces' classes hold lower case
            // only, and folding them again gives back each class as the
            // case-insensitive pattern had it.
            .syntax(
                syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .case_insensitive(true),
            )
            .thompson(
                thompson::Config::new()
                    .nfa_size_limit(Some(1 << 22))
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build(gate.as_str())
            .ok()?;
        static IDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let id = IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(FromPrefixes { prefixes, dfa, id })
    }

    /// The literals every match starts with, lower-cased (a match in the
    /// block as written starts with one of them in any case).
    pub fn prefixes(&self) -> &[Vec<u8>] {
        &self.prefixes
    }

    /// The end of the gate's match that starts at `at` in `hay` (a block as
    /// written, not lower-cased), if any;
    /// `Err` when the automaton gave up (then the block cannot be gated).
    pub fn match_at(
        &self,
        cache: &mut GateCache,
        hay: &[u8],
        at: usize,
    ) -> Result<Option<usize>, GaveUp> {
        let cache = match &mut cache.0 {
            Some((id, c)) if *id == self.id => c,
            slot => &mut slot.insert((self.id, self.dfa.create_cache())).1,
        };
        let input = regex_automata::Input::new(hay)
            .range(at..)
            .anchored(regex_automata::Anchored::Yes);
        match self.dfa.try_search_fwd(cache, &input) {
            Ok(m) => Ok(m.map(|m| m.offset())),
            Err(_) => Err(GaveUp),
        }
    }
}

/// [`FromPrefixes::match_at`]'s automaton could not search (a byte it
/// quits on, a cache it could not keep): the block is not gated.
#[derive(Debug)]
pub struct GaveUp;

/// A searching thread's room for [`FromPrefixes::match_at`].
#[derive(Default)]
pub struct GateCache(Option<(usize, hybrid::dfa::Cache)>);

/// The gate's matches in one block, asked about record by record in order.
#[derive(Default)]
pub struct Spans {
    /// Byte ranges of the block, in order, not overlapping.
    list: Vec<(u32, u32)>,
    /// The first one that may still overlap a record's text.
    next: usize,
    /// The block was not gated (not ASCII, too many matches, too long):
    /// every record may match.
    open: bool,
}

impl Spans {
    /// Starts a block whose matches the caller finds (see [`FromPrefixes`]),
    /// `block` as written; whether it is gated (else every record may
    /// match, and nothing need be pushed).
    pub fn begin(&mut self, block: &[u8]) -> bool {
        self.list.clear();
        self.next = 0;
        self.open = !block.is_ascii() || u32::try_from(block.len()).is_err();
        !self.open
    }

    /// The next match, after the last one pushed; `false` when there are
    /// too many to keep (then the block is not gated).
    pub fn push(&mut self, start: usize, end: usize) -> bool {
        if self.list.len() >= MAX_SPANS {
            self.list.clear();
            self.list.shrink_to(MAX_SPANS);
            self.open = true;
            return false;
        }
        // Both fit: the block's length does.
        self.list.push((start as u32, end as u32));
        true
    }

    /// The block cannot be gated after all: every record may match.
    /// Returns `false` (nothing more to push).
    pub fn give_up(&mut self) -> bool {
        self.list.clear();
        self.open = true;
        false
    }

    /// The matches kept, or `None` when the block is not gated.
    #[cfg(test)]
    pub fn matches(&self) -> Option<&[(u32, u32)]> {
        (!self.open).then_some(self.list.as_slice())
    }

    /// Searches `lower`, a block ASCII-lower-cased, with `gate`.
    pub fn search(&mut self, gate: &Regex, lower: &[u8]) {
        self.list.clear();
        self.next = 0;
        self.open = !lower.is_ascii() || u32::try_from(lower.len()).is_err();
        if self.open {
            return;
        }
        for m in gate.find_iter(lower) {
            if self.list.len() >= MAX_SPANS {
                self.list.clear();
                self.list.shrink_to(MAX_SPANS);
                self.open = true;
                return;
            }
            // Both fit: the block's length does.
            self.list.push((m.start() as u32, m.end() as u32));
        }
    }

    /// Whether no match overlaps `start..end` (a byte range of the block);
    /// asked in block order, before [`may_match`](Self::may_match) about a
    /// text inside it.
    #[inline]
    pub fn none_in(&mut self, start: usize, end: usize) -> bool {
        if self.open {
            return false;
        }
        while let Some(&(_, e)) = self.list.get(self.next) {
            if e as usize > start {
                break;
            }
            self.next += 1;
        }
        self.list
            .get(self.next)
            .is_none_or(|&(s, _)| s as usize >= end)
    }

    /// Whether a signature may match the record text at `text` (a byte
    /// range of the block), after a word byte (`after_word`: then the
    /// gate cannot tell). Records are asked about in block order.
    #[inline]
    pub fn may_match(&mut self, text: (usize, usize), after_word: bool) -> bool {
        if self.open {
            return true;
        }
        while let Some(&(_, end)) = self.list.get(self.next) {
            if end as usize > text.0 {
                break;
            }
            self.next += 1;
        }
        let hit = self
            .list
            .get(self.next)
            .is_some_and(|&(start, _)| (start as usize) < text.1);
        hit || after_word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The piece of `pattern`, compiled as the gate compiles it.
    fn piece_regex(pattern: &str) -> Regex {
        let p = piece(pattern).unwrap();
        RegexBuilder::new(&p).unicode(false).build().unwrap()
    }

    #[test]
    fn pieces_of_the_builtin_shapes() {
        let re = piece_regex(r"OfflineIM\s*:.*?\bqueued\b");
        assert!(re.is_match(b"offlineim: queued message 7"));
        assert!(!re.is_match(b"cofflineimmanager::ontimer queued"));
        let re = piece_regex(
            r#"\bEWS\s*:?\s+(?:POST|GET)\s+(?P<url>https?://[^\s,;()<>"]+)\s*(?P<reason>.*)$"#,
        );
        assert!(re.is_match(b"ews: post https://x/ews/exchange.asmx -> 200"));
        assert!(!re.is_match(b"cuccnewsfeed: news views reviews"));
        assert!(!re.is_match(b"cewssubscription::renew"));
        // No run with three fixed bytes: no piece, no gate.
        assert_eq!(piece(r"(?P<id>\d+)$"), None);
        assert!(gate([r"OfflineIM\s*:", r"^\w+$"]).is_none());
    }

    #[test]
    fn a_word_after_a_wide_element_is_kept() {
        let re = piece_regex(r"Autodiscover\s*:?\s*(?:.*?\s)?failed\b[:\s]*(?P<reason>.*)$");
        assert!(re.is_match(b"autodiscover: request failed: 401"));
        assert!(!re.is_match(b"cautodiscovercache::lookup - key 1f hit=0"));
        // Nothing fixed after the wide element: the piece stops before it.
        let p = piece(r"EWS\s+Information\s*:\s*(?P<reason>\S.*)$").unwrap();
        assert!(!p.contains(".*"), "{p}");
    }

    #[test]
    fn anchors_end_a_piece() {
        let re = piece_regex(r"^EWS\s+Information\s*:\s*(?P<reason>EWS\s+Status\s+OK\b.*)$");
        // Not anchored: the text starts mid-block.
        assert!(re.is_match(b"xx\news information: ews status ok"));
    }

    #[test]
    fn spans_overlap_records_in_order() {
        let g = gate([r"\bEWS\s*:"]).unwrap();
        let block = b"a news line\news: up\nnot here\n";
        let mut s = Spans::default();
        s.search(&g, block);
        assert!(!s.may_match((0, 11), false));
        assert!(s.may_match((12, 19), false));
        assert!(!s.may_match((20, 28), false));
        // After a word byte the gate cannot tell.
        assert!(s.may_match((20, 28), true));
        // Not ASCII: open.
        s.search(&g, "é news\n".as_bytes());
        assert!(s.may_match((0, 5), false));
    }
}
