//! PowerShell admin exports (BRIEF §3.6): what `Get-CsImConfiguration` and
//! `Get-CsClientPolicy` printed, in each shape admins hand over —
//! `Format-List` and `Format-Table` text, `Export-Csv` (PowerShell 5 and 7,
//! any common delimiter) and `ConvertTo-Json` (PowerShell 5 and 7) — in
//! whatever encoding PowerShell wrote. Several objects per file, recognised
//! by their properties, not by the file name:
//! - `EnableOfflineIM` is an IM configuration setting;
//! - `EnableIMAutoArchiving` is a client policy setting.
//!
//! Only boolean values are kept. What was recognised but could not be used (a
//! value cut by `Format-Table`, an empty value, an identity naming no scope)
//! is told in the file's notes, never guessed: a helpdesk must be able to see
//! why an export that looks right changed nothing.

mod export_csv;
mod format_list;
mod format_table;
mod json;

use crate::scan::encoding;
use crate::signatures::IdentityField;
use oimdiag_vocab::events::{AdminObject, AdminSetting, Origin};
use std::path::Path;

/// Longest excerpt kept in an `Origin`.
const MAX_EXCERPT: usize = 120;
/// Unused values named one by one in a note; the rest are counted.
const MAX_NAMED: usize = 5;

/// The re-exports that give the canonical shape, named when an export could
/// not be used: `Format-List` of just the properties read never cuts a value.
const REEXPORT_CLIENT_POLICY: &str =
    "`Get-CsClientPolicy | Format-List Identity,EnableIMAutoArchiving > policy.txt`";
const REEXPORT_IM_CONFIGURATION: &str =
    "`Get-CsImConfiguration | Format-List Identity,EnableOfflineIM > imconfig.txt`";

/// Properties of `Get-CsClientPolicy` objects that IM configurations do not
/// have (Set-CsClientPolicy reference): an export naming them is a client
/// policy export even when `EnableIMAutoArchiving` is missing, as from a
/// `Format-Table` too narrow for it.
const CLIENT_POLICY_ONLY: &[&str] = &[
    "AddressBookAvailability",
    "DisableSavingIM",
    "EnableCallLogAutoArchiving",
    "EnableExchangeContactSync",
    "EnableServerConversationHistory",
];

/// Whether a file's text (lower-cased) is an admin export by what it names:
/// a setting we read; or an `Identity` beside a setting's name cut by
/// `Format-Table` (`EnableIMAuto…`) or beside two properties only client
/// policies have. The shape is decided when the file is read.
pub fn recognises(lower: &str) -> bool {
    const SETTINGS: [&str; 2] = ["enableofflineim", "enableimautoarchiving"];
    if SETTINGS.iter().any(|n| lower.contains(n)) {
        return true;
    }
    if !lower.contains("identity") {
        return false;
    }
    let client_policy = CLIENT_POLICY_ONLY
        .iter()
        .filter(|p| lower.contains(&p.to_ascii_lowercase()))
        .count()
        >= 2;
    // Eight letters (`enableim`, `enableof`) tell the two settings from
    // other `Enable…` properties.
    let cut = SETTINGS.iter().any(|full| {
        full.get(..8).is_some_and(|stem| {
            lower.match_indices(stem).any(|(at, _)| {
                let rest = lower.get(at..).unwrap_or_default();
                let word: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
                let after = rest.get(word.len()..).unwrap_or_default();
                (after.starts_with('…') || after.starts_with("...")) && full.starts_with(&word)
            })
        })
    });
    client_policy || cut
}

/// Which PowerShell output an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    FormatList,
    FormatTable,
    ExportCsv,
    Json,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::FormatList => "Format-List",
            Shape::FormatTable => "Format-Table",
            Shape::ExportCsv => "Export-Csv",
            Shape::Json => "ConvertTo-Json",
        }
    }
}

