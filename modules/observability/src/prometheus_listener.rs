//! The Prometheus listener: with `enablePrometheus`, the exposition of `GET /metrics` is also
//! served at `http://<prometheusHost>:<prometheusPort>/metrics`, so a Prometheus server can
//! scrape it without an API key for the main server.
//!
//! A module may run threads of its own; it must stop them in `shutdown`, which the host calls on
//! disable and on server shutdown. This one polls a non-blocking socket and checks a stop flag
//! between connections, so `stop` returns within one poll interval (plus at most one scrape in
//! progress) and the port is free again when it does — a re-enable can bind it right away.
//!
//! The HTTP side is deliberately minimal: one request per connection (`Connection: close`),
//! `GET`/`HEAD` of `/metrics` (or `/`), answered one at a time. That is all a scraper needs.

use crate::prometheus::{render, CONTENT_TYPE};
use module_sdk::{Error, ModuleContext, Result};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long the listener sleeps when no connection is waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Time limits for one scrape, so a stalled client cannot hold up `stop` for long.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest request head read; a scrape request is a few hundred bytes.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// A running listener thread. Stopped by [`PrometheusListener::stop`] or on drop.
pub struct PrometheusListener {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PrometheusListener {
    /// Binds `host:port` and starts serving. A port already in use is an error naming it.
    pub fn start(ctx: ModuleContext, host: &str, port: u16) -> Result<Self> {
        let cannot = |e: io::Error| {
            Error::msg(format!(
                "cannot serve Prometheus metrics on {host}:{port}: {e}"
            ))
        };
        let listener = TcpListener::bind((host, port)).map_err(cannot)?;
        listener.set_nonblocking(true).map_err(cannot)?;
        let address = listener.local_addr().map_err(cannot)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = thread::Builder::new()
            .name("observability-prometheus".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || serve(listener, ctx, stop)
            })
            .map_err(cannot)?;
        Ok(Self {
            address,
            stop,
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops the thread and waits for it; the socket is closed when this returns.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // The thread catches panics per connection, so join only fails if it could not.
            let _ = thread.join();
        }
    }
}

impl Drop for PrometheusListener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The listener thread: accept, answer, repeat until told to stop. The socket is dropped (and
/// the port freed) when this returns.
fn serve(listener: TcpListener, ctx: ModuleContext, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _peer)) => {
                // A panic must not end the thread silently: log it and keep serving.
                match catch_unwind(AssertUnwindSafe(|| answer(stream, &ctx))) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => ctx.log().debug(format!("prometheus scrape failed: {e}")),
                    Err(_) => ctx
                        .log()
                        .error("prometheus listener panicked while answering a scrape"),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL_INTERVAL),
            Err(e) => {
                ctx.log()
                    .warn(format!("prometheus listener cannot accept: {e}"));
                thread::sleep(POLL_INTERVAL);
            }
        }
    }
}

/// Reads one request head and writes one response.
fn answer(mut stream: TcpStream, ctx: &ModuleContext) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let head = read_head(&mut stream)?;
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");

    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics" | "/") => match render(ctx) {
            Ok(text) => ("200 OK", CONTENT_TYPE, text),
            Err(e) => (
                "500 Internal Server Error",
                "text/plain; charset=utf-8",
                format!("cannot render metrics: {e}\n"),
            ),
        },
        (_, "/metrics" | "/") => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET and HEAD are served\n".to_owned(),
        ),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "metrics are at /metrics\n".to_owned(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        response.push_str(&body);
    }
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// Reads until the blank line that ends the request head (scrapes carry no body).
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}
