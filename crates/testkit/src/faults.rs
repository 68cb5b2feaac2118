//! A fault-injecting HTTP/1.1 proxy in front of a real server (the registry, a fake), so
//! faults hit real traffic: scripted answers (5xx bursts, 429 and secondary-limit 403 with
//! `retry-after`, HTML error pages, non-JSON bodies), connections closed before an answer,
//! answers cut off mid-body, stalls past the client's read timeout, and a server that goes
//! away (every later request closed unanswered).
//!
//! Every request is forwarded on a fresh upstream connection with `Connection: close` and the
//! client's `Host` (so upstream `Location`s point back through the proxy); the answer is
//! relayed byte for byte. A rule matches a substring of `"METHOD /path?query"` and applies to
//! the next `times` matching requests.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// What the proxy does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answers itself with this status, headers and body; upstream never sees the request.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Closes the connection without an answer (after reading the request).
    Reset,
    /// Forwards the request (it takes effect), then closes the connection without an answer:
    /// the answer is lost.
    LoseAnswer,
    /// Forwards, then relays only the first half of the answer's bytes.
    Truncate,
    /// Waits this long before closing without an answer (a stall past the read timeout).
    Stall(Duration),
}

impl Fault {
    /// A bare status with a short JSON body.
    pub fn status(status: u16) -> Fault {
        Fault::Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: format!("{{\"message\":\"injected {status}\"}}"),
        }
    }

    /// A proxy's HTML error page (nginx, Cloudflare) with this status.
    pub fn html(status: u16) -> Fault {
        Fault::Answer {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: format!(
                "<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status}</h1></center><hr><center>nginx</center></body></html>\n::error::PWNED from a proxy page\n"
            ),
        }
    }

    /// 429 with `retry-after: seconds`.
    pub fn too_many_requests(seconds: u64) -> Fault {
        Fault::Answer {
            status: 429,
            headers: vec![
                ("retry-after".into(), seconds.to_string()),
                ("content-type".into(), "application/json".into()),
            ],
            body: "{\"message\":\"rate limited\"}".into(),
        }
    }

    /// GitHub's secondary rate limit: 403 with `retry-after` and GitHub's message.
    pub fn secondary_limit(seconds: u64) -> Fault {
        Fault::Answer {
            status: 403,
            headers: vec![
                ("retry-after".into(), seconds.to_string()),
                ("content-type".into(), "application/json".into()),
            ],
            body: "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.\"}".into(),
        }
    }

    /// 200 with a body that is not JSON.
    pub fn not_json() -> Fault {
        Fault::Answer {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: "<html>definitely not json".into(),
        }
    }
}

struct Rule {
    pattern: String,
    fault: Fault,
    remaining: usize,
}

#[derive(Default)]
struct Script {
    rules: Vec<Rule>,
    injected: usize,
    requests: Vec<String>,
}

/// The proxy; it stops serving when dropped.
pub struct FaultProxy {
    address: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl FaultProxy {
    /// A proxy on a free loopback port forwarding to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let address = listener.local_addr().expect("local address");
        let script = Arc::new(Mutex::new(Script::default()));
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let shared = Arc::downgrade(&script);
        std::thread::Builder::new()
            .name("gantry-fault-proxy".into())
            .spawn(move || {
                for client in listener.incoming() {
                    // The proxy is gone: stop accepting.
                    let Some(script) = shared.upgrade() else {
                        break;
                    };
                    let Ok(client) = client else { continue };
                    let upstream = upstream.clone();
                    std::thread::spawn(move || serve(client, &upstream, &script));
                }
            })
            .expect("spawn the fault proxy");
        FaultProxy { address, script }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The next `times` requests whose `"METHOD /path?query"` contains `pattern` get `fault`.
    pub fn inject(&self, pattern: &str, fault: Fault, times: usize) -> &Self {
        self.lock().rules.push(Rule {
            pattern: pattern.to_owned(),
            fault,
            remaining: times,
        });
        self
    }

    /// Forgets the rules not used up: every request is forwarded again.
    pub fn come_back(&self) {
        self.lock().rules.clear();
    }

    /// Faults applied so far.
    pub fn injected(&self) -> usize {
        self.lock().injected
    }

    /// `"METHOD /path?query"` of every request read, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Wake the accept loop so it sees the script is gone.
        let _ = TcpStream::connect(self.address);
    }
}

