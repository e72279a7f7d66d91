//! Facts about the user and machine, derived from scanned data and the
//! overrides the user gave. Overrides win, and say so in their source.

use crate::build_version::InstallType;
use crate::config::{MailboxChoice, ScanConfig};
use crate::model::{Facts, MailboxLocation, Policies, ScanData, Source};

pub fn derive(scan: &ScanData, cfg: &ScanConfig) -> Facts {
    let mut sip_users: Vec<String> = scan.profiles.iter().map(|p| p.address.clone()).collect();
    sip_users.extend(scan.spool_items.iter().filter_map(|i| i.profile.clone()));
    sip_users.sort();
    sip_users.dedup();

    let (client_build, client_build_source) = match cfg.client_build {
        Some(b) => (
            Some(b),
            Some(Source {
                path: "command line".into(),
                line: None,
                excerpt: format!("--client-build {b}"),
            }),
        ),
        None => (None, None),
    };
    let install_type = client_build.map_or(InstallType::Unknown, |b| b.install_type());

    let cli_mailbox = |loc, flag: &str| {
        (
            loc,
            Some(Source {
                path: "command line".into(),
                line: None,
                excerpt: format!("--mailbox {flag}"),
            }),
        )
    };
    let (mailbox_location, mailbox_source) = match cfg.mailbox {
        MailboxChoice::Online => cli_mailbox(MailboxLocation::Online, "online"),
        MailboxChoice::OnPremises => cli_mailbox(MailboxLocation::OnPremises, "on-premises"),
        MailboxChoice::Auto => (MailboxLocation::Unknown, None),
    };

    Facts {
        sip_users,
        client_build,
        client_build_source,
        install_type,
        mailbox_location,
        mailbox_source,
        ews_url: None,
        policies: Policies::default(),
    }
}
