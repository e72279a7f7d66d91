//! Skype for Business client build numbers (`16.0.12527.20194`): parsed into
//! numbers and compared component by component, because string order puts
//! `16.0.12527` before `16.0.6701`.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientBuild {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub revision: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstallType {
    C2r,
    Msi,
    Unknown,
}

impl InstallType {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            InstallType::C2r => "c2r",
            InstallType::Msi => "msi",
            InstallType::Unknown => "unknown",
        }
    }

    /// Every value, for the test that the spelling matches serde's.
    pub const ALL: &'static [InstallType] =
        &[InstallType::C2r, InstallType::Msi, InstallType::Unknown];
}

impl ClientBuild {
    pub const fn new(major: u32, minor: u32, build: u32, revision: u32) -> Self {
        ClientBuild {
            major,
            minor,
            build,
            revision,
        }
    }

    /// Offline IM first shipped in this C2R build.
    pub const OFFLINE_IM_MIN: ClientBuild = ClientBuild::new(16, 0, 6701, 1000);
    /// Required when the mailbox is in Exchange on-premises.
    pub const ON_PREMISES_MIN: ClientBuild = ClientBuild::new(16, 0, 6920, 1000);
    /// The 2016-06-14 fix for failed sends filling Drafts (Current Channel).
    pub const DRAFTS_FIX: ClientBuild = ClientBuild::new(16, 0, 6965, 2058);
    /// The same fix on the Deferred Channel's 6741 line.
    pub const DRAFTS_FIX_6741: ClientBuild = ClientBuild::new(16, 0, 6741, 2048);

    /// MSI builds of SfB 2016 are `16.0.4xxx.1000`/`.1001`; C2R builds carry a
    /// `.2xxx`+ revision or a build of 5 digits. (ASSUMED from public samples.)
    pub fn install_type(&self) -> InstallType {
        if self.major != 16 {
            return InstallType::Unknown;
        }
        if (4000..5000).contains(&self.build) && (1000..2000).contains(&self.revision) {
            InstallType::Msi
        } else if self.revision >= 2000 || self.build >= 10000 {
            InstallType::C2r
        } else {
            InstallType::Unknown
        }
    }

    /// Whether this build already has the Drafts fix for on-premises mailboxes.
    /// The Deferred Channel's 6741 line got it at 6741.2048; every later line
    /// at 6965.2058.
    pub fn has_drafts_fix(&self) -> bool {
        if self.major == 16 && self.minor == 0 && self.build == 6741 {
            *self >= Self::DRAFTS_FIX_6741
        } else {
            *self >= Self::DRAFTS_FIX
        }
    }
}

impl fmt::Display for ClientBuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.revision
        )
    }
}

impl FromStr for ClientBuild {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a build number like 16.0.6701.1000");
        let mut parts = s.trim().split('.');
        let mut next = || -> Result<u32, String> {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        let b = ClientBuild::new(next()?, next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> ClientBuild {
        s.parse().unwrap()
    }

    #[test]
    fn orders_numerically_not_as_strings() {
        assert!(b("16.0.12527.20194") > b("16.0.6701.1000"));
        assert!(b("16.0.12527.20194") > b("16.0.6920.1000"));
        assert!(b("16.0.6700.9999") < ClientBuild::OFFLINE_IM_MIN);
        assert!(b("16.0.6701.1000") >= ClientBuild::OFFLINE_IM_MIN);
        assert_eq!(b("16.0.12527.20194").to_string(), "16.0.12527.20194");
    }

    #[test]
    fn rejects_junk() {
        for s in ["", "16.0", "16.0.x.1", "16.0.1.2.3", "16..1.2", "-1.0.0.0"] {
            assert!(s.parse::<ClientBuild>().is_err(), "{s}");
        }
    }

    #[test]
    fn install_types() {
        assert_eq!(b("16.0.4417.1000").install_type(), InstallType::Msi);
        assert_eq!(b("16.0.4266.1001").install_type(), InstallType::Msi);
        assert_eq!(b("16.0.6965.2117").install_type(), InstallType::C2r);
        assert_eq!(b("16.0.12527.20194").install_type(), InstallType::C2r);
        assert_eq!(b("15.0.4420.1017").install_type(), InstallType::Unknown);
    }

    #[test]
    fn drafts_fix_thresholds() {
        assert!(b("16.0.6741.2048").has_drafts_fix());
        assert!(!b("16.0.6741.2047").has_drafts_fix());
        assert!(!b("16.0.6925.1000").has_drafts_fix());
        assert!(b("16.0.6965.2058").has_drafts_fix());
        assert!(!b("16.0.6965.2057").has_drafts_fix());
        assert!(b("16.0.12527.20194").has_drafts_fix());
    }
}
