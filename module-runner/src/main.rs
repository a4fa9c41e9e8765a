//! `paperclip-module-runner`: the child process of a module at the `process` isolation level.
//! Started by the module host only — its standard input is the host's socket — never by hand.
//! Its one argument, `--module=<id>`, only names the module in process listings.

use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let socket = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(UnixStream::from)
        .ok()
        .filter(|stream| stream.local_addr().is_ok());
    let Some(socket) = socket else {
        eprintln!(
            "paperclip-module-runner: standard input is not a socket; this program is started by the Paperclip server for modules at the `process` isolation level"
        );
        return ExitCode::from(2);
    };
    match paperclip_module_runner::runner::serve(socket) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paperclip-module-runner: {e}");
            ExitCode::from(2)
        }
    }
}
