//! `oimdiag probe` and `scan --probe` against servers these tests start on
//! 127.0.0.1 (TLS with rcgen certificates made at test time, plain HTTP, a
//! DNS server for SRV): each accepts a bounded number of connections, lives
//! a bounded time, and asserts that no `Authorization` header ever arrived.

mod common;

use common::TestEnv;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test server lives at most.
const SERVER_LIFE: Duration = Duration::from_secs(120);

const NEGOTIATE_NTLM: &str = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate, NTLM\r\n\
     x-ms-diagnostics: 2000004;reason=\"no credentials\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct Server {
    port: u16,
    credentials_seen: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How a server behaves on each connection.
#[derive(Clone)]
enum Behaviour {
    /// Reads the request, sends this answer, closes.
    Answer(&'static str),
    /// Accepts, then never sends a byte (holds the connection open).
    Silent,
}

impl Server {
    /// Serves at most `max_conns` connections on 127.0.0.1, over TLS with
    /// `cert` when given.
    fn start(cert: Option<&Cert>, behaviour: Behaviour, max_conns: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let tls = cert.map(|c| c.server_config());
        let credentials_seen = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (cs, cn, hs, st) = (
            Arc::clone(&credentials_seen),
            Arc::clone(&connections),
            Arc::clone(&heads),
            Arc::clone(&stop),
        );
        let thread = std::thread::spawn(move || {
            let born = Instant::now();
            let mut held = Vec::new();
            while !st.load(Ordering::SeqCst)
                && born.elapsed() < SERVER_LIFE
                && cn.load(Ordering::SeqCst) < max_conns
            {
                let (sock, _) = match listener.accept() {
                    Ok(s) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                cn.fetch_add(1, Ordering::SeqCst);
                sock.set_nonblocking(false).unwrap();
                match &behaviour {
                    Behaviour::Silent => held.push(sock),
                    Behaviour::Answer(a) => {
                        let head = serve_one(sock, tls.clone(), a);
                        if head.to_ascii_lowercase().contains("\nauthorization:") {
                            cs.store(true, Ordering::SeqCst);
                        }
                        hs.lock().unwrap().push(head);
                    }
                }
            }
            // Silent connections are held until the test is done with them.
            while !held.is_empty() && !st.load(Ordering::SeqCst) && born.elapsed() < SERVER_LIFE {
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Server {
            port,
            credentials_seen,
            connections,
            heads,
            stop,
            thread: Some(thread),
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if !std::thread::panicking() {
            assert!(
                !self.credentials_seen.load(Ordering::SeqCst),
                "an Authorization header reached the test server on port {}",
                self.port
            );
        }
    }
}

/// Reads one request (head and body), answers, and returns the head.
fn serve_one(sock: TcpStream, tls: Option<Arc<rustls::ServerConfig>>, answer: &str) -> String {
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    match tls {
        Some(cfg) => {
            let conn = rustls::ServerConnection::new(cfg).unwrap();
            let mut s = rustls::StreamOwned::new(conn, sock);
            let head = read_request(&mut s);
            let _ = s.write_all(answer.as_bytes());
            s.conn.send_close_notify();
            let _ = s.flush();
            head
        }
        None => {
            let mut s = sock;
            let head = read_request(&mut s);
            let _ = s.write_all(answer.as_bytes());
            head
        }
    }
}

fn read_request(s: &mut impl Read) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !contains(&buf, b"\r\n\r\n") && buf.len() < 64 * 1024 {
        match s.read(&mut b) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let want = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut got = body.len();
    while got < want {
        match s.read(&mut b) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    text
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A self-signed certificate for `names`, made now, and its PEM on disk.
struct Cert {
    der: rustls::pki_types::CertificateDer<'static>,
    key: Vec<u8>,
    pem_file: PathBuf,
}

impl Cert {
    fn new(env: &TestEnv, names: &[&str]) -> Cert {
        let ck = rcgen::generate_simple_self_signed(
            names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        )
        .unwrap();
        let pem_file = env.write_file("ca.pem", ck.cert.pem());
        Cert {
            der: ck.cert.der().clone(),
            key: ck.signing_key.serialize_der(),
            pem_file,
        }
    }

    /// A self-signed CA certificate (CA:TRUE, as `openssl req -x509` makes
    /// them) used as the server's own.
    fn new_ca(env: &TestEnv, names: &[&str]) -> Cert {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let pem_file = env.write_file("ca-itself.pem", cert.pem());
        Cert {
            der: cert.der().clone(),
            key: key.serialize_der(),
            pem_file,
        }
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        #[allow(deprecated)] // ring, as the probe uses
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key.clone().into());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], key)
            .unwrap();
        Arc::new(cfg)
    }
}

struct Probe {
    code: i32,
    json: Value,
    stderr: String,
    elapsed: Duration,
}

/// The proxy variables the probe reads: removed from every test's run, so the
/// machine's own proxy never joins in.
const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// An empty folder given as %LOCALAPPDATA%, so nothing of this machine is
/// read (no EWS URL, no address, no autodiscover). Removing the variable is
/// not enough on Windows: oimdiag then asks the shell's Known Folder, which
/// under Wine in CI holds the sample (alice@contoso.com).
fn no_machine(env: &TestEnv) -> PathBuf {
    let dir = env.root().join("no-machine-localappdata");
    std::fs::create_dir_all(&dir).expect("create the empty %LOCALAPPDATA%");
    dir
}

/// Runs `oimdiag <args> --format json` with no proxy variables and an empty
/// %LOCALAPPDATA% (so nothing of this machine is read).
fn oimdiag(env: &TestEnv, args: &[&str]) -> Probe {
    let mut cmd = Command::new(common::bin());
    cmd.args(args)
        .args(["--format", "json"])
        .current_dir(env.root())
        .env("LOCALAPPDATA", no_machine(env));
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    let r = common::run_child(&mut cmd, &format!("oimdiag {args:?}"), |_| {});
    let json = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr));
    Probe {
        code: r.code,
        json,
        stderr: r.stderr,
        elapsed: r.elapsed,
    }
}

fn rule_ids(j: &Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

fn ews(port: u16, scheme: &str, host: &str) -> String {
    format!("{scheme}://{host}:{port}/EWS/Exchange.asmx")
}

fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_self_signed_certificate_is_oim033_and_nothing_is_sent_over_it() {
    let env = TestEnv::new();
    let cert = Cert::new(&env, &["localhost"]);
    let server = Server::start(Some(&cert), Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let url = ews(server.port, "https", "localhost");
    let p = oimdiag(&env, &["probe", "--ews-url", &url, "--timeout", "10"]);
    assert_eq!(p.code, 1, "{}", p.stderr);
    assert_eq!(rule_ids(&p.json), ["OIM033"]);
    assert_eq!(p.json["summary"]["probable_causes"][0], "OIM033");
    let t = &p.json["probe"]["targets"][0];
    assert_eq!(t["outcome"], "untrusted");
    assert_eq!(t["tls"]["trusted"], false);
    assert_eq!(t["tls"]["host_matches"], true);
    assert!(
        t["tls"]["subject"].as_str().unwrap().contains("rcgen"),
        "{t}"
    );
    assert!(t["tls"]["not_after"].as_str().unwrap().ends_with('Z'));
    let steps: Vec<&str> = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["dns", "tcp", "tls"],
        "no HTTP over a refused certificate"
    );
    assert!(
        server.heads().iter().all(|h| h.is_empty()),
        "{:?}",
        server.heads()
    );
}

#[test]
fn with_the_ca_file_a_401_negotiate_ntlm_is_oim036_with_both_schemes() {
    let env = TestEnv::new();
    let cert = Cert::new(&env, &["localhost"]);
    let server = Server::start(Some(&cert), Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let url = ews(server.port, "https", "localhost");
    let ca = cert.pem_file.to_str().unwrap();
    let p = oimdiag(&env, &["probe", "--ews-url", &url, "--ca-file", ca]);
    assert_eq!(p.code, 0, "OIM036 alone is exit 0: {}", p.stderr);
    assert_eq!(rule_ids(&p.json), ["OIM036"]);
    assert_eq!(p.json["summary"]["verdict"], "healthy");
    assert_eq!(
        p.json["probe"]["auth_schemes"],
        serde_json::json!(["Negotiate", "NTLM"])
    );
    let t = &p.json["probe"]["targets"][0];
    assert_eq!(t["outcome"], "answered");
    assert_eq!(t["status"], 401);
    assert_eq!(t["tls"]["trusted"], true);
    assert_eq!(t["modern_auth"], false);
    assert!(t["diagnostics"][0].as_str().unwrap().starts_with("2000004"));
    let heads = server.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("POST /EWS/Exchange.asmx HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(heads[0].contains(&format!("Host: localhost:{}", server.port)));
}

#[test]
fn a_200_login_form_is_oim034() {
    const LOGIN: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
        Connection: close\r\n\r\n<html><body><form method=\"post\" action=\"/login\">\
        <input name=\"user\"><input type=\"password\" name=\"password\"></form></body></html>";
    let env = TestEnv::new();
    let server = Server::start(None, Behaviour::Answer(LOGIN), 2);
    let url = ews(server.port, "http", "127.0.0.1");
    let p = oimdiag(&env, &["probe", "--ews-url", &url]);
    assert_eq!(p.code, 1, "{}", p.stderr);
    assert_eq!(rule_ids(&p.json), ["OIM034"]);
    let t = &p.json["probe"]["targets"][0];
    assert_eq!(t["outcome"], "not_ews");
    assert_eq!(t["status"], 200);
    let last = t["steps"].as_array().unwrap().last().unwrap();
    assert!(
        last["detail"].as_str().unwrap().contains("login form"),
        "{last}"
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_closed_port_is_oim032() {
    let env = TestEnv::new();
    let url = ews(closed_port(), "https", "127.0.0.1");
    let p = oimdiag(&env, &["probe", "--ews-url", &url, "--timeout", "5"]);
    assert_eq!(p.code, 1, "{}", p.stderr);
    assert_eq!(rule_ids(&p.json), ["OIM032"]);
    let t = &p.json["probe"]["targets"][0];
    assert_eq!(t["steps"][1]["step"], "tcp");
    assert_eq!(t["steps"][1]["ok"], false);
}

#[test]
fn a_server_that_never_answers_is_oim032_within_ten_times_the_timeout() {
    let env = TestEnv::new();
    let server = Server::start(None, Behaviour::Silent, 1);
    let url = ews(server.port, "https", "127.0.0.1");
    let p = oimdiag(&env, &["probe", "--ews-url", &url, "--timeout", "1"]);
    assert!(
        p.elapsed < Duration::from_secs(10),
        "took {:?} with --timeout 1",
        p.elapsed
    );
    assert_eq!(p.code, 1, "{}", p.stderr);
    assert_eq!(rule_ids(&p.json), ["OIM032"]);
    let t = &p.json["probe"]["targets"][0];
    assert_eq!(t["steps"][2]["step"], "tls");
    assert!(t["steps"][2]["detail"]
        .as_str()
        .unwrap()
        .contains("time limit"));
    assert_eq!(server.connections(), 1);
}

#[test]
fn autodiscover_goes_in_the_clients_order_and_stops_at_the_first_that_answers() {
    const NOT_FOUND: &str =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const REDIRECT: &str = "HTTP/1.1 302 Found\r\nLocation: https://autodiscover.contoso.test/autodiscover/autodiscover.xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let env = TestEnv::new();
    let cert = Cert::new(&env, &["autodiscover.contoso.test"]);
    let second = Server::start(Some(&cert), Behaviour::Answer(NOT_FOUND), 2);
    let third = Server::start(None, Behaviour::Answer(REDIRECT), 2);
    let first = closed_port();
    let pins = [
        format!("contoso.test:443:127.0.0.1:{first}"),
        format!("autodiscover.contoso.test:443:127.0.0.1:{}", second.port),
        format!("autodiscover.contoso.test:80:127.0.0.1:{}", third.port),
    ];
    let ca = cert.pem_file.to_str().unwrap();
    let mut args = vec!["probe", "--email", "alice@contoso.test", "--ca-file", ca];
    for p in &pins {
        args.extend(["--connect-to", p.as_str()]);
    }
    let p = oimdiag(&env, &args);
    assert_eq!(p.code, 0, "{}", p.stderr);
    let targets = p.json["probe"]["targets"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t["url"].as_str().unwrap(), t["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "https://contoso.test/autodiscover/autodiscover.xml",
                "unreachable"
            ),
            (
                "https://autodiscover.contoso.test/autodiscover/autodiscover.xml",
                "not_ews"
            ),
            (
                "http://autodiscover.contoso.test/autodiscover/autodiscover.xml",
                "answered"
            ),
        ],
        "no SRV lookup after an answer"
    );
    assert_eq!(rule_ids(&p.json), Vec::<String>::new());
    assert_eq!(p.json["probe"]["address"]["source"], "flag");
    // The HTTPS candidate was asked about the address, with the URL's Host;
    // the HTTP candidate got the redirect method's GET.
    let h2 = second.heads();
    assert!(h2[0].starts_with("POST /autodiscover/autodiscover.xml"));
    assert!(h2[0].contains("Host: autodiscover.contoso.test\r\n"));
    assert!(h2[0].contains("<EMailAddress>alice@contoso.test</EMailAddress>"));
    let h3 = third.heads();
    assert!(
        h3[0].starts_with("GET /autodiscover/autodiscover.xml"),
        "{}",
        h3[0]
    );
}

/// Answers `_autodiscover._tcp.contoso.test` SRV with `mail.contoso.test`
/// on `port`, and `mail.contoso.test` A with 127.0.0.1; NXDOMAIN to the rest.
struct Dns {
    port: u16,
    stop: Arc<AtomicBool>,
    asked: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Dns {
    fn start(srv_port: u16) -> Dns {
        use hickory_proto::op::{Message, MessageType, ResponseCode};
        use hickory_proto::rr::rdata::{A, SRV};
        use hickory_proto::rr::{Name, RData, Record, RecordType};
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let port = sock.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (st, ak) = (Arc::clone(&stop), Arc::clone(&asked));
        let thread = std::thread::spawn(move || {
            let born = Instant::now();
            let mut buf = [0u8; 2048];
            let mut answered = 0;
            while !st.load(Ordering::SeqCst) && born.elapsed() < SERVER_LIFE && answered < 50 {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(q) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                answered += 1;
                let mut m = Message::new();
                m.set_id(q.id())
                    .set_message_type(MessageType::Response)
                    .set_recursion_available(true);
                let Some(query) = q.queries().first().cloned() else {
                    continue;
                };
                let name = query.name().to_ascii().to_ascii_lowercase();
                ak.lock()
                    .unwrap()
                    .push(format!("{} {}", query.query_type(), name));
                m.add_query(query.clone());
                match (query.query_type(), name.as_str()) {
                    (RecordType::SRV, "_autodiscover._tcp.contoso.test.") => {
                        let target = Name::from_ascii("mail.contoso.test.").unwrap();
                        m.add_answer(Record::from_rdata(
                            query.name().clone(),
                            60,
                            RData::SRV(SRV::new(0, 0, srv_port, target)),
                        ));
                    }
                    (RecordType::A, "mail.contoso.test.") => {
                        m.add_answer(Record::from_rdata(
                            query.name().clone(),
                            60,
                            RData::A(A::new(127, 0, 0, 1)),
                        ));
                    }
                    (RecordType::AAAA, "mail.contoso.test.") => {}
                    _ => {
                        m.set_response_code(ResponseCode::NXDomain);
                    }
                }
                let _ = sock.send_to(&m.to_vec().unwrap(), from);
            }
        });
        Dns {
            port,
            stop,
            asked,
            thread: Some(thread),
        }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn the_srv_record_is_found_through_dns_server() {
    let env = TestEnv::new();
    let cert = Cert::new(&env, &["mail.contoso.test"]);
    let server = Server::start(Some(&cert), Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let dns = Dns::start(server.port);
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    let ca = cert.pem_file.to_str().unwrap();
    let p = oimdiag(
        &env,
        &[
            "probe",
            "--email",
            "alice@contoso.test",
            "--dns-server",
            &dns_addr,
            "--ca-file",
            ca,
            "--timeout",
            "5",
        ],
    );
    assert_eq!(p.code, 0, "{}", p.stderr);
    let targets = p.json["probe"]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 4, "{targets:?}");
    for t in &targets[..3] {
        assert_eq!(t["outcome"], "unreachable");
        assert!(t["steps"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("NXDOMAIN"));
    }
    let srv = &targets[3];
    assert_eq!(
        srv["url"],
        format!(
            "https://mail.contoso.test:{}/autodiscover/autodiscover.xml",
            server.port
        )
    );
    assert_eq!(srv["outcome"], "answered");
    assert!(srv["steps"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("SRV _autodiscover._tcp.contoso.test"));
    assert!(!rule_ids(&p.json).contains(&"OIM035".to_string()));
    let asked = dns.asked.lock().unwrap().clone();
    assert!(
        asked.contains(&"SRV _autodiscover._tcp.contoso.test.".to_string()),
        "{asked:?}"
    );
    assert_eq!(server.connections(), 1);
}

/// A collected tree whose log names an EWS URL on a listener this test owns.
fn tree_naming(env: &TestEnv, url: &str) -> PathBuf {
    let t = common::now() - chrono::Duration::minutes(30);
    let mut log = common::register_and_480(t, "alice@contoso.test", "bob@contoso.test");
    log.push_str(&common::log_record(
        t + chrono::Duration::seconds(5),
        &format!("EWS: POST {url} CreateItem -> 503 Service Unavailable"),
    ));
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        log,
    );
    env.spooler("alice@contoso.test");
    env.path("Microsoft")
}

#[test]
fn a_plain_scan_never_connects_and_scan_probe_does_from_this_machine() {
    let env = TestEnv::new();
    let server = Server::start(None, Behaviour::Answer(NEGOTIATE_NTLM), 4);
    let url = ews(server.port, "http", "127.0.0.1");
    let tree = tree_naming(&env, &url);
    let tree = tree.to_str().unwrap();
    let now = common::rfc3339(common::now());
    let plain = oimdiag(&env, &["scan", tree, "--now", &now, "--quiet"]);
    assert_eq!(
        plain.json["facts"]["ews_url"],
        url.as_str(),
        "the log was read"
    );
    assert!(plain.json["probe"].is_null());
    // Give a connection that was made every chance to be counted.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.connections(), 0, "a plain scan opened a connection");

    let probed = oimdiag(&env, &["scan", tree, "--now", &now, "--quiet", "--probe"]);
    assert_eq!(server.connections(), 1);
    let pr = &probed.json["probe"];
    assert_eq!(pr["targets"][0]["url"], url.as_str());
    assert_eq!(
        pr["targets"][0]["reason"],
        "an EWS URL the client's logs name"
    );
    assert_eq!(pr["probed_from"]["vantage"], "not_the_scanned_machine");
    assert!(pr["probed_from"]["note"]
        .as_str()
        .unwrap()
        .contains("not the user's machine"));
    assert_eq!(pr["address"]["value"], "alice@contoso.test");
    assert_eq!(pr["address"]["source"], "sip");
    assert!(rule_ids(&probed.json).contains(&"OIM036".to_string()));
}

#[test]
fn an_unreadable_ca_file_is_a_usage_error() {
    let env = TestEnv::new();
    let missing = env.path("nope.pem");
    let mut cmd = Command::new(common::bin());
    cmd.args([
        "probe",
        "--ews-url",
        "https://127.0.0.1:1/EWS/Exchange.asmx",
    ])
    .arg("--ca-file")
    .arg(&missing)
    .env("LOCALAPPDATA", no_machine(&env));
    let r = common::run_child(&mut cmd, "probe --ca-file missing", |_| {});
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--ca-file"), "{}", r.stderr);
    let _ = Path::new(&missing);
}

#[test]
fn a_self_signed_ca_certificate_is_trusted_when_it_is_itself_in_the_ca_file() {
    let env = TestEnv::new();
    let cert = Cert::new_ca(&env, &["localhost"]);
    let server = Server::start(Some(&cert), Behaviour::Answer(NEGOTIATE_NTLM), 3);
    let url = ews(server.port, "https", "localhost");
    let without = oimdiag(&env, &["probe", "--ews-url", &url]);
    assert_eq!(rule_ids(&without.json), ["OIM033"]);
    let problem = &without.json["probe"]["targets"][0]["tls"]["problem"];
    assert!(problem.as_str().unwrap().contains("CA:TRUE"), "{problem}");
    let ca = cert.pem_file.to_str().unwrap();
    let with = oimdiag(&env, &["probe", "--ews-url", &url, "--ca-file", ca]);
    assert_eq!(rule_ids(&with.json), ["OIM036"], "{}", with.stderr);
    assert_eq!(with.code, 0);
}

#[test]
fn redact_hides_the_hosts_and_the_address_the_probe_names() {
    let env = TestEnv::new();
    let server = Server::start(None, Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let url = ews(server.port, "http", "mail.contoso.test");
    let pin = format!("mail.contoso.test:{}:127.0.0.1", server.port);
    let closed = format!("contoso.test:443:127.0.0.1:{}", closed_port());
    let p = oimdiag(
        &env,
        &[
            "probe",
            "--ews-url",
            &url,
            "--resolve",
            &pin,
            "--email",
            "alice@contoso.test",
            "--connect-to",
            &closed,
            "--dns-server",
            "127.0.0.1:9",
            "--timeout",
            "2",
            "--redact",
        ],
    );
    let text = p.json.to_string();
    assert_eq!(
        p.json["probe"]["targets"][0]["outcome"], "answered",
        "{text}"
    );
    for secret in ["contoso", "alice"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(p.json["redacted"], true);
}

#[test]
fn the_html_page_shows_the_probe_targets_and_steps() {
    let env = TestEnv::new();
    let url = ews(closed_port(), "https", "127.0.0.1");
    let mut cmd = Command::new(common::bin());
    cmd.args([
        "probe",
        "--ews-url",
        &url,
        "--format",
        "html",
        "--timeout",
        "5",
    ])
    .env("LOCALAPPDATA", no_machine(&env))
    .current_dir(env.root());
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    let r = common::run_child(&mut cmd, "probe --format html", |_| {});
    assert_eq!(r.code, 1, "{}", r.stderr);
    let page = scraper::Html::parse_document(&r.stdout);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let target = page
        .select(&sel("section#probe div.target"))
        .next()
        .expect("a target in the probe section");
    assert_eq!(target.value().attr("data-outcome"), Some("unreachable"));
    let cells: Vec<String> = target
        .select(&sel("td"))
        .map(|c| c.text().collect::<String>())
        .collect();
    assert!(cells.contains(&"tcp".to_string()), "{cells:?}");
    assert!(cells.contains(&"FAILED".to_string()), "{cells:?}");
    // A probe alone has no evidence sections.
    assert!(page.select(&sel("section#coverage")).next().is_none());
    assert!(page
        .select(&sel("section#OIM032, div#OIM032"))
        .next()
        .is_some());
}

#[test]
fn probe_alone_reads_this_machines_logs_for_the_ews_url_and_spool_items_for_the_address() {
    let env = TestEnv::new();
    let server = Server::start(None, Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let url = ews(server.port, "http", "127.0.0.1");
    tree_naming(&env, &url);
    // An EWS-style item's From is an SMTP address (here in another domain
    // than the SIP address).
    env.write_item(
        "alice@contoso.test",
        "7f3a9c.xml",
        common::xml_item("t", "bob@contoso.test", None),
    );
    // Autodiscover asks only this server (NXDOMAIN): nothing leaves the machine.
    let dns = Dns::start(1);
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    let mut cmd = Command::new(common::bin());
    cmd.args(["probe", "--format", "json", "--dns-server", &dns_addr])
        .args(["--timeout", "5"])
        .current_dir(env.root())
        .env("LOCALAPPDATA", env.root());
    for v in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
        cmd.env_remove(v);
    }
    for v in ["ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"] {
        cmd.env_remove(v);
    }
    let r = common::run_child(&mut cmd, "probe with LOCALAPPDATA", |_| {});
    let j: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let p = &j["probe"];
    assert_eq!(p["targets"][0]["url"], url.as_str(), "{p}");
    assert_eq!(
        p["targets"][0]["reason"],
        "an EWS URL the client's logs name"
    );
    assert_eq!(p["targets"][0]["outcome"], "answered");
    assert_eq!(p["address"]["value"], "alice@contoso.com");
    assert_eq!(p["address"]["source"], "spool_item");
    assert_eq!(p["probed_from"]["vantage"], "this_machine");
    assert_eq!(rule_ids(&j), ["OIM035", "OIM036"]);
    assert_eq!(r.code, 1, "OIM035 is a warning");
    // The envelope judges the probe alone: nothing of the logs is listed.
    assert_eq!(j["spool_items"].as_array().unwrap().len(), 0);
    assert_eq!(server.connections(), 1);
}

#[test]
fn probe_options_without_probe_are_a_usage_error_for_scan() {
    let env = TestEnv::new();
    env.spooler("alice@contoso.test");
    let mut cmd = Command::new(common::bin());
    cmd.arg("scan")
        .arg(env.root())
        .args(["--email", "alice@contoso.test"])
        .env("LOCALAPPDATA", no_machine(&env));
    let r = common::run_child(&mut cmd, "scan --email", |_| {});
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("--email") && r.stderr.contains("--probe"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_trusted_certificate_for_another_name_or_expired_is_oim033() {
    let env = TestEnv::new();
    // For another name than the URL's host.
    let other = Cert::new(&env, &["mail.contoso.test"]);
    let server = Server::start(Some(&other), Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let url = ews(server.port, "https", "localhost");
    let ca = other.pem_file.to_str().unwrap().to_string();
    let p = oimdiag(&env, &["probe", "--ews-url", &url, "--ca-file", &ca]);
    assert_eq!(rule_ids(&p.json), ["OIM033"]);
    let tls = &p.json["probe"]["targets"][0]["tls"];
    assert_eq!(tls["host_matches"], false, "{tls}");
    assert!(
        tls["problem"].as_str().unwrap().contains("another name"),
        "{tls}"
    );
    drop(server);

    // Expired yesterday.
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let expired = Cert {
        der: cert.der().clone(),
        key: key.serialize_der(),
        pem_file: env.write_file("expired.pem", cert.pem()),
    };
    let server = Server::start(Some(&expired), Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let url = ews(server.port, "https", "localhost");
    let ca = expired.pem_file.to_str().unwrap();
    let p = oimdiag(&env, &["probe", "--ews-url", &url, "--ca-file", ca]);
    assert_eq!(rule_ids(&p.json), ["OIM033"]);
    let tls = &p.json["probe"]["targets"][0]["tls"];
    assert_eq!(tls["expired"], true, "{tls}");
    assert_eq!(tls["not_after"], "2021-01-01T00:00:00Z");
    assert_eq!(tls["problem"], "expired", "{tls}");
}

#[test]
fn hybrid_modern_auth_and_x_ms_diagnostics_are_read_from_a_real_shaped_401() {
    const HYBRID: &str = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", authorization_uri=\"https://login.windows.net/common/oauth2/authorize\", error=\"invalid_token\",Negotiate,NTLM,Basic realm=\"autodiscover.contoso.com\"\r\nx-ms-diagnostics: 2000004;reason=\"The hostname component of the audience claim value is invalid.\";error_category=\"invalid_tenant\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let env = TestEnv::new();
    let server = Server::start(None, Behaviour::Answer(HYBRID), 2);
    let url = ews(server.port, "http", "127.0.0.1");
    let p = oimdiag(&env, &["probe", "--ews-url", &url]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    let t = &p.json["probe"]["targets"][0];
    assert_eq!(
        t["auth_schemes"],
        serde_json::json!(["Bearer", "Negotiate", "NTLM", "Basic"])
    );
    assert_eq!(t["modern_auth"], true);
    assert_eq!(
        t["authorization_uri"],
        "https://login.windows.net/common/oauth2/authorize"
    );
    assert!(t["diagnostics"][0]
        .as_str()
        .unwrap()
        .contains("invalid_tenant"));
    let oim036 = &p.json["findings"][0];
    assert!(oim036["message"]
        .as_str()
        .unwrap()
        .contains("hybrid modern auth"));
}

#[test]
fn the_proxy_from_the_environment_is_used_and_reported() {
    const FORBIDDEN: &str =
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let env = TestEnv::new();
    let proxy = Server::start(None, Behaviour::Answer(NEGOTIATE_NTLM), 2);
    let refusing = Server::start(None, Behaviour::Answer(FORBIDDEN), 2);
    let run = |proxy_var: &str, port: u16, url: &str| {
        let mut cmd = Command::new(common::bin());
        cmd.args([
            "probe",
            "--format",
            "json",
            "--ews-url",
            url,
            "--timeout",
            "5",
        ])
        .current_dir(env.root())
        .env("LOCALAPPDATA", no_machine(&env));
        for v in PROXY_VARS {
            cmd.env_remove(v);
        }
        cmd.env(proxy_var, format!("http://127.0.0.1:{port}"));
        let r = common::run_child(&mut cmd, "probe through a proxy", |_| {});
        serde_json::from_str::<Value>(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
    };
    // Plain HTTP goes to the proxy in absolute form (the name is the proxy's to resolve).
    let j = run(
        "HTTP_PROXY",
        proxy.port,
        "http://mail.contoso.test/EWS/Exchange.asmx",
    );
    assert_eq!(
        j["probe"]["proxy"]["http"],
        format!("127.0.0.1:{}", proxy.port)
    );
    assert_eq!(j["probe"]["targets"][0]["outcome"], "answered", "{j}");
    let head = &proxy.heads()[0];
    assert!(
        head.starts_with("POST http://mail.contoso.test/EWS/Exchange.asmx HTTP/1.1\r\n"),
        "{head}"
    );
    // HTTPS asks the proxy to CONNECT; a refusal is its own failed step.
    let j = run(
        "HTTPS_PROXY",
        refusing.port,
        "https://mail.contoso.test/EWS/Exchange.asmx",
    );
    let t = &j["probe"]["targets"][0];
    let last = t["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(last["step"], "proxy", "{t}");
    assert_eq!(last["ok"], false);
    assert_eq!(rule_ids(&j), ["OIM032"]);
    assert!(refusing.heads()[0].starts_with("CONNECT mail.contoso.test:443 HTTP/1.1\r\n"));
}
