//! A real SMTP server for the mail tests: mailin's SMTP sessions on a loopback port, in threads
//! of its own, keeping every message it accepts. The application talks to it over TCP exactly as
//! to any mail server (EHLO, MAIL, RCPT, DATA). [`MailServer::reserve`] picks a port with no
//! server yet, so a test can queue mail while the server is down and start it later.
//!
//! [`MailServer::setup`] starts one that offers STARTTLS or speaks TLS from the first byte, with
//! a server certificate for `localhost` and `127.0.0.1` signed by a private [`TestCa`] made at
//! test time, and that can require AUTH PLAIN or LOGIN with one user and password; it records
//! every login attempt and whether each message came over TLS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{response, Action, AuthMechanism, Handler, Response, Session, SessionBuilder};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The name the server gives in its greeting.
const NAME: &str = "mail.test";

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender and recipients.
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body, CRLF line ends).
    pub raw: String,
    /// Whether it came over TLS (after STARTTLS, or TLS from the first byte).
    pub tls: bool,
}

impl ReceivedMail {
    /// The headers, unfolded: one `(name, value)` per header.
    pub fn headers(&self) -> Vec<(String, String)> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let mut out: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = out.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                out.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        out
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body with quoted-printable undone (soft breaks joined, `=XX` decoded).
    pub fn body(&self) -> String {
        let body = self
            .raw
            .split_once("\r\n\r\n")
            .map(|x| x.1)
            .unwrap_or_default();
        decode_quoted_printable(body)
    }

    /// The first absolute link in the body whose path starts with `path` (`/password-reset/…`).
    pub fn link(&self, path: &str) -> Option<String> {
        let body = self.body();
        body.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .find(|w| {
                w.splitn(4, '/')
                    .nth(3)
                    .is_some_and(|rest| format!("/{rest}").starts_with(path))
            })
            .map(|w| w.replace("&amp;", "&"))
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A private certificate authority made at test time, and a server certificate it signed for
/// `localhost` and `127.0.0.1`: what an operator's relay on a private CA looks like. Its
/// [`TestCa::pem`] is what `GUILDHALL_SMTP_CA_FILE` holds.
pub struct TestCa {
    pem: String,
    server: Arc<ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut ca_params = rcgen::CertificateParams::default();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Guildhall test mail CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = rcgen::KeyPair::generate().expect("a CA key");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("the CA");

        let mut leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server certificate names");
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = rcgen::KeyPair::generate().expect("a server key");
        let leaf = leaf_params
            .signed_by(&leaf_key, &*ca)
            .expect("the server certificate");

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .expect("the server's TLS configuration");
        TestCa {
            pem: ca.pem(),
            server: Arc::new(server),
        }
    }

    /// The CA's certificate, PEM-encoded.
    pub fn pem(&self) -> &str {
        &self.pem
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// An AUTH mechanism the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
}

/// One AUTH attempt as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    pub mechanism: Mechanism,
    pub user: String,
    pub password: String,
    /// Whether the user and password were the ones the server requires.
    pub accepted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    StartTls,
    Wrapper,
}

/// How a [`MailServer`] is set up: see [`MailServer::setup`].
#[derive(Default)]
pub struct Setup {
    tls: Option<(TlsMode, Arc<ServerConfig>)>,
    login: Option<(String, String, Vec<Mechanism>)>,
}

impl Setup {
    /// Offers STARTTLS with `ca`'s server certificate.
    pub fn starttls(mut self, ca: &TestCa) -> Setup {
        self.tls = Some((TlsMode::StartTls, ca.server.clone()));
        self
    }

    /// Speaks TLS from the first byte (the `smtps://` port) with `ca`'s server certificate.
    pub fn tls_from_the_start(mut self, ca: &TestCa) -> Setup {
        self.tls = Some((TlsMode::Wrapper, ca.server.clone()));
        self
    }

    /// Requires AUTH with `user` and `password` by one of `mechanisms` before any mail (offered,
    /// as servers do, only once the connection is under TLS).
    pub fn require_login(mut self, user: &str, password: &str, mechanisms: &[Mechanism]) -> Setup {
        self.login = Some((user.to_string(), password.to_string(), mechanisms.to_vec()));
        self
    }

    /// Starts the server on a free loopback port.
    pub fn start(self) -> MailServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an SMTP port");
        MailServer::serve(listener, self)
    }
}

