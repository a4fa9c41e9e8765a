//! A local HTTP server that receives notification posts: one thread on `127.0.0.1`, each
//! connection one request (it answers `Connection: close`). It records every request and
//! answers 500 to the first `fail_first` ones (or every one), 200 after.

use paperclip_e2e::{wait_until, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request line's method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// `content-type` header.
    pub content_type: String,
    /// The body, parsed as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
}

/// How the sink answers.
#[derive(Debug, Clone, Copy)]
pub struct Failures {
    /// Requests answered with `status` before the sink starts answering 200.
    pub first: usize,
    /// The failure status.
    pub status: u16,
}

struct State {
    received: Mutex<Vec<Received>>,
    failures: Failures,
    stop: AtomicBool,
}

/// The running sink; stopped on drop.
pub struct HttpSink {
    address: String,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl HttpSink {
    /// A sink that answers 200 to everything.
    pub fn start() -> HttpSink {
        HttpSink::failing(Failures {
            first: 0,
            status: 500,
        })
    }

    /// A sink that answers `failures.status` (body "sink is down") to the first
    /// `failures.first` requests.
    pub fn failing(failures: Failures) -> HttpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the HTTP sink");
        let address = listener.local_addr().expect("sink address").to_string();
        let state = Arc::new(State {
            received: Mutex::new(Vec::new()),
            failures,
            stop: AtomicBool::new(false),
        });
        let thread_state = state.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, &thread_state);
                }
            }
        });
        HttpSink {
            address,
            state,
            thread: Some(thread),
        }
    }

    /// The URL of `path` on the sink.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The requests to `path` so far.
    pub fn received_at(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until `path` received `count` requests; returns them.
    pub fn wait_for(&self, path: &str, count: usize, timeout: Duration) -> Vec<Received> {
        wait_until(
            &format!(
                "{count} requests to {path} (got {:?})",
                self.received_at(path)
            ),
            timeout,
            || {
                let got = self.received_at(path);
                (got.len() >= count).then_some(got)
            },
        )
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request from `stream`, records it and answers.
fn serve(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return; // the wake-up connection of `drop`
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    let mut content_type = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "content-type" => content_type = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let number = {
        let mut received = state.received.lock().unwrap();
        received.push(Received {
            method,
            path,
            content_type,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        received.len()
    };
    let (status, text) = if number <= state.failures.first {
        (state.failures.status, "sink is down")
    } else {
        (200, "ok")
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}
