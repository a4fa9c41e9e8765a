//! Errors of core operations, each mapping to one HTTP status.

use crate::db::DatabaseError;

/// Why a core operation did not happen. Every variant means nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input is invalid; `field` names the offending JSON field (camelCase).
    #[error("{message}")]
    Validation {
        /// The JSON field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The addressed entity does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// Kind of entity, e.g. `agent`.
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The write conflicts with the current state (e.g. deleting an agent with reports).
    #[error("{message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// A database error that is not the caller's fault.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// The database could not be reached.
    #[error(transparent)]
    Unavailable(#[from] DatabaseError),
}

impl CoreError {
    /// A validation error on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> CoreError {
        CoreError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A missing entity.
    pub fn not_found(entity: &'static str, id: impl Into<String>) -> CoreError {
        CoreError::NotFound {
            entity,
            id: id.into(),
        }
    }

    /// A conflict with the current state.
    pub fn conflict(message: impl Into<String>) -> CoreError {
        CoreError::Conflict {
            message: message.into(),
        }
    }
}
