//! The functions a module statement may call, as the engines check them (the SQLite authorizer
//! asks for each function a statement names).

use paperclip_core::db::Backend;

/// Whether module SQL on `backend` may call the function `name` (lower-case).
pub(crate) fn function_allowed(name: &str, backend: Backend) -> bool {
    crate::sql_guard::function_allowed(name, backend)
}
