//! Command-line surface (clap derive), turned into a `ScanConfig`.

use crate::config::{ColorChoice, Format, MailboxChoice, ProbeSettings, ScanConfig};
use clap::{Parser, Subcommand, ValueEnum};
use oimdiag_rules::Severity;
use oimdiag_vocab::build_version::ClientBuild;
use oimdiag_vocab::timefmt;
use oimdiag_vocab::timezone::{LocalZone, ZoneSource};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "oimdiag",
    version,
    about = "Tells why Skype for Business Offline IM messages never arrive, and proves it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a machine or a folder collected from one.
    Scan(ScanArgs),
    /// List the rule catalog.
    Rules {
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
    /// Print the active log signature table (JSON, usable as a --signatures
    /// file); with --test, show how it reads logs.
    Signatures {
        /// A signature file to extend or replace the built-in table with.
        #[arg(long, value_name = "FILE")]
        signatures: Option<PathBuf>,
        /// Logs to read: which records matched which signature, and the
        /// unmatched lines that mention EWS, offline, Exchange, autodiscover
        /// or conversation history.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        test: Vec<PathBuf>,
    },
    /// Explain one rule: what it means, why it matters, what to do.
    Explain {
        /// A rule id such as OIM001 (or its number: 1, 30).
        rule_id: String,
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
    /// Print the JSON Schema of the `--format json` report.
    Schema,
    /// Live check from this machine: can EWS and autodiscover be reached
    /// the way the client reaches them, and what do they answer without
    /// credentials? (Network: host names and the address leave the machine.)
    Probe(ProbeArgs),
}

/// The probe's network options, for `probe` and `scan --probe`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProbeNetArgs {
    /// The address whose SMTP domain autodiscover is tried for. Default: an
    /// SMTP sender in the spool items, else the SIP address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,

    /// Trust these PEM certificates too, beside the system store.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Time limit of each step (DNS, TCP, TLS, HTTP), in seconds [default: 10].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<std::time::Duration>,

    /// Use these addresses for HOST:PORT instead of DNS (as curl --resolve;
    /// IPv6 in brackets). Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<oimdiag_probe::Resolve>,

    /// Connect to HOST2:PORT2 when HOST1:PORT1 is meant (as curl
    /// --connect-to; empty fields match any or keep). Repeatable.
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<oimdiag_probe::ConnectTo>,

    /// Ask this DNS server (ADDR:PORT) for names and the autodiscover SRV
    /// record instead of the system resolver.
    #[arg(long, value_name = "ADDR:PORT")]
    pub dns_server: Option<std::net::SocketAddr>,
}

fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(std::time::Duration::from_secs_f64(v)),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 3600"
        )),
    }
}

impl ProbeNetArgs {
    /// The first of these options given, if any: `scan` takes them only
    /// with `--probe`.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.email.is_some(), "--email"),
            (self.ca_file.is_some(), "--ca-file"),
            (self.timeout.is_some(), "--timeout"),
            (!self.resolve.is_empty(), "--resolve"),
            (!self.connect_to.is_empty(), "--connect-to"),
            (self.dns_server.is_some(), "--dns-server"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }

