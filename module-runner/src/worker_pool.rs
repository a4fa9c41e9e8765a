//! A pool of threads for calls that may block for long (a module's handler, a host database
//! call): `keep` threads wait for work; when every thread is busy, one more is started for the
//! new job (so a call never waits behind another, which could deadlock when one call waits for
//! an answer the other would produce), and threads beyond `keep` end once they find no work.
//! Dropping the pool lets its threads end once the queued jobs ran.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Threads running submitted jobs.
pub struct WorkerPool {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    keep: usize,
    state: Mutex<State>,
    work: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Threads waiting for work.
    idle: usize,
    /// Threads alive.
    threads: usize,
    /// The pool was dropped: threads end when the queue is empty.
    closed: bool,
}

impl WorkerPool {
    /// A pool whose threads are named `name` and of which `keep` stay when idle.
    pub fn new(name: &str, keep: usize) -> WorkerPool {
        WorkerPool {
            shared: Arc::new(Shared {
                name: name.to_string(),
                keep,
                state: Mutex::new(State::default()),
                work: Condvar::new(),
            }),
        }
    }

    /// Runs `job` on a pool thread, starting one when none is free.
    pub fn submit(&self, job: impl FnOnce() + Send + 'static) {
        let mut state = self.shared.lock();
        state.queue.push_back(Box::new(job));
        if state.idle >= state.queue.len() {
            self.shared.work.notify_one();
            return;
        }
        state.threads += 1;
        drop(state);
        let shared = self.shared.clone();
        let spawned = std::thread::Builder::new()
            .name(self.shared.name.clone())
            .spawn(move || shared.work_loop());
        if spawned.is_err() {
            // No thread could be made (resource limit): an existing one will take the job.
            self.shared.lock().threads -= 1;
            self.shared.work.notify_one();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn work_loop(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job();
                state = self.lock();
                continue;
            }
            if state.closed || state.threads > self.keep {
                state.threads -= 1;
                return;
            }
            state.idle += 1;
            state = self.work.wait(state).unwrap_or_else(|e| e.into_inner());
            state.idle -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn jobs_blocked_on_each_other_all_run() {
        // Job 1 waits for job 2's signal: with one thread only, this would never end.
        let pool = WorkerPool::new("test", 1);
        let (to_first, first_waits) = channel::<()>();
        let (done, all_done) = channel::<&str>();
        let done_first = done.clone();
        pool.submit(move || {
            first_waits.recv().unwrap();
            done_first.send("first").unwrap();
        });
        pool.submit(move || {
            to_first.send(()).unwrap();
            done.send("second").unwrap();
        });
        let mut finished = vec![
            all_done.recv_timeout(Duration::from_secs(10)).unwrap(),
            all_done.recv_timeout(Duration::from_secs(10)).unwrap(),
        ];
        finished.sort();
        assert_eq!(finished, ["first", "second"]);
    }
}
