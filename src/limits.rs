//! Every limit proclab enforces, in one place.
//!
//! Lesson files, command-line flags and knobs are all checked against these numbers before a
//! single process starts, so no lesson can turn proclab into a fork bomb or a runaway spinner.

/// Most worker processes (or threads) one stage may start.
pub const MAX_WORKERS: u32 = 256;
/// The most cores lessons are checked for: a worker count that follows the cores (`"cores"`,
/// `"cores+N"`, `"cores*N"`) must give 1 to [`MAX_WORKERS`] workers on every machine with 1 to
/// this many cores. On a larger machine such a count stops at [`MAX_WORKERS`].
pub const MAX_CORES: u32 = 128;
/// Most tasks one stage may hold, counting every item of a generated range.
pub const MAX_TASKS: u64 = 200_000;
/// Longest declared duration of one task, in seconds (before `--speed`).
pub const MAX_TASK_SECS: f64 = 600.0;
/// Most iterations of a `count` task.
pub const MAX_COUNT_TIMES: u64 = 100_000_000;
/// Most lines one `print` task may print.
pub const MAX_PRINT_TIMES: u64 = 1_000;
/// Most bytes one `flood` task may print.
pub const MAX_FLOOD_BYTES: u64 = 1024 * 1024 * 1024;
/// Most children one `start_children` task may start.
pub const MAX_CHILD_STARTS: u64 = 1_000;
/// Largest `--speed`.
pub const MAX_SPEED: f64 = 1_000_000.0;
/// Smallest `--speed` (ten times slower).
pub const MIN_SPEED: f64 = 0.1;
/// Most stages one lesson may declare.
pub const MAX_STAGES: usize = 8;
/// Most runs `--repeat` may ask for.
pub const MAX_REPEAT: u32 = 1_000;
/// Longest text of a `print` task, a `before`/`after` line or a parent line, in bytes.
pub const MAX_TEXT_BYTES: usize = 1_000;
/// Largest lesson file proclab reads (lesson.toml, narrative, program), in bytes.
pub const MAX_LESSON_FILE_BYTES: u64 = 1024 * 1024;
/// Printed lines a run record keeps (the newest); older ones are counted as dropped.
pub const MAX_KEPT_OUTPUT_LINES: usize = 5_000;
/// Bytes of events a run record keeps (compactly: about 50 bytes a task event); later events
/// are counted, not kept.
pub const MAX_KEPT_EVENT_BYTES: usize = 6 * 1024 * 1024;
/// Results a run record keeps (the first); the rest are counted. The report and the order
/// panel show a few dozen; `--json` and recordings keep every one.
pub const MAX_KEPT_RESULTS: usize = 1_000;
/// Longest output line kept; the rest of a longer line is cut and counted.
pub const MAX_LINE_BYTES: usize = 4096;
/// Longest run allowed by a lesson's `time_limit_s`, in seconds.
pub const MAX_TIME_LIMIT_SECS: f64 = 3600.0;
/// Longest delay before a join, in seconds.
pub const MAX_JOIN_DELAY_SECS: f64 = 600.0;

/// The longest line of a recording proclab reads (bytes): `run_finished` lists every task of
/// a run (at most [`MAX_STAGES`] × [`MAX_TASKS`]) three times and every result, some tens of
/// MB. A recording itself has no size limit: it is read one line at a time.
pub const MAX_RECORDING_LINE_BYTES: usize = 256 * 1024 * 1024;

/// The most stages a run can have: a lesson's [`MAX_STAGES`], each of which a speedup sweep
/// turns into two stages (serial and parallel) per worker count up to [`MAX_WORKERS`].
pub const MAX_RUN_STAGES: usize = MAX_STAGES * 2 * MAX_WORKERS as usize;

/// The most tasks a run can have: [`MAX_STAGES`] of [`MAX_TASKS`] (a speedup sweep's stages
/// together hold fewer).
pub const MAX_RUN_TASKS: usize = MAX_STAGES * MAX_TASKS as usize;

/// The most cores (CPUs) a machine can have: Linux's largest `NR_CPUS`. A recording that
/// names a core past it is refused.
pub const MAX_CPUS: u32 = 8192;

/// The longest trace a recording may hold, in seconds (a trace has no time limit of its own;
/// a lesson's run stops at its time limit).
pub const MAX_RECORDED_TRACE_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// The most bytes of printed lines a recording keeps; later lines are left out and counted.
pub const MAX_RECORDED_OUTPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Most task bars an exported SVG draws one by one; past it, touching bars of a lane merge.
pub const MAX_EXPORT_BARS: usize = 20_000;
/// Most task bars an exported SVG labels; past it, bars are thin and unlabelled.
pub const MAX_EXPORT_LABELLED_BARS: usize = 2_000;

/// The largest progress file proclab reads (bytes); a larger one is set aside as corrupt (and
/// `proclab notes` stops following it).
pub const MAX_PROGRESS_BYTES: u64 = 1024 * 1024;
