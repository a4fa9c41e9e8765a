//! module_host
