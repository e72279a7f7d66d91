//! The log signature table: data that maps log text to typed events
//! (BRIEF §3.4). The offline-IM and EWS wording is ASSUMED, so the table is an
//! embedded default (`signatures.json`) that a user file can extend or replace
//! without a rebuild.

use crate::scan::ci::CiLiteral;
use crate::scan::literals::LiteralSet;
use oimdiag_vocab::events::{SigEvent, SigFields};
use regex::{Regex, RegexBuilder};
use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, backtrack, backtrack::BoundedBacktracker};
use regex_automata::util::pool::Pool;
use serde::{Deserialize, Serialize};
use shapes::Shape;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::path::Path;
use std::sync::OnceLock;

mod shapes;

pub const BUILTIN_JSON: &str = include_str!("signatures.json");

/// The largest signature file accepted.
const MAX_SIGNATURE_FILE: usize = 4 << 20;

const CAPTURES: [&str; 7] = ["id", "recipient", "url", "url2", "status", "file", "reason"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(default = "one")]
    pub version: u32,
    /// For user files: `extend` (default; tried before the built-ins) or `replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    pub signatures: Vec<SignatureEntry>,
    /// ASSUMED: the fields of a `ConvertTo-Json` `Identity` object that name
    /// its scope. Left out of a user file: the built-in list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_identity_fields: Option<IdentityFieldsSection>,
    /// ASSUMED: tracerpt's `Type` words (translated on non-English Windows)
    /// per level. Left out of a user file: the built-in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracerpt_type_words: Option<TypeWordsSection>,
}

/// The `admin_identity_fields` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFieldsSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// A marker: this table is a guess (no public sample shows the shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed: Option<bool>,
    pub fields: Vec<IdentityFieldEntry>,
}

/// One way an `Identity` object names its scope: `{"field": "Identity"}`
/// (the field holds the whole identity), `{"field": "ScopeClass",
/// "name_field": "Name"}` (the scope class and the name in it) or
/// `{"field": "Tag", "scope": "Tag"}` (the field's value is a name in that
/// scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFieldEntry {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// How a field of an `Identity` object gives the scope's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityField {
    /// The field holds the whole identity (`Global`, `Tag:NoArchive`).
    Whole(String),
    /// `scope` holds the scope class (`Tag`, `Site`, `Global`) and `name` the
    /// name within it: `Tag` + `NoArchive` is `Tag:NoArchive`. A `name` alone
    /// is the name; a scope alone (`Global`) the identity.
    ScopeAndName { scope: String, name: String },
    /// The field's name is the scope class, its value the name: `"Tag":
    /// "NoArchive"` is `Tag:NoArchive`.
    Prefixed { field: String, scope: String },
}

impl IdentityFieldEntry {
    fn compile(&self) -> Result<IdentityField, String> {
        let what = |f: &str| format!("admin_identity_fields: entry '{f}'");
        let field = self.field.trim();
        if field.is_empty() {
            return Err("admin_identity_fields: an entry has an empty 'field'".into());
        }
        let nonempty = |key: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Err(format!("{}: '{key}' is empty", what(field)))
            } else {
                Ok(v.to_string())
            }
        };
        match (&self.name_field, &self.scope) {
            (Some(_), Some(_)) => Err(format!(
                "{}: give 'name_field' (the field holds the scope class) or 'scope' (its value \
                 is a name in that scope), not both",
                what(field)
            )),
            (Some(n), None) => Ok(IdentityField::ScopeAndName {
                scope: field.to_string(),
                name: nonempty("name_field", n)?,
            }),
            (None, Some(sc)) => {
                let scope = nonempty("scope", sc)?;
                if scope.contains(':') {
                    return Err(format!(
                        "{}: 'scope' is a scope class such as Tag or Site, without ':'",
                        what(field)
                    ));
                }
                Ok(IdentityField::Prefixed {
                    field: field.to_string(),
                    scope,
                })
            }
            (None, None) => Ok(IdentityField::Whole(field.to_string())),
        }
    }
}

/// The `tracerpt_type_words` section: level → the `Type` words that mean it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeWordsSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// A marker: these words are a guess (no public sample shows them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed: Option<bool>,
    pub levels: std::collections::BTreeMap<String, Vec<String>>,
}

/// The levels a `Type` word can mean, as UccApilog writes them.
pub const LEVELS: &[&str] = &["FATAL", "ERROR", "WARNING", "INFO", "VERBOSE", "TRACE"];

/// `Type` words (lower-cased) to levels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeWords(std::collections::HashMap<String, &'static str>);

impl TypeWords {
    /// The level `word` means (any case), if the table knows it.
    pub fn level(&self, word: &str) -> Option<&'static str> {
        self.0.get(&word.trim().to_lowercase()).copied()
    }

    /// Adds a section's words; a word already known takes the section's level.
    fn add(&mut self, section: &TypeWordsSection) -> Result<(), String> {
        let mut mine: std::collections::HashMap<String, &'static str> = Default::default();
        for (level, words) in &section.levels {
            let Some(l) = LEVELS.iter().find(|l| l.eq_ignore_ascii_case(level.trim())) else {
                return Err(format!(
                    "tracerpt_type_words: unknown level '{level}' (one of: {})",
                    LEVELS.join(", ")
                ));
            };
            for w in words {
                let lower = w.trim().to_lowercase();
                if lower.is_empty() {
                    return Err(format!("tracerpt_type_words: an empty word under {l}"));
                }
                if lower.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "tracerpt_type_words: '{w}' under {l} is a number: ETW level numbers \
                         (1 to 5) are read without the table"
                    ));
                }
                if let Some(other) = mine.insert(lower, l).filter(|o| o != l) {
                    return Err(format!(
                        "tracerpt_type_words: '{w}' is under both {other} and {l}"
                    ));
                }
            }
        }
        self.0.extend(mine);
        Ok(())
    }
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Extend,
    Replace,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEntry {
    pub name: String,
    pub event: String,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
}

