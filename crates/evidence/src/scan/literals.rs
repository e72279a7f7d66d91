//! Which of a few ASCII-case-insensitive literals occur in a record's text
//! and in its continuation lines, found for a whole block of records at
//! once: the block is lower-cased once and each literal searched with
//! memmem, so a record without any of them (nearly all) costs a comparison,
//! not a search per literal.
//!
//! Semantics are those of [`CiLiteral`]: ASCII letters match either case,
//! every other byte matches itself.

use crate::scan::ci::CiLiteral;
use crate::scan::gate::{FromPrefixes, GateCache, GaveUp, Spans};
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
    any_in_packet: Option<Caseless>,
    /// The literal each of `any_in_packet`'s is.
    in_packet_order: Vec<usize>,
    /// The block's literals and the places the gate's matches start, in one
    /// pass (see [`FromPrefixes`]); `None` when the gate must run on its own.
    /// How many of the searcher's patterns are the block's literals (they come first).
    with_gate_prefixes: Option<GatePass>,
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
            any_in_packet: Caseless::new(&packet, Some(SIP_HEADERS)),
            in_packet_order: (0..literals.len())
                .filter(|&i| packet_only & (1 << i) != 0 && literals.get(i).is_some_and(|l| !l.as_ref().is_empty()))
                .collect(),
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
            with_gate_prefixes: None,
        }
    }

    /// Which of the [`with_packet_only`](Self::with_packet_only) literals lie
    /// within `range` of `block` (as written, any case).
    pub fn in_packet(&self, block: &[u8], range: (usize, usize)) -> Bits {
        let hay = block.get(range.0..range.1).unwrap_or_default();
        let mut bits = 0;
        let Some(any) = &self.any_in_packet else {
            for (i, l) in self.one_by_one.iter().enumerate() {
                if self.packet_only & (1 << i) != 0 && l.occurs_in(hay) {
                    bits |= 1 << i;
                }
            }
            return bits;
        };
        // Where one may start, then which ones start there.
        let mut from = 0;
        while let Some(start) = any.find(hay, from) {
            for k in any.at(hay, start) {
                if let Some(&i) = self.in_packet_order.get(k) {
                    bits |= 1 << i;
                }
            }
            from = start + 1;
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
        self.with_gate_prefixes = gate.as_deref().and_then(FromPrefixes::new).and_then(|g| {
            let own: Vec<usize> = (0..self.finders.len())
                .filter(|&i| {
                    self.packet_only & (1 << i) == 0
                        && self.finders.get(i).is_some_and(|f| !f.needle().is_empty())
                })
                .collect();
            let mut all: Vec<&[u8]> = own
                .iter()
                .filter_map(|&i| self.finders.get(i).map(Finder::needle))
                .collect();
            // Of the prefixes with one head, only what they share is
            // compared, and the byte after it when every one goes on: the
            // automaton tells the rest, and one compare per stop is cheaper
            // than one per prefix.
            let mut shared: Vec<&[u8]> = Vec::new();
            for p in g.prefixes() {
                let head = p.get(..4).unwrap_or(p);
                match shared.iter_mut().find(|s| s.get(..4).unwrap_or(s) == head) {
                    Some(s) => {
                        let n = s.iter().zip(p).take_while(|(a, b)| a == b).count();
                        *s = s.get(..n).unwrap_or(s);
                    }
                    None => shared.push(p),
                }
            }
            let then = shared
                .iter()
                .map(|s| {
                    let mut set = [0u64; 4];
                    for p in g.prefixes().iter().filter(|p| p.starts_with(s)) {
                        let b = usize::from(*p.get(s.len())?);
                        *set.get_mut(b / 64)? |= 1 << (b % 64);
                    }
                    Some(set)
                })
                .collect();
            all.extend(shared);
            Some(GatePass {
                any: Caseless::new(&all, None)?,
                own,
                then,
                gate: g,
            })
        });
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
        if let Some(with) = &self.with_gate_prefixes {
            self.search_with_gate(with, block.as_bytes(), hits);
            return;
        }
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

impl LiteralSet {
    /// [`search_block`](Self::search_block) of `hay` as written, in one pass
    /// for the block's literals and the places the gate's matches start: no
    /// lower-cased copy is made.
    fn search_with_gate(&self, pass: &GatePass, hay: &[u8], hits: &mut Hits) {
        hits.gated = true;
        hits.list.clear();
        let mut gated = hits.spans.begin(hay);
        // Where the last gate match ends: the next starts there or later.
        let mut gate_end = 0;
        let mut from = 0;
        while let Some(start) = pass.any.find(hay, from) {
            let here = hay.get(start..).unwrap_or_default();
            let mut prefix = false;
            let low = lower_head(here);
            for (h, m, ls) in &pass.any.heads {
                if low & m != *h {
                    continue;
                }
                for &k in ls {
                    if !pass.any.starts(k, here) {
                        continue;
                    }
                    let Some(&i) = pass.own.get(k) else {
                        prefix = prefix || pass.goes_on(k, here);
                        continue;
                    };
                    let n = self.finders.get(i).map_or(0, |f| f.needle().len());
                    let hit = Hit::new(start, n, i).filter(|_| hits.list.len() < MAX_HITS);
                    let Some(hit) = hit else {
                        hits.too_many();
                        return;
                    };
                    hits.list.push(hit);
                }
            }
            if gated && prefix && start >= gate_end {
                match pass.gate.match_at(&mut hits.gate_cache, hay, start) {
                    Ok(Some(end)) => {
                        gated = hits.spans.push(start, end);
                        gate_end = end;
                    }
                    Ok(None) => {}
                    Err(GaveUp) => gated = hits.spans.give_up(),
                }
            }
            from = start + 1;
        }
        hits.done(self.always);
    }
}

/// The block's own literals and the gate's prefixes, searched in one pass.
struct GatePass {
    /// The own literals' heads, then the prefixes'.
    any: Caseless,
    /// The literal each of the first heads is.
    own: Vec<usize>,
    /// For each prefix searched (what a few prefixes share), the bytes
    /// that may follow it (lower-cased), when every one goes on.
    then: Vec<Option<[u64; 4]>>,
    gate: FromPrefixes,
}


impl GatePass {
    /// Whether the prefix searched as literal `k`, found at the start of
    /// `here`, goes on as one of the gate's prefixes does.
    #[inline]
    fn goes_on(&self, k: usize, here: &[u8]) -> bool {
        let Some(Some(set)) = k.checked_sub(self.own.len()).and_then(|j| self.then.get(j)) else {
            return true;
        };
        let len = self.any.literals.get(k).map_or(0, |l| l.len);
        here.get(len).is_some_and(|b| {
            let b = usize::from(b.to_ascii_lowercase());
            set.get(b / 64).is_some_and(|w| w & (1 << (b % 64)) != 0)
        })
    }
}

/// Where any of a few ASCII-lower-cased literals start in a text as
/// written, in any case: a packed search of every spelling of each literal's
/// first four bytes (the bytes its SIMD fingerprint looks at; spellings
/// differ only in case, so the fingerprints, and how often they stop where
/// no literal is, are those of a search of the lower-cased text), then the
/// literals with that head compared where it stops. Lower-casing the text
/// first cost a pass of its own and a copy of each block.
pub(crate) struct Caseless {
    any: packed::Searcher,
    /// Each distinct head (up to four bytes, lower-cased, as a
    /// little-endian word), the mask of its bytes in a word, and the
    /// literals (by their place in the list built from) that start with it.
    heads: Vec<(u32, u32, Vec<usize>)>,
    /// Where in each literal its head is.
    offsets: Vec<usize>,
    literals: Vec<Folded>,
}

/// Most spellings searched for at once.
const MAX_SPELLINGS: usize = 256;

impl Caseless {
    /// `usual`: a text like the ones searched; when given, each literal is
    /// looked for by the first four bytes of it that text lacks (then
    /// places are not found in order), else by its first four.
    fn new<B: AsRef<[u8]>>(lowered: &[B], usual: Option<&str>) -> Option<Caseless> {
        let mut heads: Vec<(u32, u32, Vec<usize>)> = Vec::new();
        let mut offsets = Vec::new();
        // Spellings of one head, then of the next.
        let mut spelled: Vec<Vec<Vec<u8>>> = Vec::new();
        for (i, l) in lowered.iter().enumerate() {
            let l = l.as_ref();
            let at = usual.map_or(0, |u| rarest_window(l, u.as_bytes()));
            offsets.push(at);
            let l = l.get(at..).unwrap_or(l);
            let head = l.get(..4).unwrap_or(l);
            if head.is_empty() {
                return None;
            }
            let (w, m) = (word(head), u32::MAX.checked_shr(32 - 8 * head.len() as u32).unwrap_or(0));
            if let Some(h) = heads.iter_mut().find(|h| (h.0, h.1) == (w, m)) {
                h.2.push(i);
                continue;
            }
            heads.push((w, m, vec![i]));
            let mut these: Vec<Vec<u8>> = vec![Vec::new()];
            for &b in head {
                let cases = [b.to_ascii_lowercase(), b.to_ascii_uppercase()];
                let n = if cases[0] == cases[1] { 1 } else { 2 };
                these = these
                    .iter()
                    .flat_map(|t| {
                        cases.iter().take(n).map(move |&c| {
                            let mut t = t.clone();
                            t.push(c);
                            t
                        })
                    })
                    .collect();
            }
            spelled.push(these);
        }
        // The first spelling of each head first: Teddy puts a new head in
        // the bucket its pattern number picks, and the later spellings of a
        // head into that head's bucket. Heads given one after another, each
        // numbered from a multiple of eight, all fell in one bucket, and
        // every place any of them might start was checked against them all.
        let mut spellings: Vec<Vec<u8>> = Vec::new();
        let most = spelled.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..most {
            spellings.extend(spelled.iter().filter_map(|h| h.get(k)).cloned());
        }
        if spellings.is_empty() || spellings.len() > MAX_SPELLINGS {
            return None;
        }
        let any = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .heuristic_pattern_limits(false)
            // Eight buckets hold the few heads; sixteen halve the bytes a step.
            .only_teddy_fat(Some(false))
            .builder()
            .extend(spellings)
            .build()?;
        let literals = lowered.iter().map(|l| Folded::new(l.as_ref())).collect();
        Some(Caseless {
            any,
            heads,
            offsets,
            literals,
        })
    }

    /// The first place at or after `from` where one of the literals' heads
    /// starts (perhaps not the whole literal).
    fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        if from >= hay.len() {
            return None;
        }
        self.any
            .find_in(hay, aho_corasick::Span::from(from..hay.len()))
            .map(|m| m.start())
    }

    /// The literals (by their place in the list built from) that start at
    /// `at` of `hay`, in any case.
    fn at<'s>(&'s self, hay: &'s [u8], at: usize) -> impl Iterator<Item = usize> + 's {
        let here = hay.get(at..).unwrap_or_default();
        self.with_head_at(here).filter(move |&i| {
            let start = self.offsets.get(i).and_then(|&o| at.checked_sub(o));
            start.is_some_and(|s| self.starts(i, hay.get(s..).unwrap_or_default()))
        })
    }

    /// The literals whose head `here` starts with, in any case.
    #[inline]
    fn with_head_at<'s>(&'s self, here: &[u8]) -> impl Iterator<Item = usize> + 's {
        let low = lower_head(here);
        self.heads
            .iter()
            .filter(move |&&(h, m, _)| low & m == h)
            .flat_map(|(_, _, ls)| ls.iter().copied())
    }

    /// Whether literal `i` starts `here`, in any case.
    #[inline]
    fn starts(&self, i: usize, here: &[u8]) -> bool {
        self.literals.get(i).is_some_and(|l| l.starts(here))
    }
}