fn serve(mut client: TcpStream, upstream: &str, script: &Mutex<Script>) {
    // One request per connection: every answer carries `Connection: close`.
    let Some((head, body)) = read_request(&mut client) else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let target = request_line
        .rsplit_once(' ')
        .map_or(request_line.as_str(), |(target, _)| target)
        .to_owned();
    let fault = {
        let mut script = script.lock().unwrap_or_else(PoisonError::into_inner);
        script.requests.push(target.clone());
        let fault = script
            .rules
            .iter_mut()
            .find(|rule| rule.remaining > 0 && target.contains(&rule.pattern))
            .map(|rule| {
                rule.remaining -= 1;
                rule.fault.clone()
            });
        if fault.is_some() {
            script.injected += 1;
        }
        fault
    };
    match fault {
        None => {
            if let Some(answer) = forward(upstream, &head, &body) {
                let _ = client.write_all(&answer);
            }
        }
        Some(Fault::Answer {
            status,
            headers,
            body,
        }) => {
            let mut answer = format!("HTTP/1.1 {status} Injected\r\n");
            for (name, value) in headers {
                answer.push_str(&format!("{name}: {value}\r\n"));
            }
            answer.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ));
            let _ = client.write_all(answer.as_bytes());
        }
        Some(Fault::Reset) => {}
        Some(Fault::LoseAnswer) => {
            let _ = forward(upstream, &head, &body);
        }
        Some(Fault::Truncate) => {
            if let Some(answer) = forward(upstream, &head, &body) {
                let _ = client.write_all(&answer[..answer.len() / 2]);
            }
        }
        Some(Fault::Stall(wait)) => std::thread::sleep(wait),
    }
    let _ = client.flush();
    let _ = client.shutdown(Shutdown::Both);
}

/// The request head (through the blank line, as text) and its `Content-Length` body.
fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let read = client.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = header(&head, "content-length")
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(0);
    assert!(
        header(&head, "transfer-encoding").is_none(),
        "the fault proxy does not take chunked requests:\n{head}"
    );
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let read = client.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((head, body))
}

/// Sends the request upstream with `Connection: close` and returns the whole raw answer.
fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    let mut rewritten = String::new();
    for line in head.trim_end_matches("\r\n").split("\r\n") {
        let name = line.split(':').next().unwrap_or_default();
        if !name.eq_ignore_ascii_case("connection") {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str("connection: close\r\n\r\n");
    server.write_all(rewritten.as_bytes()).ok()?;
    server.write_all(body).ok()?;
    server
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).ok()?;
    Some(answer)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// A server that answers every request with `status` and a body echoing the request head,
/// credentials included (`Authorization`, `x-api-key`), as a careless proxy or a debugging
/// endpoint would: gantry must never print what it sent. A request without credentials
/// gets `401` with a `Basic` challenge, so registry clients send theirs.
/// The server lives as long as the test process.
pub struct EchoServer {
    address: SocketAddr,
}

impl EchoServer {
    pub fn start(status: u16) -> EchoServer {
        let address = serve_each(move |mut client, head| {
            let lower = head.to_ascii_lowercase();
            let credentials =
                lower.contains("\r\nauthorization:") || lower.contains("\r\nx-api-key:");
            let (status, challenge) = if credentials {
                (status, "")
            } else {
                (401, "www-authenticate: Basic realm=\"echo\"\r\n")
            };
            // Credentials first, so no truncation of the error body hides them.
            let (secret, rest): (Vec<&str>, Vec<&str>) = head.split("\r\n").partition(|line| {
                let line = line.to_ascii_lowercase();
                line.starts_with("authorization:") || line.starts_with("x-api-key:")
            });
            let echoed = format!("{} | {}", secret.join(" | "), rest.join(" | "));
            let body = format!("{{\"message\":\"you sent: {}\"}}", echoed.escape_default());
            let answer = format!(
                "HTTP/1.1 {status} Echo\r\n{challenge}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes());
            let _ = client.shutdown(Shutdown::Both);
        });
        EchoServer { address }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    /// `run` failed (exit 1) and its log shows the echoed `header` line (e.g.
    /// `authorization: Basic `), so a secret scan of it had the credentials to find.
    pub fn assert_echoed(run: &crate::Run, header: &str) {
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(
            run.stderr.contains(&format!("you sent: {header}")),
            "no echoed {header:?} in:\n{}",
            run.stderr
        );
    }
}

/// Serves every connection on a loopback port with `answer`, on a thread of its own, once
/// the request head is read. Lives as long as the test process.
fn serve_each(answer: impl Fn(TcpStream, String) + Clone + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback server");
    let address = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                if let Some((head, _)) = read_request(&mut client) {
                    answer(client, head);
                }
            });
        }
    });
    address
}

