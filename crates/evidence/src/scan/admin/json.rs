//! `ConvertTo-Json` output, PowerShell 5 and 7: one object, an array of
//! objects, PowerShell 5's `{"value": [...], "Count": n}` wrapper, or several
//! documents appended to one file (`>>`). Booleans are JSON's `true`/`false`
//! (or strings PowerShell would print). PowerShell 5 writes `Identity` as a
//! string; PowerShell 7 may write the identity object itself, whose scope is
//! then read from its fields by the table below.

use super::{
    parse_bool, setting_object, short, unnamed_note, AdminExport, Mentions, Shape, Unused,
    MAX_EXCERPT,
};
use crate::signatures::IdentityField;
use oimdiag_vocab::events::{AdminSetting, Origin};
use serde_json::{Map, Value};
use std::path::Path;

/// The fields of an `Identity` written as an object (PowerShell 7's
/// `ConvertTo-Json` of an `XdsIdentity`, or of one deserialized from a remote
/// session) that name its scope are ASSUMED: they are data, the signature
/// file's `admin_identity_fields` (`src/signatures.json`), which a
/// `--signatures` file can extend or replace. An object none of them names
/// is read as unnamed (counted like Global) and the file's note says so.
/// Text values only: an enum written as a number (`"ScopeClass": 2`) is not
/// mapped to a name, that would be a guess.
/// What an `Identity` value says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    Named(String),
    /// No `Identity`, or an empty one.
    Absent,
    /// An object none of the identity fields names; its field names, for the note.
    Unnamed(Vec<String>),
}

pub(super) fn parse(t: &str, path: &Path, ids: &[IdentityField]) -> Result<AdminExport, String> {
    let mut docs = Vec::new();
    let mut ended_inside = false;
    let mut stream = serde_json::Deserializer::from_str(t).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) => docs.push(v),
            Some(Err(e)) => {
                let closed = e
                    .is_eof()
                    .then(|| t.get(start..).and_then(close_cut_document))
                    .flatten()
                    .and_then(|c| serde_json::from_str::<Value>(&c).ok());
                match closed {
                    Some(v) => {
                        docs.push(v);
                        ended_inside = true;
                    }
                    None if docs.is_empty() => return Err(format!("JSON is not valid: {e}")),
                    None => {}
                }
                break;
            }
        }
    }
    let mut objects: Vec<&Map<String, Value>> = Vec::new();
    for d in &docs {
        collect_objects(d, 0, &mut objects);
    }
    if objects.is_empty() {
        return Err("JSON holds no objects: expected ConvertTo-Json output of \
                    Get-CsImConfiguration or Get-CsClientPolicy"
            .into());
    }
    let mut locator = KeyLocator::new(t);
    let mut settings = Vec::new();
    let mut mentions = Mentions::default();
    let mut unused = Unused::default();
    let mut unnamed_objects: Vec<Vec<String>> = Vec::new();
    let mut absent = 0;
    for obj in objects {
        let id = get_ci(obj, "Identity").map_or(Identity::Absent, |v| identity(v, ids));
        let identity = match &id {
            Identity::Named(s) => Some(s.clone()),
            _ => None,
        };
        let mut has_setting = false;
        for (key, v) in obj {
            mentions.see(key);
            let Some(object) = setting_object(key) else {
                continue;
            };
            has_setting = true;
            let line = locator.find(key);
            let Some(value) = json_bool(v) else {
                let raw = serde_json::to_string(v).unwrap_or_default();
                let why = match v {
                    Value::Null => "null: not set".to_string(),
                    _ => format!("`{}` is not a boolean", short(&raw, 40)),
                };
                unused.push(key, identity.as_deref(), &why);
                continue;
            };
            let raw = serde_json::to_string(v).unwrap_or_default();
            settings.push(AdminSetting {
                object,
                identity: identity.clone(),
                name: key.clone(),
                value,
                origin: Origin {
                    path: path.into(),
                    line,
                    excerpt: short(&format!("\"{key}\": {raw}"), MAX_EXCERPT),
                },
            });
        }
        if has_setting {
            match id {
                Identity::Named(_) => {}
                Identity::Absent => absent += 1,
                Identity::Unnamed(fields) => unnamed_objects.push(fields),
            }
        }
    }
    let mut notes = Vec::new();
    if let Some(fields) = unnamed_objects.first() {
        notes.push(format!(
            "{} Identity object(s) with no field naming the scope (fields: {}): read as \
             unnamed, which counts like Global; the fields oimdiag reads scopes from are \
             ASSUMED: add the one that names it under admin_identity_fields in a --signatures \
             file, or export with {}, which names every object",
            unnamed_objects.len(),
            short(&fields.join(", "), 80),
            mentions.reexport()
        ));
    }
    notes.extend(unnamed_note(absent, Shape::Json));
    notes.extend(unused.note());
    Ok(AdminExport {
        shape: Shape::Json,
        settings,
        mentions,
        notes,
        ended_inside,
    })
}

