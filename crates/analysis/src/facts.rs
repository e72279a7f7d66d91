//! Facts about the user and machine, derived from scanned data and the
//! overrides the user gave. Overrides win, and say so in their source.

use crate::digest::{parse_bool, LogFacts};
use crate::scan_data::ScanData;
use oimdiag_evidence::scan::logs::url_host;
use oimdiag_vocab::build_version::{ClientBuild, InstallType};
use oimdiag_vocab::events::{AdminObject, AdminSetting, Origin};
use oimdiag_vocab::found::{
    ExeBuild, Facts, MailboxLocation, Policies, Setting, Source, SourceKind,
};
use std::collections::BTreeSet;

/// EWS hosts of Exchange Online (ASSUMED heuristic: any other host is
/// on-premises; `--mailbox` overrides).
pub const ONLINE_EWS_HOSTS: &[&str] = &["outlook.office365.com", "outlook.office.com"];

/// Where the user says the mailbox is (`--mailbox`); `Auto` = as the
/// evidence says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxChoice {
    Auto,
    Online,
    OnPremises,
}

/// What the user set on the command line that wins over the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrides {
    pub client_build: Option<ClientBuild>,
    pub mailbox: MailboxChoice,
}

pub fn derive(scan: &ScanData, cfg: &Overrides) -> Facts {
    let sip_users = sip_users(scan, &scan.logs.sip_users);
    let logged = logged_build(&scan.logs);
    let exe = exe_build(scan);
    // Precedence: --client-build > lync.exe (installed, else a collected
    // copy) > the logs.
    let (client_build, client_build_source, install_type) = match (cfg.client_build, &exe) {
        (Some(b), _) => (
            Some(b),
            Some(cli_source(format!("--client-build {b}"))),
            b.install_type(),
        ),
        (None, Some(e)) => (Some(e.build), Some(e.source.clone()), e.install_type),
        (None, None) => match &logged {
            Some((b, src)) => (Some(*b), Some(src.clone()), b.install_type()),
            None => (None, None, InstallType::Unknown),
        },
    };

    let ews = scan.logs.ews_url.as_ref();
    let (mailbox_location, mailbox_source) = match cfg.mailbox {
        MailboxChoice::Online => (
            MailboxLocation::Online,
            Some(cli_source("--mailbox online".into())),
        ),
        MailboxChoice::OnPremises => (
            MailboxLocation::OnPremises,
            Some(cli_source("--mailbox on-premises".into())),
        ),
        MailboxChoice::Auto => match ews {
            Some(u) => (mailbox_of(&u.value), Some(source_of(&u.origin))),
            None => (MailboxLocation::Unknown, None),
        },
    };

    Facts {
        sip_users,
        client_build,
        client_build_source,
        install_type,
        mailbox_location,
        mailbox_source,
        ews_url: ews.map(|u| u.value.clone()),
        policies: policies(scan),
        logged_build: logged,
        exe_build: exe,
    }
}

/// The `lync.exe` whose file version counts: the installed one chosen
/// (`Installed::chosen`), else the newest copy in the scanned folders.
fn exe_build(scan: &ScanData) -> Option<ExeBuild> {
    let layout = |t: InstallType| match t {
        InstallType::C2r => "Click-to-Run layout",
        InstallType::Msi => "MSI layout",
        InstallType::Unknown => "unknown layout",
    };
    if let Some(c) = scan.installed.as_ref().and_then(|i| i.chosen()) {
        return Some(ExeBuild {
            build: c.file_version,
            install_type: c.install_type,
            source: Source {
                kind: SourceKind::Machine,
                path: c.path.display().to_string(),
                line: None,
                excerpt: format!(
                    "file version {} of the installed lync.exe ({})",
                    c.file_version,
                    layout(c.install_type)
                ),
            },
            installed: true,
        });
    }
    let c = scan
        .collected_clients
        .iter()
        .max_by_key(|c| c.file_version)?;
    Some(ExeBuild {
        build: c.file_version,
        install_type: c.install_type,
        source: Source {
            kind: SourceKind::File,
            path: c.path.display().to_string(),
            line: None,
            excerpt: format!(
                "file version {} of a collected lync.exe (install type from the build number)",
                c.file_version
            ),
        },
        installed: false,
    })
}

/// Every user the scan knows of: profile folders, spool items' profiles,
/// and users the logs' REGISTERs named. Bounded: profiles and items are
/// files already held, and the logs' users are at most
/// `digest::MAX_SIP_USERS`.
pub fn sip_users(scan: &ScanData, logged: &BTreeSet<String>) -> Vec<String> {
    let mut users: Vec<String> = scan.profiles.iter().map(|p| p.address.clone()).collect();
    // A hundred thousand items name a few profiles: each is copied once.
    // (Inserted one by one: collecting a set first lists every item's.)
    let mut of_items: BTreeSet<&str> = BTreeSet::new();
    for p in scan.spool_items.iter().filter_map(|i| i.profile.as_deref()) {
        of_items.insert(p);
    }
    users.extend(of_items.into_iter().map(str::to_owned));
    users.extend(logged.iter().cloned());
    users.sort();
    users.dedup();
    users
}

fn cli_source(excerpt: String) -> Source {
    Source {
        kind: SourceKind::Flag,
        path: String::new(),
        line: None,
        excerpt,
    }
}

