//! Generates a realistic benchmark corpus for oimdiag (issue 8):
//!
//! ```text
//! cargo run --release --example gen_corpus -- --out DIR --log-mib N --items K --seed S
//! ```
//!
//! Under `DIR/Microsoft/Office/16.0/Lync/`:
//! - `Tracing/Lync-UccApi-{0,1,2}.UccApilog` and `Lync-UccApi-0.UccApilog.bak`: N MiB of
//!   UccApilog in all, split over the rotated files (the `.bak` oldest, `-0` newest; `-1`
//!   written with CRLF line ends). Noise records, SIP packets with headers and bodies
//!   (REGISTER with User-Agent, SUBSCRIBE/NOTIFY/BENOTIFY with presence XML, MESSAGE,
//!   INVITE answered 200 or 480, in-band provisioning, otherOptions publications),
//!   offline-IM attempts delivered and failed in the wording of `crates/evidence/src/signatures.json`,
//!   EWS responses, autodiscover and EWS status lines.
//! - `sip_alice@contoso.com/History Spooler/`: K items, MIME (UTF-8 and UTF-16LE),
//!   EWS-style XML and opaque binary, shaped like `sample-spooler/`.
//!
//! Shape knobs (issue 19; without any of them the corpus is the one above, byte for byte):
//!
//! ```text
//! --logs N              N logs `Lync-UccApi-{0..N}.UccApilog` of N MiB / N each, instead of
//!                       the four rotated ones
//! --sip-every L         a SIP exchange every ~L lines (a request and its answer, or a
//!                       BENOTIFY); 0: no SIP packet at all
//! --oim-every L         an offline-IM attempt every ~L lines; 0: none
//! --noise near-miss     noise whose words contain the signature literals as substrings
//!                       (`COfflineIMManager`, `CEwsSubscription`, `news information`,
//!                       `CAutodiscoverCache`, `provisionGroup`, ...) without matching any
//!                       signature, beside today's noise (`default`)
//! ```
//!
//! With `--sip-every` or `--oim-every` the log is written line by line to that schedule,
//! with noise between (and no EWS chatter); without them, by bytes as above.
//!
//! The same arguments give byte-identical files (a xorshift PRNG, no clock).
//! Timestamps run from 2026-11-20 and stay before 2026-11-30T00:00:00Z, the `--now`
//! the benchmark uses.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const USER: &str = "alice@contoso.com";
const OC_BUILD: &str = "16.0.6965.2117";
const UCCAPI_BUILD: &str = "16.0.6965.5308";
const EWS_URL: &str = "https://mail.contoso.com/EWS/Exchange.asmx";
const EWS_EXTERNAL: &str = "https://owa.contoso.com/EWS/Exchange.asmx";
/// 2026-11-20T08:00:00Z in Unix milliseconds.
const START_MS: i64 = 1_795_161_600_000;
/// Spool items are dated over the ten days before 2026-11-30.
const ITEM_SPAN_MS: i64 = 9 * 24 * 3600 * 1000;
/// Buffered writes: one `write` per this many bytes.
const CHUNK: usize = 4 << 20;
/// One offline-IM attempt per this many log bytes on average.
const ATTEMPT_EVERY: u64 = 384 << 10;

struct Args {
    out: PathBuf,
    log_mib: u64,
    items: u64,
    seed: u64,
    /// `None`: the four rotated logs.
    logs: Option<u64>,
    /// `Some`: the log is written line by line to the schedule of [`Shape`].
    shape: Option<Shape>,
    near_miss: bool,
}