/// Lines every SIP packet has some of: the packet-only literals are looked
/// for by what of them is rarest here (`application/` starts most content
/// types, the provisioning one's `roaming` does not).
const SIP_HEADERS: &str = "\
register sip:contoso.com sip/2.0
via: sip/2.0/tls 192.168.103.35:50331;branch=z9hg4bk84994356fb;ms-received-port=50331
max-forwards: 70
from: <sip:alice@contoso.com>;tag=93f8af704e;epid=7b1e2d3c4f
to: <sip:alice@contoso.com>;tag=3908c2f09c
call-id: e88ff1f2bd8124dd9b3a3beeea9faada
cseq: 4572 register
user-agent: uccapi/16.0.6965.5308 oc/16.0.6965.2117 (skype for business)
contact: <sip:192.168.103.35:50331;transport=tls;ms-opaque=d3470f2e1d>;methods=\"invite, message, info, subscribe, options, bye, cancel, notify, ack, refer, benotify\"
supported: gruu-10, adhoclist, msrtc-event-categories, ms-dialog-route-set-update
event: registration
accept: application/sdp, application/ms-imdn+xml, application/x-ms-ink, application/msrtc-event-categories+xml
content-type: application/sdp
session-expires: 720;refresher=uac
ms-keep-alive: uac;hop-hop=yes
server: rtc/6.0
expires: 0
content-length: 0
v=0
o=- 0 0 in ip4 192.168.103.35
s=session
c=in ip4 192.168.103.35
t=0 0
m=message 5060 sip null
a=accept-types:text/plain text/html
";

