//! Admin exports in every common PowerShell shape (issue 16, BRIEF §3.6):
//! `Format-Table`, `Export-Csv` (PowerShell 5 and 7, any delimiter, UTF-8 or
//! UTF-16LE) and `ConvertTo-Json` (PowerShell 7's object `Identity`) give the
//! report the same facts and findings as the canonical `Format-List` of the
//! same evidence; an export recognised but giving no setting is skipped with
//! the re-export to use, and what was recognised but not used is noted.

mod common;

use common::*;
use serde_json::{json, Value};

const USER: &str = "alice@contoso.com";
const POLICY_REEXPORT: &str = "Get-CsClientPolicy | Format-List Identity,EnableIMAutoArchiving";
const IMCONFIG_REEXPORT: &str = "Get-CsImConfiguration | Format-List Identity,EnableOfflineIM";

/// A machine with nothing wrong but what an admin export says: an empty
/// History Spooler (client evidence), a supported build, an online mailbox.
fn scan_with(name: &str, bytes: impl AsRef<[u8]>) -> Scan {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file(&format!("admin/{name}"), bytes);
    env.scan_root(&["--client-build", "16.0.12527.20194", "--mailbox", "online"])
}

fn ps_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// `Get-CsClientPolicy | Format-List Identity,EnableIMAutoArchiving`, as
/// PowerShell writes it: one object per `(identity, value)`.
fn policy_list(objects: &[(&str, bool)]) -> String {
    let mut s = String::from("\r\n");
    for (id, v) in objects {
        s.push_str(&format!(
            "\r\nIdentity              : {id}\r\nEnableIMAutoArchiving : {}\r\n",
            ps_bool(*v)
        ));
    }
    s.push_str("\r\n\r\n\r\n");
    s
}

/// `Get-CsImConfiguration | Format-List Identity,EnableOfflineIM`.
fn imconfig_list(objects: &[(&str, bool)]) -> String {
    let mut s = String::from("\r\n");
    for (id, v) in objects {
        s.push_str(&format!(
            "\r\nIdentity        : {id}\r\nEnableOfflineIM : {}\r\n",
            ps_bool(*v)
        ));
    }
    s.push_str("\r\n\r\n\r\n");
    s
}

/// `Get-CsClientPolicy | Format-Table Identity,Description,EnableIMAutoArchiving,TracingLevel`
/// as PowerShell 7 writes it: text left-aligned, a long description cut with `…`.
fn policy_table(objects: &[(&str, bool)]) -> String {
    let mut s = String::from(
        "\r\nIdentity      Description               EnableIMAutoArchiving TracingLevel\r\n\
         --------      -----------               --------------------- ------------\r\n",
    );
    for (id, v) in objects {
        let description = if id.starts_with("Tag:") {
            "Legal hold exemption for…"
        } else {
            ""
        };
        s.push_str(&format!(
            "{id:<13} {description:<25} {:<21} Light\r\n",
            ps_bool(*v)
        ));
    }
    s.push_str("\r\n\r\n");
    s
}

/// The line of a table or CSV row, by its identity.
fn line_of(text: &str, id: &str) -> u64 {
    text.lines()
        .position(|l| {
            l.trim_start_matches('"').starts_with(&format!("{id} "))
                || l.starts_with(&format!("\"{id}\""))
                || l.starts_with(&format!("{id};"))
        })
        .unwrap() as u64
        + 1
}

/// What the report judged from the evidence: verdict, causes, findings and
/// policies, with where each was read (path, line) left out.
fn judged(s: &Scan) -> Value {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| *k != "path" && *k != "line")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    json!({
        "summary": strip(&s.json["summary"]),
        "policies": strip(&s.json["facts"]["policies"]),
        "findings": strip(&s.json["findings"]),
    })
}

fn scanned<'a>(s: &'a Scan, name: &str) -> &'a Value {
    s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| ends_with_components(x["path"].as_str().unwrap(), name))
        .unwrap_or_else(|| panic!("{name} not scanned: {:#}", s.json["inputs"]))
}

fn note<'a>(s: &'a Scan, name: &str) -> &'a str {
    scanned(s, name)["note"].as_str().unwrap_or("")
}

