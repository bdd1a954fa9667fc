//! A real SMTP server for the mail tests: `mailin-embedded` on a loopback port, in threads of
//! its own, keeping every message it accepts. The application talks to it over TCP exactly as
//! to any mail server (EHLO, MAIL, RCPT, DATA). [`MailServer::reserve`] picks a port with no
//! server yet, so a test can queue mail while the server is down and start it later.

use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::{response, Handler, Response, Server, SslConfig};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender and recipients.
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body, CRLF line ends).
    pub raw: String,
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

#[derive(Clone)]
struct Recorder {
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
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
        };
        self.inbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(mail);
        response::OK
    }
}

/// A running SMTP server on loopback (or a reserved port where one will run).
pub struct MailServer {
    port: u16,
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl MailServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> MailServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an SMTP port");
        Self::serve(listener)
    }

    /// A free loopback port with nothing listening yet; [`MailServer::start_on`] starts a server
    /// there later. (The port is released; the test starts the server soon after.)
    pub fn reserve() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("reserve a port")
            .port()
    }

    /// Starts a server on `port` (from [`MailServer::reserve`]).
    pub fn start_on(port: u16) -> MailServer {
        let listener = TcpListener::bind((IpAddr::from([127, 0, 0, 1]), port))
            .expect("bind the reserved SMTP port");
        Self::serve(listener)
    }

    fn serve(listener: TcpListener) -> MailServer {
        let port = listener.local_addr().expect("address").port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder {
            inbox: inbox.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::spawn(move || {
            let mut server = Server::new(recorder);
            server
                .with_name("mail.test")
                .with_num_threads(4)
                .with_tcp_listener(listener);
            if let Err(e) = server.with_ssl(SslConfig::None).map(|_| ()) {
                panic!("SMTP server: {e}");
            }
            let _ = server.serve();
        });
        MailServer { port, inbox }
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
        self.inbox.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