/// `true`/`false`, a string PowerShell would print for one, or `1`/`0`.
fn json_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => parse_bool(s),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A JSON document that `t` ends inside, closed after the last object that
/// was completed inside an array: that prefix, then the brackets still open
/// there, closed. Every object kept is whole; `None` when no object was
/// completed inside an array (nothing can be kept without guessing).
fn close_cut_document(t: &str) -> Option<String> {
    let end = last_object_in_array_end(t)?;
    let kept = t.get(..end)?;
    let mut open = Vec::new();
    scan_structure(kept, |b, _| match b {
        b'[' | b'{' => open.push(b),
        _ => {
            open.pop();
        }
    });
    let mut closed = String::with_capacity(end + open.len());
    closed.push_str(kept);
    closed.extend(
        open.iter()
            .rev()
            .map(|&b| if b == b'[' { ']' } else { '}' }),
    );
    Some(closed)
}

/// Where the last object closed directly inside an array ends (just past its `}`).
fn last_object_in_array_end(t: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut end = None;
    scan_structure(t, |b, at| match b {
        b'[' | b'{' => open.push(b),
        _ => {
            let closed = open.pop();
            if closed == Some(b'{') && b == b'}' && open.last() == Some(&b'[') {
                end = Some(at + 1);
            }
        }
    });
    end
}

/// Calls `on` with each bracket of `t` (`[`, `]`, `{`, `}`) outside strings
/// and its byte offset. Strings are skipped with their escapes.
fn scan_structure(t: &str, mut on: impl FnMut(u8, usize)) {
    let b = t.as_bytes();
    let mut at = 0;
    while let Some(&c) = b.get(at) {
        match c {
            b'"' => {
                // On to the closing quote: the next `"` not escaped.
                at += 1;
                loop {
                    let Some(k) = b.get(at..).and_then(|r| memchr::memchr2(b'"', b'\\', r)) else {
                        return; // the text ends inside this string
                    };
                    at += k;
                    if b.get(at) == Some(&b'"') {
                        break;
                    }
                    at += 2;
                }
            }
            b'[' | b'{' | b']' | b'}' => on(c, at),
            _ => {}
        }
        at += 1;
    }
}

/// Top-level objects, arrays of them, and `{"value": [...]}` wrappers.
fn collect_objects<'a>(v: &'a Value, depth: usize, out: &mut Vec<&'a Map<String, Value>>) {
    if depth > 3 {
        return;
    }
    match v {
        Value::Array(items) => {
            for i in items {
                collect_objects(i, depth + 1, out);
            }
        }
        Value::Object(m) => {
            let has_setting = m.keys().any(|k| setting_object(k).is_some());
            match get_ci(m, "value") {
                Some(inner @ Value::Array(_)) if !has_setting => {
                    collect_objects(inner, depth + 1, out)
                }
                _ => out.push(m),
            }
        }
        _ => {}
    }
}