/// Events by lines: one every ~N lines (0: never).
#[derive(Clone, Copy)]
struct Shape {
    sip_every: u64,
    oim_every: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut out = None;
    let mut log_mib = 256;
    let mut items = 20_000;
    let mut seed = 1;
    let mut logs = None;
    let mut sip_every = None;
    let mut oim_every = None;
    let mut near_miss = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(val()?)),
            "--log-mib" => log_mib = val()?.parse().map_err(|e| format!("--log-mib: {e}"))?,
            "--items" => items = val()?.parse().map_err(|e| format!("--items: {e}"))?,
            "--seed" => seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--logs" => match val()?.parse() {
                Ok(0) | Err(_) => return Err("--logs: a number of at least 1".into()),
                Ok(n) => logs = Some(n),
            },
            "--sip-every" => {
                sip_every = Some(val()?.parse().map_err(|e| format!("--sip-every: {e}"))?)
            }
            "--oim-every" => {
                oim_every = Some(val()?.parse().map_err(|e| format!("--oim-every: {e}"))?)
            }
            "--noise" => {
                near_miss = match val()?.as_str() {
                    "default" => false,
                    "near-miss" => true,
                    other => return Err(format!("--noise: default or near-miss, not {other}")),
                }
            }
            "-h" | "--help" => {
                return Err(
                    "usage: gen_corpus --out DIR [--log-mib N] [--items K] [--seed S] \
                     [--logs N] [--sip-every LINES] [--oim-every LINES] \
                     [--noise default|near-miss]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        out: out.ok_or("--out DIR is required")?,
        log_mib,
        items,
        seed,
        logs,
        shape: (sip_every.is_some() || oim_every.is_some()).then(|| Shape {
            sip_every: sip_every.unwrap_or(0),
            oim_every: oim_every.unwrap_or(0),
        }),
        near_miss,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = generate(&args) {
        eprintln!("gen_corpus: {e}");
        std::process::exit(1);
    }
}

fn generate(args: &Args) -> io::Result<()> {
    let lync = args.out.join("Microsoft/Office/16.0/Lync");
    let tracing = lync.join("Tracing");
    let spooler = lync.join(format!("sip_{USER}")).join("History Spooler");
    fs::create_dir_all(&tracing)?;
    fs::create_dir_all(&spooler)?;
    let mut rng = Rng::new(args.seed);
    let names = item_names(args.items, args.seed);

    let total = args.log_mib << 20;
    // Oldest first: .bak, -2, -1, -0; each a quarter (the newest takes the rest).
    let rotated = [
        ("Lync-UccApi-0.UccApilog.bak".to_string(), false),
        ("Lync-UccApi-2.UccApilog".to_string(), false),
        ("Lync-UccApi-1.UccApilog".to_string(), true),
        ("Lync-UccApi-0.UccApilog".to_string(), false),
    ];
    // N logs: oldest the highest number, every third with CRLF.
    let files: Vec<(String, bool)> = match args.logs {
        None => rotated.to_vec(),
        Some(n) => (0..n)
            .rev()
            .map(|i| (format!("Lync-UccApi-{i}.UccApilog"), i % 3 == 1))
            .collect(),
    };
    let mut state = LogState {
        t_ms: START_MS,
        msg_id: 1000,
        cseq: 1,
        failed: 0,
        lines: 0,
        packets: 0,
        oims: 0,
        near_miss: args.near_miss,
    };
    let mut left = total;
    for (i, (name, crlf)) in files.iter().enumerate() {
        let size = if i == files.len() - 1 {
            left
        } else {
            total / files.len() as u64
        };
        left -= size;
        write_log(
            &tracing.join(name),
            size,
            *crlf,
            args.shape,
            &mut rng,
            &mut state,
            &names,
        )?;
    }
    write_items(&spooler, &names, &mut rng)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// PRNG

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so seeds 0, 1, 2 give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// xorshift64*.
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn hex(&mut self, out: &mut Vec<u8>, digits: usize) {
        const H: &[u8; 16] = b"0123456789abcdef";
        let mut v = self.next();
        for i in 0..digits {
            if i % 16 == 15 {
                v = self.next();
            }
            out.push(H[(v & 15) as usize]);
            v >>= 4;
        }
    }
}

// ---------------------------------------------------------------------------
// Time

/// (year, month, day, hour, minute, second, millisecond) of Unix milliseconds.
fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, milli)
}

fn rfc2822(ms: i64) -> String {
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm, ss, _) = civil(ms);
    let wd = WD[ms.div_euclid(86_400_000).rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} +0000",
        MON[m as usize - 1]
    )
}

fn rfc3339(ms: i64) -> String {
    let (y, m, d, hh, mm, ss, _) = civil(ms);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

// ---------------------------------------------------------------------------
// Logs

/// A request the client sends and the answer it gets.
struct Req<'r> {
    method: &'r str,
    uri: &'r str,
    to: &'r str,
    extra: &'r [String],
    body: &'r [String],
    answer: (u16, &'r str),
    answer_body: &'r [String],
}

struct LogState {
    t_ms: i64,
    msg_id: u64,
    cseq: u64,
    /// Failed attempts so far: the n-th spools item n (mod K).
    failed: u64,
    /// Lines written so far (for `Shape`'s schedule).
    lines: u64,
    /// SIP packets and offline-IM attempts written so far.
    packets: u64,
    oims: u64,
    near_miss: bool,
}

struct Log<'a> {
    file: File,
    buf: Vec<u8>,
    written: u64,
    crlf: bool,
    rng: &'a mut Rng,
    st: &'a mut LogState,
}

const CONTACTS: [&str; 12] = [
    "bob@contoso.com",
    "carol@contoso.com",
    "dave@fabrikam.com",
    "erin@contoso.com",
    "frank@contoso.com",
    "grace@contoso.com",
    "heidi@contoso.com",
    "ivan@contoso.com",
    "judy@fabrikam.com",
    "mallory@contoso.com",
    "oscar@contoso.com",
    "peggy@contoso.com",
];