/// What one admin export gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminExport {
    pub shape: Shape,
    pub settings: Vec<AdminSetting>,
    /// Which cmdlets' settings the export has a property (or column) for,
    /// whether or not a value could be used: it picks the re-export to name.
    pub mentions: Mentions,
    /// What was recognised but not used, one sentence each.
    pub notes: Vec<String>,
    /// The JSON ended inside a document: only the objects complete before
    /// its end were read.
    pub ended_inside: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mentions {
    pub im_configuration: bool,
    pub client_policy: bool,
    /// A property is named exactly as a setting we read.
    pub setting: bool,
}

impl Mentions {
    fn add(&mut self, o: AdminObject) {
        match o {
            AdminObject::ImConfiguration => self.im_configuration = true,
            AdminObject::ClientPolicy => self.client_policy = true,
        }
    }

    /// Notes what a property's name tells of the cmdlet: a setting, a
    /// setting's name cut by `Format-Table`, a property only client policies have.
    fn see(&mut self, name: &str) {
        if let Some(o) = setting_object(name) {
            self.setting = true;
            self.add(o);
        } else if is_cut(name) {
            for o in cut_setting(name) {
                self.add(o);
            }
        } else if CLIENT_POLICY_ONLY
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name.trim()))
        {
            self.client_policy = true;
        }
    }

    /// The re-export(s) to suggest: the cmdlet(s) the export came from, or
    /// both when it does not say.
    pub fn reexport(self) -> String {
        match (self.client_policy, self.im_configuration) {
            (true, false) => REEXPORT_CLIENT_POLICY.to_string(),
            (false, true) => REEXPORT_IM_CONFIGURATION.to_string(),
            _ => format!("{REEXPORT_CLIENT_POLICY} and {REEXPORT_IM_CONFIGURATION}"),
        }
    }
}

/// The settings of interest in an admin export. `Err` only when the file is
/// none of the shapes (the reason says which were tried).
pub fn parse_admin_export(bytes: &[u8], path: &Path) -> Result<Vec<AdminSetting>, String> {
    let ids = crate::signatures::builtin_identity_fields();
    parse(bytes, path, &ids).map(|e| e.settings)
}

/// Reads an export of any shape. JSON that ends part-way through a document
/// (a read cut at a size limit, a copy broken off) keeps every object
/// completed before the end. An `Identity` written as an object is read by
/// `ids` (the signature file's `admin_identity_fields`).
pub fn parse(bytes: &[u8], path: &Path, ids: &[IdentityField]) -> Result<AdminExport, String> {
    let decoded = encoding::decode(bytes);
    let t = decoded.text.trim_start_matches('\u{feff}');
    let head = t.trim_start();
    if head.starts_with('{') || head.starts_with('[') {
        return json::parse(t, path, ids);
    }
    if !encoding::is_texty(t) {
        return Err("not an admin export: binary content".into());
    }
    // CSV first: its header line is one line, never a `Name : Value` pair or
    // a header over dashes; a table next, as its `Tag:` rows would pass for
    // `Name : Value` lines.
    if let Some(layout) = export_csv::sniff(t) {
        let (objects, notes) = export_csv::parse(t, &layout);
        return Ok(from_text(Shape::ExportCsv, &objects, notes, path));
    }
    if let Some((objects, notes)) = format_table::parse(t) {
        return Ok(from_text(Shape::FormatTable, &objects, notes, path));
    }
    match format_list::parse(t) {
        Some(objects) => Ok(from_text(Shape::FormatList, &objects, Vec::new(), path)),
        None => Err(format!(
            "not an admin export: not PowerShell Format-List (`Name : Value` lines), \
             Format-Table (a header over a row of dashes), Export-Csv or ConvertTo-Json \
             output; export with {}",
            Mentions::default().reexport()
        )),
    }
}

