//! Test harness shared by the integration tests: builds fixture trees in a
//! temporary directory, runs the real `oimdiag` binary against them and parses
//! what it prints. Every scan runs with a fixed `--now` and `--utc-offset`, so
//! no test depends on the wall clock or the machine's timezone.
#![allow(dead_code)]

#[path = "../retry_spawn/mod.rs"]
mod retry_spawn;
#[allow(unused_imports)] // each test crate uses one or the other
pub use retry_spawn::{output, spawn};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

/// A test that cannot run here fails, saying why: it never returns early
/// and passes. A test that needs root or a filesystem feature is marked
/// `#[ignore = "needs root: ..."]` instead, so that a plain `cargo test`
/// lists it as ignored; CI (root) runs it with `-- --include-ignored`, and
/// there a missing capability lands here.
pub fn cannot_run(why: &str) -> ! {
    panic!("cannot run: {why}");
}

/// The scan time every test measures the two-minute timer against.
pub const NOW: &str = "2026-11-23T10:00:00Z";

/// Body text planted in fixture items: it must never be printed.
pub const BODY_MARKER: &str = "BODY-MARKER-7731";
/// Subject planted in fixture items: printed only with `--include-subjects`.
pub const SUBJECT_MARKER: &str = "SUBJECT-MARKER-4410";

/// A run longer than this is a hang: the child is killed and the test fails.
/// Ten times the slowest scan seen (30 s, debug build under Wine, loaded host).
pub const RUN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

/// `secs` seconds before [`NOW`].
pub fn ago(secs: i64) -> DateTime<Utc> {
    now() - Duration::seconds(secs)
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One UccApilog record at `t`, as a log written at UTC+00:00 (the
/// harness's `--utc-offset`) has it.
pub fn log_record(t: DateTime<Utc>, text: &str) -> String {
    format!(
        "{}|{} 1A2B:3C4D INFO  :: {text}\n",
        t.format("%m/%d/%Y"),
        t.format("%H:%M:%S%.3f")
    )
}

/// A REGISTER naming `user` at `t`, then, a second later, an INVITE to
/// `callee` answered 480 (callee offline).
pub fn register_and_480(t: DateTime<Utc>, user: &str, callee: &str) -> String {
    let mut s = log_record(
        t,
        "Sending Packet - 10.0.0.1:5061 (From Local Address: 10.0.0.2:1) 500 bytes:",
    );
    s.push_str(&format!(
        "REGISTER sip:contoso.com SIP/2.0\nFrom: <sip:{user}>;tag=1\nTo: <sip:{user}>\nCSeq: 1 REGISTER\nCall-ID: r1\nUser-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)\n"
    ));
    s.push_str(&log_record(t, "End of Sending Packet - 10.0.0.1:5061"));
    let t2 = t + Duration::seconds(1);
    s.push_str(&log_record(
        t2,
        "Data Received - 10.0.0.1:5061 (To Local Address: 10.0.0.2:1) 300 bytes:",
    ));
    s.push_str(&format!(
        "SIP/2.0 480 Temporarily Unavailable\nFrom: <sip:{user}>;tag=2\nTo: <sip:{callee}>;tag=3\nCSeq: 1 INVITE\nCall-ID: i1\n"
    ));
    s.push_str(&log_record(t2, "End of Data Received - 10.0.0.1:5061"));
    s
}

pub fn rfc2822(t: DateTime<Utc>) -> String {
    t.to_rfc2822()
}

/// The file time fixture items get unless a test sets another: one day
/// before [`NOW`], far from any content date a test uses.
pub fn default_mtime() -> DateTime<Utc> {
    ago(86_400)
}

/// A MIME-style spooled item (BRIEF §3.2), CRLF line ends, with the body and
/// subject markers.
pub fn mime_item(to: &str, date: Option<&str>) -> String {
    let mut s = String::from("From: <sip:alice@contoso.com>\r\n");
    s.push_str(&format!("To: <sip:{to}>\r\n"));
    if let Some(d) = date {
        s.push_str(&format!("Date: {d}\r\n"));
    }
    s.push_str(&format!("Subject: {SUBJECT_MARKER}\r\n"));
    s.push_str("X-MS-Message-Class: IM.Note.MissedConversation\r\n");
    s.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    s.push_str(&format!("{BODY_MARKER} see you at the meeting\r\n"));
    s
}

/// An EWS-style XML item with elements in namespace `prefix` ("" for none).
/// `date` is `(element, value)`, e.g. `("DateTimeSent", "2026-11-23T09:14:03Z")`.
pub fn xml_item(prefix: &str, to: &str, date: Option<(&str, &str)>) -> String {
    let p = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}:")
    };
    let ns = if prefix.is_empty() {
        r#" xmlns="http://schemas.microsoft.com/exchange/services/2006/types""#.to_string()
    } else {
        format!(r#" xmlns:{prefix}="http://schemas.microsoft.com/exchange/services/2006/types""#)
    };
    let mut s = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{p}Message{ns}>\n");
    s.push_str(&format!(
        "  <{p}ItemClass>IM.Note.MissedConversation</{p}ItemClass>\n"
    ));
    s.push_str(&format!("  <{p}Subject>{SUBJECT_MARKER}</{p}Subject>\n"));
    s.push_str(&format!(
        "  <{p}ToRecipients><{p}Mailbox><{p}EmailAddress>{to}</{p}EmailAddress></{p}Mailbox></{p}ToRecipients>\n"
    ));
    s.push_str(&format!(
        "  <{p}From><{p}Mailbox><{p}EmailAddress>alice@contoso.com</{p}EmailAddress></{p}Mailbox></{p}From>\n"
    ));
    if let Some((el, v)) = date {
        s.push_str(&format!("  <{p}{el}>{v}</{p}{el}>\n"));
    }
    s.push_str(&format!(
        "  <{p}Body BodyType=\"Text\">{BODY_MARKER} see you at the meeting</{p}Body>\n"
    ));
    s.push_str(&format!("</{p}Message>\n"));
    s
}

/// UTF-16LE with a byte-order mark.
pub fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

/// UTF-8 with a byte-order mark.
pub fn utf8_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xEF, 0xBB, 0xBF];
    v.extend_from_slice(s.as_bytes());
    v
}