fn assert_oim020_from(s: &Scan, name: &str, line: u64) {
    let f = s.finding("OIM020");
    let ev = &f["evidence"][0];
    assert!(
        ends_with_components(ev["path"].as_str().unwrap(), &format!("admin/{name}")),
        "{f:#}"
    );
    assert_eq!(ev["line"], line, "{f:#}");
    assert_eq!(s.verdict(), "failing");
    assert_eq!(s.json["summary"]["probable_causes"][0], "OIM020");
    assert_eq!(scanned(s, name)["kind"], "admin_export");
}

// ------------------------------------------------------------- Format-Table

#[test]
fn format_table_global_false_fires_oim020_as_format_list_does() {
    let evidence = [("Global", false), ("Tag:NoArchive", true)];
    let list = scan_with("policy.txt", policy_list(&evidence));
    assert!(list.has("OIM020"), "{:?}", list.rule_ids());
    let table_text = policy_table(&evidence);
    let table = scan_with("Get-CsClientPolicy-table.txt", &table_text);
    assert_eq!(judged(&table), judged(&list));
    assert_oim020_from(
        &table,
        "Get-CsClientPolicy-table.txt",
        line_of(&table_text, "Global"),
    );
    // The same from PowerShell 5: UTF-16LE, `...` for a cut value.
    let ps5 = utf16le_bom(&table_text.replace('…', "..."));
    assert_eq!(judged(&scan_with("ft.txt", ps5)), judged(&list));
}

#[test]
fn format_table_with_only_a_tag_row_false_does_not_fire_oim020() {
    let evidence = [("Tag:NoArchive", false)];
    let list = scan_with("policy.txt", policy_list(&evidence));
    let table = scan_with("policy-table.txt", policy_table(&evidence));
    assert!(!table.has("OIM020"), "{:?}", table.rule_ids());
    assert_ne!(table.verdict(), "failing", "{:#}", table.json["findings"]);
    assert_eq!(judged(&table), judged(&list));
    // Read, not skipped, as the Format-List is.
    assert_eq!(scanned(&table, "policy-table.txt")["kind"], "admin_export");
    assert_eq!(scanned(&list, "policy.txt")["kind"], "admin_export");
    assert!(table.skipped().is_empty(), "{:?}", table.skipped());
    // Beside a Global True, the Global row is what is in force: read from the table.
    let table = scan_with(
        "policy-table.txt",
        policy_table(&[("Global", true), ("Tag:NoArchive", false)]),
    );
    assert!(!table.has("OIM020"), "{:?}", table.rule_ids());
    let pol = &table.json["facts"]["policies"]["enable_im_auto_archiving"];
    assert_eq!(pol["value"], true, "{pol:#}");
    assert!(
        ends_with_components(
            pol["source"]["path"].as_str().unwrap(),
            "admin/policy-table.txt"
        ),
        "{pol:#}"
    );
    assert_eq!(
        pol["source"]["excerpt"],
        "EnableIMAutoArchiving : True (Identity Global)"
    );
}

#[test]
fn format_table_identity_cut_keeps_its_scope_and_says_so() {
    // PowerShell 5 on an 80-column console: equal widths, long values cut.
    let t = "\r\nIdentity             EnableIMAutoArchiving\r\n\
             --------             ---------------------\r\n\
             Global               True\r\n\
             Tag:NoArchiveForE... False\r\n\r\n";
    let s = scan_with("ft.txt", t);
    assert!(!s.has("OIM020"), "a cut Tag: row is still scoped");
    let n = note(&s, "ft.txt");
    assert!(
        n.contains("Identity cut") && n.contains("Tag:NoArchiveForE..."),
        "{n}"
    );
    assert_eq!(
        s.json["facts"]["policies"]["enable_im_auto_archiving"]["value"],
        true
    );
}

// ------------------------------------------------------------- Export-Csv

#[test]
fn export_csv_from_powershell_5_with_type_line_fires_oim020_as_format_list_does() {
    let evidence = [("Global", false), ("Tag:NoArchive", true)];
    let list = scan_with("policy.txt", policy_list(&evidence));
    let csv = "#TYPE Microsoft.Rtc.Management.WritableConfig.Policy.Client.ClientPolicy\r\n\
               \"Identity\",\"PolicyEntry\",\"Description\",\"EnableIMAutoArchiving\",\"TracingLevel\"\r\n\
               \"Global\",\"System.Collections.Generic.List`1[Microsoft.Rtc.Management.WritableConfig.Policy.Client.PolicyEntryType]\",\"\",\"False\",\"Light\"\r\n\
               \"Tag:NoArchive\",\"System.Collections.Generic.List`1[Microsoft.Rtc.Management.WritableConfig.Policy.Client.PolicyEntryType]\",\"Legal hold, \"\"HR\"\"\",\"True\",\"Off\"\r\n";
    let s = scan_with("policies.csv", csv);
    assert_eq!(judged(&s), judged(&list));
    assert_oim020_from(&s, "policies.csv", 3);
    assert_eq!(scanned(&s, "policies.csv")["note"], Value::Null);
}