struct Compiled {
    event: SigEvent,
    /// The pattern as written, with Unicode: for texts that are not ASCII.
    /// A built-in pattern with an ASCII automaton compiles it on first use
    /// (nearly every text is ASCII, and the Unicode classes are most of the
    /// table's start-up); any other pattern at once, so that a bad one is
    /// named when the table is loaded.
    unicode: OnceLock<Regex>,
    pattern: String,
    /// The same pattern without Unicode, for ASCII texts (nearly all): on
    /// them it matches and captures exactly as the Unicode one does (`\w`,
    /// `\s`, `\b`, `.` and case folding differ only on non-ASCII
    /// characters), and its much smaller automaton is faster, above all for
    /// captures. Only for an ASCII pattern (a non-ASCII letter may fold to an
    /// ASCII one), and only when it compiles (`\p{..}` does not). A built-in
    /// pattern's is built on first use (the lines of the client's own form
    /// never need it, see `shape`), any other's at once.
    ascii: OnceLock<Option<Ascii>>,
    /// The literal every text tried contains, for `Ascii::new`.
    implied: Option<String>,
    ok: Option<bool>,
    /// Indexes into the prefilter's literal list; empty = always try.
    require: Vec<usize>,
    /// The group of each of `CAPTURES`, if the pattern has it: known when
    /// an automaton is (at once for a pattern that is not built in).
    groups: OnceLock<[Option<usize>; CAPTURES.len()]>,
    /// The form of its commonest lines, read by hand (ASCII texts only).
    shape: Option<Shape>,
    /// The shape's pattern's fixed words (`Shape::words`), but the implied
    /// one: an ASCII text without one of them is no match, told without
    /// building the automata.
    shape_words: Vec<CiLiteral>,
}

impl Compiled {
    /// The Unicode automaton, compiled now if it was left for later.
    #[expect(
        clippy::expect_used,
        reason = "left for later only for built-in patterns, which a test compiles"
    )]
    fn unicode(&self) -> &Regex {
        self.unicode.get_or_init(|| {
            unicode_regex(&self.pattern).expect("a built-in pattern compiles with Unicode")
        })
    }

    /// The ASCII automata, built now if they were left for later.
    fn ascii(&self) -> Option<&Ascii> {
        self.ascii
            .get_or_init(|| {
                let pattern = &self.pattern;
                pattern
                    .is_ascii()
                    .then(|| Ascii::new(pattern, self.implied.as_deref()))
                    .flatten()
            })
            .as_ref()
    }

    /// The group of each of `CAPTURES`: both automata have the pattern's
    /// groups, in the same order.
    fn groups(&self) -> &[Option<usize>; CAPTURES.len()] {
        self.groups.get_or_init(|| {
            let names: Vec<Option<&str>> = match (self.unicode.get(), self.ascii()) {
                (Some(re), _) => re.capture_names().collect(),
                (None, Some(a)) => a
                    .captures
                    .get_nfa()
                    .group_info()
                    .pattern_names(regex_automata::PatternID::ZERO)
                    .collect(),
                (None, None) => self.unicode().capture_names().collect(),
            };
            CAPTURES.map(|c| names.iter().position(|n| *n == Some(c)))
        })
    }

    /// The fields from the captures (`get` a group's text by its index), as
    /// a match gives them.
    fn fields<'t>(&self, get: impl Fn(usize) -> Option<&'t str>) -> SigFields {
        let groups = self.groups();
        self.fields_named(|n| {
            let k = CAPTURES.iter().position(|c| *c == n)?;
            groups.get(k).copied().flatten().and_then(&get)
        })
    }

    /// The same with the groups by name.
    fn fields_named<'t>(&self, get: impl Fn(&str) -> Option<&'t str>) -> SigFields {
        // Copied only where a field keeps the text as it is.
        let get = |n: &str| get(n).map(str::trim).filter(|s| !s.is_empty());
        let owned = |n: &str| get(n).map(str::to_string);
        SigFields {
            id: owned("id"),
            recipient: get("recipient").map(normalise_address),
            url: owned("url"),
            url2: owned("url2"),
            status: get("status").and_then(|s| s.parse().ok()),
            file: owned("file"),
            reason: owned("reason"),
            ok: self.ok,
        }
    }

    /// The first match's fields in `text` (ASCII), if any.
    fn match_ascii(&self, a: &Ascii, text: &str) -> Option<SigFields> {
        let hay = text.as_bytes();
        if !a.words.iter().all(|w| w.occurs_in(hay)) {
            return None;
        }
        let mut caches = a.caches.get();
        if a.is_match(&mut caches, hay) == Some(false) {
            return None;
        }
        // ASCII: any byte offset is a character boundary.
        if hay.len() > a.captures.max_haystack_len() {
            let caps = match a.long() {
                Some(re) => {
                    let mut caps = re.create_captures();
                    re.captures(hay, &mut caps);
                    caps
                }
                None => {
                    let vm = thompson::pikevm::PikeVM::new_from_nfa(a.captures.get_nfa().clone())
                        .ok()?;
                    let mut caps = vm.create_captures();
                    vm.captures(&mut vm.create_cache(), hay, &mut caps);
                    caps
                }
            };
            return caps
                .is_match()
                .then(|| self.fields(|g| caps.get_group(g).and_then(|m| text.get(m.range()))));
        }
        let mut caps = a.captures.create_captures();
        a.captures
            .try_captures(&mut caches.captures, hay, &mut caps)
            .ok()?;
        caps.is_match()
            .then(|| self.fields(|g| caps.get_group(g).and_then(|m| text.get(m.range()))))
    }

    /// The same with the Unicode automaton, for any text.
    fn match_unicode(&self, text: &str) -> Option<SigFields> {
        let re = self.unicode();
        if !re.is_match(text) {
            return None;
        }
        let caps = re.captures(text)?;
        Some(self.fields(|g| caps.get(g).map(|m| m.as_str())))
    }
}

const NFA_SIZE_LIMIT: usize = 1 << 22;

fn unicode_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(NFA_SIZE_LIMIT)
        .build()
}

/// A pattern's ASCII automata, all of one parse and one NFA (building a
/// pattern's automata is most of the table's start-up).
struct Ascii {
    /// Whether it matches: a lazy DFA, which stops at the first match.
    test: hybrid::dfa::DFA,
    /// Its captures, once `test` said yes: the backtracker over the text at
    /// once (a DFA forward and one back to find the match's ends first
    /// cost more on a line than they save).
    captures: BoundedBacktracker,
    caches: Pool<Caches, NewCaches>,
    /// The captures of a text longer than `captures` takes: a meta regex
    /// (DFAs find the match's ends, then the captures are taken over the
    /// match alone), built when first needed. `None` when it does not build
    /// (a reverse automaton over the size limit): the PikeVM of the NFA.
    long: OnceLock<Option<regex_automata::meta::Regex>>,
    pattern: String,
    /// Fixed words every match contains (ASCII case aside): a text without
    /// one of them is not tried.
    words: Vec<CiLiteral>,
}

/// A search's scratch space for `test` and `captures`.
struct Caches {
    test: hybrid::dfa::Cache,
    captures: backtrack::Cache,
}

/// The syntax of a pattern's ASCII automata.
fn ascii_syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .case_insensitive(true)
        .unicode(false)
        .utf8(false)
}

type NewCaches = Box<dyn Fn() -> Caches + Send + Sync + RefUnwindSafe + UnwindSafe>;