    pub fn settings(&self, ews_urls: Vec<String>) -> ProbeSettings {
        ProbeSettings {
            ews_urls,
            email: self.email.clone(),
            opts: oimdiag_probe::Options {
                timeout: self.timeout.unwrap_or(std::time::Duration::from_secs(10)),
                ca_file: self.ca_file.clone(),
                resolve: self.resolve.clone(),
                connect_to: self.connect_to.clone(),
                dns_server: self.dns_server,
                proxy: oimdiag_probe::ProxyConfig::system(),
            },
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// An EWS URL to probe (repeatable). Default: the internal and external
    /// EWS URLs in this machine's client logs.
    #[arg(long, value_name = "URL")]
    pub ews_url: Vec<String>,

    #[command(flatten)]
    pub net: ProbeNetArgs,

    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Write the report here (atomically) instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Let --output replace an existing file.
    #[arg(long)]
    pub force: bool,

    /// Exit 1 when a finding of this severity or worse fires.
    #[arg(long, value_enum, default_value_t = FailOnArg::Warning)]
    pub fail_on: FailOnArg,

    /// No chatter on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Replace addresses and host names with stable pseudonyms.
    #[arg(long)]
    pub redact: bool,
}

impl ProbeArgs {
    /// A scan configuration for this machine that only probes.
    pub fn into_config(self) -> ScanConfig {
        let mut options = vec!["probe".to_string()];
        options.extend(self.ews_url.iter().map(|u| format!("--ews-url {u}")));
        if let Some(e) = &self.net.email {
            options.push(format!("--email {e}"));
        }
        let probe = self.net.settings(self.ews_url);
        ScanArgs {
            paths: Vec::new(),
            format: self.format,
            output: self.output,
            force: self.force,
            now: None,
            since: None,
            tz: None,
            utc_offset: None,
            mailbox: MailboxArg::Auto,
            client_build: None,
            signatures: None,
            fail_on: self.fail_on,
            quiet: self.quiet,
            include_subjects: false,
            color: ColorArg::Never,
            redact: self.redact,
            probe: true,
            net: self.net,
        }
        .config_with(options, Some(probe))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CatalogFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// For people: verdict first, wrapped to 80 columns.
    Text,
    /// One JSON object (see `oimdiag schema`).
    Json,
    /// For pasting into a ticket.
    Markdown,
    /// One JSON record per line: a header, then findings, items, attempts, inputs.
    Ndjson,
    /// One self-contained page (inline CSS and SVG, no script) with a timeline per message.
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    /// Only when stdout is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MailboxArg {
    Auto,
    Online,
    /// Also spelt `on_premises`, as the JSON report spells it.
    #[value(alias = "on_premises")]
    OnPremises,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// %LOCALAPPDATA%-like roots, Lync or sip_* folders, History Spooler
    /// folders, single files or folders of collected files. None: this
    /// machine's %LOCALAPPDATA%.
    pub paths: Vec<PathBuf>,

    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Write the report here (atomically) instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Let --output replace an existing file.
    #[arg(long)]
    pub force: bool,

    /// The time the two-minute timer is measured against (RFC 3339). Default: now.
    #[arg(long, value_parser = timefmt::parse_rfc3339_utc)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,

    /// Judge only evidence at or after this time (RFC 3339), e.g. the moment
    /// a fix was made: what came before is counted and listed, not judged.
    #[arg(long, value_parser = timefmt::parse_rfc3339_utc)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,

    /// The IANA time zone local log times were written in, e.g. Europe/Rome:
    /// read by its rules, DST included. Default: this machine's zone.
    #[arg(long, value_name = "ZONE", value_parser = LocalZone::parse_flag, conflicts_with = "utc_offset")]
    pub tz: Option<LocalZone>,

    /// A fixed UTC offset for local log times instead, e.g. +05:30.
    #[arg(long, value_parser = timefmt::parse_utc_offset, allow_hyphen_values = true)]
    pub utc_offset: Option<chrono::FixedOffset>,

    /// Where the user's mailbox is; auto = judge from the EWS URL in the logs.
    #[arg(long, value_enum, default_value_t = MailboxArg::Auto)]
    pub mailbox: MailboxArg,

    /// The client build (e.g. 16.0.6965.2117) when the logs do not show it.
    #[arg(long)]
    pub client_build: Option<ClientBuild>,

    /// A JSON signature table that extends (or, with "mode": "replace",
    /// replaces) the built-in log signatures; see `oimdiag signatures`.
    #[arg(long, value_name = "FILE")]
    pub signatures: Option<PathBuf>,

    /// Exit 1 when a finding of this severity or worse fires.
    #[arg(long, value_enum, default_value_t = FailOnArg::Warning)]
    pub fail_on: FailOnArg,

    /// No progress and no chatter on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Show spooled items' subject lines (withheld by default: they may be private).
    #[arg(long)]
    pub include_subjects: bool,

    /// Colour the text report.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,

    /// Replace SIP and mail addresses, host names and user-profile path
    /// segments with stable pseudonyms (user1@domain1.example), in every format.
    #[arg(long)]
    pub redact: bool,

    /// Also probe, from this machine, the EWS URLs the scan found and
    /// autodiscover for the user's domain (network; never without this flag).
    #[arg(long)]
    pub probe: bool,

    #[command(flatten)]
    pub net: ProbeNetArgs,
}

impl ScanArgs {
    /// The options that shape the report's content, as a person would
    /// type them again (defaults left out). Where the report goes and how it
    /// looks (`--format`, `--output`, `--force`, `--quiet`, `--color`) are
    /// not among them: the same scan gives the same report whatever they are.
    /// PATHs are the report's scanned roots.
    pub fn options(&self) -> Vec<String> {
        let mut o = Vec::new();
        let value = |v: &dyn ValueEnumName| v.name();
        if let Some(t) = self.now {
            o.push(format!("--now {}", timefmt::rfc3339(t)));
        }
        if let Some(t) = self.since {
            o.push(format!("--since {}", timefmt::rfc3339(t)));
        }
        if let Some(z) = &self.tz {
            o.push(z.flag());
        }
        if let Some(off) = self.utc_offset {
            o.push(format!("--utc-offset {}", timefmt::offset_string(off)));
        }
        if !matches!(self.mailbox, MailboxArg::Auto) {
            o.push(format!("--mailbox {}", value(&self.mailbox)));
        }
        if let Some(b) = self.client_build {
            o.push(format!("--client-build {b}"));
        }
        if let Some(p) = &self.signatures {
            o.push(format!("--signatures {}", p.display()));
        }
        if self.include_subjects {
            o.push("--include-subjects".into());
        }
        if self.redact {
            o.push("--redact".into());
        }
        if self.probe {
            o.push("--probe".into());
            if let Some(e) = &self.net.email {
                o.push(format!("--email {e}"));
            }
        }
        o
    }

    pub fn into_config(self) -> ScanConfig {
        let options = self.options();
        let probe = self.probe.then(|| self.net.settings(Vec::new()));
        self.config_with(options, probe)
    }

    fn config_with(self, options: Vec<String>, probe: Option<ProbeSettings>) -> ScanConfig {
        ScanConfig {
            probe,
            options,
            paths: self.paths,
            format: match self.format {
                FormatArg::Text => Format::Text,
                FormatArg::Json => Format::Json,
                FormatArg::Markdown => Format::Markdown,
                FormatArg::Ndjson => Format::Ndjson,
                FormatArg::Html => Format::Html,
            },
            output: self.output,
            force: self.force,
            now: self.now.unwrap_or_else(chrono::Utc::now),
            since: self.since,
            zone: match (self.tz, self.utc_offset) {
                (Some(zone), _) => zone,
                (None, Some(o)) => LocalZone::fixed(o, ZoneSource::Flag),
                (None, None) => oimdiag_vocab::timezone::machine_zone(),
            },
            mailbox: match self.mailbox {
                MailboxArg::Auto => MailboxChoice::Auto,
                MailboxArg::Online => MailboxChoice::Online,
                MailboxArg::OnPremises => MailboxChoice::OnPremises,
            },
            client_build: self.client_build,
            signatures: self.signatures,
            fail_on: match self.fail_on {
                FailOnArg::Error => Some(Severity::Error),
                FailOnArg::Warning => Some(Severity::Warning),
                FailOnArg::Info => Some(Severity::Info),
                FailOnArg::Never => None,
            },
            quiet: self.quiet,
            include_subjects: self.include_subjects,
            color: match self.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
            redact: self.redact,
        }
    }
}

/// A value's name as typed on the command line (`on-premises`).
trait ValueEnumName {
    fn name(&self) -> String;
}

impl<T: ValueEnum> ValueEnumName for T {
    fn name(&self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// clap's message for a refused command line, as printed: it quotes what
/// was typed, so no control character in it reaches the terminal raw.
pub fn error_text(e: &clap::Error) -> String {
    let lines: Vec<String> = e
        .to_string()
        .lines()
        .map(oimdiag_report::text::clean)
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_reaches_the_terminal_without_control_characters() {
        let e = Cli::try_parse_from(["oimdiag", "scan", "--format", "x\u{7}\u{1b}]0;t\u{7}y"])
            .unwrap_err();
        let shown = error_text(&e);
        assert!(shown.contains("invalid value"), "{shown:?}");
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown:?}"
        );
    }
}
