//! The rule catalog: what each stable rule id means, why it matters for
//! Offline IM (citing the source document), and what to do about it.

use super::Severity;
use oimdiag_vocab::rule_id::RuleId;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct RuleInfo {
    pub id: RuleId,
    pub severity: Severity,
    pub title: &'static str,
    /// When the rule fires.
    pub fires_when: &'static str,
    /// Why it matters, with the fact from the source document it rests on.
    pub why: &'static str,
    pub remediation: &'static str,
    /// Whether the rule reads log lines matched by the signature table,
    /// whose wording is ASSUMED (BRIEF §3.4): `explain` says so.
    pub assumed_wording: bool,
}

/// The rule a person typed: `OIM030`, `oim030`, or its number alone (`30`,
/// `030`).
pub fn rule_info(typed: &str) -> Option<&'static RuleInfo> {
    RuleId::parse(typed).map(info)
}

/// What the catalog says of a rule.
pub fn info(id: RuleId) -> &'static RuleInfo {
    // In range and the right entry: checked at compile time below.
    &CATALOG[id as usize]
}

/// The catalog holds every rule id once, in `RuleId::ALL`'s order, so
/// [`info`] can index it: a rule id without an entry does not compile.
const _: () = {
    assert!(CATALOG.len() == RuleId::ALL.len());
    let mut i = 0;
    while i < CATALOG.len() {
        assert!(CATALOG[i].id as usize == i && RuleId::ALL[i] as usize == i);
        i += 1;
    }
};

use Severity::{Error, Info, Warning};

