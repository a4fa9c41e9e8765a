//! A module process's standard output and error: read line by line (a line is cut at
//! [`MAX_LINE_BYTES`], so a module writing without newlines cannot grow the host's memory),
//! logged tagged with the module id, and — for standard error — the last lines kept for the
//! admin API (a panic message before an abort, say).

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;

/// Longest line kept from a module process's output.
pub const MAX_LINE_BYTES: usize = 2048;

/// Lines of standard error kept.
pub const KEPT_LINES: usize = 20;

/// The last lines a module's processes wrote to standard error, oldest first, across restarts.
#[derive(Debug, Default)]
pub struct OutputTail {
    lines: Mutex<VecDeque<String>>,
}

impl OutputTail {
    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().iter().cloned().collect()
    }

    fn push(&self, line: String) {
        let mut lines = self.lines.lock();
        if lines.len() == KEPT_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}

/// Which stream of the child is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// Standard output: logged only.
    Stdout,
    /// Standard error: logged and kept.
    Stderr,
}

/// Reads `pipe` until the child closes it, on a thread of its own.
pub fn drain_output(
    module_id: &str,
    pipe: impl Read + Send + 'static,
    stream: OutputStream,
    tail: Arc<OutputTail>,
) {
    let module_id = module_id.to_string();
    let spawned = std::thread::Builder::new()
        .name(format!("module-{stream:?}").to_lowercase())
        .spawn(move || read_lines(pipe, |line| {
            match stream {
                OutputStream::Stdout => {
                    tracing::info!(target: "paperclip::module", module = %module_id, "stdout: {line}")
                }
                OutputStream::Stderr => {
                    tracing::warn!(target: "paperclip::module", module = %module_id, "stderr: {line}");
                    tail.push(line);
                }
            }
        }));
    if let Err(e) = spawned {
        tracing::error!("cannot read a module process's output: {e}");
    }
}

/// Calls `each` with every line of `pipe` (without its newline, cut at [`MAX_LINE_BYTES`]).
fn read_lines(mut pipe: impl Read, mut each: impl FnMut(String)) {
    let mut buffer = [0u8; 8192];
    let mut line = Vec::new();
    let mut cut = false;
    loop {
        let n = match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &buffer[..n] {
            if byte == b'\n' {
                each(finish(&mut line, &mut cut));
            } else if line.len() < MAX_LINE_BYTES {
                line.push(byte);
            } else {
                cut = true;
            }
        }
    }
    if !line.is_empty() {
        each(finish(&mut line, &mut cut));
    }
}

fn finish(line: &mut Vec<u8>, cut: &mut bool) -> String {
    let mut text = String::from_utf8_lossy(line).into_owned();
    if *cut {
        text.push_str(" …");
    }
    line.clear();
    *cut = false;
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_and_long_ones_cut() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let input = format!("first\n{long}\nlast without newline");
        let mut lines = Vec::new();
        read_lines(input.as_bytes(), |line| lines.push(line));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "first");
        assert_eq!(lines[1], format!("{} …", "x".repeat(MAX_LINE_BYTES)));
        assert_eq!(lines[2], "last without newline");
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        let tail = OutputTail::default();
        for i in 0..KEPT_LINES + 5 {
            tail.push(format!("line {i}"));
        }
        let lines = tail.lines();
        assert_eq!(lines.len(), KEPT_LINES);
        assert_eq!(lines[0], "line 5");
    }
}
