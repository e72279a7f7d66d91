//! PowerShell admin exports (BRIEF §3.6): `Get-CsImConfiguration` and
//! `Get-CsClientPolicy` output as `Format-List` text or as `ConvertTo-Json`,
//! in whatever encoding PowerShell wrote (UTF-16LE with BOM from `>` in
//! PowerShell 5, UTF-8 otherwise). Several objects per file, recognised by
//! their properties, not by the file name:
//! - `EnableOfflineIM` is an IM configuration setting;
//! - `EnableIMAutoArchiving` is a client policy setting.
//!
//! Only boolean values are kept; anything else is skipped, never an error.

use crate::events::{AdminObject, AdminSetting, Origin};
use crate::scan::text;
use serde_json::{Map, Value};
use std::path::Path;

/// Longest excerpt kept in an `Origin`.
const MAX_EXCERPT: usize = 120;

/// The settings of interest in an admin export. `Err` only when the file is
/// neither `Format-List` text nor JSON (the reason says which was tried).
/// JSON that ends part-way through a document (a read cut at a size limit, a
/// copy broken off) keeps every object completed before the end.
pub fn parse_admin_export(bytes: &[u8], path: &Path) -> Result<Vec<AdminSetting>, String> {
    parse_admin_export_partial(bytes, path).map(|(settings, _)| settings)
}

