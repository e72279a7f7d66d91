//! Rules on the client build and mailbox location: OIM010-OIM014, OIM031.

use super::{Citation, Finding};
use oimdiag_vocab::build_version::{ClientBuild, InstallType};
use oimdiag_vocab::found::{Facts, MailboxLocation, Source};
use oimdiag_vocab::rule_id::RuleId;

pub(super) fn evaluate(facts: &Facts, out: &mut Vec<Finding>) {
    let on_prem = facts.mailbox_location == MailboxLocation::OnPremises;
    installed_vs_logged(facts, on_prem, out);
    match facts.client_build {
        None => out.push(Finding::new(
            RuleId::Oim013,
            "No lync.exe was read, no log shows the Skype for Business client build and none \
             was given, so build requirements could not be checked."
                .to_string(),
            vec![],
        )),
        Some(build) => {
            let ev = build_evidence(facts);
            let msi = facts.install_type == InstallType::Msi;
            if msi || build < ClientBuild::OFFLINE_IM_MIN {
                let why = if msi {
                    format!(
                        "{build} is an MSI installation; Offline IM needs the Click-to-Run client"
                    )
                } else {
                    format!("{build} is older than {}", ClientBuild::OFFLINE_IM_MIN)
                };
                out.push(Finding::new(
                    RuleId::Oim010,
                    format!("Client build {why}: this client cannot send offline messages."),
                    ev,
                ));
                return;
            }
            if on_prem && build < ClientBuild::ON_PREMISES_MIN {
                let mut ev = ev.clone();
                ev.extend(mailbox_evidence(facts));
                out.push(Finding::new(
                    RuleId::Oim011,
                    format!(
                        "The mailbox is in Exchange on-premises, which needs client build {} or \
                         later; this client is {build}.",
                        ClientBuild::ON_PREMISES_MIN
                    ),
                    ev.clone(),
                ));
            }
            if on_prem && !build.has_drafts_fix() {
                let mut ev = ev;
                ev.extend(mailbox_evidence(facts));
                let fix = if build.build == 6741 {
                    ClientBuild::DRAFTS_FIX_6741
                } else {
                    ClientBuild::DRAFTS_FIX
                };
                // The fix shipped to Click-to-Run channels; a build number
                // that does not tell its install type is assumed to be C2R
                // (it passed OIM010, and only C2R has Offline IM), and said so.
                let assumed = if facts.install_type == InstallType::C2r {
                    ""
                } else {
                    " (its install type cannot be told from the number: taken as Click-to-Run, \
                     the only kind with Offline IM)"
                };
                out.push(Finding::new(
                    RuleId::Oim012,
                    format!(
                        "Client build {build}{assumed} predates the 2016-06-14 fix ({fix}) for \
                         offline messages failing and filling the Drafts folder with on-premises \
                         mailboxes."
                    ),
                    ev,
                ));
            }
        }
    }
    if facts.mailbox_location == MailboxLocation::Unknown {
        out.push(Finding::new(
            RuleId::Oim031,
            "No EWS URL in the evidence shows whether the mailbox is in Exchange Online or \
             on-premises, so the on-premises build requirement (16.0.6920.1000) could not be checked."
                .to_string(),
            vec![],
        ));
    }
}

/// OIM014: `lync.exe` is another build than the logs show.
fn installed_vs_logged(facts: &Facts, on_prem: bool, out: &mut Vec<Finding>) {
    let (Some(exe), Some((logged, logged_src))) = (&facts.exe_build, &facts.logged_build) else {
        return;
    };
    if exe.build == *logged {
        return;
    }
    let who = if exe.installed {
        "The installed client (lync.exe)"
    } else {
        "The collected lync.exe"
    };
    let message = if exe.build > *logged {
        let mut fails = Vec::new();
        if logged.install_type() == InstallType::Msi {
            fails.push("it is an MSI build, which has no Offline IM (OIM010)".to_string());
        } else if *logged < ClientBuild::OFFLINE_IM_MIN {
            fails.push(format!(
                "it is older than {}, the first with Offline IM (OIM010)",
                ClientBuild::OFFLINE_IM_MIN
            ));
        }
        if on_prem && *logged < ClientBuild::ON_PREMISES_MIN {
            fails.push(format!(
                "it is older than {}, needed with an on-premises mailbox (OIM011)",
                ClientBuild::ON_PREMISES_MIN
            ));
        }
        if on_prem && !logged.has_drafts_fix() {
            fails.push("it predates the 2016-06-14 Drafts fix (OIM012)".to_string());
        }
        let judged = if fails.is_empty() {
            format!("The logged build {logged} passes the build thresholds too.")
        } else {
            format!(
                "The logged build {logged} fails the thresholds ({}): that may explain messages \
                 stuck while it ran.",
                fails.join("; ")
            )
        };
        format!(
            "{who} is {}, newer than the build the logs show ({logged}): it was updated after \
             these logs. {judged} Reproduce with the client as it is now and scan again.",
            exe.build
        )
    } else {
        format!(
            "{who} is {}, older than the build the logs show ({logged}): Office was rolled back, \
             or the logs come from another machine.",
            exe.build
        )
    };
    out.push(Finding::new(
        RuleId::Oim014,
        message,
        vec![to_evidence(&exe.source), to_evidence(logged_src)],
    ));
}

fn to_evidence(s: &Source) -> Citation {
    Citation {
        path: s.path.clone(),
        line: s.line,
        excerpt: s.excerpt.clone(),
    }
}

fn build_evidence(facts: &Facts) -> Vec<Citation> {
    facts.client_build_source.iter().map(to_evidence).collect()
}

fn mailbox_evidence(facts: &Facts) -> Vec<Citation> {
    facts.mailbox_source.iter().map(to_evidence).collect()
}