fn source_of(o: &Origin) -> Source {
    Source {
        kind: SourceKind::File,
        path: o.path.display().to_string(),
        line: o.line,
        excerpt: o.excerpt.clone(),
    }
}

pub fn mailbox_of(url: &str) -> MailboxLocation {
    match url_host(url) {
        Some(h) if ONLINE_EWS_HOSTS.contains(&h.as_str()) => MailboxLocation::Online,
        Some(_) => MailboxLocation::OnPremises,
        None => MailboxLocation::Unknown,
    }
}

/// The last build the logs show, preferring the product (`OC/`) version
/// over the API layer's (`UCCAPI/`), which differs on C2R.
fn logged_build(logs: &LogFacts) -> Option<(ClientBuild, Source)> {
    let (told, from_oc) = match (&logs.build_oc, &logs.build_uccapi) {
        (Some(t), _) => (t, true),
        (None, Some(t)) => (t, false),
        (None, None) => return None,
    };
    let mut src = source_of(&told.origin);
    if !from_oc {
        src.excerpt
            .push_str(" — UCCAPI/ version used: no OC/ product version was logged");
    }
    told.value.parse::<ClientBuild>().ok().map(|b| (b, src))
}

/// The settings of one policy: those in force for this user, and those of
/// scoped objects (`Tag:…`, `Site:…`) that apply only to whom they are granted.
#[derive(Debug, Default)]
pub struct PolicyEvidence {
    pub applicable: Vec<Setting>,
    /// Scoped objects' settings, with their scope (`Tag:NoArchive`).
    pub scoped: Vec<(String, Setting)>,
    /// In-band provisioning showed this user's own value.
    pub provisioned: bool,
}

/// Every setting bearing on Offline IM. In-band provisioning is what the
/// server sent this user, so when the logs show it, it alone applies; else
/// the Global (or unnamed) objects of the admin exports do.
pub struct PolicySettings {
    pub enable_offline_im: PolicyEvidence,
    pub enable_im_auto_archiving: PolicyEvidence,
    pub user_im_auto_archiving: Vec<Setting>,
}

pub fn policy_settings(scan: &ScanData) -> PolicySettings {
    let evidence = |obj: AdminObject, name: &str| -> PolicyEvidence {
        // What the server sent last is what is in force now.
        let provisioned: Option<Setting> = scan
            .logs
            .provisioning
            .get(&name.to_ascii_lowercase())
            .and_then(|t| {
                parse_bool(&t.value).map(|v| Setting {
                    value: v,
                    source: source_of(&t.origin),
                })
            });
        let mut ev = PolicyEvidence::default();
        for s in scan
            .admin
            .iter()
            .filter(|s| s.object == obj && s.name.eq_ignore_ascii_case(name))
        {
            match s.identity.as_deref() {
                Some(scope) if !scope.eq_ignore_ascii_case("global") => {
                    ev.scoped.push((scope.to_string(), admin_setting(s)));
                }
                _ if provisioned.is_none() => ev.applicable.push(admin_setting(s)),
                _ => {}
            }
        }
        ev.provisioned = provisioned.is_some();
        ev.applicable.extend(provisioned);
        ev
    };
    let user_im_auto_archiving = scan
        .logs
        .user_im_auto_archiving
        .iter()
        .map(|t| Setting {
            value: t.value,
            source: source_of(&t.origin),
        })
        .collect();
    PolicySettings {
        enable_offline_im: evidence(AdminObject::ImConfiguration, "EnableOfflineIM"),
        enable_im_auto_archiving: evidence(AdminObject::ClientPolicy, "EnableIMAutoArchiving"),
        user_im_auto_archiving,
    }
}

/// The value shown for each policy: among the settings in force a False is
/// what explains a failure, so it wins (with its source); otherwise the last
/// True. The user's own option is whatever was published last.
fn policies(scan: &ScanData) -> Policies {
    let all = policy_settings(scan);
    Policies {
        enable_offline_im: decisive(all.enable_offline_im.applicable),
        enable_im_auto_archiving: decisive(all.enable_im_auto_archiving.applicable),
        user_im_auto_archiving: all.user_im_auto_archiving.into_iter().last(),
    }
}

fn decisive(settings: Vec<Setting>) -> Option<Setting> {
    let first_false = settings.iter().find(|s| !s.value).cloned();
    first_false.or_else(|| settings.into_iter().last())
}

fn admin_setting(s: &AdminSetting) -> Setting {
    let mut source = source_of(&s.origin);
    if let Some(id) = &s.identity {
        if !source.excerpt.contains(id.as_str()) {
            source.excerpt = format!("{} (Identity {id})", source.excerpt);
        }
    }
    Setting {
        value: s.value,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_location_from_ews_host() {
        assert_eq!(
            mailbox_of("https://outlook.office365.com/EWS/Exchange.asmx"),
            MailboxLocation::Online
        );
        assert_eq!(
            mailbox_of("https://OUTLOOK.OFFICE.COM/ews/exchange.asmx"),
            MailboxLocation::Online
        );
        assert_eq!(
            mailbox_of("https://mail.contoso.com/EWS/Exchange.asmx"),
            MailboxLocation::OnPremises
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("$False"), Some(false));
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("maybe"), None);
    }
}
