//! Paperclip server library.