impl Log<'_> {
    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.file.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    fn eol(&mut self) {
        self.st.lines += 1;
        if self.crlf {
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.buf.push(b'\n');
        }
    }

    /// A continuation line.
    fn line(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.eol();
    }

    /// A record's first line: the clock advances by `step_ms`.
    fn record(&mut self, step_ms: u64, level: &str, text: &str) {
        self.st.t_ms += step_ms as i64;
        let (y, mo, d, h, mi, s, ms) = civil(self.st.t_ms);
        let pad = if level.len() < 5 { "  " } else { " " };
        let tid = ["C14", "1A0C", "2B54", "C14"][self.rng.below(4) as usize];
        let _ = write!(
            self.buf,
            "{mo:02}/{d:02}/{y:04}|{h:02}:{mi:02}:{s:02}.{ms:03} 1F68:{tid} {level}{pad}:: {text}"
        );
        self.eol();
    }

    fn info(&mut self, text: &str) {
        let step = self.rng.range(0, 40);
        self.record(step, "INFO", text);
    }

    fn noise(&mut self) {
        // Near-miss noise: two records in three name a signature literal
        // inside another word. (Today's noise draws no extra number.)
        if self.st.near_miss && self.rng.below(3) < 2 {
            return self.near_miss();
        }
        let r = self.rng.below(100);
        let n = self.rng.range(1, 99_999);
        let mut h = Vec::with_capacity(16);
        self.rng.hex(&mut h, 8);
        let h = String::from_utf8(h).unwrap_or_default();
        let text = match r {
            0..=14 => format!("Function: CUccSession::OnStateChanged (this={h}) newState=SESSION_STATE_CONNECTED oldState={n}"),
            15..=24 => format!("CSIPAsyncTransport::OnReceive - bytes={n} socket=0x{h}"),
            25..=34 => format!("CUccContactManager::UpdatePresence - contact sip:{} availability={} activity=Available", self.rng.pick(&CONTACTS), n % 18000),
            35..=42 => format!("CMediaFlow::SetState - flow {h} state MEDIA_FLOW_STATE_{}", ["IDLE", "ACTIVE", "CLOSED"][n as usize % 3]),
            43..=50 => format!("Function: CUccConversation::ProcessIncomingMessage hr=0x00000000 previewSize={n}"),
            51..=58 => format!("CUccNewsFeedController::Refresh - views={} reviews=0 cookie={h}", n % 40),
            59..=64 => format!("DNS query for _sipinternaltls._tcp.contoso.com returned {} records in {} ms", n % 4 + 1, n % 300),
            65..=70 => format!("CUccPersistentChatManager::OnTimer - elapsed {n} ms"),
            71..=75 => format!("HTTP GET https://pool01.contoso.com/abs/handler/{h}.lsabs -> 200 ({n} bytes)"),
            76..=80 => "Lync is processing the Web Ticket Service response".to_string(),
            81..=85 => format!("CTlsSocket::Handshake completed in {} ms (cipher 0x{h})", n % 900),
            86..=89 => format!("ContactCard: photo for sip:{} cached ({n} bytes)", self.rng.pick(&CONTACTS)),
            90..=93 => format!("Function: CUccCallLog::WriteEntry id={n} status=0"),
            _ => format!("CUccAudioDevice::Enumerate - {} devices, default render {h}", n % 6 + 1),
        };
        let level = match self.rng.below(100) {
            0..=1 => "ERROR",
            2..=5 => "WARN",
            6..=10 => "TRACE",
            _ => "INFO",
        };
        let step = self.rng.range(0, 60);
        self.record(step, level, &text);
    }

    /// A noise record whose words contain a signature literal (or a SIP
    /// body word) as a substring, matching no signature: the prefilter's
    /// worst case, which a search for whole words would not see.
    fn near_miss(&mut self) {
        let n = self.rng.range(1, 99_999);
        let mut h = Vec::with_capacity(16);
        self.rng.hex(&mut h, 8);
        let h = String::from_utf8(h).unwrap_or_default();
        let text = match self.rng.below(12) {
            0 => format!("Function: CSIPStack::ProcessTimers (this={h}) pending={n} newState=IDLE"),
            1 => format!("COfflineIMManager::OnTimer - queue={} next={n} ms", n % 7),
            2 => format!("CEwsSubscriptionManager::Renew - subscription {h} expires in {n} s"),
            3 => format!("CUccNewsFeed::Refresh - news information refreshed ({} items, {} views, {} reviews)", n % 50, n % 400, n % 9),
            4 => format!("CAutodiscoverCache::Lookup - key {h} hit={} age={n} ms", n % 2),
            5 => format!("CUccProvisionGroupCache::Update - provisionGroups={} version={n}", n % 12),
            6 => format!("CUccOtherOptionsPublisher::Publish - otherOptions version={n} pending=0"),
            7 => format!("CSIPTransportLayer::OnDataReceivedCallback - {n} bytes on 0x{h}, sendingPacketQueue={}", n % 5),
            8 => format!("CEwsMailboxSyncState::Save - crews={} newsletters={} (this={h})", n % 3, n % 11),
            9 => format!("Function: CUccConversation::ProcessIncomingMessage hr=0x00000000 previewSize={n} fewSteps"),
            10 => format!("CSIPStack::SendRequest - OfflineIMEnabled=1 autodiscoverPending=0 cookie={h}"),
            _ => format!("CUccSessionManager::OnNewsState - newState=SESSION_STATE_{} reviewsPending={n}", ["IDLE", "CONNECTED"][n as usize % 2]),
        };
        let level = if self.rng.below(20) == 0 {
            "WARN"
        } else {
            "INFO"
        };
        let step = self.rng.range(0, 60);
        self.record(step, level, &text);
    }

    /// One SIP exchange for the line schedule: mostly presence, some IMs and
    /// REGISTERs.
    fn sip_exchange(&mut self) {
        match self.rng.below(10) {
            0..=5 => self.subscribe_notify(),
            6..=8 => self.im(),
            _ => self.register(),
        }
    }

    /// A packet record, its continuation lines, and the closing record.
    fn packet(&mut self, sent: bool, lines: &[String]) {
        self.st.packets += 1;
        let bytes: usize = lines.iter().map(|l| l.len() + 2).sum();
        let port = 50331;
        let (what, dir) = if sent {
            ("Sending Packet", "From")
        } else {
            ("Data Received", "To")
        };
        let head = format!(
            "{what} - 10.10.1.20:5061 ({dir} Local Address: 192.168.103.35:{port}) {bytes} bytes:"
        );
        self.info(&head);
        for l in lines {
            self.line(l);
        }
        self.eol();
        let end = format!(
            "End of {what} - 10.10.1.20:5061 ({dir} Local Address: 192.168.103.35:{port}) {bytes} bytes"
        );
        self.record(1, "INFO", &end);
    }

    fn call_id(&mut self) -> String {
        let mut v = Vec::with_capacity(32);
        self.rng.hex(&mut v, 32);
        String::from_utf8(v).unwrap_or_default()
    }

    fn tag(&mut self) -> String {
        let mut v = Vec::with_capacity(10);
        self.rng.hex(&mut v, 10);
        String::from_utf8(v).unwrap_or_default()
    }

    fn next_cseq(&mut self) -> u64 {
        self.st.cseq += 1;
        self.st.cseq
    }

    fn user_agent() -> String {
        format!("User-Agent: UCCAPI/{UCCAPI_BUILD} OC/{OC_BUILD} (Skype for Business)")
    }

    fn via(&mut self) -> String {
        let b = self.tag();
        format!("Via: SIP/2.0/TLS 192.168.103.35:50331;branch=z9hG4bK{b};ms-received-port=50331;ms-received-cid=4E00")
    }

    /// A request the client sends, with the answer it receives.
    fn request(&mut self, req: Req) {
        let Req {
            method,
            uri,
            to,
            extra,
            body,
            answer,
            answer_body,
        } = req;
        let call = self.call_id();
        let tag = self.tag();
        let cseq = self.next_cseq();
        let mut l = vec![
            format!("{method} {uri} SIP/2.0"),
            self.via(),
            "Max-Forwards: 70".to_string(),
            format!("From: <sip:{USER}>;tag={tag};epid=7b1e2d3c4f"),
            format!("To: <sip:{to}>"),
            format!("Call-ID: {call}"),
            format!("CSeq: {cseq} {method}"),
            Self::user_agent(),
        ];
        l.extend(extra.iter().cloned());
        let len: usize = body.iter().map(|b| b.len() + 2).sum();
        l.push(format!("Content-Length: {len}"));
        if !body.is_empty() {
            l.push(String::new());
            l.extend(body.iter().cloned());
        }
        self.packet(true, &l);
        let rtag = self.tag();
        let mut r = vec![
            format!("SIP/2.0 {} {}", answer.0, answer.1),
            self.via(),
            format!("From: <sip:{USER}>;tag={tag};epid=7b1e2d3c4f"),
            format!("To: <sip:{to}>;tag={rtag}"),
            format!("Call-ID: {call}"),
            format!("CSeq: {cseq} {method}"),
        ];
        if answer.0 == 480 {
            r.push("ms-diagnostics: 15030;reason=\"Failed to route to the callee: the user is offline\";source=\"pool01.contoso.com\"".to_string());
        } else {
            r.push("Server: RTC/6.0".to_string());
        }
        let len: usize = answer_body.iter().map(|b| b.len() + 2).sum();
        r.push(format!("Content-Length: {len}"));
        if !answer_body.is_empty() {
            r.push(String::new());
            r.extend(answer_body.iter().cloned());
        }
        self.packet(false, &r);
    }

    fn register(&mut self) {
        let extra = [
            "Contact: <sip:192.168.103.35:50331;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\"".to_string(),
            "Supported: gruu-10, adhoclist, msrtc-event-categories".to_string(),
            "Event: registration".to_string(),
        ];
        self.request(Req {
            method: "REGISTER",
            uri: "sip:contoso.com",
            to: USER,
            extra: &extra,
            body: &[],
            answer: (200, "OK"),
            answer_body: &[],
        });
    }

    fn provisioning(&mut self) {
        let body: Vec<String> = vec![
            "<provisionGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification\">".into(),
            "<provisionGroup name=\"ServerConfiguration\" ><propertyEntryList >".into(),
            "<property name=\"AbsInternalServerUrl\">https://pool01.contoso.com/abs/handler</property>".into(),
            format!("<property name=\"ExchangeWebServicesUrl\">{EWS_URL}</property>"),
            "<property name=\"EnableCallLogAutoArchiving\">true</property>".into(),
            "<property name=\"EnableIMAutoArchiving\">true</property>".into(),
            "</propertyEntryList></provisionGroup>".into(),
            "<provisionGroup name=\"ucPolicy\" ><propertyEntryList >".into(),
            "<property name=\"EnableOfflineIM\">true</property>".into(),
            "<property name=\"DisableEmoticons\">false</property>".into(),
            "<property name=\"MaxPhotoSizeKB\">100</property>".into(),
            "</propertyEntryList></provisionGroup>".into(),
            "<provisionGroup name=\"meetingPolicy\" ><propertyEntryList >".into(),
            "<property name=\"AllowIPAudio\">true</property><property name=\"AllowIPVideo\">true</property><property name=\"EnableDataCollaboration\">true</property>".into(),
            "</propertyEntryList></provisionGroup>".into(),
            "</provisionGroupList>".into(),
        ];
        let extra = [
            "Event: vnd-microsoft-provisioning-v2".to_string(),
            "Accept: application/vnd-microsoft-roaming-provisioning-v2+xml".to_string(),
        ];
        // The answer carries the provisioning document.
        let call = self.call_id();
        let cseq = self.next_cseq();
        let mut l = vec![
            "SUBSCRIBE sip:alice@contoso.com SIP/2.0".to_string(),
            self.via(),
            format!("From: <sip:{USER}>;tag=8a1f;epid=7b1e2d3c4f"),
            format!("To: <sip:{USER}>"),
            format!("Call-ID: {call}"),
            format!("CSeq: {cseq} SUBSCRIBE"),
            Self::user_agent(),
        ];
        l.extend(extra.iter().cloned());
        l.push("Content-Length: 0".into());
        self.packet(true, &l);
        let len: usize = body.iter().map(|b| b.len() + 2).sum();
        let mut r = vec![
            "SIP/2.0 200 OK".to_string(),
            format!("From: <sip:{USER}>;tag=8a1f;epid=7b1e2d3c4f"),
            format!("To: <sip:{USER}>;tag=22c3"),
            format!("Call-ID: {call}"),
            format!("CSeq: {cseq} SUBSCRIBE"),
            "Expires: 0".into(),
            "Content-Type: application/vnd-microsoft-roaming-provisioning-v2+xml".into(),
            format!("Content-Length: {len}"),
            String::new(),
        ];
        r.extend(body);
        self.packet(false, &r);
    }

    fn other_options(&mut self) {
        let body = vec![format!(
            "<publish xmlns=\"http://schemas.microsoft.com/2006/09/sip/rich-presence\"><publications uri=\"sip:{USER}\"><publication categoryName=\"otherOptions\" instance=\"1\" container=\"1\" version=\"3\" expireType=\"static\"><otherOptions xmlns=\"http://schemas.microsoft.com/2006/09/sip/options/otheroptions\"><imAutoArchiving>true</imAutoArchiving><saveCallLogs>true</saveCallLogs></otherOptions></publication></publications></publish>"
        )];
        let extra = ["Content-Type: application/msrtc-category-publish+xml".to_string()];
        self.request(Req {
            method: "SERVICE",
            uri: &format!("sip:{USER}"),
            to: USER,
            extra: &extra,
            body: &body,
            answer: (200, "OK"),
            answer_body: &[],
        });
    }

    fn presence_body(&mut self, contact: &str) -> Vec<String> {
        let avail = [3500, 6500, 9500, 12500, 15500, 18500][self.rng.below(6) as usize];
        vec![
            "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\" uri=\"sip:".to_string() + contact + "\">",
            format!("<category name=\"state\" instance=\"1\" publishTime=\"2026-11-23T09:14:03.000\"><state xsi:type=\"aggregateState\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.microsoft.com/2006/09/sip/state\"><availability>{avail}</availability><delimiter xmlns=\"http://schemas.microsoft.com/2006/09/sip/commontypes\" /><timeZoneBias>-60</timeZoneBias><timeZoneName>W. Europe Standard Time</timeZoneName></state></category>"),
            "<category name=\"contactCard\" instance=\"0\" publishTime=\"2026-11-20T08:00:00.000\"><contactCard xmlns=\"http://schemas.microsoft.com/2006/09/sip/contactcard\"><identity><name><displayName>Colleague</displayName></name><email>".to_string() + contact + "</email></identity><company>Contoso</company><department>Sales</department></contactCard></category>",
            "</categories>".to_string(),
        ]
    }

    fn subscribe_notify(&mut self) {
        let contact = *self.rng.pick(&CONTACTS);
        if self.rng.chance(500) {
            let extra = [
                "Event: presence".to_string(),
                "Accept: application/msrtc-event-categories+xml, text/xml+msrtc.pidf".to_string(),
                "Supported: ms-benotify, ms-piggyback-first-notify".to_string(),
            ];
            let body = self.presence_body(contact);
            self.request(Req {
                method: "SUBSCRIBE",
                uri: &format!("sip:{USER}"),
                to: USER,
                extra: &extra,
                body: &[],
                answer: (200, "OK"),
                answer_body: &body,
            });
        } else {
            // A BENOTIFY the server pushes: received, no answer.
            let call = self.call_id();
            let cseq = self.rng.range(1, 900);
            let mut l = vec![
                format!("BENOTIFY sip:192.168.103.35:50331;transport=tls;ms-opaque=d3470f2e1d;ms-received-cid=4E00;grid SIP/2.0"),
                "Via: SIP/2.0/TLS 10.10.1.20:5061;branch=z9hG4bKE3A1C2D0.1;branched=FALSE".to_string(),
                "Max-Forwards: 69".to_string(),
                format!("To: <sip:{USER}>;tag=4c5e3f1a2b;epid=7b1e2d3c4f"),
                format!("From: <sip:{USER}>;tag=A1B2C3D4"),
                format!("Call-ID: {call}"),
                format!("CSeq: {cseq} BENOTIFY"),
                "Event: presence".to_string(),
                "subscription-state: active;expires=37489".to_string(),
                "Content-Type: application/msrtc-event-categories+xml".to_string(),
            ];
            let body = self.presence_body(contact);
            let len: usize = body.iter().map(|b| b.len() + 2).sum();
            l.push(format!("Content-Length: {len}"));
            l.push(String::new());
            l.extend(body);
            self.packet(false, &l);
        }
    }

    fn im(&mut self) {
        let to = *self.rng.pick(&CONTACTS);
        // An IM session: INVITE answered 200, then a MESSAGE.
        let sdp: Vec<String> = vec![
            "v=0".into(),
            "o=- 0 0 IN IP4 192.168.103.35".into(),
            "s=session".into(),
            "c=IN IP4 192.168.103.35".into(),
            "t=0 0".into(),
            "m=message 5060 sip null".into(),
            "a=accept-types:text/plain multipart/alternative image/gif text/rtf text/html application/x-ms-ink application/ms-imdn+xml".into(),
        ];
        let extra = ["Content-Type: application/sdp".to_string()];
        self.request(Req {
            method: "INVITE",
            uri: &format!("sip:{to}"),
            to,
            extra: &extra,
            body: &sdp,
            answer: (200, "OK"),
            answer_body: &[],
        });
        let text = [
            "Can you send me the Q3 numbers before the review?",
            "Lunch moved to 1pm, see you there",
            "ok",
            "Thanks for the call, contract draft attached tomorrow.",
        ][self.rng.below(4) as usize];
        let extra = ["Content-Type: text/plain; charset=UTF-8".to_string()];
        self.request(Req {
            method: "MESSAGE",
            uri: &format!("sip:{to}"),
            to,
            extra: &extra,
            body: &[text.to_string()],
            answer: (200, "OK"),
            answer_body: &[],
        });
    }

    /// An offline IM: INVITE → 480, queued, two minutes later processed via
    /// EWS, then delivered or failed and spooled.
    fn offline_im(&mut self, names: &[String]) {
        let to = *self.rng.pick(&CONTACTS);
        let extra = ["Content-Type: application/sdp".to_string()];
        let sdp = ["v=0".to_string(), "m=message 5060 sip null".to_string()];
        self.request(Req {
            method: "INVITE",
            uri: &format!("sip:{to}"),
            to,
            extra: &extra,
            body: &sdp,
            answer: (480, "Temporarily Unavailable"),
            answer_body: &[],
        });
        self.st.msg_id += 1;
        let id = self.st.msg_id;
        self.info(&format!("OfflineIM: queued message {id} for sip:{to}"));
        for _ in 0..self.rng.range(5, 30) {
            self.noise();
        }
        // The two-minute timer.
        self.st.t_ms += self.rng.range(90_000, 125_000) as i64;
        self.info(&format!(
            "OfflineIM: processing message {id} via EWS {EWS_URL}"
        ));
        let fail = !names.is_empty() && self.rng.chance(300);
        if !fail {
            self.info(&format!("EWS: POST {EWS_URL} CreateItem -> 200 OK"));
            self.info(&format!(
                "OfflineIM: message {id} delivered to sip:{to} (ItemClass=IM.Note.MissedConversation)"
            ));
            return;
        }
        let (status, reason) = *self.rng.pick(&[
            (401, "Unauthorized"),
            (503, "Service Unavailable"),
            (500, "Internal Server Error"),
        ]);
        self.record(
            300,
            "ERROR",
            &format!("EWS: POST {EWS_URL} CreateItem -> {status} {reason}"),
        );
        self.record(
            2,
            "ERROR",
            &format!("OfflineIM: message {id} failed: EWS returned {status} {reason}"),
        );
        let file = &names[(self.st.failed % names.len() as u64) as usize];
        self.st.failed += 1;
        self.record(
            5,
            "INFO",
            &format!("OfflineIM: message {id} spooled to History Spooler (file {file})"),
        );
    }

    fn ews_chatter(&mut self) {
        match self.rng.below(4) {
            0 => self.info(&format!(
                "Autodiscover: EWS internal URL {EWS_URL}, external URL {EWS_EXTERNAL}"
            )),
            1 => self.info("EWS Information: EWS Status OK"),
            2 => self.info(&format!("EWS: POST {EWS_URL} GetFolder -> 200 OK")),
            _ => self.info(&format!(
                "CEwsMailboxClient::SyncConversationHistory url={EWS_URL} items=0"
            )),
        }
    }
}

