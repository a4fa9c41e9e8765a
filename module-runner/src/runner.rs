//! The runner's life: greet the host, enter the sandbox, load the module library, then serve
//! the host's calls until it closes the connection.

use crate::framing::{read_frame, FrameError, FrameWriter};
use crate::protocol::{
    FromRunner, ModuleCall, ModuleReply, StartRequest, Started, ToRunner, PROTOCOL_VERSION,
};
use crate::proxy_host::{HostLink, ProxyHost};
use crate::sandbox::enter_sandbox;
use crate::wire_types::{WireErrorKind, WireLoadError, WireModuleError};
use crate::worker_pool::WorkerPool;
use abi_stable::std_types::RStr;
use module_sdk::abi::{load_module_root, HostHandle, ModuleRoot_Ref, RouteRequest, ABI_VERSION};
use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

/// Module calls kept warm on threads (more are started while all are busy).
const CALL_THREADS: usize = 2;

/// Serves the host on `stream` until it closes it; `Err` names a protocol failure.
pub fn serve(stream: UnixStream) -> Result<(), String> {
    let mut reader = BufReader::new(
        stream
            .try_clone()
            .map_err(|e| format!("cannot clone the socket: {e}"))?,
    );
    let writer = Arc::new(FrameWriter::new(stream));
    writer
        .send(&FromRunner::Hello {
            protocol: PROTOCOL_VERSION,
            runner_version: env!("CARGO_PKG_VERSION").to_string(),
            abi_version: ABI_VERSION.to_string(),
        })
        .map_err(|e| format!("cannot greet the host: {e}"))?;
    let request = match read_frame::<ToRunner>(&mut reader) {
        Ok(ToRunner::Start(request)) => request,
        Ok(other) => return Err(format!("expected Start from the host, got {other:?}")),
        Err(FrameError::Closed) => return Ok(()),
        Err(e) => return Err(format!("cannot read Start: {e}")),
    };
    let root = match start(&request) {
        Ok((root, started)) => {
            send(&writer, &FromRunner::Started(Ok(started)))?;
            root
        }
        Err(error) => {
            send(&writer, &FromRunner::Started(Err(error)))?;
            return Ok(());
        }
    };

    let link = Arc::new(HostLink::new(&request.module_id, writer.clone()));
    let host = ProxyHost::handle(link.clone());
    let pool = WorkerPool::new("module-call", CALL_THREADS);
    let outcome = loop {
        match read_frame::<ToRunner>(&mut reader) {
            Ok(ToRunner::Call { id, call }) => {
                let host = host.clone();
                let writer = writer.clone();
                pool.submit(move || {
                    let reply = dispatch(root, &host, call);
                    answer(&writer, id, reply);
                });
            }
            Ok(ToRunner::HostReply { id, reply }) => link.answer(id, reply),
            Ok(ToRunner::Start(_)) => break Err("the host sent Start twice".to_string()),
            Err(FrameError::Closed) => break Ok(()),
            Err(e) => break Err(e.to_string()),
        }
    };
    link.fail_all();
    outcome
}

fn send(writer: &FrameWriter, message: &FromRunner) -> Result<(), String> {
    writer
        .send(message)
        .map_err(|e| format!("cannot answer the host: {e}"))
}

/// Enters the sandbox and loads the library.
fn start(request: &StartRequest) -> Result<(ModuleRoot_Ref, Started), WireLoadError> {
    let sandbox = enter_sandbox(request).map_err(WireLoadError::Sandbox)?;
    let path = request.library_path.clone();
    let root = std::panic::catch_unwind(move || load_module_root(&path))
        .map_err(|_| WireLoadError::Panicked)?
        .map_err(WireLoadError::from)?;
    let describe = root.describe().map(|describe| describe().into_string());
    Ok((root, Started { sandbox, describe }))
}

/// Runs one call on the module's entry points.
fn dispatch(root: ModuleRoot_Ref, host: &HostHandle, call: ModuleCall) -> ModuleReply {
    let outcome = match call {
        ModuleCall::Register { config_json } => {
            (root.register())(host.clone(), RStr::from_str(&config_json))
                .into_result()
                .map(|registration| ModuleReply::Registered(registration.into()))
        }
        ModuleCall::OnHook { hook, payload_json } => {
            (root.on_hook())(RStr::from_str(&hook), RStr::from_str(&payload_json))
                .into_result()
                .map(|()| ModuleReply::Done)
        }
        ModuleCall::HandleRoute(request) => {
            let request = RouteRequest::from(request);
            (root.handle_route())(&request)
                .into_result()
                .map(|response| ModuleReply::Response(response.into()))
        }
        ModuleCall::RunService { name } => (root.run_service())(RStr::from_str(&name))
            .into_result()
            .map(|()| ModuleReply::Done),
        ModuleCall::Shutdown => {
            (root.shutdown())();
            Ok(ModuleReply::Done)
        }
    };
    outcome.unwrap_or_else(|error| ModuleReply::Error(error.into()))
}

/// Sends the answer to call `id`; an answer too large for a frame becomes an error naming it.
fn answer(writer: &FrameWriter, id: u64, reply: ModuleReply) {
    // Any other failure means the host is gone: the reading loop sees it too and ends the runner.
    if let Err(FrameError::TooLarge(size)) = writer.send(&FromRunner::Reply { id, reply }) {
        let error = WireModuleError {
            kind: WireErrorKind::Failed,
            message: format!(
                "the module's answer is {size} bytes, over the {} MiB limit of the module process connection",
                crate::framing::MAX_FRAME_BYTES >> 20
            ),
        };
        let _ = writer.send(&FromRunner::Reply {
            id,
            reply: ModuleReply::Error(error),
        });
    }
}