/// Where in `lower` the first four bytes that `usual` lacks start (0 when
/// it has them all).
fn rarest_window(lower: &[u8], usual: &[u8]) -> usize {
    (0..lower.len().saturating_sub(3))
        .find(|&o| {
            lower
                .get(o..o + 4)
                .is_some_and(|w| memchr::memmem::find(usual, w).is_none())
        })
        .unwrap_or(0)
}

/// A lower-cased literal, compared eight bytes at a time in any case: a
/// letter's byte with 0x20 set is its lower case, and only letters' bytes
/// get it.
struct Folded {
    len: usize,
    /// The literal and its letters' 0x20 bits, eight bytes a word (the
    /// last word's missing bytes zero in both).
    lower: Vec<u64>,
    letters: Vec<u64>,
}

impl Folded {
    fn new(lower: &[u8]) -> Folded {
        let letters: Vec<u8> = lower
            .iter()
            .map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 })
            .collect();
        Folded {
            len: lower.len(),
            lower: lower.chunks(8).map(word64).collect(),
            letters: letters.chunks(8).map(word64).collect(),
        }
    }

    /// Whether `hay` starts with the literal in any case.
    #[inline]
    fn starts(&self, hay: &[u8]) -> bool {
        let Some(h) = hay.get(..self.len) else {
            return false;
        };
        let mut at = 0;
        for (&l, &m) in self.lower.iter().zip(&self.letters) {
            let h = h.get(at..).unwrap_or_default();
            if word64(h.get(..8).unwrap_or(h)) | m != l {
                return false;
            }
            at += 8;
        }
        true
    }
}