fn write_log(
    path: &Path,
    size: u64,
    crlf: bool,
    shape: Option<Shape>,
    rng: &mut Rng,
    st: &mut LogState,
    names: &[String],
) -> io::Result<()> {
    let mut log = Log {
        file: File::create(path)?,
        buf: Vec::with_capacity(CHUNK + (64 << 10)),
        written: 0,
        crlf,
        rng,
        st,
    };
    log.info(&format!(
        "Function: CUccApiLog::Initialize (Version {OC_BUILD})"
    ));
    if let Some(shape) = shape {
        write_by_lines(&mut log, size, shape, names)?;
        let buf = std::mem::take(&mut log.buf);
        log.file.write_all(&buf)?;
        return Ok(());
    }
    log.register();
    log.provisioning();
    log.other_options();
    log.ews_chatter();
    let mut next_attempt = log.rng.range(ATTEMPT_EVERY / 4, ATTEMPT_EVERY * 2);
    let mut next_register = 0u64;
    while log.size() < size {
        let pos = log.size();
        if pos >= next_attempt {
            log.offline_im(names);
            next_attempt = pos + log.rng.range(ATTEMPT_EVERY / 4, ATTEMPT_EVERY * 7 / 4);
        } else if pos >= next_register {
            // Re-REGISTER every few MiB, with provisioning now and then.
            log.register();
            if log.rng.chance(200) {
                log.provisioning();
                log.other_options();
            }
            next_register = pos + log.rng.range(2 << 20, 6 << 20);
        } else {
            match log.rng.below(100) {
                0..=54 => log.noise(),
                55..=84 => log.subscribe_notify(),
                85..=94 => log.im(),
                95..=97 => log.ews_chatter(),
                _ => {
                    // A burst of short records.
                    for _ in 0..log.rng.range(3, 12) {
                        log.noise();
                    }
                }
            }
        }
        log.flush_if_full()?;
    }
    let buf = std::mem::take(&mut log.buf);
    log.file.write_all(&buf)?;
    Ok(())
}

