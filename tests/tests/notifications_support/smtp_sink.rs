//! A local SMTP server that receives notification mails: plain text on `127.0.0.1`, one thread,
//! one session at a time. It speaks what a client needs to send a mail — greeting, `EHLO`/`HELO`
//! (advertising `AUTH PLAIN LOGIN`), `AUTH PLAIN` and `AUTH LOGIN`, `MAIL FROM`, `RCPT TO`,
//! `DATA` (with dot-unstuffing), `RSET`, `NOOP`, `QUIT` — no TLS. Each mail is recorded with
//! its envelope, the login used and its body (quoted-printable decoded).

use paperclip_e2e::wait_until;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A mail the sink received.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// The `EHLO`/`HELO` argument.
    pub helo: String,
    /// `(username, password)` of `AUTH`, if the client logged in.
    pub login: Option<(String, String)>,
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The `Subject:` header.
    pub subject: String,
    /// The body (after the headers), decoded when quoted-printable.
    pub body: String,
}

struct State {
    mails: Mutex<Vec<Mail>>,
    stop: AtomicBool,
}

/// The running sink; stopped on drop.
pub struct SmtpSink {
    port: u16,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts the sink on a free port.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let state = Arc::new(State {
            mails: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let thread_state = state.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = session(stream, &thread_state);
                }
            }
        });
        SmtpSink {
            port,
            state,
            thread: Some(thread),
        }
    }

    /// The port it listens on (host `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every mail so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.state.mails.lock().unwrap().clone()
    }

    /// Waits until `count` mails arrived; returns them.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        wait_until(&format!("{count} mails"), timeout, || {
            let mails = self.mails();
            (mails.len() >= count).then_some(mails)
        })
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One SMTP session.
fn session(stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut mail = Mail::default();
    let mut pending_login: Option<String> = None;
    write!(out, "220 sink.test ESMTP ready\r\n")?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        // AUTH LOGIN: the username, then the password, each base64 on its own line.
        if let Some(username) = pending_login.take() {
            if username.is_empty() {
                pending_login = Some(base64_text(line));
                write!(out, "334 UGFzc3dvcmQ6\r\n")?;
            } else {
                mail.login = Some((username, base64_text(line)));
                write!(out, "235 2.7.0 authenticated\r\n")?;
            }
            continue;
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            mail.helo = line[4..].trim().to_string();
            write!(
                out,
                "250-sink.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n"
            )?;
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = line[10..].trim();
            let decoded = base64_text(encoded);
            let mut parts = decoded.split('\0').skip(1);
            let user = parts.next().unwrap_or_default().to_string();
            let pass = parts.next().unwrap_or_default().to_string();
            mail.login = Some((user, pass));
            write!(out, "235 2.7.0 authenticated\r\n")?;
        } else if upper.starts_with("AUTH LOGIN") {
            pending_login = Some(String::new());
            write!(out, "334 VXNlcm5hbWU6\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = address(&line[10..]);
            write!(out, "250 2.1.0 ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(address(&line[8..]));
            write!(out, "250 2.1.5 ok\r\n")?;
        } else if upper == "DATA" {
            write!(out, "354 end with <CRLF>.<CRLF>\r\n")?;
            let data = read_data(&mut reader)?;
            let (subject, body) = parse_message(&data);
            mail.subject = subject;
            mail.body = body;
            state.mails.lock().unwrap().push(mail.clone());
            let helo = mail.helo.clone();
            let login = mail.login.clone();
            mail = Mail {
                helo,
                login,
                ..Mail::default()
            };
            write!(out, "250 2.0.0 queued\r\n")?;
        } else if upper == "QUIT" {
            write!(out, "221 2.0.0 bye\r\n")?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write!(out, "250 2.0.0 ok\r\n")?;
        } else {
            write!(out, "502 5.5.2 command not implemented\r\n")?;
        }
    }
}

/// The lines of a `DATA` section up to the lone `.`, dot-unstuffed, joined with `\n`.
fn read_data(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "." {
            break;
        }
        lines.push(line.strip_prefix('.').unwrap_or(line).to_string());
    }
    Ok(lines.join("\n"))
}

/// The `Subject` header and the body of a message (decoded when quoted-printable).
fn parse_message(data: &str) -> (String, String) {
    let (headers, body) = data.split_once("\n\n").unwrap_or((data, ""));
    let mut subject = String::new();
    let mut quoted_printable = false;
    for header in headers.lines() {
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "subject" => subject = value.trim().to_string(),
                "content-transfer-encoding" => {
                    quoted_printable = value.trim().eq_ignore_ascii_case("quoted-printable")
                }
                _ => {}
            }
        }
    }
    let body = if quoted_printable {
        decode_quoted_printable(body)
    } else {
        body.to_string()
    };
    (subject, body)
}

/// `<a@b>` (with optional parameters after it) → `a@b`.
fn address(text: &str) -> String {
    let text = text.trim();
    match (text.find('<'), text.find('>')) {
        (Some(open), Some(close)) if open < close => text[open + 1..close].to_string(),
        _ => text.to_string(),
    }
}

/// Quoted-printable: soft line breaks removed, `=XX` decoded (as UTF-8).
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 decoded as UTF-8 text (invalid characters skipped).
fn base64_text(encoded: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in encoded.bytes() {
        let Some(value) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        bits = (bits << 6) | value as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn helpers_decode_what_clients_send() {
    assert_eq!(base64_text("AGJvdABzM2NyZXQ="), "\0bot\0s3cret");
    assert_eq!(address(" <ops@example.com> SIZE=100"), "ops@example.com");
    assert_eq!(decode_quoted_printable("a=3Db =\nc"), "a=b c");
    let (subject, body) =
        parse_message("Subject: Hi\nContent-Transfer-Encoding: 7bit\n\nline 1\nline 2");
    assert_eq!((subject.as_str(), body.as_str()), ("Hi", "line 1\nline 2"));
}