/// The first four bytes of `here` (fewer at its end), lower-cased, as a
/// little-endian word.
#[inline]
fn lower_head(here: &[u8]) -> u32 {
    u32::from_le_bytes(word(here.get(..4).unwrap_or(here)).to_le_bytes().map(|b| b.to_ascii_lowercase()))
}

/// Up to four bytes as a little-endian word (missing ones zero).
#[inline]
fn word(b: &[u8]) -> u32 {
    match <[u8; 4]>::try_from(b) {
        Ok(w) => u32::from_le_bytes(w),
        Err(_) => b.iter().rev().fold(0, |w, &x| w << 8 | u32::from(x)),
    }
}

/// Up to eight bytes as a little-endian word (missing ones zero).
#[inline]
fn word64(b: &[u8]) -> u64 {
    match <[u8; 8]>::try_from(b) {
        Ok(w) => u64::from_le_bytes(w),
        Err(_) => b.iter().rev().fold(0, |w, &x| w << 8 | u64::from(x)),
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
    gate_cache: GateCache,
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
    #[inline]
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
    #[inline]
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
        assert_eq!(set.in_packet(block.as_bytes(), (0, 18)), 0b010);
        assert_eq!(set.in_packet(block.as_bytes(), (19, block.len())), 0b110);
        assert_eq!(set.in_packet(block.as_bytes(), (19, 30)), 0);
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

    /// The one pass over the block as written (the own literals and the
    /// gate's prefixes, the gate anchored where one starts) finds what the
    /// lower-cased block's literal search and the gate's own search over it
    /// find: the same hits, the same gate matches.
    #[test]
    fn one_pass_agrees_with_the_gate_searched_alone() {
        let sigs = crate::signatures::Signatures::builtin();
        let gates = [
            sigs.gate().unwrap(),
            crate::scan::gate::gate([r"\bEWS\s*:", r"OfflineIM\s*:.*?\bqueued\b", r"Record\s+1\d"])
                .unwrap(),
        ];
        let literals = [
            "/ews/exchange.asmx",
            "otherOptions",
            "provisionGroup",
            "application/vnd-microsoft-roaming-provisioning-v2+xml",
            "ews",
        ];
        // Pieces that start, end or nearly make a gate match or a literal,
        // in mixed case.
        let pieces = [
            "OfflineIM: queued", "offlineim :", "OFFLINEIM:", "COfflineIMManager::OnTimer",
            "OfflineIMEnabled=1", " message 7 ", "Queued", "processing", "delivered",
            "EWS: POST ", "ews GET ", "eWs:\t", "news information", "EWS Information: ",
            "https://x/EWS/Exchange.asmx", "/ews/exchange.ASMX", "/EWS/Exch",
            "Autodiscover: EWS url", "autodiscoverPending failed", "AUTODISCOVER failed",
            "record 12", "Record\t19", "otheroptions", "ProvisionGroup", "provision",
            "application/vnd-microsoft-roaming-provisioning-v2+xml", "Application/SDP",
            "vnd-microsoft-roaming-", "roaming-provisioning", "ropt", "ongr",
            "\n", "\r\n", " ", ":", "x", "_", "é",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for gate in &gates {
            let fast = LiteralSet::with_packet_only(&literals, 0b01110).with_gate(Some(gate.clone()));
            assert!(fast.with_gate_prefixes.is_some());
            let mut slow = LiteralSet::with_packet_only(&literals, 0b01110).with_gate(Some(gate.clone()));
            slow.with_gate_prefixes = None;
            let (mut a, mut b) = (Hits::default(), Hits::default());
            for round in 0..3000 {
                let n = 1 + (next() % 40) as usize;
                let block: String = (0..n)
                    .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                    .filter(|p| round % 2 == 0 || p.is_ascii())
                    .collect();
                fast.search_block(&block, &mut a);
                slow.search_block(&block, &mut b);
                assert_eq!(a.dense, b.dense, "{block:?}");
                let hits = |h: &Hits| h.list.iter().map(|h| (h.start, h.end, h.literal)).collect::<Vec<_>>();
                assert_eq!(hits(&a), hits(&b), "{block:?}");
                assert_eq!(a.spans.matches(), b.spans.matches(), "{block:?}");
                let bytes = block.as_bytes();
                let cut = (next() % (bytes.len() as u64 + 1)) as usize;
                for range in [(0, bytes.len()), (0, cut), (cut, bytes.len())] {
                    let hay = block.get(range.0..range.1);
                    let want = hay.map_or(0, |h| fast.in_text(h)) & 0b01110;
                    if hay.is_some() {
                        assert_eq!(fast.in_packet(bytes, range), want, "{block:?} {range:?}");
                    }
                }
            }
        }
    }
}
