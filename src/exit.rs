//! Exit statuses scripts can rely on (documented in the README).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No finding reached `--fail-on`.
    Clean = 0,
    /// A finding reached `--fail-on`.
    Findings = 1,
    /// Usage error, or a named PATH missing or unopenable, or the report
    /// could not be written.
    Usage = 2,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s as u8)
    }
}
