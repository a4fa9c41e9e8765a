//! The thread reading one module process's socket: answers to the host's calls go to their
//! waiting callers, the module's host-handle calls to the [`super::host_api_server`], log lines
//! to the log. When the socket closes (the child exited, crashed or was killed), it reaps the
//! child, tells the entry how it ended, and fails the calls still waiting with that.

use super::child_process::ChildProcess;
use super::Shared;
use paperclip_module_runner::framing::{read_frame, FrameError};
use paperclip_module_runner::protocol::FromRunner;
use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

/// Starts the reading thread of `child`.
pub fn start_reader(shared: Arc<Shared>, child: Arc<ChildProcess>, reader: BufReader<UnixStream>) {
    let name = format!("module-process-{}", shared.module_id);
    let spawned = std::thread::Builder::new()
        .name(name)
        .spawn(move || read_until_closed(shared, child, reader));
    if let Err(e) = spawned {
        tracing::error!("cannot start a module process reader: {e}");
    }
}

fn read_until_closed(
    shared: Arc<Shared>,
    child: Arc<ChildProcess>,
    mut reader: BufReader<UnixStream>,
) {
    loop {
        match read_frame::<FromRunner>(&mut reader) {
            Ok(FromRunner::Reply { id, reply }) => {
                child.pending.answer(id, Ok(reply));
            }
            Ok(FromRunner::HostCall { id, call }) => {
                let writer = child.writer.clone();
                let open_transactions = child.open_transactions.clone();
                shared.host_api.serve(id, call, writer, open_transactions);
            }
            Ok(FromRunner::Log { level, message }) => shared.host_api.log(level, &message),
            Ok(other) => {
                tracing::warn!(module = %shared.module_id, "module process sent an unexpected {other:?}; ignored");
            }
            Err(FrameError::Closed) => break,
            Err(e) => {
                tracing::error!(module = %shared.module_id, "module process connection failed: {e}; killing it");
                child.kill(&format!("killed by the host: {e}"));
                break;
            }
        }
    }
    let exit = child.wait_exit(shared.settings.shutdown_timeout);
    let rolled_back = shared.host_api.rollback(&child.open_transactions);
    if rolled_back > 0 {
        tracing::warn!(module = %shared.module_id, rolled_back,
            "rolled back the transactions the module process left open");
    }
    shared.child_ended(child.generation, &exit);
    let message = format!("module process {exit}");
    child.pending.fail_all(|| Err(message.clone()));
}