pub fn set_mtime(path: &Path, t: DateTime<Utc>) {
    filetime::set_file_mtime(path, filetime_of(t)).unwrap();
}

pub fn filetime_of(t: DateTime<Utc>) -> filetime::FileTime {
    filetime::FileTime::from_unix_time(t.timestamp(), t.timestamp_subsec_nanos())
}

/// A temporary directory standing in for `%LOCALAPPDATA%` (or any folder of
/// collected files), removed when dropped.
pub struct TestEnv {
    dir: tempfile::TempDir,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::Builder::new()
                .prefix("oimdiag-it-")
                .tempdir()
                .unwrap(),
        }
    }

    /// A test tree inside `parent` (e.g. a tmpfs, for file times ext4 cannot hold).
    pub fn new_in(parent: &Path) -> Self {
        TestEnv {
            dir: tempfile::Builder::new()
                .prefix("oimdiag-it-")
                .tempdir_in(parent)
                .unwrap(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` uses `/`; each part is joined on its own, so that on Windows the
    /// path is spelt with `\` as the tool reports it.
    pub fn path(&self, rel: &str) -> PathBuf {
        rel.split('/')
            .fold(self.root().to_path_buf(), |p, part| p.join(part))
    }

    /// `<root>/Microsoft/Office/16.0/Lync`
    pub fn lync(&self) -> PathBuf {
        self.path("Microsoft/Office/16.0/Lync")
    }

    /// `<root>/Microsoft/Office/16.0/Lync/sip_<profile>`
    pub fn profile_dir(&self, profile: &str) -> PathBuf {
        self.lync().join(format!("sip_{profile}"))
    }

    /// The `History Spooler` folder of `profile`, created.
    pub fn spooler(&self, profile: &str) -> PathBuf {
        let d = self.profile_dir(profile).join("History Spooler");
        fs::create_dir_all(&d).unwrap();
        d
    }

    /// Writes a spooled item (its mtime set to [`default_mtime`]).
    pub fn write_item(&self, profile: &str, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.spooler(profile).join(name);
        write_at(&p, bytes.as_ref())
    }

    /// Writes a file at `rel` below the root (mtime [`default_mtime`]).
    pub fn write_file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        write_at(&self.path(rel), bytes.as_ref())
    }

    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(&p).unwrap();
        p
    }

    /// Runs the binary with `args` verbatim (cwd: the root).
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> RunResult {
        run_in(self.root(), args)
    }

    /// `oimdiag scan <paths> --format json --now NOW --utc-offset +00:00 --quiet <extra>`
    /// (no `--utc-offset` when `extra` names one, or `--tz`).
    pub fn scan<P: AsRef<OsStr>>(&self, paths: &[P], extra: &[&str]) -> Scan {
        let mut args: Vec<OsString> = vec!["scan".into()];
        args.extend(paths.iter().map(|p| p.as_ref().to_os_string()));
        for a in ["--format", "json", "--now", NOW, "--quiet"] {
            args.push(a.into());
        }
        if !extra.contains(&"--utc-offset") && !extra.contains(&"--tz") {
            args.push("--utc-offset".into());
            args.push("+00:00".into());
        }
        args.extend(extra.iter().map(OsString::from));
        let r = self.run(&args);
        Scan::parse(r)
    }

    /// `oimdiag scan . --format FORMAT --now NOW --utc-offset +00:00 --quiet`,
    /// for the formats meant for people.
    pub fn scan_as(&self, format: &str) -> RunResult {
        self.run(&[
            "scan",
            ".",
            "--format",
            format,
            "--now",
            NOW,
            "--utc-offset",
            "+00:00",
            "--quiet",
        ])
    }

    /// A JSON scan of the whole root.
    pub fn scan_root(&self, extra: &[&str]) -> Scan {
        self.scan(&[self.root()], extra)
    }
}

/// With `OIMDIAG_KEEP_FIXTURES=DIR`, each test tree is copied to
/// `DIR/<test crate>/<test name>-<n>` before it is removed, so that
/// `ci/compare-reports.sh` can scan the trees the tests build with two
/// revisions of the binary.
impl Drop for TestEnv {
    fn drop(&mut self) {
        if let Some(dir) = std::env::var_os("OIMDIAG_KEEP_FIXTURES") {
            keep_fixture(self.root(), Path::new(&dir));
        }
    }
}

thread_local! {
    /// Trees kept by this thread (each test runs on a thread of its own).
    static KEPT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Files larger than this are left out of a kept tree (the 4 GiB sparse
/// item of `tests/adversarial.rs` would otherwise be written out whole).
const KEEP_MAX_FILE: u64 = 16 << 20;

fn keep_fixture(root: &Path, dir: &Path) {
    let n = KEPT.with(|k| {
        k.set(k.get() + 1);
        k.get()
    });
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .replace("::", ".");
    let dest = dir
        .join(env!("CARGO_CRATE_NAME"))
        .join(format!("{test}-{n}"));
    if let Err(e) = copy_tree(root, &dest) {
        eprintln!(
            "OIMDIAG_KEEP_FIXTURES: {} not fully kept: {e}",
            dest.display()
        );
    }
}

/// Copies folders, regular files (up to [`KEEP_MAX_FILE`]), symbolic links
/// and FIFOs with their modified and access times; other kinds are left out.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let m = fs::symlink_metadata(&src)?;
        let ft = m.file_type();
        if ft.is_dir() {
            copy_tree(&src, &dst)?;
        } else if ft.is_file() {
            if m.len() > KEEP_MAX_FILE {
                continue;
            }
            fs::copy(&src, &dst)?;
        } else if ft.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
            continue;
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                if ft.is_fifo() {
                    let c = std::ffi::CString::new(dst.as_os_str().as_encoded_bytes()).unwrap();
                    // SAFETY: a valid NUL-terminated path.
                    if unsafe { libc::mkfifo(c.as_ptr(), 0o644) } != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
            }
            continue;
        }
        filetime::set_file_times(
            &dst,
            filetime::FileTime::from_last_access_time(&m),
            filetime::FileTime::from_last_modification_time(&m),
        )?;
    }
    let m = fs::metadata(from)?;
    filetime::set_file_times(
        to,
        filetime::FileTime::from_last_access_time(&m),
        filetime::FileTime::from_last_modification_time(&m),
    )
}

pub fn write_at(p: &Path, bytes: &[u8]) -> PathBuf {
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, bytes).unwrap();
    set_mtime(p, default_mtime());
    p.to_path_buf()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_oimdiag")
}

#[derive(Debug)]
pub struct RunResult {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: std::time::Duration,
}

/// Runs the binary in `cwd`, killing it (and failing) if it runs longer than
/// [`RUN_TIMEOUT`]; stdin is closed so nothing can wait on it.
pub fn run_in<S: AsRef<OsStr>>(cwd: &Path, args: &[S]) -> RunResult {
    run_with_env(cwd, args, &[])
}

/// [`run_in`] with extra environment variables (`LOCALAPPDATA` is unset
/// unless given here).
pub fn run_with_env<S: AsRef<OsStr>>(cwd: &Path, args: &[S], envs: &[(&str, &OsStr)]) -> RunResult {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(cwd).env_remove("LOCALAPPDATA");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let what = format!("oimdiag {:?}", args_dbg(args));
    run_child(&mut cmd, &what, |_| {})
}

/// Runs `cmd` (stdin closed, stdout and stderr collected), calling `during`
/// with its process id once it has started, and kills it (and fails, naming
/// `what`) if it runs longer than [`RUN_TIMEOUT`].
pub fn run_child(cmd: &mut Command, what: &str, during: impl FnOnce(u32)) -> RunResult {
    let start = Instant::now();
    let mut child = spawn(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).ok();
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        err.read_to_end(&mut v).ok();
        v
    });
    during(child.id());
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > RUN_TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            panic!("{what} did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out_t.join().unwrap();
    let stderr = err_t.join().unwrap();
    RunResult {
        code: status
            .code()
            .expect("oimdiag exited normally, not by a signal"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed,
    }
}

fn args_dbg<S: AsRef<OsStr>>(args: &[S]) -> Vec<String> {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect()
}

/// A finished JSON scan.
#[derive(Debug)]
pub struct Scan {
    pub code: i32,
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: std::time::Duration,
}

impl Scan {
    pub fn parse(r: RunResult) -> Scan {
        let json: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}); exit {}; stderr: {}\nstdout:\n{}",
                r.code, r.stderr, r.stdout
            )
        });
        Scan {
            code: r.code,
            json,
            stdout: r.stdout,
            stderr: r.stderr,
            elapsed: r.elapsed,
        }
    }

    /// `summary.probable_causes`, as strings.
    pub fn causes(&self) -> Vec<String> {
        self.json["summary"]["probable_causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    }

    pub fn headline(&self) -> &str {
        self.json["summary"]["headline"].as_str().unwrap()
    }

    pub fn verdict(&self) -> &str {
        self.json["summary"]["verdict"].as_str().unwrap()
    }

    pub fn findings(&self) -> &Vec<Value> {
        self.json["findings"].as_array().unwrap()
    }

    pub fn rule_ids(&self) -> Vec<String> {
        self.findings()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn has(&self, id: &str) -> bool {
        self.rule_ids().iter().any(|r| r == id)
    }

    pub fn finding(&self, id: &str) -> &Value {
        self.findings()
            .iter()
            .find(|f| f["rule_id"] == id)
            .unwrap_or_else(|| panic!("no {id} among {:?}", self.rule_ids()))
    }

    pub fn items(&self) -> &Vec<Value> {
        self.json["spool_items"].as_array().unwrap()
    }

    /// The one spool item whose path ends with `name` (whole path components).
    pub fn item(&self, name: &str) -> &Value {
        let found: Vec<&Value> = self
            .items()
            .iter()
            .filter(|i| ends_with_components(i["path"].as_str().unwrap(), name))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one spool item named {name}, got {}:\n{:#?}",
            found.len(),
            self.items()
        );
        found[0]
    }

    /// `inputs.skipped` as (path, reason).
    pub fn skipped(&self) -> Vec<(String, String)> {
        self.json["inputs"]["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["path"].as_str().unwrap().to_string(),
                    s["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The reason a path ending with `name` was skipped.
    pub fn skip_reason(&self, name: &str) -> String {
        self.skipped()
            .into_iter()
            .find(|(p, _)| ends_with_components(p, name))
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("{name} not in inputs.skipped: {:#?}", self.skipped()))
    }
}

/// Whether `path` ends with `tail` at a component boundary.
pub fn ends_with_components(path: &str, tail: &str) -> bool {
    // `tail` is written with `/`; Windows reports `\`.
    let tail = &tail.replace('/', std::path::MAIN_SEPARATOR_STR);
    path == tail
        || path
            .strip_suffix(tail)
            .is_some_and(|head| head.ends_with('/') || head.ends_with(std::path::MAIN_SEPARATOR))
}

/// Every regular file below `root` with its bytes, and every directory.
pub fn tree_listing(root: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p.clone());
            }
            v.push(p);
        }
    }
    v.sort();
    v
}

pub fn system_time(t: DateTime<Utc>) -> SystemTime {
    SystemTime::from(t)
}
