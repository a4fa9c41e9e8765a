//! Remembers what `check_statement` answered for a given SQL text. Module SQL is mostly fixed
//! text sent again and again with new parameters, and a check costs a thread start, a parse
//! and a walk; the answer depends only on the text, the backend and the guard.

use std::collections::HashMap;
use std::fmt;

use parking_lot::Mutex;

use super::{Backend, CheckedStatement, SqlGuardError};

/// Entries kept per backend. When full the cache starts over: modules that build SQL text
/// dynamically then cost a check per call, as without a cache, but never unbounded memory.
const CAPACITY: usize = 512;

type Answer = Result<CheckedStatement, SqlGuardError>;

/// The answers of one guard, one map per backend.
#[derive(Default)]
pub(super) struct CheckCache {
    answers: Mutex<[HashMap<String, Answer>; 2]>,
}

fn slot(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    }
}

impl CheckCache {
    /// The answer given earlier for `sql` on `backend`, if any.
    pub(super) fn get(&self, sql: &str, backend: Backend) -> Option<Answer> {
        self.answers.lock()[slot(backend)].get(sql).cloned()
    }

    /// Keeps an answer. A guard that could not run (`Unavailable`) is not an answer.
    pub(super) fn put(&self, sql: &str, backend: Backend, answer: &Answer) {
        if matches!(answer, Err(SqlGuardError::Unavailable { .. })) {
            return;
        }
        let mut answers = self.answers.lock();
        let map = &mut answers[slot(backend)];
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(sql.to_string(), answer.clone());
    }
}

impl fmt::Debug for CheckCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let answers = self.answers.lock();
        f.debug_struct("CheckCache")
            .field("sqlite", &answers[0].len())
            .field("postgres", &answers[1].len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(n: usize) -> Answer {
        Ok(CheckedStatement {
            sql: format!("SELECT {n}"),
            kind: super::super::StatementKind::Read,
            returns_rows: true,
            param_count: 0,
        })
    }

    #[test]
    fn answers_are_kept_per_backend() {
        let cache = CheckCache::default();
        cache.put("SELECT 1", Backend::Sqlite, &answer(1));
        assert_eq!(cache.get("SELECT 1", Backend::Sqlite), Some(answer(1)));
        assert_eq!(cache.get("SELECT 1", Backend::Postgres), None);
    }

    #[test]
    fn unavailable_is_not_kept() {
        let cache = CheckCache::default();
        let unavailable = Err(SqlGuardError::Unavailable {
            reason: "no threads".to_string(),
        });
        cache.put("SELECT 1", Backend::Sqlite, &unavailable);
        assert_eq!(cache.get("SELECT 1", Backend::Sqlite), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = CheckCache::default();
        for n in 0..CAPACITY {
            cache.put(&format!("SELECT {n}"), Backend::Sqlite, &answer(n));
        }
        assert_eq!(cache.get("SELECT 0", Backend::Sqlite), Some(answer(0)));
        cache.put("SELECT x", Backend::Sqlite, &answer(9));
        assert_eq!(cache.get("SELECT 0", Backend::Sqlite), None);
        assert_eq!(cache.get("SELECT x", Backend::Sqlite), Some(answer(9)));
    }
}
