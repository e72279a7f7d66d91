//! The `machine` block (BRIEF §5, schema 2.1): which machine and user ran
//! the scan, what it scanned with which options, and the Skype for Business
//! client installed there. Shown in the JSON and at the top of the text and
//! Markdown reports, so a report attached to a ticket says where it came from.

use oimdiag_analysis::scan_data::ScanData;
use oimdiag_evidence::installed::Installed;
use oimdiag_vocab::build_version::InstallType;
use schemars::JsonSchema;
use serde::Serialize;

/// Whether the machine described is the one whose client was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Describes {
    /// The scan was of this machine's own profile (no PATH, or PATHs below
    /// its `%LOCALAPPDATA%`): the installed client was read.
    ScannedMachine,
    /// Only the machine that ran the scan: the folders scanned were
    /// collected elsewhere, and this machine's client was not read.
    ScanningMachine,
}

/// What the program (root crate) knows of the run, for [`machine_out`].
#[derive(Debug, Clone)]
pub struct MachineContext {
    pub describes: Describes,
    pub hostname: Option<String>,
    pub os: String,
    pub user: Option<String>,
    /// The machine's own zone (IANA name, else Windows id), whatever
    /// `--tz` said.
    pub time_zone: Option<String>,
    /// The scanned roots, absolute.
    pub scanned_roots: Vec<String>,
    /// The options the scan ran with, as given (PATHs are in `scanned_roots`).
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MachineOut {
    pub describes: Describes,
    pub hostname: Option<String>,
    pub os: String,
    pub user: Option<String>,
    /// The machine's own time zone (not necessarily the rules local log
    /// times were read by: see `time_zone`).
    pub time_zone: Option<String>,
    /// Absolute paths of what was scanned.
    pub scanned_roots: Vec<String>,
    /// Office versions seen on the machine: the folders `lync.exe` was
    /// found in (`Office16`), and Click-to-Run's `VersionToReport`.
    pub office_versions: Vec<String>,
    /// Every `lync.exe` found in the Click-to-Run and MSI layouts under both
    /// Program Files folders (empty unless `describes` is `scanned_machine`).
    pub installed_clients: Vec<InstalledClientOut>,
    /// `HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration` (64-bit
    /// view), when it exists.
    pub click_to_run: Option<ClickToRunOut>,
    /// The oimdiag version that made the report.
    pub oimdiag_version: &'static str,
    /// The options used, as given on the command line.
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InstalledClientOut {
    pub path: String,
    /// `lync.exe`'s file version, or null when it could not be read (`problem`).
    pub file_version: Option<String>,
    /// From where `lync.exe` is: `root\Office16` is Click-to-Run.
    pub install_type: InstallType,
    /// The Click-to-Run update channel (for a Click-to-Run install).
    pub channel: Option<String>,
    /// The one whose build is `facts.client_build` (unless a flag set it).
    pub chosen: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClickToRunOut {
    /// Office's version: not the client's build, which is `lync.exe`'s.
    pub version_to_report: Option<String>,
    /// The channel's name, from the `CDNBaseUrl` id; else the id.
    pub channel: Option<String>,
    pub cdn_base_url: Option<String>,
    pub platform: Option<String>,
}

pub fn machine_out(ctx: MachineContext, scan: &ScanData) -> MachineOut {
    let installed: Option<&Installed> = scan.installed.as_ref();
    let c2r = installed.and_then(|i| i.click_to_run.as_ref());
    let channel = c2r.and_then(|c| c.channel());
    let chosen = installed.and_then(|i| i.chosen()).map(|c| c.path.clone());
    let mut installed_clients: Vec<InstalledClientOut> = Vec::new();
    let mut office_versions: Vec<String> = Vec::new();
    if let Some(i) = installed {
        for c in &i.clients {
            installed_clients.push(InstalledClientOut {
                path: c.path.display().to_string(),
                file_version: Some(c.file_version.to_string()),
                install_type: c.install_type,
                channel: (c.install_type == InstallType::C2r)
                    .then(|| channel.clone())
                    .flatten(),
                chosen: chosen.as_ref() == Some(&c.path),
                problem: None,
            });
            if let Some(f) = &c.office_folder {
                let kind = match c.install_type {
                    InstallType::C2r => "Click-to-Run",
                    InstallType::Msi => "MSI",
                    InstallType::Unknown => "unknown install type",
                };
                let v = format!("{f} ({kind})");
                if !office_versions.contains(&v) {
                    office_versions.push(v);
                }
            }
        }
        for (path, why) in &i.unreadable {
            installed_clients.push(InstalledClientOut {
                path: path.display().to_string(),
                file_version: None,
                install_type: InstallType::Unknown,
                channel: None,
                chosen: false,
                problem: Some(why.clone()),
            });
        }
    }
    if let Some(v) = c2r.and_then(|c| c.version_to_report.as_ref()) {
        office_versions.push(format!("{v} (Click-to-Run VersionToReport)"));
    }
    MachineOut {
        describes: ctx.describes,
        hostname: ctx.hostname,
        os: ctx.os,
        user: ctx.user,
        time_zone: ctx.time_zone,
        scanned_roots: ctx.scanned_roots,
        office_versions,
        installed_clients,
        click_to_run: c2r.map(|c| ClickToRunOut {
            version_to_report: c.version_to_report.clone(),
            channel: c.channel(),
            cdn_base_url: c.cdn_base_url.clone(),
            platform: c.platform.clone(),
        }),
        oimdiag_version: env!("CARGO_PKG_VERSION"),
        options: ctx.options,
    }
}

fn opt(s: &mut Option<String>, f: &mut dyn FnMut(&mut String)) {
    if let Some(s) = s {
        f(s);
    }
}

impl MachineOut {
    /// Every string of the block that is not the program's own (see
    /// `Report::for_each_string_mut`).
    pub fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        opt(&mut self.hostname, f);
        f(&mut self.os);
        opt(&mut self.user, f);
        opt(&mut self.time_zone, f);
        self.scanned_roots.iter_mut().for_each(&mut *f);
        self.office_versions.iter_mut().for_each(&mut *f);
        for c in &mut self.installed_clients {
            f(&mut c.path);
            opt(&mut c.file_version, f);
            opt(&mut c.channel, f);
            opt(&mut c.problem, f);
        }
        if let Some(c) = &mut self.click_to_run {
            opt(&mut c.version_to_report, f);
            opt(&mut c.channel, f);
            opt(&mut c.cdn_base_url, f);
            opt(&mut c.platform, f);
        }
        self.options.iter_mut().for_each(&mut *f);
    }

    /// The host and user names, which no pattern of `--redact` would find
    /// on its own: it replaces them wherever they appear.
    pub fn names(&self) -> (Option<&str>, Option<&str>) {
        (self.hostname.as_deref(), self.user.as_deref())
    }

    /// The block as lines of plain text (not yet cleaned for a terminal):
    /// a label and its value.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let unknown = || "unknown".to_string();
        let mut rows = vec![(
            "Machine",
            format!(
                "{} ({})",
                self.hostname.clone().unwrap_or_else(unknown),
                match self.describes {
                    Describes::ScannedMachine =>
                        "the scanned machine: its installed client was read",
                    Describes::ScanningMachine =>
                        "ran the scan only: the folders scanned were collected elsewhere",
                }
            ),
        )];
        rows.push(("User", self.user.clone().unwrap_or_else(unknown)));
        rows.push(("OS", self.os.clone()));
        rows.push((
            "Machine time zone",
            self.time_zone.clone().unwrap_or_else(unknown),
        ));
        // `oimdiag probe` scans nothing.
        if !self.scanned_roots.is_empty() {
            rows.push(("Scanned", self.scanned_roots.join("; ")));
        }
        if self.describes == Describes::ScannedMachine {
            if self.installed_clients.is_empty() {
                rows.push((
                    "Installed client",
                    "no lync.exe in the Click-to-Run or MSI folders of Program Files".into(),
                ));
            }
            for c in &self.installed_clients {
                let what = match (&c.file_version, &c.problem) {
                    (Some(v), _) => {
                        let mut s = format!("{v}, {}", install_word(c.install_type));
                        if let Some(ch) = &c.channel {
                            s.push_str(&format!(", {ch}"));
                        }
                        if c.chosen {
                            s.push_str(", used");
                        }
                        s
                    }
                    (None, Some(p)) => format!("not read: {p}"),
                    (None, None) => "not read".into(),
                };
                rows.push(("Installed client", format!("{} ({what})", c.path)));
            }
            if let Some(c) = &self.click_to_run {
                let mut parts = Vec::new();
                if let Some(v) = &c.version_to_report {
                    parts.push(format!("VersionToReport {v}"));
                }
                if let Some(ch) = &c.channel {
                    parts.push(format!("channel {ch}"));
                }
                if let Some(p) = &c.platform {
                    parts.push(format!("platform {p}"));
                }
                rows.push(("Click-to-Run", parts.join(", ")));
            }
        }
        if !self.office_versions.is_empty() {
            rows.push(("Office", self.office_versions.join("; ")));
        }
        let opts = if self.options.is_empty() {
            "none".to_string()
        } else {
            self.options.join(" ")
        };
        rows.push((
            "Run",
            format!("oimdiag {}, options: {opts}", self.oimdiag_version),
        ));
        rows
    }
}

fn install_word(t: InstallType) -> &'static str {
    match t {
        InstallType::C2r => "Click-to-Run",
        InstallType::Msi => "MSI",
        InstallType::Unknown => "install type unknown",
    }
}

/// The block in the text report: one wrapped line per row.
pub(crate) fn write_text(m: &MachineOut, line: &mut dyn FnMut(&str, &str)) {
    for (label, value) in m.rows() {
        line(label, &value);
    }
}

/// The block in the Markdown report: a table, every value escaped by `text`.
pub(crate) fn write_markdown(
    m: &MachineOut,
    o: &mut dyn std::fmt::Write,
    text: fn(&str) -> String,
) {
    let _ = writeln!(o, "\n## Machine\n\n| | |\n|---|---|");
    for (label, value) in m.rows() {
        let _ = writeln!(o, "| {label} | {} |", text(&value).replace('\n', " "));
    }
    let _ = writeln!(o);
}