pub const CATALOG: &[RuleInfo] = &[
    RuleInfo {
        id: RuleId::Oim001,
        severity: Error,
        title: "Offline message stuck in History Spooler",
        fires_when: "A History Spooler item is older than the two-minute timer (120 s).",
        why: "The client picks an offline message up within two minutes of sending it and writes \
              it to the recipient's mailbox through EWS. Messages that cannot be processed stay in \
              %LOCALAPPDATA%\\Microsoft\\Office\\16.0\\Lync\\<SipUserAddress>\\History Spooler, \
              and nobody is told.",
        remediation: "Find the cause among the other findings (client build, client policy \
                      EnableIMAutoArchiving, Get-CsImConfiguration EnableOfflineIM, EWS \
                      availability). Once it is fixed, sign out of Skype for Business and back in \
                      so the client retries; tell the recipient the message may arrive late or \
                      resend it.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim002,
        severity: Info,
        title: "Offline message waiting for the two-minute timer",
        fires_when: "A History Spooler item is 120 s old or younger.",
        why: "There is a two-minute timer from when an offline message is sent to when it is \
              picked up and processed; before it runs out, a spooled item is normal.",
        remediation: "Wait until the time given and run oimdiag again: an item still there then is stuck.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim003,
        severity: Error,
        title: "Offline message not delivered",
        fires_when: "A logged offline-IM attempt failed, or was not delivered within 120 s and has not been since.",
        why: "Offline IM writes the message into the recipient's mailbox through EWS within the \
              two-minute timer; an attempt with no delivery after it never reached the recipient.",
        remediation: "Read the attempt's timeline for the EWS error; fix the cause named in the \
                      other findings, then have the sender sign out and back in so the client retries.",
        assumed_wording: true,
    },
    RuleInfo {
        id: RuleId::Oim004,
        severity: Warning,
        title: "Offline message delivered late",
        fires_when: "An attempt was delivered, but more than 120 s after it was queued.",
        why: "Processing normally finishes within the two-minute timer; slower delivery points at \
              a slow or intermittently failing EWS endpoint.",
        remediation: "Check EWS response times and errors on the Exchange side (IIS logs for \
                      /EWS/Exchange.asmx) and the client's network path to it.",
        assumed_wording: true,
    },
    RuleInfo {
        id: RuleId::Oim010,
        severity: Error,
        title: "Client build does not support Offline IM",
        fires_when: "The client build is older than 16.0.6701.1000, or it is an MSI installation.",
        why: "Offline IM is a client-side feature of the Skype for Business 2016 Click-to-Run \
              client, build 16.0.6701.1000 or higher; MSI installations do not have it.",
        remediation: "Update the Skype for Business 2016 Click-to-Run client to a current build \
                      (File > Office Account > Update Options > Update Now), or replace an MSI \
                      installation with Click-to-Run.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim011,
        severity: Error,
        title: "Client build too old for an on-premises mailbox",
        fires_when: "The mailbox is in Exchange on-premises and the client build is older than 16.0.6920.1000.",
        why: "If the user's mailbox is hosted in Exchange on-premises, Skype for Business 2016 C2R \
              build 16.0.6920.1000 is required for Offline IM.",
        remediation: "Update the Click-to-Run client to 16.0.6920.1000 or later (File > Office \
                      Account > Update Options > Update Now). If the mailbox is really online, \
                      rerun with --mailbox online.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim012,
        severity: Warning,
        title: "Client build predates the Drafts-folder fix",
        fires_when: "The mailbox is on-premises and the C2R build is older than the 2016-06-14 fix \
                     (16.0.6965.2058; 16.0.6741.2048 on the Deferred Channel's 6741 line).",
        why: "Offline messages failed to send and filled the Drafts folder with Exchange \
              on-premises mailboxes; fixed in all C2R channels as of 2016-06-14.",
        remediation: "Update the Click-to-Run client to a build released on or after 2016-06-14, \
                      then clear the stale offline-message drafts from the user's Drafts folder.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim013,
        severity: Info,
        title: "Client build unknown",
        fires_when: "No lync.exe was read, no log shows the client build and none was given.",
        why: "Offline IM needs build 16.0.6701.1000 or higher (16.0.6920.1000 with an on-premises \
              mailbox); without the build that cannot be checked.",
        remediation: "Run oimdiag on the user's machine (it reads the installed lync.exe), include \
                      the client's Tracing folder (Lync-UccApi-0.UccApilog) or a copy of lync.exe \
                      in the scan, or read the File version in lync.exe's Properties > Details \
                      (Help > About shows Office's version, not the client's) and pass it with \
                      --client-build 16.0.X.Y.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim014,
        severity: Info,
        title: "Installed client differs from the build in the logs",
        fires_when: "The installed client (lync.exe) is newer than the build the logs show: it was \
                     updated after these logs (or older: a rollback, or logs from another machine).",
        why: "The logs describe the client as it was when they were written; the build rules judge \
              lync.exe as it is now. Items stuck under the logged build may have been caused by it.",
        remediation: "Reproduce the problem with the client as installed now (send an offline \
                      message, wait two minutes) and scan again; if the installed build is older, \
                      check whether Office was rolled back or the logs come from another machine.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim020,
        severity: Error,
        title: "Client policy turns off IM auto-archiving",
        fires_when: "A client policy has EnableIMAutoArchiving False.",
        why: "Offline IM is not available to senders whose client policy disables automatic \
              saving of messages to the conversation history folder (EnableIMAutoArchiving = $false).",
        remediation: "Set-CsClientPolicy -Identity <policy> -EnableIMAutoArchiving $True (for the \
                      policy assigned to the sender, e.g. Global), then have the user sign out and back in.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim021,
        severity: Warning,
        title: "User's own IM auto-archiving is off",
        fires_when: "The user's option to save IM conversations is published as off.",
        why: "Offline messages are saved through the conversation history; with the user's own \
              archiving option off they may not be sent or kept.",
        remediation: "In the client: Options > Personal > 'Save IM conversations in my email \
                      Conversation History folder' — turn it on.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim022,
        severity: Error,
        title: "Offline IM turned off on the server",
        fires_when: "The server's IM configuration has EnableOfflineIM False.",
        why: "Offline IM is switched on and off on the server with Set-CsImConfiguration \
              -EnableOfflineIM; when it is $False no client sends offline messages.",
        remediation: "Set-CsImConfiguration -Identity Global -EnableOfflineIM $True, then confirm \
                      with Get-CsImConfiguration.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim023,
        severity: Warning,
        title: "A scoped policy turns Offline IM off for some users",
        fires_when: "A Tag:, Site: or service: client policy or IM configuration has \
                     EnableIMAutoArchiving or EnableOfflineIM False while Global has it on (or no \
                     Global was exported), and no in-band provisioning shows the user's own value.",
        why: "Get-CsClientPolicy returns Global, Tag: and Site: policies and Get-CsImConfiguration \
              Global and scoped objects; which one applies is a per-user assignment. A sender \
              whose policy has EnableIMAutoArchiving False cannot use Offline IM, and scoped IM \
              configuration with EnableOfflineIM False turns it off for its users.",
        remediation: "Find out which policy the user has: Get-CsUser <address> | Format-List \
                      ClientPolicy (client policy), or the user's RegistrarPool and its site (IM \
                      configuration). Or scan the client's logs, whose in-band provisioning shows \
                      the value in force for this user.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim030,
        severity: Error,
        title: "Exchange Web Services unavailable to the client",
        fires_when: "The logs show EWS errors, an autodiscover failure or 'EWS not deployed'.",
        why: "Offline IM uses Exchange Web Services to write the message to the recipient's \
              mailbox; EWS must be available to the client for offline messages to be sent.",
        remediation: "In the client, hold Ctrl, right-click the tray icon > Configuration \
                      Information and check 'EWS Information'. Check autodiscover and the EWS URL \
                      (Test-OutlookWebServices on Exchange on-premises), credentials, and proxy rules.",
        assumed_wording: true,
    },
    RuleInfo {
        id: RuleId::Oim031,
        severity: Info,
        title: "Mailbox location unknown",
        fires_when: "No EWS URL in the evidence shows where the mailbox is, and none was given.",
        why: "With an on-premises mailbox the client needs build 16.0.6920.1000, not just \
              16.0.6701.1000; the location decides which rule applies.",
        remediation: "Include the client's Tracing logs in the scan, or pass --mailbox online or \
                      --mailbox on-premises.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim032,
        severity: Error,
        title: "EWS unreachable from this machine",
        fires_when: "Live probe: an EWS URL could not be reached from the machine running oimdiag: \
                     its name did not resolve, the TCP connection (or the proxy's CONNECT) failed, \
                     or a step ran past --timeout.",
        why: "Offline IM uses Exchange Web Services to write the message to the recipient's \
              mailbox; EWS must be available to the client for offline messages to be sent. A \
              URL this machine cannot reach is one the client on it cannot use either.",
        remediation: "Check the step that failed: DNS (nslookup <host>; the split-DNS zone for the \
                      internal URL), TCP (firewall, the load balancer's listener on 443), the proxy \
                      (its rules for the EWS host; NO_PROXY for internal hosts). Probe again from \
                      the user's network if oimdiag ran elsewhere.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim033,
        severity: Error,
        title: "EWS certificate not accepted",
        fires_when: "Live probe: the TLS certificate of an EWS URL is not trusted by this machine's \
                     store (plus any --ca-file), is expired, or is issued for another name.",
        why: "The client connects to EWS over TLS and checks the certificate against the \
              Windows store: a certificate it refuses ends the connection before EWS is asked, so \
              offline messages cannot be written to the mailbox.",
        remediation: "Install the issuing CA's certificate in the machine's Trusted Root store \
                      (Group Policy for all clients), or replace the EWS certificate with one from \
                      a trusted CA that names the EWS host and has not expired. If the CA is \
                      trusted by your clients but not this machine, probe again with --ca-file.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim034,
        severity: Error,
        title: "The EWS URL does not answer as EWS",
        fires_when: "Live probe: an EWS URL answered, but not as EWS does without credentials \
                     (a 401 with schemes): a login page or a redirect to one, a proxy's page or \
                     407, 404, a 5xx, or a 200.",
        why: "The client posts SOAP requests to EWS and signs in when asked (401 with the schemes \
              the server accepts). A login page, a proxy's page or an error is not something it \
              can sign in to, and EWS is then unavailable to it: a silent failure.",
        remediation: "Look at who answered (the step's status, Location and the page): publish \
                      /EWS/ on the reverse proxy or load balancer without forms pre-authentication, \
                      exempt the EWS host from the web proxy (or allow it there), check the EWS \
                      virtual directory (Get-WebServicesVirtualDirectory) and the IIS application \
                      pool on Exchange.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim035,
        severity: Warning,
        title: "No autodiscover candidate answered",
        fires_when: "Live probe: none of the autodiscover candidates, tried in the client's order \
                     (https://<domain>, https://autodiscover.<domain>, the HTTP redirect, DNS SRV \
                     _autodiscover._tcp), answered like autodiscover (a 401 with schemes, or a \
                     redirect to HTTPS autodiscover). Without credentials no EWS URL can be \
                     expected from them.",
        why: "The client finds the EWS URL by autodiscover in that order (no Active Directory SCP \
              lookup); when no candidate answers it cannot find EWS, and offline messages cannot \
              be sent.",
        remediation: "Publish autodiscover for the SMTP domain: a DNS record for \
                      autodiscover.<domain> pointing at Exchange (or Exchange Online's \
                      autodiscover.outlook.com), or an SRV record _autodiscover._tcp.<domain>; \
                      check the certificate names autodiscover.<domain>. The SMTP domain may differ \
                      from the SIP domain: probe again with --email <SMTP address>.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim036,
        severity: Info,
        title: "EWS answered as expected",
        fires_when: "Live probe: an EWS URL answered a request without credentials with 401 and \
                     the schemes it accepts.",
        why: "EWS reachable from this machine, over a trusted certificate, asking for \
              credentials, is what the client needs; if offline messages still fail, the \
              sign-in itself (the schemes offered, hybrid modern auth) or the mailbox is next.",
        remediation: "Nothing to fix in the path to EWS. Compare the schemes with what the client \
                      can use (Exchange Online does not accept NTLM; authorization_uri means hybrid \
                      modern auth is on), and read x-ms-diagnostics if present.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim040,
        severity: Info,
        title: "Offline message to another organisation",
        fires_when: "An offline message went to a recipient in another domain than the sender's.",
        why: "Offline messages from a federated organisation arrive as a plain email, not in the \
              Missed Conversation or conversation history folders. That is by design.",
        remediation: "Nothing to fix: ask the recipient to look in their inbox rather than Missed Conversations.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim050,
        severity: Warning,
        title: "Spool item could not be read or parsed",
        fires_when: "A History Spooler item is empty, unreadable, cut short, or has a date that is not a date.",
        why: "A damaged item cannot be processed by the client and will never be delivered; its \
              age may be estimated from the file time only.",
        remediation: "Collect the item for analysis; if the client keeps failing on it, move it out \
                      of the History Spooler folder while Skype for Business is closed.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim051,
        severity: Warning,
        title: "Dated in the future",
        fires_when: "A spool item or log event is dated after the scan time.",
        why: "The two-minute timer is measured against the clock; a date in the future means clock \
              skew between this machine, the collecting machine or the --now given, and ages are wrong.",
        remediation: "Check the machine's clock and time zone (w32tm /query /status) and the \
                      --now and --utc-offset given to oimdiag.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim052,
        severity: Warning,
        title: "Local log times disagree with absolute times",
        fires_when: "The same offline-IM step of the same message is told by a local log line and \
                     with an absolute time (a tracerpt CSV's FILETIME, a date with its zone), and \
                     the two disagree by whole quarter hours.",
        why: "UccApilog lines carry local time without an offset. Read at the wrong offset (the \
              zone of the machine that scans a collected copy, or the offset before a DST \
              change), every log time moves by hours: a delivered message's leftover copy looks \
              stuck and the two-minute timer is judged on the wrong times. A FILETIME is an \
              instant, so it shows by how much.",
        remediation: "Scan again with --tz set to the zone of the machine that wrote the logs \
                      (e.g. --tz Europe/Rome), or with the --utc-offset the finding names; check \
                      that machine's time zone setting.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim060,
        severity: Warning,
        title: "Not enough client evidence to judge",
        fires_when: "No client evidence was found (no History Spooler folder listed, no offline-IM or \
                     EWS line recognised in the logs up to the scan time), or a user's profile or \
                     History Spooler folder could not be listed.",
        why: "Stuck offline messages appear in the History Spooler folder and the client logs hold \
              the processing details; admin exports and SIP facts alone say nothing about whether \
              this client's offline messages arrive, so without client evidence the verdict is \
              inconclusive.",
        remediation: "Point oimdiag at %LOCALAPPDATA%\\Microsoft\\Office\\16.0\\Lync (or a copy of \
                      it) on the sender's machine, including the sip_<address> folders and Tracing. \
                      A folder that could not be listed: run oimdiag as the user who owns the \
                      profile, or elevated.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim061,
        severity: Info,
        title: "Input files skipped",
        fires_when: "Files met during the scan were not used.",
        why: "Evidence that is not read cannot be judged; the reasons show whether anything important was missed.",
        remediation: "Check the skipped list: export binary ETL traces with tracerpt to CSV, and \
                      collect unreadable files again.",
        assumed_wording: false,
    },
    RuleInfo {
        id: RuleId::Oim062,
        severity: Warning,
        title: "No offline-IM or EWS line recognised in the logs",
        fires_when: "Logs were read but no offline-IM (oim.*) or EWS (ews.*) event was recognised in \
                     any of them.",
        why: "The client's own wording for offline IM and EWS is not publicly documented: \
              oimdiag's signature table is its best model. Logs of thousands of records with none \
              recognised more likely word it differently than show that nothing happened.",
        remediation: "Run `oimdiag signatures --test FILE` on a log: it lists which records matched \
                      which signature and the unmatched lines that mention EWS, offline, Exchange, \
                      autodiscover or conversation history. Add signatures for those lines in a \
                      file and scan again with --signatures FILE.",
        assumed_wording: true,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_and_look_like_ids() {
        for w in CATALOG.windows(2) {
            assert!(w[0].id < w[1].id, "{} then {}", w[0].id, w[1].id);
        }
        for r in CATALOG {
            let id = r.id.as_str();
            assert!(id.starts_with("OIM") && id.len() == 6, "{id}");
        }
    }

    #[test]
    fn typed_ids_find_their_entry() {
        assert_eq!(rule_info("30").map(|r| r.id), Some(RuleId::Oim030));
        assert_eq!(
            rule_info("oim060").map(|r| r.title),
            Some(info(RuleId::Oim060).title)
        );
        assert!(rule_info("OIM999").is_none());
    }
}