#[test]
fn export_csv_from_powershell_7_semicolon_utf16le_fires_oim020_as_format_list_does() {
    let evidence = [("Tag:NoArchive", true), ("Global", false)];
    let list = scan_with("policy.txt", policy_list(&evidence));
    // `Export-Csv -UseCulture -Encoding Unicode` in an Italian locale: no #TYPE.
    let csv = "\"Identity\";\"Description\";\"EnableIMAutoArchiving\";\"MaxPhotoSizeKB\"\r\n\
               \"Tag:NoArchive\";\"Esenzione; legal hold\";\"True\";\"30,5\"\r\n\
               \"Global\";\"\";\"False\";\"100\"\r\n";
    let s = scan_with("policies.csv", utf16le_bom(csv));
    assert_eq!(judged(&s), judged(&list));
    assert_oim020_from(&s, "policies.csv", 3);
}

#[test]
fn export_csv_tab_and_pipe_delimited_im_configuration_fires_oim022_as_format_list_does() {
    let evidence = [("Global", false), ("Site:Rome", true)];
    let list = scan_with("imconfig.txt", imconfig_list(&evidence));
    assert!(list.has("OIM022"), "{:?}", list.rule_ids());
    for d in ["\t", "|"] {
        let csv = format!(
            "Identity{d}EnableOfflineIM{d}Other\r\nGlobal{d}False{d}x\r\nSite:Rome{d}True{d}y\r\n"
        );
        let s = scan_with("imconfig.csv", utf8_bom(&csv));
        assert_eq!(judged(&s), judged(&list), "{d:?}");
        assert_eq!(s.finding("OIM022")["evidence"][0]["line"], 2, "{d:?}");
    }
}

// --------------------------------------------------------- ConvertTo-Json

/// PowerShell 7's `ConvertTo-Json` of policies whose `Identity` is an object.
fn ps7_json(global: bool, tag: bool) -> String {
    format!(
        r#"[
  {{
    "Identity": {{
      "ScopeClass": "Global",
      "SchemaId": "{{urn:schema:Microsoft.Rtc.Management.Policy.Client.2008}}ClientPolicy",
      "AuthorityId": "Host",
      "DefaultXml": null,
      "XmlRoot": null
    }},
    "Description": null,
    "EnableIMAutoArchiving": {global},
    "TracingLevel": 1
  }},
  {{
    "Identity": {{
      "ScopeClass": "Tag",
      "Name": "NoArchive",
      "SchemaId": "{{urn:schema:Microsoft.Rtc.Management.Policy.Client.2008}}ClientPolicy",
      "AuthorityId": "Host"
    }},
    "Description": "Legal hold exemption",
    "EnableIMAutoArchiving": {tag},
    "TracingLevel": 2
  }}
]
"#
    )
}

#[test]
fn json_from_powershell_7_with_object_identity_judges_as_format_list_does() {
    for (global, tag) in [(false, true), (true, false)] {
        let list = scan_with(
            "policy.txt",
            policy_list(&[("Global", global), ("Tag:NoArchive", tag)]),
        );
        let s = scan_with("policies.json", ps7_json(global, tag));
        assert_eq!(s.has("OIM020"), !global, "{:?}", s.rule_ids());
        assert_eq!(s.verdict(), list.verdict());
        assert_eq!(s.rule_ids(), list.rule_ids());
        let pol = &s.json["facts"]["policies"]["enable_im_auto_archiving"];
        assert_eq!(pol["value"], global, "{pol:#}");
        assert!(
            pol["source"]["excerpt"]
                .as_str()
                .unwrap()
                .contains("Identity Global"),
            "{pol:#}"
        );
        assert_eq!(note(&s, "policies.json"), "");
    }
    let s = scan_with("policies.json", ps7_json(false, true));
    assert_eq!(s.finding("OIM020")["evidence"][0]["line"], 11);
}