/// How a [`HostileServer`] answers every request.
#[derive(Debug, Clone)]
pub enum Hostile {
    /// 401 with `WWW-Authenticate: Bearer realm="<realm>",service="hostile"`: a registry that
    /// names a token service of its choosing.
    Challenge(String),
    /// This status (302, 307, …) with `Location: <url>`.
    Redirect(u16, String),
    /// 200 announcing a megabyte, then one byte every interval.
    Drip(Duration),
    /// 200 with this many bytes, unannounced (no `content-length`; the body ends when the
    /// connection closes), so only a reader that counts can stop it.
    Huge(u64),
}

/// A loopback server answering every request in one hostile way, keeping each request head
/// it saw (credentials included) for the test to check.
pub struct HostileServer {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl HostileServer {
    pub fn start(hostile: Hostile) -> HostileServer {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = Arc::clone(&seen);
        let address = serve_each(move |mut client, head| {
            record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(head);
            let _ = hostile_answer(&mut client, &hostile);
            let _ = client.shutdown(Shutdown::Both);
        });
        HostileServer { address, seen }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `127.0.0.1:PORT`, the registry part of an image it serves.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    /// A registry whose 401 names a token service on another host (`localhost`), and that
    /// token service: `(registry, realm)`. Both keep what they were sent.
    pub fn with_realm_elsewhere() -> (HostileServer, HostileServer) {
        let realm = HostileServer::start(Hostile::Challenge("unused".into()));
        let registry = HostileServer::start(Hostile::Challenge(format!(
            "{}/token",
            realm.url_as_localhost()
        )));
        (registry, realm)
    }

    /// `http://localhost:PORT`: the same server under another host name.
    pub fn url_as_localhost(&self) -> String {
        format!("http://localhost:{}", self.address.port())
    }

    /// Every request head received so far.
    pub fn requests(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn hostile_answer(client: &mut TcpStream, hostile: &Hostile) -> std::io::Result<()> {
    match hostile {
        Hostile::Challenge(realm) => client.write_all(
            format!(
                "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer realm=\"{realm}\",service=\"hostile\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
        Hostile::Redirect(status, location) => client.write_all(
            format!(
                "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
        Hostile::Drip(interval) => {
            client.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n")?;
            loop {
                client.write_all(b" ")?;
                std::thread::sleep(*interval);
            }
        }
        Hostile::Huge(bytes) => {
            client.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
            )?;
            let block = vec![b' '; 1 << 20];
            let mut sent = 0;
            while sent < *bytes {
                let part = block.len().min(usize::try_from(bytes - sent).unwrap_or(usize::MAX));
                client.write_all(&block[..part])?;
                sent += part as u64;
            }
            Ok(())
        }
    }
}

/// One fault of a fault-injection table: the next `times` requests matching `pattern` get
/// `fault`.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub pattern: &'static str,
    pub fault: Fault,
    pub times: usize,
}

impl Scenario {
    pub fn new(name: &'static str, pattern: &'static str, fault: Fault, times: usize) -> Self {
        Scenario {
            name,
            pattern,
            fault,
            times,
        }
    }
}

/// What a run under a fault did.
pub struct Injected {
    /// It exited 0.
    pub completed: bool,
    /// Faults it met.
    pub faults: usize,
    pub run: crate::Run,
}

/// Runs `run` with `scenario` injected through `proxy`, then clears the faults. The binary
/// must complete (0) or fail cleanly with an error annotation: 1, or 2 for a malformed
/// success answer (bad input from the server); never a panic or a signal.
pub fn inject(
    proxy: &FaultProxy,
    scenario: &Scenario,
    run: impl FnOnce() -> crate::Run,
) -> Injected {
    let before = proxy.injected();
    proxy.inject(scenario.pattern, scenario.fault.clone(), scenario.times);
    let result = run();
    proxy.come_back();
    let met = proxy.injected() - before;
    assert!(
        met > 0,
        "{}: no request matched {:?}; requests: {:?}",
        scenario.name,
        scenario.pattern,
        proxy.requests()
    );
    let malformed_success = matches!(
        scenario.fault,
        Fault::Answer {
            status: 200..=299,
            ..
        }
    );
    let injected = Injected {
        completed: result.code == 0,
        faults: met,
        run: result,
    };
    match injected.run.code {
        0 => injected,
        2 if !malformed_success => panic!(
            "{}: exit 2 (bad input) for a fault that is not a bad answer:\n{}",
            scenario.name, injected.run.stderr
        ),
        1 | 2 => {
            assert!(
                injected.run.stderr.contains("::error"),
                "{}: a failure without an error annotation:\n{}",
                scenario.name,
                injected.run.stderr
            );
            injected
        }
        code => panic!(
            "{}: exit {code}, expected 0, 1 or 2:\n{}",
            scenario.name, injected.run.stderr
        ),
    }
}