impl Ascii {
    /// `implied`: a literal every text tried is known to contain.
    fn new(pattern: &str, implied: Option<&str>) -> Option<Ascii> {
        let hir = regex_automata::util::syntax::parse_with(pattern, &ascii_syntax()).ok()?;
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .utf8(false)
                    .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
            )
            .build_from_hir(&hir)
            .ok()?;
        // Without a prefilter: the texts tried are lines, most of which
        // start with a match.
        let test = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .cache_capacity(2 << 20)
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .build_from_nfa(nfa.clone())
            .ok()?;
        let captures = BoundedBacktracker::new_from_nfa(nfa).ok()?;
        let (for_test, for_captures) = (test.clone(), captures.clone());
        let new_caches: NewCaches = Box::new(move || Caches {
            test: for_test.create_cache(),
            captures: for_captures.create_cache(),
        });
        Some(Ascii {
            test,
            captures,
            caches: Pool::new(new_caches),
            long: OnceLock::new(),
            pattern: pattern.to_string(),
            words: fixed_words(&hir)
                .iter()
                .filter(|w| !implied.is_some_and(|l| l.contains(w.as_str())))
                .map(|w| CiLiteral::new(w))
                .collect(),
        })
    }

    /// Whether `hay` has a match; `None` when the DFA gave up (its cache
    /// cleared too often to be worth it).
    fn is_match(&self, caches: &mut Caches, hay: &[u8]) -> Option<bool> {
        let input = regex_automata::Input::new(hay).earliest(true);
        self.test
            .try_search_fwd(&mut caches.test, &input)
            .ok()
            .map(|m| m.is_some())
    }

    /// The meta regex for long texts, as `regex::bytes::RegexBuilder`
    /// configures one.
    fn long(&self) -> Option<&regex_automata::meta::Regex> {
        self.long
            .get_or_init(|| {
                regex_automata::meta::Builder::new()
                    .configure(
                        regex_automata::meta::Config::new()
                            .nfa_size_limit(Some(NFA_SIZE_LIMIT))
                            .hybrid_cache_capacity(2 << 20)
                            .match_kind(regex_automata::MatchKind::LeftmostFirst)
                            .utf8_empty(false),
                    )
                    .syntax(ascii_syntax())
                    .build(&self.pattern)
                    .ok()
            })
            .as_ref()
    }
}

