//! Remembers what `check_statement` answered for a given SQL text. Module SQL is mostly fixed
//! text sent again and again with new parameters, and a check costs a thread start, a parse
//! and a walk; the answer depends only on the text, the backend and the guard.

use std::collections::HashMap;
use std::fmt;

use parking_lot::Mutex;

use super::{Backend, CheckedStatement, SqlGuardError};

/// Most bytes of statement text (keys and the checked text kept in answers) the cache of one
/// guard holds, both backends together. When the next answer would pass it the cache starts
/// over: modules that build SQL text dynamically then cost a check per call, as without a
/// cache, but never unbounded memory.
pub(super) const MAX_CACHED_BYTES: usize = 4 << 20;

/// A statement longer than this is checked every time, never kept: a module's fixed SQL is far
/// shorter, and a few huge texts would otherwise push out all the useful answers.
pub(super) const MAX_CACHED_STATEMENT: usize = 64 << 10;

type Answer = Result<CheckedStatement, SqlGuardError>;

/// The answers of one guard, one map per backend, and their size in bytes.
#[derive(Default)]
pub(super) struct CheckCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    answers: [HashMap<String, Answer>; 2],
    /// Bytes of text held: each key plus the text of its answer.
    bytes: usize,
}

fn slot(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    }
}

/// Bytes an entry holds: the key and the statement text (or message) of its answer.
fn entry_bytes(sql: &str, answer: &Answer) -> usize {
    sql.len()
        + match answer {
            Ok(checked) => checked.sql.len(),
            // Messages quote parts of the statement at most once or twice.
            Err(error) => error.to_string().len(),
        }
}

impl CheckCache {
    /// The answer given earlier for `sql` on `backend`, if any.
    pub(super) fn get(&self, sql: &str, backend: Backend) -> Option<Answer> {
        if sql.len() > MAX_CACHED_STATEMENT {
            return None;
        }
        self.state.lock().answers[slot(backend)].get(sql).cloned()
    }

    /// Keeps an answer. A guard that could not run (`Unavailable`) is not an answer; a
    /// statement over [`MAX_CACHED_STATEMENT`] bytes is not kept.
    pub(super) fn put(&self, sql: &str, backend: Backend, answer: &Answer) {
        if matches!(answer, Err(SqlGuardError::Unavailable { .. }))
            || sql.len() > MAX_CACHED_STATEMENT
        {
            return;
        }
        let bytes = entry_bytes(sql, answer);
        if bytes > MAX_CACHED_BYTES {
            return;
        }
        let mut state = self.state.lock();
        if state.answers[slot(backend)].contains_key(sql) {
            return;
        }
        if state.bytes + bytes > MAX_CACHED_BYTES {
            state.answers = Default::default();
            state.bytes = 0;
        }
        state.bytes += bytes;
        state.answers[slot(backend)].insert(sql.to_string(), answer.clone());
    }

    /// Bytes of text held now.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.state.lock().bytes
    }
}

impl fmt::Debug for CheckCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("CheckCache")
            .field("sqlite", &state.answers[0].len())
            .field("postgres", &state.answers[1].len())
            .field("bytes", &state.bytes)
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

    fn answer_for(sql: &str) -> Answer {
        Ok(CheckedStatement {
            sql: sql.to_string(),
            kind: super::super::StatementKind::Read,
            returns_rows: true,
            param_count: 0,
        })
    }

    #[test]
    fn a_full_cache_starts_over_and_stays_within_its_bytes() {
        let cache = CheckCache::default();
        // Statements of 60 KiB: just under the per-statement limit.
        let text = |n: usize| format!("SELECT {n} /*{}*/", "x".repeat(60 << 10));
        let per_entry = entry_bytes(&text(0), &answer_for(&text(0)));
        let fit = MAX_CACHED_BYTES / per_entry;
        for n in 0..fit {
            cache.put(&text(n), Backend::Sqlite, &answer_for(&text(n)));
            assert!(cache.bytes() <= MAX_CACHED_BYTES);
        }
        assert_eq!(
            cache.get(&text(0), Backend::Sqlite),
            Some(answer_for(&text(0)))
        );
        cache.put(&text(fit), Backend::Postgres, &answer_for(&text(fit)));
        assert!(cache.bytes() <= MAX_CACHED_BYTES);
        assert_eq!(cache.get(&text(0), Backend::Sqlite), None);
        assert_eq!(
            cache.get(&text(fit), Backend::Postgres),
            Some(answer_for(&text(fit)))
        );
        // Many small statements never pass the byte bound either.
        for n in 0..100_000 {
            cache.put(&format!("SELECT {n}"), Backend::Sqlite, &answer(n));
        }
        assert!(cache.bytes() <= MAX_CACHED_BYTES);
    }

    #[test]
    fn a_statement_over_the_limit_is_not_kept() {
        let cache = CheckCache::default();
        let huge = format!("SELECT 1 /*{}*/", "x".repeat(MAX_CACHED_STATEMENT));
        cache.put(&huge, Backend::Sqlite, &answer_for(&huge));
        assert_eq!(cache.get(&huge, Backend::Sqlite), None);
        assert_eq!(cache.bytes(), 0);
        let refused = Err(SqlGuardError::Empty);
        cache.put(&huge, Backend::Postgres, &refused);
        assert_eq!(cache.get(&huge, Backend::Postgres), None);
    }

    #[test]
    fn putting_the_same_text_twice_counts_it_once() {
        let cache = CheckCache::default();
        cache.put("SELECT 1", Backend::Sqlite, &answer(1));
        let once = cache.bytes();
        cache.put("SELECT 1", Backend::Sqlite, &answer(1));
        assert_eq!(cache.bytes(), once);
    }
}