/// The settings of an export and a note on what could not be used, or why
/// the file is skipped: an export that yields no setting is not "read", its
/// reason names the re-export to use. `limit` says the file was read only up
/// to a size limit.
pub fn settings_and_note(
    bytes: &[u8],
    path: &Path,
    limit: Option<String>,
    ids: &[IdentityField],
) -> Result<(Vec<AdminSetting>, Option<String>), String> {
    let export = match parse(bytes, path, ids) {
        Ok(e) => e,
        Err(reason) => {
            return Err(match limit {
                Some(l) => format!("{l}, and it did not parse ({reason})"),
                None => reason,
            })
        }
    };
    let mut notes = Vec::new();
    match limit {
        Some(l) => notes.push(l),
        // A copy broken off part-way: what was complete is used, and said.
        None if export.ended_inside => notes.push(
            "the JSON ends part-way through: only the objects complete before the end were read"
                .to_string(),
        ),
        None => {}
    }
    notes.extend(export.notes);
    if export.settings.is_empty() {
        if !export.mentions.setting {
            notes.push(match export.shape {
                Shape::FormatTable => "no EnableOfflineIM or EnableIMAutoArchiving column \
                                       (Format-Table leaves out the columns that do not fit)"
                    .to_string(),
                _ => "no EnableOfflineIM or EnableIMAutoArchiving property".to_string(),
            });
        }
        notes.push(format!("re-export with {}", export.mentions.reexport()));
        return Err(format!(
            "{} export with no usable EnableOfflineIM or EnableIMAutoArchiving value: {}",
            export.shape.name(),
            notes.join("; ")
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    Ok((export.settings, note))
}

/// Which object a property belongs to, when it is one we read.
fn setting_object(name: &str) -> Option<AdminObject> {
    if name.eq_ignore_ascii_case("EnableOfflineIM") {
        Some(AdminObject::ImConfiguration)
    } else if name.eq_ignore_ascii_case("EnableIMAutoArchiving") {
        Some(AdminObject::ClientPolicy)
    } else {
        None
    }
}

/// The settings a cut property name (`EnableIMAuto…`) may stand for.
fn cut_setting(name: &str) -> Vec<AdminObject> {
    if !is_cut(name) {
        return Vec::new();
    }
    let stem = name
        .trim_end()
        .trim_end_matches('…')
        .trim_end_matches("...")
        .to_ascii_lowercase();
    [
        ("enableofflineim", AdminObject::ImConfiguration),
        ("enableimautoarchiving", AdminObject::ClientPolicy),
    ]
    .into_iter()
    .filter(|(full, _)| !stem.is_empty() && full.starts_with(&stem))
    .map(|(_, o)| o)
    .collect()
}

fn is_identity(name: &str) -> bool {
    name.eq_ignore_ascii_case("Identity")
}

/// `True`, `$False`, `true`, `1`, `0` (case-insensitive); anything else is not
/// a boolean. `1`/`0` are what some tools make of a boolean column.
fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim();
    let t = t.strip_prefix('$').unwrap_or(t);
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Some(false)
    } else {
        None
    }
}

fn short(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", s.get(..cut).unwrap_or_default())
}

/// Whether a text value was cut by `Format-Table`: PowerShell 7 ends it with
/// `…`, PowerShell 5 with `...`.
fn is_cut(value: &str) -> bool {
    let v = value.trim_end();
    v.ends_with('…') || v.ends_with("...")
}

/// One property of one object as a text shape shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TextProp {
    name: String,
    value: String,
    /// 1-based line of the property (`Format-List`) or the object's row.
    line: u64,
}

/// Settings recognised but not used, named in one note.
#[derive(Default)]
struct Unused {
    named: Vec<String>,
    count: usize,
}

impl Unused {
    fn push(&mut self, name: &str, identity: Option<&str>, why: &str) {
        self.count += 1;
        if self.named.len() < MAX_NAMED {
            let of = identity.map_or_else(|| "an unnamed object".to_string(), |i| short(i, 60));
            self.named.push(format!("{name} of {of} ({why})"));
        }
    }

    fn note(&self) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let more = self.count - self.named.len();
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!("not used: {}{tail}", self.named.join(", ")))
    }
}