/// The runs of fixed bytes of `pattern`'s top-level concatenation, as its
/// ASCII automaton reads it (case-insensitive, no Unicode), lower-cased: a
/// match contains each, in some case. Runs shorter than four bytes are left
/// out (common in any text: not worth a search).
fn fixed_words(hir: &regex_syntax::hir::Hir) -> Vec<String> {
    use regex_syntax::hir::{Class, Hir, HirKind};
    let subs = match hir.kind() {
        HirKind::Concat(v) => v.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    // The bytes an element matches, a letter's two cases counting as one.
    let fixed = |h: &Hir| -> Option<Vec<u8>> {
        match h.kind() {
            HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
            HirKind::Class(Class::Bytes(c)) => {
                let bytes: Vec<u8> = c.iter().flat_map(|r| r.start()..=r.end()).take(3).collect();
                match bytes.as_slice() {
                    [b] => Some(vec![b.to_ascii_lowercase()]),
                    [u, l] if u.is_ascii_uppercase() && u.to_ascii_lowercase() == *l => {
                        Some(vec![*l])
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    };
    let mut words: Vec<String> = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    for h in subs.iter().map(Some).chain([None]) {
        if let Some(bytes) = h.and_then(fixed) {
            run.extend(bytes);
            continue;
        }
        if run.len() >= 4 {
            if let Ok(w) = String::from_utf8(std::mem::take(&mut run)) {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
        run.clear();
    }
    words
}

/// The active table, compiled once.
pub struct Signatures {
    entries: Vec<SignatureEntry>,
    identity_section: IdentityFieldsSection,
    identity_fields: Vec<IdentityField>,
    type_section: TypeWordsSection,
    type_words: TypeWords,
    compiled: Vec<Compiled>,
    /// The `require` literals, lower-cased: which occur in a text is found
    /// before any regex runs.
    literals: Vec<CiLiteral>,
    lowered: Vec<String>,
    /// The order to look for them in (shortest first), each with the earlier
    /// literals it contains: absent one of those, it is absent too
    /// (`ews information` is not looked for in a text without `ews`).
    search: Vec<(usize, Vec<usize>)>,
    /// Every entry has a `require` list: a text without any literal matches none.
    all_required: bool,
    /// See [`Signatures::gate`]; built once and shared (a clone of a regex
    /// has its own caches, and a log asks for the gate per file).
    gate: Option<std::sync::Arc<regex::bytes::Regex>>,
    /// What a log's reader searches its blocks for, derived from this table:
    /// built by the first log read and shared by the others, so that a tree
    /// of thousands of small logs does not build it once for each.
    log_literals: OnceLock<LiteralSet>,
}

impl Signatures {
    pub fn builtin() -> Signatures {
        let file = builtin_file();
        let (ids, types) = builtin_tables(&file);
        Signatures::compile_entries(file.signatures, 0)
            .and_then(|s| s.with_tables(ids, types))
            .expect("the embedded signature table compiles")
    }

    /// The tables beside the signatures, checked and compiled.
    fn with_tables(
        mut self,
        identity_section: IdentityFieldsSection,
        type_section: TypeWordsSection,
    ) -> Result<Signatures, String> {
        self.identity_fields = identity_section
            .fields
            .iter()
            .map(IdentityFieldEntry::compile)
            .collect::<Result<_, _>>()?;
        self.identity_section = identity_section;
        let mut words = TypeWords::default();
        words.add(&type_section)?;
        self.type_words = words;
        self.type_section = type_section;
        Ok(self)
    }

    /// The fields an admin export's `Identity` object is read by, in order.
    pub fn identity_fields(&self) -> &[IdentityField] {
        &self.identity_fields
    }

    /// tracerpt's `Type` words.
    pub fn type_words(&self) -> &TypeWords {
        &self.type_words
    }

    /// The built-ins extended (user entries first) or replaced by a user file.
    pub fn with_user_file(path: &Path) -> Result<Signatures, String> {
        let shown = path.display();
        // A signature table is small; a FIFO, a device or a huge file is not one.
        let mut file = crate::fsread::open_evidence(path).map_err(|e| {
            format!(
                "signature file {shown}: {}",
                crate::fsread::describe_io_error(&e)
            )
        })?;
        let bytes = crate::fsread::read_prefix(&mut file, MAX_SIGNATURE_FILE + 1)
            .map_err(|e| format!("signature file {shown}: {e}"))?;
        if bytes.len() > MAX_SIGNATURE_FILE {
            return Err(format!(
                "signature file {shown} is larger than {} MiB: not a signature table",
                MAX_SIGNATURE_FILE >> 20
            ));
        }
        let text = crate::scan::encoding::decode(&bytes).text;
        let file: SignatureFile = serde_json::from_str(&text)
            .map_err(|e| format!("signature file {shown} is not a valid signature table: {e}"))?;
        let builtin = builtin_file();
        let (builtin_ids, builtin_types) = builtin_tables(&builtin);
        let replace = file.mode == Some(Mode::Replace);
        let mut entries = file.signatures;
        let builtin_from = entries.len();
        if !replace {
            entries.extend(builtin.signatures);
        }
        // A table left out keeps the built-in one, in either mode; one given
        // replaces it (`replace`) or is tried first (`extend`).
        let ids = match file.admin_identity_fields {
            None => builtin_ids,
            Some(mine) if replace => mine,
            Some(mut mine) => {
                for f in builtin_ids.fields {
                    if !mine.fields.contains(&f) {
                        mine.fields.push(f);
                    }
                }
                mine.about = mine.about.or(builtin_ids.about);
                mine.assumed = mine.assumed.or(builtin_ids.assumed);
                mine
            }
        };
        let types = match file.tracerpt_type_words {
            None => builtin_types,
            Some(mine) if replace => mine,
            Some(mine) => {
                // Checked alone first, so that an error names the user's words.
                TypeWords::default()
                    .add(&mine)
                    .map_err(|e| format!("signature file {shown}: {e}"))?;
                let mut merged = builtin_types;
                let theirs: std::collections::HashSet<String> = mine
                    .levels
                    .values()
                    .flatten()
                    .map(|w| w.trim().to_lowercase())
                    .collect();
                for words in merged.levels.values_mut() {
                    words.retain(|w| !theirs.contains(&w.trim().to_lowercase()));
                }
                for (level, words) in mine.levels {
                    let key = LEVELS
                        .iter()
                        .find(|l| l.eq_ignore_ascii_case(level.trim()))
                        .map_or(level, |l| l.to_string());
                    merged.levels.entry(key).or_default().extend(words);
                }
                merged
            }
        };
        Signatures::compile_entries(entries, builtin_from)
            .and_then(|s| s.with_tables(ids, types))
            .map_err(|e| format!("signature file {shown}: {e}"))
    }

    /// A table of `entries` with the built-in identity fields and `Type` words.
    pub fn compile(entries: Vec<SignatureEntry>) -> Result<Signatures, String> {
        let (ids, types) = builtin_tables(&builtin_file());
        let builtin_from = entries.len();
        Signatures::compile_entries(entries, builtin_from)?.with_tables(ids, types)
    }

    /// `entries` from `builtin_from` on are the built-in table's.
    fn compile_entries(
        entries: Vec<SignatureEntry>,
        builtin_from: usize,
    ) -> Result<Signatures, String> {
        let mut literals: Vec<String> = Vec::new();
        let mut compiled = Vec::with_capacity(entries.len());
        for (k, e) in entries.iter().enumerate() {
            let event = SigEvent::from_name(&e.event).ok_or_else(|| {
                let names: Vec<_> = SigEvent::ALL.iter().map(|e| e.name()).collect();
                format!(
                    "entry '{}': unknown event '{}' (one of: {})",
                    e.name,
                    e.event,
                    names.join(", ")
                )
            })?;
            let mut require = Vec::new();
            for lit in e.require.iter().filter(|l| !l.is_empty()) {
                let lower = lit.to_lowercase();
                let idx = match literals.iter().position(|l| *l == lower) {
                    Some(i) => i,
                    None => {
                        literals.push(lower);
                        literals.len() - 1
                    }
                };
                require.push(idx);
            }
            // A text tried has one of the `require` literals (an exact
            // presence bit, below 64): with only one, a fixed word inside it
            // is known to be there.
            let implied = match require.as_slice() {
                [only] if *only < 64 => literals.get(*only).map(String::as_str),
                _ => None,
            };
            let (ascii, unicode, groups) = (OnceLock::new(), OnceLock::new(), OnceLock::new());
            // A pattern that is not built in is compiled whole now, so that
            // a bad one is named when the table is loaded (a test compiles
            // the built-in ones so).
            if k < builtin_from {
                let _ = ascii.set(
                    e.pattern
                        .is_ascii()
                        .then(|| Ascii::new(&e.pattern, implied))
                        .flatten(),
                );
                let regex = unicode_regex(&e.pattern)
                    .map_err(|err| format!("entry '{}': bad pattern: {err}", e.name))?;
                let names: Vec<Option<&str>> = regex.capture_names().collect();
                if let Some(bad) = names.iter().flatten().find(|n| !CAPTURES.contains(n)) {
                    return Err(format!(
                        "entry '{}': unknown capture name '{bad}' (use: {})",
                        e.name,
                        CAPTURES.join(", ")
                    ));
                }
                let _ = groups.set(CAPTURES.map(|c| names.iter().position(|n| *n == Some(c))));
                let _ = unicode.set(regex);
            }
            if e.ok.is_some() && event != SigEvent::EwsStatus {
                return Err(format!(
                    "entry '{}': 'ok' applies to ews.status only",
                    e.name
                ));
            }
            compiled.push(Compiled {
                event,
                unicode,
                pattern: e.pattern.clone(),
                ascii,
                implied: implied.map(str::to_string),
                ok: e.ok,
                require,
                groups,
                shape: Shape::of(&e.pattern),
                shape_words: Shape::of(&e.pattern)
                    .map_or(&[][..], |s| s.words())
                    .iter()
                    .filter(|&&w| !implied.is_some_and(|l| l.contains(w)))
                    .map(|&w| CiLiteral::new(w))
                    .collect(),
            });
        }
        // A built-in pattern has an ASCII automaton (a test holds it).
        let gate = if compiled
            .iter()
            .all(|c| c.ascii.get().is_none_or(Option::is_some))
        {
            crate::scan::gate::gate(entries.iter().map(|e| e.pattern.as_str()))
        } else {
            None
        };
        Ok(Signatures {
            gate,
            all_required: compiled.iter().all(|c| !c.require.is_empty()),
            entries,
            identity_section: IdentityFieldsSection {
                about: None,
                assumed: None,
                fields: Vec::new(),
            },
            identity_fields: Vec::new(),
            type_section: TypeWordsSection {
                about: None,
                assumed: None,
                levels: Default::default(),
            },
            type_words: TypeWords::default(),
            compiled,
            literals: literals.iter().map(|l| CiLiteral::new(l)).collect(),
            search: search_order(&literals),
            lowered: literals,
            log_literals: OnceLock::new(),
        })
    }

    /// The table as a signature file, for `oimdiag signatures`.
    pub fn to_file(&self) -> SignatureFile {
        SignatureFile {
            about: None,
            version: 1,
            mode: Some(Mode::Replace),
            signatures: self.entries.clone(),
            admin_identity_fields: Some(self.identity_section.clone()),
            tracerpt_type_words: Some(self.type_section.clone()),
        }
    }

    /// The `require` literals, lower-cased, in the order of the bits
    /// [`match_present`](Self::match_present) takes.
    pub fn literals(&self) -> &[String] {
        &self.lowered
    }

    /// The gate of the table (see [`gate`](crate::scan::gate)): `None` when a
    /// pattern has no ASCII automaton (or no piece to gate by).
    pub fn gate(&self) -> Option<std::sync::Arc<regex::bytes::Regex>> {
        self.gate.clone()
    }

    /// The literal search a log's reader builds from this table (`build`),
    /// built once.
    pub(crate) fn log_literals(&self, build: impl FnOnce() -> LiteralSet) -> &LiteralSet {
        self.log_literals.get_or_init(build)
    }

    pub fn has_gate(&self) -> bool {
        self.gate.is_some()
    }

    /// The first signature matching `text`, with its captures.
    pub fn match_text(&self, text: &str) -> Option<(SigEvent, SigFields)> {
        // Which required literals occur at all; most log lines contain none.
        let mut present = 0u64;
        for (i, contains) in &self.search {
            if contains.iter().any(|&j| present & (1 << j) == 0) {
                continue;
            }
            if self.literals[*i].occurs_in(text.as_bytes()) {
                present |= 1 << i;
            }
        }
        self.match_present(text, present)
    }

    /// [`match_text`](Self::match_text) when which literals occur in `text`
    /// is known: bit `i` for literal `i` of [`literals`](Self::literals),
    /// exact for the first 64 (any later one counts as present).
    pub fn match_present(&self, text: &str, present: u64) -> Option<(SigEvent, SigFields)> {
        let any = present != 0;
        if !any && self.all_required {
            return None;
        }
        let ascii = text.is_ascii();
        for c in &self.compiled {
            let required = !c.require.is_empty();
            if required
                && (!any
                    || !c
                        .require
                        .iter()
                        .any(|&i| i >= 64 || present & (1 << i) != 0))
            {
                continue;
            }
            let fields = if !ascii {
                c.match_unicode(text)
            } else if let Some(g) = c.shape.and_then(|s| s.groups(text)) {
                Some(c.fields_named(|n| g.get(n)))
            } else if !c.shape_words.iter().all(|w| w.occurs_in(text.as_bytes())) {
                None
            } else {
                match c.ascii() {
                    Some(a) => c.match_ascii(a, text),
                    None => c.match_unicode(text),
                }
            };
            let Some(fields) = fields else {
                continue;
            };
            return Some((c.event, fields));
        }
        None
    }
}

/// The built-in identity fields alone (no regex compiled).
pub fn builtin_identity_fields() -> Vec<IdentityField> {
    builtin_tables(&builtin_file())
        .0
        .fields
        .iter()
        .map(|f| f.compile().expect("the embedded identity fields are valid"))
        .collect()
}

fn builtin_file() -> SignatureFile {
    serde_json::from_str(BUILTIN_JSON).expect("the embedded signature table is valid JSON")
}

fn builtin_tables(file: &SignatureFile) -> (IdentityFieldsSection, TypeWordsSection) {
    (
        file.admin_identity_fields
            .clone()
            .expect("the embedded table has admin_identity_fields"),
        file.tracerpt_type_words
            .clone()
            .expect("the embedded table has tracerpt_type_words"),
    )
}

/// Literal indexes shortest first, each with the indexes (among the first
/// 64, whose presence is recorded) of the shorter literals it contains.
fn search_order(literals: &[String]) -> Vec<(usize, Vec<usize>)> {
    let mut order: Vec<usize> = (0..literals.len().min(64)).collect();
    order.sort_by_key(|&i| (literals[i].len(), i));
    order
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let contains = order[..k]
                .iter()
                .copied()
                .filter(|&j| literals[i].contains(literals[j].as_str()))
                .collect();
            (i, contains)
        })
        .collect()
}

/// `sip:Bob@Contoso.com` → `bob@contoso.com`.
pub fn normalise_address(s: &str) -> String {
    let t = s.trim().trim_matches(|c| c == '<' || c == '>');
    let t = t
        .strip_prefix("sip:")
        .or_else(|| t.strip_prefix("SIP:"))
        .unwrap_or(t);
    let t = t.trim_end_matches(['.', ',', ';']);
    // The same for ASCII, without Unicode's case tables.
    if t.is_ascii() {
        t.to_ascii_lowercase()
    } else {
        t.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> (SigEvent, SigFields) {
        Signatures::builtin()
            .match_text(text)
            .unwrap_or_else(|| panic!("no match: {text}"))
    }

    #[test]
    fn canonical_lines_from_the_brief() {
        let (e, f) = m("OfflineIM: queued message 42 for sip:bob@contoso.com");
        assert_eq!(e, SigEvent::OimQueued);
        assert_eq!(f.id.as_deref(), Some("42"));
        assert_eq!(f.recipient.as_deref(), Some("bob@contoso.com"));

        let (e, f) = m(
            "OfflineIM: processing message 42 via EWS https://mail.contoso.com/EWS/Exchange.asmx",
        );
        assert_eq!(e, SigEvent::OimProcessing);
        assert_eq!(f.id.as_deref(), Some("42"));
        assert_eq!(
            f.url.as_deref(),
            Some("https://mail.contoso.com/EWS/Exchange.asmx")
        );

        let (e, f) = m("OfflineIM: message 42 delivered to sip:bob@contoso.com (ItemClass=IM.Note.MissedConversation)");
        assert_eq!(e, SigEvent::OimDelivered);
        assert_eq!(f.recipient.as_deref(), Some("bob@contoso.com"));

        let (e, f) = m("OfflineIM: message 42 failed: EWS returned 401 Unauthorized");
        assert_eq!(e, SigEvent::OimFailed);
        assert_eq!(f.status, Some(401));
        assert_eq!(f.reason.as_deref(), Some("EWS returned 401 Unauthorized"));

        let (e, f) = m("OfflineIM: message 42 spooled to History Spooler (file 7f3a9c.hist)");
        assert_eq!(e, SigEvent::OimSpooled);
        assert_eq!(f.file.as_deref(), Some("7f3a9c.hist"));

        let (e, f) = m("EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable");
        assert_eq!(e, SigEvent::EwsResponse);
        assert_eq!(f.status, Some(503));
        assert_eq!(f.reason.as_deref(), Some("Service Unavailable"));

        let (e, f) = m("Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, external URL https://owa.contoso.com/EWS/Exchange.asmx");
        assert_eq!(e, SigEvent::EwsAutodiscoverOk);
        assert_eq!(
            f.url2.as_deref(),
            Some("https://owa.contoso.com/EWS/Exchange.asmx")
        );

        let (e, f) =
            m("Autodiscover: failed for contoso.com: The remote name could not be resolved");
        assert_eq!(e, SigEvent::EwsAutodiscoverFailed);
        assert!(f.reason.unwrap().contains("could not be resolved"));

        assert_eq!(m("EWS Information: EWS not deployed").1.ok, Some(false));
        assert_eq!(m("EWS Information: EWS Status OK").1.ok, Some(true));
    }

    #[test]
    fn tolerant_of_case_and_surrounding_text() {
        let (e, f) = m("[thread 12] offlineim : QUEUED message abc-1 for SIP:Bob@Contoso.com now");
        assert_eq!(e, SigEvent::OimQueued);
        assert_eq!(f.id.as_deref(), Some("abc-1"));
        assert_eq!(f.recipient.as_deref(), Some("bob@contoso.com"));
        // Ids may be absent.
        let (e, f) = m("OfflineIM: queued for sip:bob@contoso.com");
        assert_eq!(e, SigEvent::OimQueued);
        assert_eq!(f.id, None);
    }

    #[test]
    fn ascii_automata_agree_with_unicode_ones() {
        let fast = Signatures::builtin();
        assert!(fast.compiled.iter().all(|c| c.ascii().is_some()));
        let mut slow = Signatures::builtin();
        for c in &mut slow.compiled {
            c.ascii = OnceLock::from(None);
        }
        let texts = [
            "OfflineIM: queued message 42 for sip:bob@contoso.com",
            "OfflineIM: processing message 42 via EWS https://mail.contoso.com/EWS/Exchange.asmx",
            "OfflineIM: message 42 delivered to sip:bob@contoso.com (ItemClass=IM.Note.MissedConversation)",
            "OfflineIM: message 42 failed: EWS returned 401 Unauthorized",
            "OfflineIM: message 42 spooled to History Spooler (file 7f3a9c.hist)",
            "EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable",
            "Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, external URL https://owa.contoso.com/EWS/Exchange.asmx",
            "Autodiscover: failed for contoso.com: The remote name could not be resolved",
            "EWS Information: EWS not deployed",
            "EWS Information: EWS Status OK",
            "[thread 12] offlineim : QUEUED message abc-1 for SIP:Bob@Contoso.com now",
            "CUccNewsFeedController::Refresh - views=8 reviews=0 cookie=ea60048c",
            "OfflineIM:\tqueued\tmessage\x0b7 for\x0csip:a_b@c.d;x",
            "ews:   get http://x/y returned 200",
        ];
        let mut n = 0;
        for t in texts {
            // Each text, and variants with its case and blanks changed.
            let variants = [
                t.to_string(),
                t.to_ascii_uppercase(),
                t.to_ascii_lowercase(),
                t.replace(' ', "  "),
                t.replace(' ', "\t"),
                t.replace(':', " : "),
                format!("x{t}"),
                format!("{t} trailing 999 words"),
            ];
            for v in variants {
                assert!(v.is_ascii());
                assert_eq!(fast.match_text(&v), slow.match_text(&v), "{v:?}");
                n += usize::from(slow.match_text(&v).is_some());
            }
        }
        assert!(n > 50, "{n}");
        // Each canonical line with one byte dropped, doubled or changed in
        // case at every place: the fixed words and the backtracker's
        // captures agree with the Unicode automata wherever a word breaks.
        for t in texts.iter().take(10) {
            for i in 0..t.len() {
                let (head, tail) = t.split_at(i);
                let mut flipped = t.as_bytes().to_vec();
                if flipped[i].is_ascii_alphabetic() {
                    flipped[i] ^= 0x20;
                }
                let flipped = String::from_utf8(flipped).unwrap();
                for v in [
                    format!("{head}{}", &tail[1..]),
                    format!("{head}{}{tail}", &tail[..1]),
                    flipped,
                ] {
                    assert_eq!(fast.match_text(&v), slow.match_text(&v), "{v:?}");
                }
            }
        }
        // A text too long for the backtracker: the DFA-led captures.
        for t in texts.iter().take(10) {
            let long = format!("{}{t}", "y ".repeat(100_000));
            assert!(fast.compiled.iter().all(|c| c
                .ascii()
                .is_some_and(|a| long.len() > a.captures.max_haystack_len())));
            assert_eq!(fast.match_text(&long), slow.match_text(&long), "{t:?}");
        }
        // The same when the meta regex for long texts did not build: the PikeVM.
        let mut pike = Signatures::builtin();
        for c in &mut pike.compiled {
            let _ = c.ascii();
        }
        for a in pike
            .compiled
            .iter_mut()
            .filter_map(|c| c.ascii.get_mut()?.as_mut())
        {
            a.long = OnceLock::from(None);
        }
        for t in texts.iter().take(10) {
            let long = format!("{}{t}", "y ".repeat(100_000));
            let got = pike.match_text(&long);
            assert!(got.is_some(), "{t:?}");
            assert_eq!(got, slow.match_text(&long), "{t:?}");
        }
        // Not ASCII: the Unicode automata decide.
        let t = "OfflineIM: queued message é42 for sip:bob@contoso.com";
        assert_eq!(fast.match_text(t), slow.match_text(t));
    }

    #[test]
    fn addresses_lower_cased_in_any_script() {
        for (given, want) in [
            ("SIP:Bob@Contoso.COM.", "bob@contoso.com"),
            ("<sip:ÉVE@Contoso.com>", "éve@contoso.com"),
            ("  Carol@X.Y,", "carol@x.y"),
        ] {
            assert_eq!(normalise_address(given), want);
        }
    }

    #[test]
    fn shapes_read_as_the_automata_do() {
        let fast = Signatures::builtin();
        let mut slow = Signatures::builtin();
        for c in &mut slow.compiled {
            c.shape = None;
        }
        // Each shape is a built-in pattern's, and knows its fixed words.
        for c in fast.compiled.iter() {
            if let Some(s) = c.shape {
                let hir = regex_automata::util::syntax::parse_with(&c.pattern, &ascii_syntax());
                assert_eq!(s.words(), fixed_words(&hir.unwrap()), "{}", c.pattern);
            }
        }
        for p in [
            shapes::QUEUED,
            shapes::PROCESSING,
            shapes::DELIVERED,
            shapes::EWS_POST,
            shapes::AUTODISCOVER,
        ] {
            assert!(
                fast.compiled
                    .iter()
                    .any(|c| c.pattern == p && c.shape.is_some()),
                "{p}"
            );
        }
        let ids = ["1417", "a", "abc-1.{x}_", "-", "", "4 2", "x,y", "q@r"];
        let addresses = [
            "dave@fabrikam.com",
            "a@b",
            "@b",
            "a@",
            "a@b@c",
            "sip:x@y",
            "X@Y.COM.",
            "x:y@z",
            "",
            "xy",
        ];
        let urls = [
            "https://mail.contoso.com/EWS/Exchange.asmx",
            "http://x",
            "https://",
            "http://",
            "HTTPS://x",
            "https://a,b",
            "ftp://x",
            "https://x:443/a?b=c&d",
        ];
        let tails = [
            "",
            " (ItemClass=IM.Note.MissedConversation)",
            " now",
            ",x",
            "\tq",
            "\nnext line",
            ")",
            " for sip:z@w",
            " https://other/y",
        ];
        let statuses = ["200", "503", "2000", "20", "600", "099", "20x"];
        let reasons = [
            "",
            " OK",
            "  Service Unavailable  ",
            "\tX",
            " x\ny",
            "x",
            " 404 again",
            " \r",
        ];
        let mut texts = Vec::new();
        for id in ids {
            for a in addresses {
                for t in tails {
                    texts.push(format!("OfflineIM: queued message {id} for sip:{a}{t}"));
                    texts.push(format!("OfflineIM: message {id} delivered to sip:{a}{t}"));
                }
            }
            for u in urls {
                for t in tails {
                    texts.push(format!("OfflineIM: processing message {id} via EWS {u}{t}"));
                }
            }
            for t in [
                ": EWS returned 503 Service Unavailable",
                ":",
                "",
                ": 2000 x",
                ": x503 y",
                ": 503",
                ": code 503x 404",
                "ed: 404",
                ": 600 then 100",
                "\t:\t404",
                ": x\n503",
                "_x 404",
                ": 1234 599",
                ":: :503_ 50 5000 199.",
            ] {
                texts.push(format!("OfflineIM: message {id} failed{t}"));
            }
            for f in ["f6643b5a.hist", "", "a\"b", "x(y", "file y", "a,b;c"] {
                for t in [")", "", " )", "\n)", " (file z)"] {
                    texts.push(format!(
                        "OfflineIM: message {id} spooled to History Spooler (file {f}{t}"
                    ));
                }
            }
        }
        for u in urls {
            for u2 in urls {
                for t in ["", ", x", " (y)", "\nz", " external URL https://q/r"] {
                    texts.push(format!(
                        "Autodiscover: EWS internal URL {u}, external URL {u2}{t}"
                    ));
                }
            }
            texts.push(format!("Autodiscover: EWS internal URL {u}"));
            texts.push(format!(
                "Autodiscover: EWS internal URL {u},external URL {u}"
            ));
            for word in ["CreateItem", "", "Get-Item", "returned"] {
                for st in statuses {
                    for r in reasons {
                        texts.push(format!("EWS: POST {u} {word} -> {st}{r}"));
                    }
                }
            }
        }
        let canonical = [
            "OfflineIM: queued message 1417 for sip:dave@fabrikam.com",
            "OfflineIM: processing message 1417 via EWS https://mail.contoso.com/EWS/Exchange.asmx",
            "OfflineIM: message 1417 delivered to sip:bob@contoso.com (ItemClass=IM.Note.MissedConversation)",
            "OfflineIM: message 1417 failed: EWS returned 503 Service Unavailable",
            "OfflineIM: message 1417 spooled to History Spooler (file f6643b5a.hist)",
            "EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable",
            "Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, external URL https://owa.contoso.com/EWS/Exchange.asmx",
        ];
        // Each canonical line with one byte dropped, doubled, changed in
        // case or replaced by a byte the patterns care about, everywhere.
        for t in canonical {
            assert!(t.is_ascii());
            for i in 0..t.len() {
                let (head, tail) = t.split_at(i);
                texts.push(format!("{head}{}", &tail[1..]));
                texts.push(format!("{head}{}{tail}", &tail[..1]));
                let b = t.as_bytes()[i];
                for r in [
                    b ^ 0x20,
                    b' ',
                    b'\t',
                    b'\n',
                    b'@',
                    b':',
                    b'(',
                    b'.',
                    b'h',
                    b'1',
                    b'x',
                ] {
                    let mut v = t.as_bytes().to_vec();
                    v[i] = r;
                    if let Ok(v) = String::from_utf8(v) {
                        texts.push(v);
                    }
                }
            }
        }
        let mut read = 0;
        for t in &texts {
            let got = fast.match_text(t);
            assert_eq!(got, slow.match_text(t), "{t:?}");
            let by_hand = fast
                .compiled
                .iter()
                .any(|c| c.shape.is_some_and(|s| s.groups(t).is_some()));
            read += usize::from(by_hand && got.is_some());
        }
        // The shapes did read a good part of them.
        assert!(read > 300, "{read} of {}", texts.len());
    }

    #[test]
    fn a_users_pattern_only_unicode_rejects_is_named_when_loaded() {
        // The ASCII automaton builds; the Unicode one, past the size limit,
        // does not. A user's entry is compiled whole at once, so the error
        // is the load's, not a failure midway through a scan.
        let entry = |pattern: &str| SignatureEntry {
            name: "wide".into(),
            event: "oim.queued".into(),
            pattern: pattern.into(),
            require: vec!["offlineim".into()],
            ok: None,
        };
        let wide = r"OfflineIM: (?P<id>\w{1000})";
        assert!(Ascii::new(wide, None).is_some());
        let err = Signatures::compile(vec![entry(wide)])
            .err()
            .expect("rejected when loaded");
        assert!(err.contains("entry 'wide': bad pattern"), "{err}");
        let err = Signatures::compile(vec![entry(r"OfflineIM: (?P<who>\w+)")])
            .err()
            .expect("an unknown capture name is rejected");
        assert!(err.contains("unknown capture name 'who'"), "{err}");
    }

    #[test]
    fn every_built_in_pattern_compiles_with_unicode() {
        // Their Unicode automata are compiled only when a text needs one.
        for e in builtin_file().signatures {
            assert!(unicode_regex(&e.pattern).is_ok(), "{}", e.name);
        }
        // And their ASCII automata, built on first use too; compiled as a
        // user's table (all at once, capture names checked), they load.
        let builtin = Signatures::builtin();
        assert!(builtin.compiled.iter().all(|c| c.ascii.get().is_none()));
        assert!(builtin.compiled.iter().all(|c| c.ascii().is_some()));
        let whole = Signatures::compile(builtin_file().signatures).unwrap();
        for (lazy, at_once) in builtin.compiled.iter().zip(&whole.compiled) {
            assert!(at_once.ascii.get().is_some_and(Option::is_some));
            assert_eq!(lazy.groups(), at_once.groups());
        }
        assert_eq!(builtin.has_gate(), whole.has_gate());
    }

    #[test]
    fn fixed_words_are_the_runs_a_match_cannot_do_without() {
        let fixed_words = |p: &str| {
            fixed_words(&regex_automata::util::syntax::parse_with(p, &ascii_syntax()).unwrap())
        };
        assert_eq!(
            fixed_words(r"OfflineIM\s*:.*?\bqueued\b(?:\s+message\s+(?P<id>\w+))?"),
            ["offlineim", "queued"]
        );
        assert_eq!(
            fixed_words(r"EWS\s+Information\s*:\s*(?P<reason>EWS\s+Status\s+OK\b.*)$"),
            ["information"]
        );
        // Case-sensitive letters count in either case; a class is no word.
        assert_eq!(fixed_words(r"(?-i:Abcd)[ab]cde"), ["abcd"]);
        assert!(fixed_words(r"abc|abcd").is_empty());
    }

    #[test]
    fn contained_literals_are_looked_for_first() {
        let lits: Vec<String> = ["ews information", "offlineim", "ews", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            search_order(&lits),
            [(3, vec![]), (2, vec![]), (1, vec![]), (0, vec![2]),]
        );
        // A text with the long literal has the short one too: still found.
        let (e, _) = m("xx EWS Information: EWS Status OK");
        assert_eq!(e, SigEvent::EwsStatus);
    }

    #[test]
    fn ordinary_lines_do_not_match() {
        let s = Signatures::builtin();
        for t in [
            "End of Sending Packet - 192.168.100.100:5061 1503 bytes",
            "CUccApiLog::Initialize",
            "",
        ] {
            assert!(s.match_text(t).is_none(), "{t}");
        }
    }

    #[test]
    fn the_assumed_tables_are_data_a_user_file_extends_or_replaces() {
        let b = Signatures::builtin();
        // The defaults as they were in code.
        assert_eq!(b.identity_fields().len(), 10);
        assert_eq!(
            b.identity_fields()[0],
            IdentityField::Whole("Identity".into())
        );
        assert_eq!(
            b.identity_fields()[5],
            IdentityField::Prefixed {
                field: "Tag".into(),
                scope: "Tag".into()
            }
        );
        for (word, level) in [
            ("Fehler", "ERROR"),
            ("AVERTISSEMENT", "WARNING"),
            ("informações", "INFO"),
            ("détaillé", "VERBOSE"),
            ("kritisch", "FATAL"),
            ("trace", "TRACE"),
        ] {
            assert_eq!(b.type_words().level(word), Some(level), "{word}");
        }
        assert_eq!(b.type_words().level("Header"), None);

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sigs.json");
        let load = |text: &str| {
            std::fs::write(&p, text).unwrap();
            Signatures::with_user_file(&p)
        };
        // Extend: the user's first, the built-ins after; a word moved to
        // another level takes the user's.
        let s = load(
            r#"{"signatures": [], "admin_identity_fields": {"fields": [{"field": "Anchor"}]},
                "tracerpt_type_words": {"levels": {"VERBOSE": ["info"], "INFO": ["informacje"]}}}"#,
        )
        .unwrap();
        assert_eq!(s.identity_fields().len(), 11);
        assert_eq!(
            s.identity_fields()[0],
            IdentityField::Whole("Anchor".into())
        );
        assert_eq!(s.type_words().level("Info"), Some("VERBOSE"));
        assert_eq!(s.type_words().level("informacje"), Some("INFO"));
        assert_eq!(s.type_words().level("error"), Some("ERROR"));
        // Replace: only the user's tables, and a table left out is the built-in one.
        let s = load(
            r#"{"mode": "replace", "signatures": [],
                "tracerpt_type_words": {"levels": {"INFO": ["informacje"]}}}"#,
        )
        .unwrap();
        assert_eq!(s.type_words().level("error"), None);
        assert_eq!(s.type_words().level("informacje"), Some("INFO"));
        assert_eq!(s.identity_fields().len(), 10);
        // Bad tables are named.
        for (text, says) in [
            (
                r#"{"signatures": [], "tracerpt_type_words": {"levels": {"INFO": ["4"]}}}"#,
                "is a number",
            ),
            (
                r#"{"signatures": [], "tracerpt_type_words": {"levels": {"INFO": ["x"], "ERROR": ["X"]}}}"#,
                "under both",
            ),
            (
                r#"{"signatures": [], "tracerpt_type_words": {"levels": {"INFO": [" "]}}}"#,
                "empty word",
            ),
            (
                r#"{"signatures": [], "admin_identity_fields": {"fields": [{"field": "A", "name_field": ""}]}}"#,
                "'name_field' is empty",
            ),
        ] {
            let err = load(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text}"));
            assert!(err.contains(says) && err.contains("sigs.json"), "{err}");
        }
    }

    #[test]
    fn user_entries_extend_or_replace_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sigs.json");
        std::fs::write(
            &p,
            r#"{"signatures":[{"name":"mine","event":"oim.failed","pattern":"IM offline send error (?P<status>\\d+)"}]}"#,
        )
        .unwrap();
        let s = Signatures::with_user_file(&p).unwrap();
        assert_eq!(
            s.match_text("IM offline send error 500").unwrap().1.status,
            Some(500)
        );
        assert!(s
            .match_text("OfflineIM: queued message 1 for sip:a@b.c")
            .is_some());

        std::fs::write(
            &p,
            r#"{"mode":"replace","signatures":[{"name":"mine","event":"oim.failed","pattern":"x(?P<status>\\d+)"}]}"#,
        )
        .unwrap();
        let s = Signatures::with_user_file(&p).unwrap();
        assert!(s
            .match_text("OfflineIM: queued message 1 for sip:a@b.c")
            .is_none());

        std::fs::write(
            &p,
            r#"{"signatures":[{"name":"broken-one","event":"oim.failed","pattern":"(unclosed"}]}"#,
        )
        .unwrap();
        let err = Signatures::with_user_file(&p).err().unwrap();
        assert!(err.contains("broken-one"), "{err}");

        std::fs::write(
            &p,
            r#"{"signatures":[{"name":"e2","event":"oim.nope","pattern":"x"}]}"#,
        )
        .unwrap();
        assert!(Signatures::with_user_file(&p)
            .err()
            .unwrap()
            .contains("oim.nope"));
    }
}
