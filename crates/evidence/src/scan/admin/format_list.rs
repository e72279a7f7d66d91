//! `Format-List` text: `Name : Value` lines; names start in column 0, padded
//! with spaces before the colon; long values wrap onto indented continuation
//! lines; objects are separated by blank lines.

use super::TextProp;

/// The objects of a `Format-List` text; `None` when no line is a property.
pub(super) fn parse(t: &str) -> Option<Vec<Vec<TextProp>>> {
    let mut objects: Vec<Vec<TextProp>> = Vec::new();
    let mut current: Vec<TextProp> = Vec::new();
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
                current.push(TextProp {
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
    any_property.then_some(objects)
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