#[test]
fn json_identity_object_naming_no_scope_is_read_as_unnamed_and_noted() {
    let t =
        r#"{"Identity": {"ScopeClass": 0, "InstanceId": "5f1c"}, "EnableIMAutoArchiving": false}"#;
    let s = scan_with("policy.json", t);
    // Unnamed counts like Global, as a Format-List object without Identity does.
    assert!(s.has("OIM020"), "{:?}", s.rule_ids());
    let n = note(&s, "policy.json");
    assert!(
        n.contains("unnamed")
            && n.contains("InstanceId, ScopeClass")
            && n.contains(POLICY_REEXPORT),
        "{n}"
    );
}

/// PowerShell 7's JSON with an `Identity` object whose scope is in fields
/// the built-in table does not name (`PolicyScope`, `PolicyName`).
fn json_with_unknown_identity_fields(global: bool, tag: bool) -> String {
    format!(
        r#"[
  {{"Identity": {{"PolicyScope": "Global", "Kind": "ClientPolicy"}}, "EnableIMAutoArchiving": {global}}},
  {{"Identity": {{"PolicyScope": "Tag", "PolicyName": "NoArchive", "Kind": "ClientPolicy"}}, "EnableIMAutoArchiving": {tag}}}
]
"#
    )
}

/// Scans one JSON export beside a `--signatures` file with `sigs`.
fn scan_with_signatures(json: &str, sigs: &str) -> Scan {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file("admin/policies.json", json);
    // Outside the tree scanned, where it would be an input of its own.
    let elsewhere = TestEnv::new();
    let file = elsewhere.write_file("signatures.json", sigs);
    env.scan_root(&[
        "--client-build",
        "16.0.12527.20194",
        "--mailbox",
        "online",
        "--signatures",
        file.to_str().unwrap(),
    ])
}

#[test]
fn a_signature_file_adding_identity_fields_reads_an_identity_object_the_table_missed() {
    // Global on, the NoArchive tag off: OIM023, never OIM020.
    let evidence = [("Global", true), ("Tag:NoArchive", false)];
    let list = scan_with("policy.txt", policy_list(&evidence));
    assert!(
        list.has("OIM023") && !list.has("OIM020"),
        "{:?}",
        list.rule_ids()
    );
    let json = json_with_unknown_identity_fields(true, false);
    // The built-in table names neither object: both unnamed, counted like
    // Global, and the note says which fields to add where.
    let before = scan_with("policies.json", &json);
    assert!(before.has("OIM020"), "{:?}", before.rule_ids());
    let n = note(&before, "policies.json");
    assert!(
        n.contains("2 Identity object(s) with no field naming the scope")
            && n.contains("admin_identity_fields")
            && n.contains("--signatures"),
        "{n}"
    );
    // Named in a user file (extend: the signatures and other tables stay).
    let mine = r#"{"admin_identity_fields": {"fields": [
        {"field": "PolicyScope", "name_field": "PolicyName"}]},
        "signatures": []}"#;
    let after = scan_with_signatures(&json, mine);
    assert_eq!(after.rule_ids(), list.rule_ids());
    assert_eq!(after.verdict(), list.verdict());
    assert_eq!(note(&after, "policies.json"), "");
    assert_eq!(
        after.json["facts"]["policies"]["enable_im_auto_archiving"]["value"],
        true
    );
    // A file without the section keeps the built-in list: PowerShell's own
    // ScopeClass/Name object is still read.
    let without = scan_with_signatures(&ps7_json(true, false), r#"{"signatures": []}"#);
    assert_eq!(without.rule_ids(), list.rule_ids());
    assert_eq!(note(&without, "policies.json"), "");
}