/// The body of a log written to a line schedule: noise, with SIP exchanges
/// so that a packet comes every ~`sip_every` lines of the file and an
/// offline-IM attempt every ~`oim_every` (an event is due once the lines
/// written pass its share, plus a jitter of up to half a gap).
fn write_by_lines(log: &mut Log, size: u64, shape: Shape, names: &[String]) -> io::Result<()> {
    if shape.sip_every > 0 {
        log.register();
    }
    let jitter = |rng: &mut Rng, every: u64| rng.below(every / 2 + 1);
    let mut sip_jitter = jitter(log.rng, shape.sip_every);
    let mut oim_jitter = jitter(log.rng, shape.oim_every);
    while log.size() < size {
        let at = log.st.lines;
        let due = |n: u64, every: u64, j: u64| every > 0 && at >= (n + 1) * every + j;
        if due(log.st.oims, shape.oim_every, oim_jitter) {
            log.offline_im(names);
            log.st.oims += 1;
            oim_jitter = jitter(log.rng, shape.oim_every);
        } else if due(log.st.packets, shape.sip_every, sip_jitter) {
            log.sip_exchange();
            sip_jitter = jitter(log.rng, shape.sip_every);
        } else {
            log.noise();
        }
        log.flush_if_full()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// History Spooler items

/// Unique, reproducible item names: a bijection of the index (odd multiplier
/// mod 2^32) so no two items collide.
fn item_names(k: u64, seed: u64) -> Vec<String> {
    (0..k)
        .map(|i| {
            let v = (i
                .wrapping_mul(0x9E37_79B1)
                .wrapping_add(seed.wrapping_mul(0x51ED)))
                & 0xFFFF_FFFF;
            // Every 20th item is an opaque binary `.dat`.
            if i % 20 == 19 {
                format!("{v:08x}.dat")
            } else {
                format!("{v:08x}.hist")
            }
        })
        .collect()
}

fn write_items(dir: &Path, names: &[String], rng: &mut Rng) -> io::Result<()> {
    let mut buf = Vec::with_capacity(8 << 10);
    for (i, name) in names.iter().enumerate() {
        buf.clear();
        let to = *rng.pick(&CONTACTS);
        let t = START_MS + rng.below(ITEM_SPAN_MS as u64) as i64;
        let body = [
            "Can you send me the Q3 numbers before the review?",
            "Lunch moved to 1pm, see you there",
            "Thanks for the call, contract draft attached tomorrow.",
            "Are we still on for Friday? Let me know when you are back online and I will send the deck.",
        ][rng.below(4) as usize];
        if name.ends_with(".dat") {
            // Opaque: a magic, then binary.
            buf.extend_from_slice(b"OIM\x00\x02\x00");
            let n = rng.range(200, 3000);
            for _ in 0..n / 8 {
                buf.extend_from_slice(&rng.next().to_le_bytes());
            }
        } else {
            match i % 10 {
                0..=5 => mime_item(&mut buf, to, t, body, rng),
                6..=8 => xml_item(&mut buf, to, t, body, rng),
                _ => {
                    // UTF-16LE with BOM, CRLF.
                    let mut s = Vec::new();
                    mime_item(&mut s, to, t, body, rng);
                    let text = String::from_utf8_lossy(&s);
                    buf.extend_from_slice(&[0xFF, 0xFE]);
                    for u in text.encode_utf16() {
                        buf.extend_from_slice(&u.to_le_bytes());
                    }
                }
            }
        }
        fs::write(dir.join(name), &buf)?;
    }
    Ok(())
}

fn mime_item(buf: &mut Vec<u8>, to: &str, t: i64, body: &str, rng: &mut Rng) {
    let _ = write!(
        buf,
        "From: \"Alice Wong\" <sip:{USER}>\r\nTo: <sip:{to}>\r\nDate: {}\r\nSubject: Offline message\r\n\
         X-MS-Message-Class: IM.Note.MissedConversation\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
        rfc2822(t)
    );
    for _ in 0..rng.range(1, 6) {
        buf.extend_from_slice(body.as_bytes());
        buf.extend_from_slice(b"\r\n");
    }
}

fn xml_item(buf: &mut Vec<u8>, to: &str, t: i64, body: &str, rng: &mut Rng) {
    let mut conv = Vec::new();
    rng.hex(&mut conv, 40);
    let _ = write!(
        buf,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<t:Message xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">\n\
  <t:ItemClass>IM.Note.MissedConversation</t:ItemClass>\n\
  <t:Subject>Offline message</t:Subject>\n\
  <t:Body BodyType=\"HTML\">&lt;div&gt;{body}&lt;/div&gt;</t:Body>\n\
  <t:ToRecipients><t:Mailbox><t:Name>Colleague</t:Name><t:EmailAddress>{to}</t:EmailAddress></t:Mailbox></t:ToRecipients>\n\
  <t:From><t:Mailbox><t:Name>Alice Wong</t:Name><t:EmailAddress>{USER}</t:EmailAddress></t:Mailbox></t:From>\n\
  <t:DateTimeSent>{}</t:DateTimeSent>\n\
  <t:ConversationId Id=\"{}\"/>\n\
</t:Message>\n",
        rfc3339(t),
        String::from_utf8_lossy(&conv)
    );
}
