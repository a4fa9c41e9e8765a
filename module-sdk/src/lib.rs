//! module-sdk