/// The identity a text cell gives. One cut by `Format-Table` still tells its
/// scope when any of it is left: every identity is `Global` or
/// `Scope:Name`, so `Tag:NoArch…` is scoped, `Gl…` can only be Global, and
/// `Si…` is the start of a scope's name (`Site:`); `None` when nothing is left (`…`).
fn read_identity(value: &str) -> Option<String> {
    if !is_cut(value) {
        return Some(value.to_string());
    }
    let stem = value
        .trim_end()
        .trim_end_matches('…')
        .trim_end_matches("...")
        .trim();
    if stem.is_empty() {
        None
    } else if !stem.contains(':') && "global".starts_with(&stem.to_ascii_lowercase()) {
        Some("Global".to_string())
    } else {
        Some(value.to_string())
    }
}

/// Why a text value is not a boolean, in a few words.
fn why_not_bool(value: &str) -> String {
    let v = value.trim();
    if v.is_empty() {
        "empty: not set".to_string()
    } else if is_cut(v) {
        format!("cut to `{}`: not guessed", short(v, 40))
    } else {
        format!("`{}` is not a boolean", short(v, 40))
    }
}

/// Objects without an identity count like Global (facts.rs): say so.
fn unnamed_note(unnamed: usize, shape: Shape) -> Option<String> {
    (unnamed > 0).then(|| {
        let what = match shape {
            Shape::FormatTable | Shape::ExportCsv => "row(s) without an Identity column",
            Shape::FormatList | Shape::Json => "object(s) without an Identity",
        };
        format!("{unnamed} {what} read as unnamed, which counts like Global: export Identity too")
    })
}

/// Settings from the objects of a text shape (`Format-List`, `Format-Table`,
/// `Export-Csv`), excerpts spelt as `Format-List` shows them so that every
/// shape of the same evidence reads alike in a report.
fn from_text(
    shape: Shape,
    objects: &[Vec<TextProp>],
    mut notes: Vec<String>,
    path: &Path,
) -> AdminExport {
    let mut settings = Vec::new();
    let mut mentions = Mentions::default();
    let mut unused = Unused::default();
    let mut cut_identities: Vec<String> = Vec::new();
    let mut unnamed = 0;
    for obj in objects {
        let raw_identity = obj
            .iter()
            .find(|p| is_identity(&p.name))
            .map(|p| p.value.trim())
            .filter(|v| !v.is_empty());
        let identity = raw_identity.and_then(read_identity);
        let mut has_setting = false;
        for p in obj {
            mentions.see(&p.name);
            let Some(object) = setting_object(&p.name) else {
                continue;
            };
            has_setting = true;
            if let (Some(raw), None) = (raw_identity, &identity) {
                let why = format!("its Identity was cut to `{raw}`: not guessed");
                unused.push(&p.name, None, &why);
                continue;
            }
            let Some(value) = parse_bool(&p.value) else {
                unused.push(&p.name, identity.as_deref(), &why_not_bool(&p.value));
                continue;
            };
            settings.push(AdminSetting {
                object,
                identity: identity.clone(),
                name: p.name.clone(),
                value,
                origin: Origin {
                    path: path.into(),
                    line: Some(p.line),
                    excerpt: short(&format!("{} : {}", p.name, p.value.trim()), MAX_EXCERPT),
                },
            });
        }
        if has_setting {
            match raw_identity {
                Some(i) if is_cut(i) => cut_identities.push(short(i, 60)),
                Some(_) => {}
                None => unnamed += 1,
            }
        }
    }
    if let Some(first) = cut_identities.first() {
        notes.push(format!(
            "Identity cut by Format-Table in {} row(s) (e.g. `{first}`): the scope is read from \
             what is left, the name is partial; `Format-Table -AutoSize -Wrap` or Format-List \
             shows it whole",
            cut_identities.len()
        ));
    }
    notes.extend(unnamed_note(unnamed, shape));
    notes.extend(unused.note());
    AdminExport {
        shape,
        settings,
        mentions,
        notes,
        ended_inside: false,
    }
}

#[cfg(test)]
mod tests;
