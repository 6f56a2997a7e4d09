//! Every statement a lesson makes about what its live run, or its `program.py`, shows is checked
//! here by running it: `proclab run <lesson> --json` (repeatedly where the claim is statistical),
//! and the program copied, edited as a "try this" says, and run with the CPythons this machine
//! has (the oldest and the newest at least). Each test names the words it checks with `says`, so
//! changing the text without the test fails. Claims about times need a release build and are
//! ignored in debug: `cargo test --release --test lesson_claims`.

mod common;

#[path = "lesson_claims/support.rs"]
mod support;

#[path = "lesson_claims/affinity.rs"]
mod affinity;
#[path = "lesson_claims/chunksize.rs"]
mod chunksize;
#[path = "lesson_claims/cpu_speedup.rs"]
mod cpu_speedup;
#[path = "lesson_claims/crashes.rs"]
mod crashes;
#[path = "lesson_claims/four_prints.rs"]
mod four_prints;
#[path = "lesson_claims/pool_pids.rs"]
mod pool_pids;
#[path = "lesson_claims/pool_sleep.rs"]
mod pool_sleep;
#[path = "lesson_claims/process_create.rs"]
mod process_create;
#[path = "lesson_claims/processes_vs_threads.rs"]
mod processes_vs_threads;
#[path = "lesson_claims/shared_state.rs"]
mod shared_state;
#[path = "lesson_claims/start_methods.rs"]
mod start_methods;
#[path = "lesson_claims/what_is_multiprocessing.rs"]
mod what_is_multiprocessing;
#[path = "lesson_claims/zombies.rs"]
mod zombies;
