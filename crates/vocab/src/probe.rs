//! What a live probe of EWS and autodiscover found (`oimdiag probe`,
//! `scan --probe`): plain records of each target and each step, and the
//! probe's own classification of each target's answer. The network code that
//! fills them lives in `oimdiag-probe`; the rules read only these.

use schemars::JsonSchema;
use serde::Serialize;

/// One probe run, as the report's `probe` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProbeRun {
    /// Where the probe ran from: always the machine running oimdiag.
    pub probed_from: ProbedFrom,
    /// Each URL tried, in the order tried (autodiscover in the client's order).
    pub targets: Vec<ProbeTarget>,
    /// Every `WWW-Authenticate` scheme the EWS targets offered, in the order
    /// first seen, each once (`Negotiate`, `NTLM`, `Bearer`, `Basic`...).
    pub auth_schemes: Vec<String>,
    /// The address autodiscover was asked about, and where it came from;
    /// null when no autodiscover ran.
    pub address: Option<ProbeAddress>,
    /// The proxy the requests went through, if any, and why.
    pub proxy: ProxyUse,
    /// The time limit of each step, in milliseconds (`--timeout`).
    pub timeout_ms: u64,
}

/// Where the probe ran from, and whether that is the machine the evidence
/// came from.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProbedFrom {
    /// `this_machine` when the scan is of this machine's profile (or there
    /// was no scan); `not_the_scanned_machine` for a collected folder.
    pub vantage: Vantage,
    /// The same in one sentence, for people.
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Vantage {
    ThisMachine,
    NotTheScannedMachine,
}

/// The address autodiscover was asked about.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProbeAddress {
    pub value: String,
    /// `flag` (`--email`), `spool_item` (an SMTP sender in a spool item) or
    /// `sip` (the SIP address: its domain may not be the SMTP domain).
    pub source: AddressSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressSource {
    Flag,
    SpoolItem,
    Sip,
}

/// The proxy in force for the probe's requests.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProxyUse {
    /// `host:port` of the proxy used for HTTPS, or null for direct connections.
    pub https: Option<String>,
    /// `host:port` of the proxy used for plain HTTP, or null.
    pub http: Option<String>,
    /// Where the setting came from (`HTTPS_PROXY`, `NO_PROXY`, Windows
    /// Internet Settings...), in words.
    pub source: String,
    /// A PAC/WPAD configuration, if one is set: it is reported, not evaluated.
    pub pac: Option<String>,
}

/// What a target is to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetRole {
    Ews,
    Autodiscover,
}

/// How a target's answer was judged, step by step: the first step that
/// failed decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetOutcome {
    /// DNS, TCP, a proxy or a time limit: nothing answered.
    Unreachable,
    /// The TLS certificate is not trusted, expired, or for another name.
    Untrusted,
    /// Something answered, but not as EWS or autodiscover does (a login
    /// page, a redirect elsewhere, 404, 5xx, 200 without credentials).
    NotEws,
    /// Answered as expected without credentials: `401` with schemes, or
    /// (autodiscover over HTTP) a redirect to HTTPS autodiscover.
    Answered,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProbeTarget {
    pub url: String,
    pub role: TargetRole,
    /// Why this URL was tried (`--ews-url`, a log, autodiscover candidate 2
    /// of the client's order, DNS SRV ...).
    pub reason: String,
    pub outcome: TargetOutcome,
    pub steps: Vec<ProbeStep>,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Every `WWW-Authenticate` scheme, each once, even when several share
    /// one header (`Negotiate, NTLM`).
    pub auth_schemes: Vec<String>,
    /// `x-ms-diagnostics` headers, as sent.
    pub diagnostics: Vec<String>,
    /// A `Bearer` challenge with `authorization_uri`: hybrid modern auth is on.
    pub modern_auth: bool,
    /// The `authorization_uri` of that challenge.
    pub authorization_uri: Option<String>,
    /// `Location` of a redirect.
    pub redirect: Option<String>,
    /// The server certificate, when a TLS handshake got that far.
    pub tls: Option<TlsFacts>,
}

impl ProbeTarget {
    /// A target before (or without) any answer: unreachable, no steps yet.
    pub fn unreachable(url: String, role: TargetRole, reason: String) -> ProbeTarget {
        ProbeTarget {
            url,
            role,
            reason,
            outcome: TargetOutcome::Unreachable,
            steps: Vec::new(),
            status: None,
            auth_schemes: Vec::new(),
            diagnostics: Vec::new(),
            modern_auth: false,
            authorization_uri: None,
            redirect: None,
            tls: None,
        }
    }
}

/// One step towards a target.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProbeStep {
    pub step: StepKind,
    pub ok: bool,
    /// What happened, in words (addresses, protocol, status...).
    pub detail: String,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Dns,
    Tcp,
    Proxy,
    Tls,
    Http,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Dns => "dns",
            StepKind::Tcp => "tcp",
            StepKind::Proxy => "proxy",
            StepKind::Tls => "tls",
            StepKind::Http => "http",
        }
    }
}

/// The server certificate and the verdict on it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TlsFacts {
    /// `TLSv1_3`, `TLSv1_2`.
    pub protocol: Option<String>,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339, UTC.
    pub not_after: Option<String>,
    /// Trusted by the system store plus any `--ca-file`.
    pub trusted: bool,
    /// The certificate names the host asked for.
    pub host_matches: bool,
    pub expired: bool,
    /// Why it is not accepted, when it is not.
    pub problem: Option<String>,
}

impl ProbeRun {
    /// The EWS targets.
    pub fn ews(&self) -> impl Iterator<Item = &ProbeTarget> {
        self.targets.iter().filter(|t| t.role == TargetRole::Ews)
    }

    /// The autodiscover candidates tried.
    pub fn autodiscover(&self) -> impl Iterator<Item = &ProbeTarget> {
        self.targets
            .iter()
            .filter(|t| t.role == TargetRole::Autodiscover)
    }
}
