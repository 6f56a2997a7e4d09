//! proclab: a terminal lab that teaches multiprocessing with real processes.
//!
//! Layers, each knowing only those below it: [`lesson`] (data) → [`engine`] and [`worker`]
//! (real processes, producing [`event::Event`]s; [`engine`] and [`trace`] are the two clients of
//! one observation core, `observe`) → [`record`] (a run as a value, the text report)
//! → `cli` and `tui` (what people see).

#![warn(missing_docs)]

pub mod bench;
pub mod cli;
pub mod engine;
pub mod event;
pub mod exercise;
pub mod export;
pub mod files;
pub mod lesson;
pub mod limits;
pub(crate) mod notes;
mod observe;
pub mod progress;
pub mod protocol;
pub mod record;
pub mod recording;
pub mod scaffold;
pub(crate) mod state;
pub mod task;
pub mod text;
pub mod trace;
pub mod tui;
pub(crate) mod watch;
pub mod worker;
