//! Which of a few ASCII-case-insensitive literals occur in a record's text
//! and in its continuation lines, found for a whole block of records at
//! once: the block is lower-cased once and each literal searched with
//! memmem, so a record without any of them (nearly all) costs a comparison,
//! not a search per literal.
//!
//! Semantics are those of [`CiLiteral`]: ASCII letters match either case,
//! every other byte matches itself.

use crate::scan::ci::CiLiteral;
use crate::scan::gate::Spans;
use aho_corasick::packed;
use memchr::memmem::Finder;

/// At most this many literals: one bit each.
pub const MAX_LITERALS: usize = 64;

/// Occurrences kept per block: a block denser than this (hostile input,
/// a one-letter literal) is not searched as a whole, so memory stays bounded.
const MAX_HITS: usize = 1 << 16;

/// Bit `i` set: literal `i` occurs.
pub type Bits = u64;

/// Which literals occur in a record's text and in its continuation lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found {
    pub text: Bits,
    pub continuation: Bits,
    /// The signature gate (see [`gate`](crate::scan::gate)) says no
    /// signature matches the text; `false` when it cannot tell.
    pub no_signature: bool,
}

/// A set of literals, prepared for searching.
pub struct LiteralSet {
    /// ASCII-lower-cased.
    finders: Vec<Finder<'static>>,
    /// All of them at once (SIMD, when the CPU has it): where any starts.
    any: Option<packed::Searcher>,
    one_by_one: Vec<CiLiteral>,
    /// Empty literals: they occur everywhere.
    always: Bits,
    /// The signature gate, searched over each block beside the literals.
    gate: Option<std::sync::Arc<regex::bytes::Regex>>,
    /// See [`with_quiet`](Self::with_quiet).
    loud: Option<Bits>,
    /// See [`with_packet_only`](Self::with_packet_only).
    packet_only: Bits,
    /// Those literals at once: one pass over a packet rather than one each.
    any_in_packet: Option<packed::Searcher>,
}

impl LiteralSet {
    /// The first [`MAX_LITERALS`] of `literals`; later ones are ignored.
    pub fn new<S: AsRef<str>>(literals: &[S]) -> LiteralSet {
        LiteralSet::with_packet_only(literals, 0)
    }

    /// [`new`](Self::new), with the literals in `packet_only` not searched
    /// in the block: [`Hits::found`] never reports them, and the reader asks
    /// [`in_packet`](Self::in_packet) about the continuation of the records
    /// that start a SIP packet. Words that matter only in a packet's body
    /// also occur inside the words of noise lines, and each occurrence
    /// stopped the block's search.
    pub fn with_packet_only<S: AsRef<str>>(literals: &[S], packet_only: Bits) -> LiteralSet {
        let literals = literals.get(..MAX_LITERALS).unwrap_or(literals);
        let mut always = 0;
        for (i, l) in literals.iter().enumerate() {
            if l.as_ref().is_empty() {
                always |= 1 << i;
            }
        }
        // The block's and the packets', each searched all at once.
        let (mut lowered, mut packet) = (Vec::new(), Vec::new());
        for (i, l) in literals.iter().enumerate() {
            let l = l.as_ref().to_ascii_lowercase().into_bytes();
            if l.is_empty() {
                continue;
            }
            if packet_only & (1 << i) == 0 {
                lowered.push(l);
            } else {
                packet.push(l);
            }
        }
        LiteralSet {
            any: any_of(&lowered),
            any_in_packet: any_of(&packet),
            finders: literals
                .iter()
                .map(|l| Finder::new(l.as_ref().to_ascii_lowercase().as_bytes()).into_owned())
                .collect(),
            one_by_one: literals
                .iter()
                .map(|l| CiLiteral::new(l.as_ref()))
                .collect(),
            always,
            gate: None,
            loud: None,
            packet_only,
        }
    }