#[test]
fn a_bad_identity_table_in_a_signature_file_is_a_clear_usage_error() {
    let env = TestEnv::new();
    env.spooler(USER);
    for (table, says) in [
        (
            r#"{"field": "A", "name_field": "B", "scope": "Tag"}"#,
            "not both",
        ),
        (r#"{"field": ""}"#, "empty 'field'"),
        (r#"{"field": "A", "scope": "Tag:X"}"#, "without ':'"),
        (r#"{"field": "A", "scoop": "Tag"}"#, "scoop"),
    ] {
        let file = env.write_file(
            "sigs.json",
            format!(r#"{{"signatures": [], "admin_identity_fields": {{"fields": [{table}]}}}}"#),
        );
        let r = env.run(&["signatures", "--signatures", file.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{table}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{table}: {}", r.stderr);
        assert!(r.stderr.contains("sigs.json"), "{table}: {}", r.stderr);
    }
}

// ------------------------------------------ recognised, but nothing usable

#[test]
fn recognised_exports_without_a_usable_setting_are_skipped_with_the_reexport() {
    let cases: [(&str, Vec<u8>, &str); 6] = [
        (
            "fl.txt",
            b"Identity              : Global\r\nEnableIMAutoArchiving :\r\n".to_vec(),
            POLICY_REEXPORT,
        ),
        (
            "ft.txt",
            // The column was squeezed until its header was cut.
            "Identity      EnableIMAutoArc…\r\n--------      ----------------\r\nGlobal        False\r\n"
                .as_bytes()
                .to_vec(),
            POLICY_REEXPORT,
        ),
        (
            // `Get-CsClientPolicy | Format-Table`: the setting's column did not fit.
            "ft-default.txt",
            "\r\nIdentity      PolicyEntry Description AddressBookAvailability  EnableCallLogAutoArchiving\r\n\
             --------      ----------- ----------- -----------------------  --------------------------\r\n\
             Global        {}                      WebSearchAndFileDownload True\r\n\r\n"
                .as_bytes()
                .to_vec(),
            POLICY_REEXPORT,
        ),
        (
            "export.csv",
            utf16le_bom("#TYPE Microsoft.Rtc.Management.WritableConfig.Im.ImConfiguration\r\n\"Identity\",\"EnableOfflineIM\"\r\n\"Global\",\"\"\r\n"),
            IMCONFIG_REEXPORT,
        ),
        (
            "policy.json",
            br#"[{"Identity": "Global", "EnableIMAutoArchiving": null}]"#.to_vec(),
            POLICY_REEXPORT,
        ),
        (
            "both.txt",
            b"Identity        : Global\r\nEnableOfflineIM : maybe\r\nEnableIMAutoArchiving : \r\n"
                .to_vec(),
            IMCONFIG_REEXPORT,
        ),
    ];
    for (name, bytes, hint) in cases {
        let s = scan_with(name, bytes);
        let reason = s.skip_reason(&format!("admin/{name}"));
        assert!(reason.contains(hint), "{name}: {reason}");
        assert!(reason.contains("no usable"), "{name}: {reason}");
        assert!(
            s.json["inputs"]["scanned"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| !x["path"].as_str().unwrap().ends_with(name)),
            "{name} is not read"
        );
        assert!(s.has("OIM061"), "{name}: {:?}", s.rule_ids());
        assert!(!s.has("OIM020") && !s.has("OIM022"), "{name}");
    }
    let reason = scan_with(
        "ft-default.txt",
        "Identity PolicyEntry DisableSavingIM EnableCallLogAutoArchiving\r\n\
         -------- ----------- --------------- --------------------------\r\n\
         Global   {}                                                True\r\n",
    )
    .skip_reason("admin/ft-default.txt");
    assert!(
        reason.contains("Format-Table export")
            && reason.contains("no EnableOfflineIM or EnableIMAutoArchiving column")
            && reason.contains(POLICY_REEXPORT)
            && !reason.contains(IMCONFIG_REEXPORT),
        "{reason}"
    );
    // Why it gave nothing is said, as well as what to do.
    let s = scan_with(
        "ft.txt",
        "Identity      EnableIMAutoArc…\r\n--------      ----------------\r\nGlobal        False\r\n",
    );
    assert!(
        s.skip_reason("admin/ft.txt").contains("`EnableIMAutoArc…`"),
        "{}",
        s.skip_reason("admin/ft.txt")
    );
}

#[test]
fn values_recognised_but_unused_beside_good_ones_are_noted() {
    let t = "\r\nIdentity              : Global\r\nEnableIMAutoArchiving : False\r\n\r\n\
             Identity              : Tag:NoArchive\r\nEnableIMAutoArchiving :\r\n\r\n";
    let s = scan_with("policy.txt", t);
    assert!(s.has("OIM020"));
    let n = note(&s, "policy.txt");
    assert!(
        n.contains("EnableIMAutoArchiving of Tag:NoArchive (empty: not set)"),
        "{n}"
    );
    // A cut boolean is not guessed.
    let t = "Identity      EnableOfflineIM\r\n--------      ---------------\r\n\
             Global        False\r\nSite:Rome     Fa…\r\n";
    let s = scan_with("imconfig.txt", t);
    assert!(s.has("OIM022"));
    let n = note(&s, "imconfig.txt");
    assert!(
        n.contains("EnableOfflineIM of Site:Rome (cut to `Fa…`: not guessed)"),
        "{n}"
    );
}
