//! Frames on the host ↔ runner socket: a big-endian `u32` byte length, then that many bytes of
//! `postcard`-encoded message. Frames over [`MAX_FRAME_BYTES`] are refused on both ends with an
//! error naming the size, never allocated.

use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;

/// The largest frame either side sends or accepts: 64 MiB.
pub const MAX_FRAME_BYTES: usize = 64 << 20;

/// Why a frame could not be read or written.
#[derive(Debug)]
pub enum FrameError {
    /// The other side closed the connection (end of file at a frame boundary).
    Closed,
    /// Reading or writing the socket failed.
    Io(io::Error),
    /// A frame's length is over [`MAX_FRAME_BYTES`].
    TooLarge(usize),
    /// The bytes are not a valid message.
    Decode(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Closed => f.write_str("the connection was closed"),
            FrameError::Io(e) => write!(f, "socket error: {e}"),
            FrameError::TooLarge(size) => write!(
                f,
                "a frame of {size} bytes is over the {} MiB limit",
                MAX_FRAME_BYTES >> 20
            ),
            FrameError::Decode(e) => write!(f, "malformed frame: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Encodes `message` as one frame (length prefix included).
pub fn encode_frame<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let mut bytes = postcard::to_extend(message, vec![0u8; 4])
        .map_err(|e| FrameError::Decode(e.to_string()))?;
    let length = bytes.len() - 4;
    if length > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(length));
    }
    bytes[..4].copy_from_slice(&(length as u32).to_be_bytes());
    Ok(bytes)
}

/// Reads one frame from `reader` and decodes it.
pub fn read_frame<T: DeserializeOwned>(reader: &mut impl Read) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    if let Err(e) = reader.read_exact(&mut prefix) {
        return Err(match e.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => FrameError::Closed,
            _ => FrameError::Io(e),
        });
    }
    let length = u32::from_be_bytes(prefix) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(length));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => FrameError::Closed,
        _ => FrameError::Io(e),
    })?;
    postcard::from_bytes(&body).map_err(|e| FrameError::Decode(e.to_string()))
}

/// The sending half of a connection, shared by the threads that answer or call: one frame is
/// written whole before the next starts.
#[derive(Debug)]
pub struct FrameWriter {
    stream: Mutex<UnixStream>,
}

impl FrameWriter {
    /// Writes frames to `stream`.
    pub fn new(stream: UnixStream) -> FrameWriter {
        FrameWriter {
            stream: Mutex::new(stream),
        }
    }

    /// Encodes and sends `message`; a message over the size limit is not sent.
    pub fn send<T: Serialize>(&self, message: &T) -> Result<(), FrameError> {
        let bytes = encode_frame(message)?;
        let mut stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        stream.write_all(&bytes).map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => FrameError::Closed,
            _ => FrameError::Io(e),
        })
    }

    /// Closes both directions of the socket, so the other side reads end of file.
    pub fn close(&self) {
        let stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips() {
        let bytes = encode_frame(&("hello".to_string(), 42u64)).unwrap();
        assert_eq!(&bytes[..4], &((bytes.len() - 4) as u32).to_be_bytes());
        let decoded: (String, u64) = read_frame(&mut bytes.as_slice()).unwrap();
        assert_eq!(decoded, ("hello".to_string(), 42));
    }

    #[test]
    fn an_oversized_length_is_refused_before_allocating() {
        let mut bytes = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(b"xx");
        let err = read_frame::<String>(&mut bytes.as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge(n) if n == MAX_FRAME_BYTES + 1));
        assert_eq!(
            err.to_string(),
            format!(
                "a frame of {} bytes is over the 64 MiB limit",
                MAX_FRAME_BYTES + 1
            )
        );
    }

    #[test]
    fn an_oversized_message_is_not_encoded() {
        let big = vec![7u8; MAX_FRAME_BYTES + 1];
        let err = encode_frame(&text_of_bytes(big)).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge(_)), "{err}");
    }

    #[test]
    fn end_of_file_between_frames_is_closed() {
        let err = read_frame::<String>(&mut [0u8; 0].as_slice()).unwrap_err();
        assert!(matches!(err, FrameError::Closed));
    }

    fn text_of_bytes(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }
}
