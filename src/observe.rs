//! The observation core: what following real processes takes, whoever started them. A lesson's
//! run ([`crate::engine`]) and a trace ([`crate::trace`]) are its two clients; each keeps only
//! what is its own (how its processes start, what their reports mean).
//!
//! - [`clock`]: the shared `CLOCK_MONOTONIC` and a run's milliseconds;
//! - [`procfs`]: a process's state, parent and core from `/proc`, reported only when they change;
//! - [`lines`]: pipes and byte streams split into capped lines;
//! - [`exit`]: how a process ended ([`exit::ExitStatus`]), from `wait` or from its zombie;
//! - [`emitter`] and [`outbox`]: where events go, queued so that the observer never waits for
//!   whoever reads them, and whether anyone still listens;
//! - [`controls`]: pause, resume, kill and stop requests, and the interrupt flag;
//! - [`ready`]: waiting on many descriptors at once;
//! - [`runner`]: a run in a background thread, read through a [`runner::RunHandle`].

pub(crate) mod clock;
pub(crate) mod controls;
pub(crate) mod emitter;
pub(crate) mod exit;
pub(crate) mod lines;
pub(crate) mod outbox;
pub(crate) mod procfs;
pub(crate) mod ready;
pub(crate) mod runner;
