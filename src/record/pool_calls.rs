//! A trace's pool and executor calls (`pool_call` events): consecutive calls alike are one row,
//! and the rows are bounded.

use crate::event::Event;

/// Calls a traced program made to a pool or executor, consecutive equal ones counted together.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolCallInfo {
    /// The caller's PID.
    pub pid: u32,
    /// `Pool.map`, `Executor.submit`, …
    pub api: String,
    /// Items it was given, when known.
    pub tasks: Option<u64>,
    /// Its chunksize, for the APIs that have one.
    pub chunksize: Option<u64>,
    /// The pool's or executor's number of workers.
    pub workers: Option<u32>,
    /// How many such calls came one after the other.
    pub times: u64,
}

/// Most rows kept (later calls are only counted).
const MAX_ROWS: usize = 1000;

/// The calls of a run, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolCalls {
    /// At most [`MAX_ROWS`] rows.
    pub rows: Vec<PoolCallInfo>,
    /// Calls made after those rows.
    pub dropped: u64,
}

impl PoolCalls {
    /// `pool_call`: one more call, counted in the last row if it is alike.
    pub(crate) fn called(&mut self, event: &Event) {
        let Event::PoolCall {
            pid,
            api,
            tasks,
            chunksize,
            workers,
            ..
        } = event
        else {
            return;
        };
        let call = PoolCallInfo {
            pid: *pid,
            api: api.clone(),
            tasks: *tasks,
            chunksize: *chunksize,
            workers: *workers,
            times: 1,
        };
        let kept = self.rows.len();
        match self.rows.last_mut() {
            Some(last)
                if PoolCallInfo {
                    times: 1,
                    ..last.clone()
                } == call =>
            {
                last.times += 1
            }
            _ if kept < MAX_ROWS => self.rows.push(call),
            _ => self.dropped += 1,
        }
    }
}