#[derive(Default)]
struct Shared {
    inbox: Mutex<Vec<ReceivedMail>>,
    logins: Mutex<Vec<LoginAttempt>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The handler of one connection.
struct Recorder {
    shared: Arc<Shared>,
    login: Option<(String, String)>,
    /// Set once the connection is under TLS.
    tls: Arc<AtomicBool>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Recorder {
    fn check_login(&mut self, mechanism: Mechanism, user: &str, password: &str) -> Response {
        let accepted = self
            .login
            .as_ref()
            .is_some_and(|(u, p)| u == user && p == password);
        lock(&self.shared.logins).push(LoginAttempt {
            mechanism,
            user: user.to_string(),
            password: password.to_string(),
            accepted,
        });
        if accepted {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

impl Handler for Recorder {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            raw: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
            tls: self.tls.load(Ordering::SeqCst),
        };
        lock(&self.shared.inbox).push(mail);
        response::OK
    }

    fn auth_plain(&mut self, _authorization_id: &str, user: &str, password: &str) -> Response {
        self.check_login(Mechanism::Plain, user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check_login(Mechanism::Login, user, password)
    }
}

/// What a conversation ended with.
#[derive(PartialEq, Eq)]
enum Next {
    Done,
    UpgradeTls,
}

/// Reads commands and answers them until the client quits, goes away, or asks for STARTTLS.
fn converse<S: Read + Write>(
    session: &mut Session<Recorder>,
    conn: &mut BufReader<S>,
) -> std::io::Result<Next> {
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        if conn.read_until(b'\n', &mut line)? == 0 {
            return Ok(Next::Done);
        }
        let res = session.process(&line);
        match res.action {
            Action::NoReply => {}
            Action::Reply => reply(conn.get_mut(), &res)?,
            Action::Close => {
                reply(conn.get_mut(), &res)?;
                return Ok(Next::Done);
            }
            Action::UpgradeTls => {
                reply(conn.get_mut(), &res)?;
                return Ok(Next::UpgradeTls);
            }
        }
    }
}

fn reply<W: Write>(out: &mut W, res: &Response) -> std::io::Result<()> {
    res.write_to(out)?;
    out.flush()
}

type TlsStream = StreamOwned<ServerConnection, TcpStream>;

fn accept_tls(config: &Arc<ServerConfig>, tcp: TcpStream) -> std::io::Result<TlsStream> {
    let conn = ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// One client connection, from the greeting to the end.
fn session(
    tcp: TcpStream,
    tls: Option<(TlsMode, Arc<ServerConfig>)>,
    login: Option<(String, String, Vec<Mechanism>)>,
    shared: Arc<Shared>,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
    let remote = tcp.peer_addr()?.ip();
    let under_tls = Arc::new(AtomicBool::new(false));
    let mut builder = SessionBuilder::new(NAME);
    if tls.is_some() {
        builder.enable_start_tls();
    }
    for m in login.iter().flat_map(|(_, _, m)| m) {
        builder.enable_auth(match m {
            Mechanism::Plain => AuthMechanism::Plain,
            Mechanism::Login => AuthMechanism::Login,
        });
    }
    let recorder = Recorder {
        shared,
        login: login.map(|(u, p, _)| (u, p)),
        tls: under_tls.clone(),
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut session = builder.build(remote, recorder);
    match tls {
        Some((TlsMode::Wrapper, config)) => {
            // TLS from the first byte: the session is secure before the greeting, so EHLO
            // offers AUTH and no STARTTLS.
            let mut conn = BufReader::new(accept_tls(&config, tcp)?);
            session.tls_active();
            under_tls.store(true, Ordering::SeqCst);
            reply(conn.get_mut(), &session.greeting())?;
            converse(&mut session, &mut conn)?;
            close_tls(conn.into_inner());
        }
        tls => {
            let mut conn = BufReader::new(tcp);
            reply(conn.get_mut(), &session.greeting())?;
            if converse(&mut session, &mut conn)? == Next::UpgradeTls {
                let Some((_, config)) = tls else {
                    return Ok(());
                };
                // The client waits for the 220 before its handshake: nothing is buffered.
                let mut conn = BufReader::new(accept_tls(&config, conn.into_inner())?);
                session.tls_active();
                under_tls.store(true, Ordering::SeqCst);
                converse(&mut session, &mut conn)?;
                close_tls(conn.into_inner());
            }
        }
    }
    Ok(())
}

fn close_tls(mut stream: TlsStream) {
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

/// A running SMTP server on loopback (or a reserved port where one will run).
pub struct MailServer {
    port: u16,
    shared: Arc<Shared>,
}

impl MailServer {
    /// Starts a plain server (no STARTTLS, no AUTH) on a free loopback port.
    pub fn start() -> MailServer {
        Self::setup().start()
    }

    /// A server with TLS or AUTH: `MailServer::setup().starttls(&ca).require_login(…).start()`.
    pub fn setup() -> Setup {
        Setup::default()
    }

    /// A free loopback port with nothing listening yet; [`MailServer::start_on`] starts a server
    /// there later. (The port is released; the test starts the server soon after.)
    pub fn reserve() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("reserve a port")
            .port()
    }

    /// Starts a plain server on `port` (from [`MailServer::reserve`]).
    pub fn start_on(port: u16) -> MailServer {
        let listener = TcpListener::bind((IpAddr::from([127, 0, 0, 1]), port))
            .expect("bind the reserved SMTP port");
        Self::serve(listener, Setup::default())
    }

    fn serve(listener: TcpListener, setup: Setup) -> MailServer {
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        let server_shared = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(tcp) = conn else { continue };
                let tls = setup.tls.clone();
                let login = setup.login.clone();
                let shared = server_shared.clone();
                std::thread::spawn(move || {
                    // A client that goes away or fails its handshake ends its own session.
                    let _ = session(tcp, tls, login, shared);
                });
            }
        });
        MailServer { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `GUILDHALL_SMTP_URL` of this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.inbox).clone()
    }

    /// Every AUTH attempt so far.
    pub fn logins(&self) -> Vec<LoginAttempt> {
        lock(&self.shared.logins).clone()
    }

    /// Messages received so far for `address`.
    pub fn received_by(&self, address: &str) -> Vec<ReceivedMail> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (bounded) for the `n`-th message to `address` and returns it.
    pub async fn wait_for(&self, address: &str, n: usize) -> ReceivedMail {
        crate::eventually(
            &format!("mail #{n} to {address}"),
            Duration::from_secs(20),
            Duration::from_millis(50),
            || async {
                let got = self.received_by(address);
                got.get(n - 1)
                    .cloned()
                    .ok_or_else(|| format!("{} mail(s)", got.len()))
            },
        )
        .await
    }
}

/// The `GUILDHALL_SMTP_URL` for a reserved port.
pub fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}