    /// Which of the [`with_packet_only`](Self::with_packet_only) literals lie
    /// within `range` of the block last searched into `hits`.
    pub fn in_packet(&self, hits: &Hits, range: (usize, usize)) -> Bits {
        let hay = hits.lower.get(range.0..range.1).unwrap_or_default();
        let mut bits = 0;
        if let Some(any) = &self.any_in_packet {
            // Where one starts, then which ones start there.
            let mut from = 0;
            while let Some(m) = any.find_in(hay, aho_corasick::Span::from(from..hay.len())) {
                let here = hay.get(m.start()..).unwrap_or_default();
                for (i, f) in self.finders.iter().enumerate() {
                    let n = f.needle();
                    if self.packet_only & (1 << i) != 0 && !n.is_empty() && here.starts_with(n) {
                        bits |= 1 << i;
                    }
                }
                from = m.start() + 1;
            }
            return bits;
        }
        for (i, f) in self.finders.iter().enumerate() {
            if self.packet_only & (1 << i) != 0 && f.find(hay).is_some() {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// The literals [`in_packet`](Self::in_packet) looks for.
    pub fn packet_only(&self) -> Bits {
        self.packet_only
    }

    /// The same set, with the signature table's gate searched in each block
    /// (see [`gate`](crate::scan::gate)).
    pub fn with_gate(mut self, gate: Option<std::sync::Arc<regex::bytes::Regex>>) -> LiteralSet {
        self.gate = gate;
        self
    }

    /// The same set, for a caller with nothing to do for a record that no
    /// gate match overlaps, that holds none of the literals in `loud`, and
    /// that is not a SIP packet (see [`Hits::quiet`]): a reader may count
    /// such a record without lending it. Only with a gate.
    pub fn with_quiet(mut self, loud: Bits) -> LiteralSet {
        self.loud = self.gate.is_some().then_some(loud);
        self
    }

    /// The literals a record must hold none of to be quiet, when the
    /// caller passes over quiet records.
    pub fn loud(&self) -> Option<Bits> {
        self.loud
    }

    pub fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }

    /// Which literals occur in `hay`, searched for one by one.
    pub fn in_text(&self, hay: &str) -> Bits {
        let mut bits = 0;
        for (i, l) in self.one_by_one.iter().enumerate() {
            if l.occurs_in(hay.as_bytes()) {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// Every occurrence of every literal in `block`, for [`Hits::found`].
    pub fn search_block(&self, block: &str, hits: &mut Hits) {
        hits.lower.clear();
        hits.lower
            .extend(block.as_bytes().iter().map(u8::to_ascii_lowercase));
        match &self.gate {
            Some(g) => hits.spans.search(g, &hits.lower),
            None => hits.spans = Spans::default(),
        }
        hits.gated = self.gate.is_some();
        hits.list.clear();
        if let Some(any) = &self.any {
            // Each place where one starts, then which ones start there.
            let hay = hits.lower.as_slice();
            let mut from = 0;
            while from < hay.len() {
                let Some(m) = any.find_in(hay, aho_corasick::Span::from(from..hay.len())) else {
                    break;
                };
                let start = m.start();
                let here = hay.get(start..).unwrap_or_default();
                if hits.list.len() >= MAX_HITS {
                    hits.too_many();
                    return;
                }
                for (i, f) in self.finders.iter().enumerate() {
                    let n = f.needle();
                    if !n.is_empty() && here.starts_with(n) && self.packet_only & (1 << i) == 0 {
                        let Some(hit) = Hit::new(start, n.len(), i) else {
                            hits.too_many();
                            return;
                        };
                        hits.list.push(hit);
                    }
                }
                from = start + 1;
            }
            hits.done(self.always);
            return;
        }
        for (i, f) in self.finders.iter().enumerate() {
            let len = f.needle().len();
            if len == 0 || self.packet_only & (1 << i) != 0 {
                continue;
            }
            let mut from = 0;
            // Overlapping occurrences too: one that starts before a record's
            // text may hide another inside it.
            while let Some(at) = hits.lower.get(from..).and_then(|h| f.find(h)) {
                let start = from + at;
                if hits.list.len() >= MAX_HITS {
                    hits.too_many();
                    return;
                }
                let Some(hit) = Hit::new(start, len, i) else {
                    hits.too_many();
                    return;
                };
                hits.list.push(hit);
                from = start + 1;
            }
        }
        hits.list.sort_unstable_by_key(|h| h.start);
        hits.done(self.always);
    }
}

/// All of `lowered` at once, when there are several to search (one alone
/// is searched faster by its memmem finder).
fn any_of<B: AsRef<[u8]>>(lowered: &[B]) -> Option<packed::Searcher> {
    (lowered.len() > 1)
        .then(|| {
            packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(lowered)
                .build()
        })
        .flatten()
}

/// One occurrence: byte offsets in the block (a block is far below 4 GiB),
/// 12 bytes rather than 24, for up to `MAX_HITS` per block and log.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: u32,
    end: u32,
    literal: u32,
}

impl Hit {
    /// `None` past what 32 bits hold (then the block is searched record by record).
    fn new(start: usize, len: usize, literal: usize) -> Option<Hit> {
        Some(Hit {
            start: u32::try_from(start).ok()?,
            end: u32::try_from(start.checked_add(len)?).ok()?,
            literal: u32::try_from(literal).ok()?,
        })
    }

    fn start(&self) -> usize {
        self.start as usize
    }

    fn end(&self) -> usize {
        self.end as usize
    }
}

/// The occurrences in one block, read record by record in block order.
#[derive(Default)]
pub struct Hits {
    lower: Vec<u8>,
    list: Vec<Hit>,
    /// The first hit not before the last record asked about.
    next: usize,
    always: Bits,
    /// More than [`MAX_HITS`]: the block's records are searched one by one.
    dense: bool,
    /// The gate's matches, when the set has a gate (`gated`).
    spans: Spans,
    gated: bool,
}

impl Hits {
    fn done(&mut self, always: Bits) {
        self.next = 0;
        self.always = always;
        self.dense = false;
    }

    fn too_many(&mut self) {
        self.list.clear();
        self.list.shrink_to(MAX_HITS);
        self.dense = true;
    }

    /// Whether the record at `start..end` (a byte range of the block) holds
    /// no gate match and no occurrence of the literals in `loud` (a match or
    /// an occurrence that begins before it and runs into it counts too). Asked
    /// before [`found`](Self::found) about the same record, in block order.
    pub fn quiet(&mut self, start: usize, end: usize, loud: Bits) -> bool {
        if self.dense || !self.gated || self.always & loud != 0 {
            return false;
        }
        while let Some(h) = self.list.get(self.next) {
            if h.start() >= start {
                break;
            }
            self.next += 1;
        }
        let quiet = self
            .list
            .get(self.next..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.start() < end)
            .all(|h| (1u64 << (h.literal % 64)) & loud == 0);
        quiet && self.spans.none_in(start, end)
    }

    /// Which literals lie wholly within `text` and within `continuation`
    /// (byte ranges of the block); records must be asked about in order,
    /// each starting at or after the end of the one before (`record_start`).
    /// `None` when the block had too many to keep: search the record itself.
    /// `text_after_word`: the byte before the text is an ASCII word byte
    /// (then the gate cannot tell).
    pub fn found(
        &mut self,
        record_start: usize,
        text: (usize, usize),
        continuation: (usize, usize),
        record_end: usize,
        text_after_word: bool,
    ) -> Option<Found> {
        if self.dense {
            return None;
        }
        let mut found = Found {
            text: self.always,
            continuation: self.always,
            no_signature: self.gated && !self.spans.may_match(text, text_after_word),
        };
        while let Some(h) = self.list.get(self.next) {
            if h.start() >= record_start {
                break;
            }
            self.next += 1;
        }
        let mut i = self.next;
        while let Some(h) = self.list.get(i) {
            if h.start() >= record_end {
                break;
            }
            let bit = 1u64 << (h.literal % 64);
            if h.start() >= text.0 && h.end() <= text.1 {
                found.text |= bit;
            }
            if h.start() >= continuation.0 && h.end() <= continuation.1 {
                found.continuation |= bit;
            }
            i += 1;
        }
        self.next = i;
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_only_literals_are_found_in_packets_alone() {
        let set = LiteralSet::with_packet_only(&["ews", "otherOptions", "provisiongroup"], 0b110);
        let block = "x EWS otheroptions\nProvisionGroup otherOPTIONS ews\n";
        let mut hits = Hits::default();
        set.search_block(block, &mut hits);
        let f = hits.found(0, (0, 18), (19, block.len()), block.len(), false).unwrap();
        assert_eq!((f.text, f.continuation), (0b1, 0b1));
        assert_eq!(set.in_packet(&hits, (0, 18)), 0b010);
        assert_eq!(set.in_packet(&hits, (19, block.len())), 0b110);
        assert_eq!(set.in_packet(&hits, (19, 30)), 0);
    }

    #[test]
    fn block_search_agrees_with_one_by_one() {
        let set = LiteralSet::new(&["ews", "aa", "OfflineIM", "é", ""]);
        let block = "xx EWS aaa\nOFFLINEim é\nnews\naAa";
        let mut hits = Hits::default();
        set.search_block(block, &mut hits);
        // Ranges: every pair of boundaries, in order, as records would be.
        let n = block.len();
        let f = hits.found(0, (3, 10), (11, 23), 23, false).unwrap();
        assert_eq!(f.text, set.in_text(&block[3..10]));
        assert_eq!(f.continuation, set.in_text(&block[11..23]));
        let f = hits.found(23, (24, 28), (28, n), n, false).unwrap();
        assert_eq!(f.text, set.in_text(&block[24..28]));
        assert_eq!(f.continuation, set.in_text(&block[28..n]));
        // Overlapping: "aa" inside "xaaa" starting after the first `a`.
        let mut hits = Hits::default();
        set.search_block("aaa", &mut hits);
        assert_eq!(hits.found(0, (1, 3), (3, 3), 3, false).unwrap().text & 2, 2);
        // A block too dense to keep every occurrence: none kept, records
        // searched one by one.
        let set = LiteralSet::new(&["a", "aa"]);
        set.search_block(&"a".repeat(MAX_HITS), &mut hits);
        assert_eq!(hits.found(0, (0, 1), (1, 2), 2, false), None);
        assert!(hits.list.capacity() <= 2 * MAX_HITS);
    }
}
