//! Every shape through `parse`: what a report would get from each file.

use super::*;
use std::path::PathBuf;

fn builtin_ids() -> Vec<IdentityField> {
    crate::signatures::builtin_identity_fields()
}

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

/// The settings, and whether the JSON ended inside a document.
fn partial(bytes: &[u8]) -> (Vec<AdminSetting>, bool) {
    let e = parse(bytes, &p(), &builtin_ids()).unwrap();
    (e.settings, e.ended_inside)
}

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
fn non_boolean_values_are_skipped_and_noted() {
    let t = "Identity        : Global\nEnableOfflineIM : \nEnableIMAutoArchiving : maybe\n";
    let e = parse(t.as_bytes(), &p(), &builtin_ids()).unwrap();
    assert_eq!(e.settings, []);
    assert_eq!(
        e.notes,
        ["not used: EnableOfflineIM of Global (empty: not set), \
          EnableIMAutoArchiving of Global (`maybe` is not a boolean)"]
    );
    let j = r#"[{"Identity": "Global", "EnableOfflineIM": null, "EnableIMAutoArchiving": 2}]"#;
    let e = parse(j.as_bytes(), &p(), &builtin_ids()).unwrap();
    assert_eq!(e.settings, []);
    assert_eq!(
        e.notes,
        [
            "not used: EnableIMAutoArchiving of Global (`2` is not a boolean), \
          EnableOfflineIM of Global (null: not set)"
        ]
    );
}

#[test]
fn one_and_zero_are_booleans_in_every_shape() {
    let fl = "Identity        : Global\nEnableOfflineIM : 0\n";
    let csv = "Identity,EnableOfflineIM\nGlobal,0\n";
    let table = "Identity EnableOfflineIM\n-------- ---------------\nGlobal                 0\n";
    let json = r#"{"Identity": "Global", "EnableOfflineIM": 0}"#;
    for t in [fl, csv, table, json] {
        let v = parse_admin_export(t.as_bytes(), &p()).unwrap();
        assert_eq!(v.len(), 1, "{t}");
        assert!(!v[0].value, "{t}");
    }
    let v = parse_admin_export(b"Identity : Global\nEnableOfflineIM : 1\n", &p()).unwrap();
    assert!(v[0].value);
}

#[test]
fn junk_is_an_error() {
    let e =
        parse_admin_export(b"{\"Identity\": \"Global\", \"EnableOfflineIM\": ", &p()).unwrap_err();
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
    let (v, ended_inside) = partial(&whole.as_bytes()[..at]);
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
    assert!(!partial(whole.as_bytes()).1);
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
    let (v, ended_inside) = partial(appended.as_bytes());
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
        .join("../../sample-spooler/admin")
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

/// The sample's other shapes tell the same story as its Format-List and JSON.
#[test]
fn sample_format_table_and_export_csv() {
    let (path, bytes) = sample("Get-CsClientPolicy-table.txt");
    let e = parse(&bytes, &path, &builtin_ids()).unwrap();
    assert_eq!(e.shape, Shape::FormatTable);
    assert_eq!(e.notes, Vec::<String>::new());
    assert_eq!(
        brief(&e.settings),
        [
            (
                AdminObject::ClientPolicy,
                Some("Global"),
                "EnableIMAutoArchiving",
                true,
                Some(4)
            ),
            (
                AdminObject::ClientPolicy,
                Some("Tag:NoArchive"),
                "EnableIMAutoArchiving",
                false,
                Some(5)
            ),
        ]
    );
    let (path, bytes) = sample("Get-CsImConfiguration.csv");
    assert_eq!(bytes.get(..2), Some(&[0xFF, 0xFE][..]));
    let e = parse(&bytes, &path, &builtin_ids()).unwrap();
    assert_eq!(e.shape, Shape::ExportCsv);
    assert_eq!(
        brief(&e.settings),
        [(
            AdminObject::ImConfiguration,
            Some("Global"),
            "EnableOfflineIM",
            true,
            Some(3)
        )]
    );
    assert_eq!(e.settings[0].origin.excerpt, "EnableOfflineIM : True");
}

#[test]
fn arbitrary_bytes_never_panic() {
    let alphabet =
        b"{}[]\":,;|$ \r\n\t-.\xE2\x80\xA6#TYPETrueFalsnIdty:EnableOfflineIM\xFF\xFE\x00\\";
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

/// Random lines of the words the shapes are made of, so that tables, CSV
/// headers and cut values actually occur.
#[test]
fn arbitrary_tables_and_csv_never_panic() {
    let tokens = [
        "Identity",
        "EnableOfflineIM",
        "EnableIMAuto…",
        "--------",
        "---",
        " ",
        "   ",
        "Tag:x",
        "Global",
        "True",
        "Fa…",
        "0",
        "\r\n",
        "\n",
        ";",
        ",",
        "\t",
        "|",
        "\"",
        "#TYPE x\r\n",
        "sep=;\n",
        "é",
        "...",
    ];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for len in 0..400usize {
        let mut t = String::new();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            t.push_str(tokens[(seed % tokens.len() as u64) as usize]);
        }
        let _ = settings_and_note(
            t.as_bytes(),
            &p(),
            None,
            &crate::signatures::builtin_identity_fields(),
        );
        for s in parse_admin_export(t.as_bytes(), &p()).unwrap_or_default() {
            assert!(s.origin.excerpt.chars().count() <= 121, "{s:?}");
        }
    }
}

/// PowerShell 5 squeezing the Identity column: `Gl...` can only be Global,
/// `Ta...` is scoped, and an identity cut to nothing is not guessed.
#[test]
fn cut_identities_keep_the_scope_that_is_left() {
    let t = "Id... EnableOfflineIM\n----- ---------------\nGl...           False\nTa...           False\n...             False\n";
    let e = parse(t.as_bytes(), &p(), &builtin_ids()).unwrap();
    assert_eq!(
        brief(&e.settings),
        [
            (
                AdminObject::ImConfiguration,
                Some("Global"),
                "EnableOfflineIM",
                false,
                Some(3)
            ),
            (
                AdminObject::ImConfiguration,
                Some("Ta..."),
                "EnableOfflineIM",
                false,
                Some(4)
            ),
        ]
    );
    assert_eq!(e.notes.len(), 2, "{:?}", e.notes);
    assert!(e.notes[0].starts_with("Identity cut by Format-Table in 3 row(s)"));
    assert_eq!(
        e.notes[1],
        "not used: EnableOfflineIM of an unnamed object (its Identity was cut to `...`: not guessed)"
    );
}