/// As [`parse_admin_export`], and whether the JSON ended inside a document,
/// so that only the objects completed before its end were read.
pub fn parse_admin_export_partial(
    bytes: &[u8],
    path: &Path,
) -> Result<(Vec<AdminSetting>, bool), String> {
    let decoded = text::decode(bytes);
    let t = decoded.text.trim_start_matches('\u{feff}');
    let head = t.trim_start();
    if head.starts_with('{') || head.starts_with('[') {
        return parse_json(t, path);
    }
    if !text::is_texty(t) {
        return Err("not an admin export: binary content".into());
    }
    parse_list(t, path).map(|settings| (settings, false))
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

/// `True`, `$False`, `true`, ... (case-insensitive); anything else is not a boolean.
fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim();
    let t = t.strip_prefix('$').unwrap_or(t);
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
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

// ---------------------------------------------------------------- Format-List

struct Prop {
    name: String,
    value: String,
    line: u64,
}

/// `Name : Value` lines; names start in column 0, padded with spaces before
/// the colon; long values wrap onto indented continuation lines; objects are
/// separated by blank lines.
fn parse_list(t: &str, path: &Path) -> Result<Vec<AdminSetting>, String> {
    let mut objects: Vec<Vec<Prop>> = Vec::new();
    let mut current: Vec<Prop> = Vec::new();
    // A continuation line may only follow a property line.
    let mut can_continue = false;
    let mut any_property = false;
    for (i, raw) in t.lines().enumerate() {
        let line_no = i as u64 + 1;
        if raw.trim().is_empty() {
            if !current.is_empty() {
                objects.push(std::mem::take(&mut current));
            }
            can_continue = false;
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if let (true, Some(last)) = (can_continue, current.last_mut()) {
                if !last.value.is_empty() {
                    last.value.push(' ');
                }
                last.value.push_str(raw.trim());
            }
            continue;
        }
        match split_property(raw) {
            Some((name, value)) => {
                any_property = true;
                can_continue = true;
                current.push(Prop {
                    name: name.to_string(),
                    value: value.to_string(),
                    line: line_no,
                });
            }
            None => can_continue = false,
        }
    }
    if !current.is_empty() {
        objects.push(current);
    }
    if !any_property {
        return Err(
            "not an admin export: neither JSON nor PowerShell Format-List text \
             (`Name : Value` lines)"
                .into(),
        );
    }
    let mut out = Vec::new();
    for obj in &objects {
        let identity = obj
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case("Identity"))
            .map(|p| p.value.trim().to_string())
            .filter(|v| !v.is_empty());
        for p in obj {
            let Some(object) = setting_object(&p.name) else {
                continue;
            };
            let Some(value) = parse_bool(&p.value) else {
                continue;
            };
            out.push(AdminSetting {
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
    }
    Ok(out)
}

/// `Name   : Value` → (`Name`, `Value`). Names are PowerShell property names:
/// a letter or `_`, then letters, digits, `_`, `-`, `.`; no spaces.
fn split_property(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let name = line.get(..colon)?.trim_end();
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_alphabetic() || first == '_')
        || !chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    Some((name, line.get(colon + 1..)?.trim()))
}

// ---------------------------------------------------------------- JSON

/// `ConvertTo-Json` output: one object, an array of objects, PowerShell 5's
/// `{"value": [...], "Count": n}` wrapper, or several documents appended to
/// one file (`>>`). Documents after a broken one are lost, the ones before kept;
/// a document the text ends inside keeps the objects of its arrays completed
/// before the end (the bool says this happened).
fn parse_json(t: &str, path: &Path) -> Result<(Vec<AdminSetting>, bool), String> {
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
    let mut out = Vec::new();
    for obj in objects {
        let identity = get_ci(obj, "Identity").and_then(identity_string);
        for (key, v) in obj {
            let Some(object) = setting_object(key) else {
                continue;
            };
            let line = locator.find(key);
            let value = match v {
                Value::Bool(b) => *b,
                Value::String(s) => match parse_bool(s) {
                    Some(b) => b,
                    None => continue,
                },
                _ => continue,
            };
            let raw = serde_json::to_string(v).unwrap_or_default();
            out.push(AdminSetting {
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
    }
    Ok((out, ended_inside))
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

/// A readable identity from a string, or from the object PowerShell may write
/// for an `XdsIdentity` (`{"ScopeClass": "Tag", "Name": "NoArchive"}`,
/// `{"Tag": "NoArchive", ...}`, ...).
fn identity_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(m) => {
            for key in ["Identity", "ToString", "Value"] {
                if let Some(s) = nonempty_str(m, key) {
                    return Some(s.to_string());
                }
            }
            let scope = nonempty_str(m, "ScopeClass");
            let scoped = |prefix: &str, s: &str| {
                if s.contains(':') || prefix.eq_ignore_ascii_case("global") {
                    s.to_string()
                } else {
                    format!("{prefix}:{s}")
                }
            };
            if let Some(name) = nonempty_str(m, "Name") {
                return Some(match scope {
                    Some(sc) if !sc.eq_ignore_ascii_case("global") => scoped(sc, name),
                    Some(_) if name.eq_ignore_ascii_case("global") => name.to_string(),
                    Some(sc) => sc.to_string(),
                    None => name.to_string(),
                });
            }
            for (key, prefix) in [
                ("Tag", "Tag"),
                ("SiteId", "Site"),
                ("Site", "Site"),
                ("ServiceId", "Service"),
                ("Service", "Service"),
            ] {
                if let Some(s) = nonempty_str(m, key) {
                    return Some(scoped(prefix, s));
                }
            }
            if let Some(sc) = scope {
                return Some(sc.to_string());
            }
            let compact = serde_json::to_string(v).ok()?;
            Some(short(&compact, 80))
        }
        _ => None,
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
    use std::path::PathBuf;

    const IM_CONFIG_FL: &str = "\r\n\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n\r\nIdentity        : Site:Redmond\r\nEnableOfflineIM : $True\r\n\r\n\r\n\r\n";

    const CLIENT_POLICY_FL: &str = "
PS C:\\> Get-CsClientPolicy | fl


Identity                                    : Global
PolicyEntry                                 : {}
Description                                 :
AddressBookAvailability                     : WebSearchAndFileDownload
AttendantSafeTransfer                       :
BlockConversationFromFederatedContacts      :
DisableEmoticons                            :
DisableSavingIM                             :
EnableAppearOffline                         :
EnableCallLogAutoArchiving                  : True
EnableExchangeContactSync                   : True
EnableHighPerformanceConferencingAppSharing :
EnableIMAutoArchiving                       : True
EnableServerConversationHistory             : False
EnableSkypeUI                               :
TracingLevel                                : Light

Identity                                    : Tag:NoArchive
PolicyEntry                                 : {}
Description                                 : Legal hold exemption requested by HR for the
                                              executive assistants group, ticket
                                              INC0012345
AddressBookAvailability                     : WebSearchAndFileDownload
DisableSavingIM                             : True
EnableCallLogAutoArchiving                  : False
EnableIMAutoArchiving                       : False
EnableServerConversationHistory             : False
TracingLevel                                : Off



";

    const CLIENT_POLICY_JSON: &str = r#"[
    {
        "Identity":  "Global",
        "PolicyEntry":  [

                        ],
        "Description":  null,
        "AddressBookAvailability":  0,
        "DisableSavingIM":  null,
        "EnableCallLogAutoArchiving":  true,
        "EnableExchangeContactSync":  true,
        "EnableIMAutoArchiving":  true,
        "EnableServerConversationHistory":  false,
        "TracingLevel":  1
    },
    {
        "Identity":  "Tag:NoArchive",
        "PolicyEntry":  [

                        ],
        "Description":  "No IM archiving",
        "AddressBookAvailability":  0,
        "DisableSavingIM":  true,
        "EnableCallLogAutoArchiving":  false,
        "EnableExchangeContactSync":  true,
        "EnableIMAutoArchiving":  false,
        "EnableServerConversationHistory":  false,
        "TracingLevel":  2
    }
]"#;

    fn p() -> PathBuf {
        PathBuf::from("exports/admin.txt")
    }

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    type Brief<'a> = (AdminObject, Option<&'a str>, &'a str, bool, Option<u64>);

    fn brief(v: &[AdminSetting]) -> Vec<Brief<'_>> {
        v.iter()
            .map(|s| {
                (
                    s.object,
                    s.identity.as_deref(),
                    s.name.as_str(),
                    s.value,
                    s.origin.line,
                )
            })
            .collect()
    }

    #[test]
    fn im_configuration_format_list() {
        let v = parse_admin_export(IM_CONFIG_FL.as_bytes(), &p()).unwrap();
        assert_eq!(
            brief(&v),
            [
                (
                    AdminObject::ImConfiguration,
                    Some("Global"),
                    "EnableOfflineIM",
                    false,
                    Some(4)
                ),
                (
                    AdminObject::ImConfiguration,
                    Some("Site:Redmond"),
                    "EnableOfflineIM",
                    true,
                    Some(7)
                ),
            ]
        );
        assert_eq!(v[0].origin.excerpt, "EnableOfflineIM : False");
        assert_eq!(v[1].origin.excerpt, "EnableOfflineIM : $True");
        assert_eq!(*v[0].origin.path, *p());
    }

    #[test]
    fn client_policy_format_list_two_objects_and_wrapped_value() {
        let v = parse_admin_export(CLIENT_POLICY_FL.as_bytes(), &p()).unwrap();
        assert_eq!(
            brief(&v),
            [
                (
                    AdminObject::ClientPolicy,
                    Some("Global"),
                    "EnableIMAutoArchiving",
                    true,
                    Some(17)
                ),
                (
                    AdminObject::ClientPolicy,
                    Some("Tag:NoArchive"),
                    "EnableIMAutoArchiving",
                    false,
                    Some(30)
                ),
            ]
        );
        assert_eq!(v[1].origin.excerpt, "EnableIMAutoArchiving : False");
    }

    #[test]
    fn wrapped_values_join_and_do_not_become_properties() {
        let t = "Identity              : Tag:AVeryLongPolicyNameThatWraps\n                        AcrossTwoLines\nEnableIMAutoArchiving : false\n";
        let v = parse_admin_export(t.as_bytes(), &p()).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].identity.as_deref(),
            Some("Tag:AVeryLongPolicyNameThatWraps AcrossTwoLines")
        );
        assert!(!v[0].value);
        assert_eq!(v[0].origin.line, Some(3));
    }

    #[test]
    fn utf16le_with_bom_text_reads_like_utf8() {
        let a = parse_admin_export(CLIENT_POLICY_FL.as_bytes(), &p()).unwrap();
        let b = parse_admin_export(&utf16le(CLIENT_POLICY_FL), &p()).unwrap();
        assert_eq!(a, b);
        let c = parse_admin_export(&utf16le(IM_CONFIG_FL), &p()).unwrap();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn convert_to_json_array() {
        let v = parse_admin_export(CLIENT_POLICY_JSON.as_bytes(), &p()).unwrap();
        assert_eq!(
            brief(&v),
            [
                (
                    AdminObject::ClientPolicy,
                    Some("Global"),
                    "EnableIMAutoArchiving",
                    true,
                    Some(12)
                ),
                (
                    AdminObject::ClientPolicy,
                    Some("Tag:NoArchive"),
                    "EnableIMAutoArchiving",
                    false,
                    Some(26)
                ),
            ]
        );
        assert_eq!(v[1].origin.excerpt, "\"EnableIMAutoArchiving\": false");
        // Same from UTF-16LE with BOM, as PowerShell 5 writes with `>`.
        assert_eq!(
            parse_admin_export(&utf16le(CLIENT_POLICY_JSON), &p()).unwrap(),
            v
        );
    }

    #[test]
    fn single_json_object_with_object_identity_and_both_settings() {
        let t = r#"{"Identity": {"ScopeClass": "Tag", "Name": "Contractors"},
                    "EnableOfflineIM": "$False", "EnableIMAutoArchiving": "True",
                    "Other": true}"#;
        let v = parse_admin_export(t.as_bytes(), &p()).unwrap();
        let mut b = brief(&v);
        b.sort_by_key(|x| x.2);
        assert_eq!(
            b,
            [
                (
                    AdminObject::ClientPolicy,
                    Some("Tag:Contractors"),
                    "EnableIMAutoArchiving",
                    true,
                    Some(2)
                ),
                (
                    AdminObject::ImConfiguration,
                    Some("Tag:Contractors"),
                    "EnableOfflineIM",
                    false,
                    Some(2)
                ),
            ]
        );
    }

    #[test]
    fn identity_object_shapes() {
        let id = |s: &str| identity_string(&serde_json::from_str(s).unwrap());
        assert_eq!(
            id(r#"{"ScopeClass": "Global", "Name": null}"#).as_deref(),
            Some("Global")
        );
        assert_eq!(
            id(r#"{"ScopeClass": "Site", "Name": "Redmond"}"#).as_deref(),
            Some("Site:Redmond")
        );
        assert_eq!(
            id(r#"{"Tag": "NoArchive", "ScopeClass": 2}"#).as_deref(),
            Some("Tag:NoArchive")
        );
        assert_eq!(
            id(r#"{"SiteId": "Site:Dublin"}"#).as_deref(),
            Some("Site:Dublin")
        );
        assert_eq!(id(r#""Global""#).as_deref(), Some("Global"));
        assert_eq!(id("null"), None);
        assert!(id(r#"{"InstanceId": "7a3c"}"#).unwrap().contains("7a3c"));
    }

    #[test]
    fn json_wrappers_and_appended_documents() {
        let t = "{\"value\": [{\"Identity\": \"Global\", \"EnableOfflineIM\": true}], \"Count\": 1}\r\n[{\"Identity\": \"Global\", \"EnableIMAutoArchiving\": false}]\r\n";
        let v = parse_admin_export(t.as_bytes(), &p()).unwrap();
        assert_eq!(
            brief(&v),
            [
                (
                    AdminObject::ImConfiguration,
                    Some("Global"),
                    "EnableOfflineIM",
                    true,
                    Some(1)
                ),
                (
                    AdminObject::ClientPolicy,
                    Some("Global"),
                    "EnableIMAutoArchiving",
                    false,
                    Some(2)
                ),
            ]
        );
    }

    #[test]
    fn non_boolean_values_are_skipped() {
        let t = "Identity        : Global\nEnableOfflineIM : \nEnableIMAutoArchiving : maybe\n";
        assert_eq!(parse_admin_export(t.as_bytes(), &p()).unwrap(), []);
        let j = r#"[{"Identity": "Global", "EnableOfflineIM": null, "EnableIMAutoArchiving": 1}]"#;
        assert_eq!(parse_admin_export(j.as_bytes(), &p()).unwrap(), []);
    }

    #[test]
    fn junk_is_an_error() {
        let e = parse_admin_export(b"{\"Identity\": \"Global\", \"EnableOfflineIM\": ", &p())
            .unwrap_err();
        assert!(e.starts_with("JSON is not valid"), "{e}");
        let e = parse_admin_export(b"just some prose, no properties here\n", &p()).unwrap_err();
        assert!(e.contains("Format-List"), "{e}");
        let junk: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        assert!(parse_admin_export(&junk, &p()).is_err());
        assert!(parse_admin_export(b"", &p()).is_err());
        assert!(parse_admin_export(b"42", &p()).is_err());
        assert!(parse_admin_export(b"[1, 2]", &p()).is_err());
    }

    #[test]
    fn json_cut_short_keeps_the_objects_completed_before_the_cut() {
        let whole = CLIENT_POLICY_JSON;
        // Cut inside the second object: the first is whole and kept.
        let at = whole.find("\"No IM archiving\"").unwrap();
        let (v, ended_inside) = parse_admin_export_partial(&whole.as_bytes()[..at], &p()).unwrap();
        assert!(ended_inside);
        assert_eq!(
            brief(&v),
            [(
                AdminObject::ClientPolicy,
                Some("Global"),
                "EnableIMAutoArchiving",
                true,
                Some(12)
            )]
        );
        // Whole: nothing ended inside.
        assert!(
            !parse_admin_export_partial(whole.as_bytes(), &p())
                .unwrap()
                .1
        );
    }

    #[test]
    fn json_cut_short_in_a_wrapper_or_an_appended_document() {
        let wrapped = "{\"value\": [{\"Identity\": \"Global\", \"EnableOfflineIM\": false}, \
                       {\"Identity\": \"Tag:x\", \"Description\": \"a ] } [ \\\" { brace\", \"EnableOff";
        let v = parse_admin_export(wrapped.as_bytes(), &p()).unwrap();
        assert_eq!(
            brief(&v),
            [(
                AdminObject::ImConfiguration,
                Some("Global"),
                "EnableOfflineIM",
                false,
                Some(1)
            )]
        );
        // A second document appended (`>>`) and cut: both documents' whole objects count.
        let appended = "[{\"Identity\": \"Global\", \"EnableOfflineIM\": true}]\n\
                        [{\"Identity\": \"Global\", \"EnableIMAutoArchiving\": false}, {\"Ident";
        let (v, ended_inside) = parse_admin_export_partial(appended.as_bytes(), &p()).unwrap();
        assert!(ended_inside);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].name, "EnableIMAutoArchiving");
        assert_eq!(v[1].origin.line, Some(2));
    }

    #[test]
    fn json_cut_before_any_whole_object_is_still_an_error() {
        for t in [
            "[{\"Identity\": \"Global\", \"EnableOfflineIM\": tr",
            "{\"value\": [{\"Identity\": \"Glo",
            "[[[[",
            "[\"{}\", \"[{}]\"",
        ] {
            let e = parse_admin_export(t.as_bytes(), &p()).unwrap_err();
            assert!(e.starts_with("JSON is not valid"), "{t}: {e}");
        }
        // Broken, not cut: a syntax error keeps nothing of its document.
        let e = parse_admin_export(b"[{\"EnableOfflineIM\": true}, {x}]", &p()).unwrap_err();
        assert!(e.starts_with("JSON is not valid"), "{e}");
    }

    #[test]
    fn key_locator_skips_string_values_equal_to_the_key() {
        let t = "{\"Description\": \"EnableOfflineIM\",\n \"EnableOfflineIM\": false}";
        let v = parse_admin_export(t.as_bytes(), &p()).unwrap();
        assert_eq!(v[0].origin.line, Some(2));
    }

    fn sample(rel: &str) -> (PathBuf, Vec<u8>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-spooler/admin")
            .join(rel);
        let bytes = std::fs::read(&path).unwrap();
        (path, bytes)
    }

    #[test]
    fn sample_im_configuration_utf16_format_list() {
        let (path, bytes) = sample("Get-CsImConfiguration.txt");
        assert_eq!(bytes.get(..2), Some(&[0xFF, 0xFE][..]));
        let v = parse_admin_export(&bytes, &path).unwrap();
        assert_eq!(
            brief(&v),
            [(
                AdminObject::ImConfiguration,
                Some("Global"),
                "EnableOfflineIM",
                true,
                Some(4)
            )]
        );
        assert_eq!(v[0].origin.excerpt, "EnableOfflineIM : True");
        assert_eq!(*v[0].origin.path, *path);
    }

    #[test]
    fn sample_client_policies_json() {
        let (path, bytes) = sample("client-policies.json");
        let v = parse_admin_export(&bytes, &path).unwrap();
        assert_eq!(
            brief(&v),
            [
                (
                    AdminObject::ClientPolicy,
                    Some("Global"),
                    "EnableIMAutoArchiving",
                    true,
                    Some(29)
                ),
                (
                    AdminObject::ClientPolicy,
                    Some("Tag:NoArchive"),
                    "EnableIMAutoArchiving",
                    false,
                    Some(69)
                ),
            ]
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let alphabet = b"{}[]\":,$ \r\n\tTrueFalsnIdty:EnableOfflineIM\xFF\xFE\x00\\";
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..300usize {
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = parse_admin_export(&bytes, &p());
        }
    }
}