fn get_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn nonempty_str<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    get_ci(m, key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The identity a string, number or object gives; an object's through
/// `ids`, the first that names it.
fn identity(v: &Value, ids: &[IdentityField]) -> Identity {
    match v {
        Value::String(s) if !s.trim().is_empty() => Identity::Named(s.trim().to_string()),
        Value::Number(n) => Identity::Named(n.to_string()),
        Value::Object(m) => ids.iter().find_map(|f| named_by(m, f)).map_or_else(
            || Identity::Unnamed(m.keys().cloned().collect()),
            Identity::Named,
        ),
        _ => Identity::Absent,
    }
}

fn named_by(m: &Map<String, Value>, field: &IdentityField) -> Option<String> {
    // `Tag` + `NoArchive` → `Tag:NoArchive`; a name already scoped, or the
    // Global scope, stands alone.
    let scoped = |scope: &str, name: &str| {
        if name.contains(':') || scope.eq_ignore_ascii_case("global") {
            name.to_string()
        } else {
            format!("{scope}:{name}")
        }
    };
    match field {
        IdentityField::Whole(key) => nonempty_str(m, key).map(str::to_string),
        IdentityField::ScopeAndName { scope, name } => {
            let scope = nonempty_str(m, scope);
            match (scope, nonempty_str(m, name)) {
                (Some(sc), Some(n)) if sc.eq_ignore_ascii_case("global") => Some(
                    if n.eq_ignore_ascii_case("global") {
                        n
                    } else {
                        sc
                    }
                    .to_string(),
                ),
                (Some(sc), Some(n)) => Some(scoped(sc, n)),
                (None, Some(n)) => Some(n.to_string()),
                (Some(sc), None) => Some(sc.to_string()),
                (None, None) => None,
            }
        }
        IdentityField::Prefixed { field, scope } => {
            nonempty_str(m, field).map(|s| scoped(scope, s))
        }
    }
}

/// Finds the line of the n-th `"key":` in document order, one cursor per key:
/// objects are visited in document order, so each lookup continues after the
/// previous hit of the same key.
struct KeyLocator<'a> {
    text: &'a str,
    cursors: Vec<(String, usize)>,
}

impl<'a> KeyLocator<'a> {
    fn new(text: &'a str) -> Self {
        KeyLocator {
            text,
            cursors: Vec::new(),
        }
    }

    fn find(&mut self, key: &str) -> Option<u64> {
        let needle = format!("\"{key}\"");
        let slot = match self.cursors.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.cursors.push((key.to_string(), 0));
                self.cursors.len() - 1
            }
        };
        let mut from = self.cursors.get(slot)?.1;
        loop {
            let at = from + self.text.get(from..)?.find(&needle)?;
            let after = at + needle.len();
            from = after;
            // A key, not a string value that happens to match: a colon follows.
            if self.text.get(after..)?.trim_start().starts_with(':') {
                if let Some(c) = self.cursors.get_mut(slot) {
                    c.1 = after;
                }
                let newlines = memchr::memchr_iter(b'\n', self.text.get(..at)?.as_bytes()).count();
                return Some(newlines as u64 + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Vec<IdentityField> {
        crate::signatures::builtin_identity_fields()
    }

    #[test]
    fn identity_object_shapes() {
        let ids = builtin();
        let identity = |v: &Value| identity(v, &ids);
        let id = |s: &str| match identity(&serde_json::from_str(s).unwrap()) {
            Identity::Named(n) => Some(n),
            _ => None,
        };
        assert_eq!(
            id(r#"{"ScopeClass": "Global", "Name": null}"#).as_deref(),
            Some("Global")
        );
        assert_eq!(
            id(r#"{"ScopeClass": "Site", "Name": "Redmond"}"#).as_deref(),
            Some("Site:Redmond")
        );
        assert_eq!(
            id(r#"{"ScopeClass": "Tag", "Name": "Tag:NoArchive"}"#).as_deref(),
            Some("Tag:NoArchive")
        );
        assert_eq!(
            id(r#"{"Tag": "NoArchive", "ScopeClass": 2}"#).as_deref(),
            Some("Tag:NoArchive")
        );
        assert_eq!(
            id(r#"{"SiteId": "Site:Dublin"}"#).as_deref(),
            Some("Site:Dublin")
        );
        assert_eq!(
            id(r#"{"Scope": "Service", "Name": "Registrar:pool01.contoso.com"}"#).as_deref(),
            Some("Registrar:pool01.contoso.com")
        );
        assert_eq!(id(r#""Global""#).as_deref(), Some("Global"));
        assert_eq!(id("null"), None);
        assert_eq!(identity(&Value::Null), Identity::Absent);
        // Nothing names the scope, and a number is not mapped to one.
        assert_eq!(
            identity(&serde_json::from_str(r#"{"ScopeClass": 0, "InstanceId": "7a3c"}"#).unwrap()),
            Identity::Unnamed(vec!["InstanceId".into(), "ScopeClass".into()])
        );
    }
}
