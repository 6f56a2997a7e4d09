//! The fixed vocabulary of checks an exercise may ask for, typed: nothing past validation
//! matches on the word a file wrote.

use std::fmt;

use regex::Regex;

use crate::lesson::model::WorkerCount;

/// Which check, as `kind = "…"` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum CheckKind {
    /// The program's own exit code.
    ExitCode,
    /// Lines matching a pattern, counted.
    OutputMatches,
    /// Lines in a relative order.
    OutputOrder,
    /// Processes the program started.
    ProcessesStarted,
    /// Distinct PIDs that ran pool or executor tasks.
    TaskPids,
    /// Every task that started finished.
    TasksFinished,
    /// The order tasks finished in.
    CompletionOrder,
    /// The tasks' results.
    Results,
    /// Every child ended on its own with 0.
    WorkersClean,
    /// No child outlived the main process.
    NoProcessLeft,
    /// No child was a zombie when the main process ended.
    NoZombies,
    /// The run's time.
    WallTime,
    /// Faster than a serial reference.
    Speedup,
    /// Every other check under each start method.
    StartMethods,
    /// Chunks the pool and executor calls sent.
    PoolChunks,
    /// Tasks running at the same time.
    ParallelTasks,
}

impl CheckKind {
    /// The word an exercise file writes.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The kind `word` names.
    pub fn parse(word: &str) -> Option<CheckKind> {
        use strum::IntoEnumIterator;
        CheckKind::iter().find(|kind| kind.name() == word)
    }

    /// Every word, for messages.
    pub fn all_names() -> Vec<&'static str> {
        use strum::IntoEnumIterator;
        CheckKind::iter().map(CheckKind::name).collect()
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which processes' lines an `output_matches` check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printer {
    /// The program's main process.
    Main,
    /// Any process it started.
    Child,
    /// Any process.
    Any,
}

/// Which stream's lines an `output_matches` check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFilter {
    /// Standard output only.
    Stdout,
    /// Standard error only.
    Stderr,
    /// Both.
    Any,
}

pub use crate::trace::StartMethod;

/// Tasks named by label or by index (`completion_order`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOrder {
    /// Labels, as the trace shows them.
    Labels(Vec<String>),
    /// 0-based indexes in input order.
    Indexes(Vec<usize>),
}

/// A count that must lie in `min ..= max` (no upper bound without `max`); either end may
/// follow the machine's cores (`"cores"`, `"cores+1"`, `"cores*2"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// The fewest allowed.
    pub min: WorkerCount,
    /// The most allowed.
    pub max: Option<WorkerCount>,
}

impl Bounds {
    /// Bounds of fixed numbers.
    pub fn fixed(min: u32, max: Option<u32>) -> Bounds {
        Bounds {
            min: WorkerCount::Fixed(min),
            max: max.map(WorkerCount::Fixed),
        }
    }

    /// Whether `n` is allowed on a machine with `cores` cores.
    pub fn allows(&self, n: u64, cores: u32) -> bool {
        n >= self.min.unclamped(cores)
            && self
                .max
                .as_ref()
                .is_none_or(|max| n <= max.unclamped(cores))
    }

    /// `singular` where the count they allow reads as one ("exactly 1 line", "at least 1
    /// line"), else `plural` ("exactly 2 lines", "0 to 3 lines").
    fn noun<'a>(&self, singular: &'a str, plural: &'a str) -> &'a str {
        let one = WorkerCount::Fixed(1);
        let reads_as_one = match &self.max {
            Some(max) => *max == one,
            None => self.min == one,
        };
        if reads_as_one { singular } else { plural }
    }

    fn follows_cores(&self) -> bool {
        let relative = |c: &WorkerCount| !matches!(c, WorkerCount::Fixed(_));
        relative(&self.min) || self.max.as_ref().is_some_and(relative)
    }

    /// What they allow on a machine with `cores` cores, in numbers ("exactly 2 (cores: this
    /// machine has 2)").
    pub fn text(&self, cores: u32) -> String {
        let numbers = Bounds {
            min: WorkerCount::Fixed(self.min.unclamped(cores).min(u64::from(u32::MAX)) as u32),
            max: self
                .max
                .as_ref()
                .map(|m| WorkerCount::Fixed(m.unclamped(cores).min(u64::from(u32::MAX)) as u32)),
        };
        if self.follows_cores() {
            format!("{numbers} ({self}: this machine has {cores} cores)")
        } else {
            numbers.to_string()
        }
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |c: &WorkerCount| String::from(c.clone());
        match &self.max {
            Some(max) if *max == self.min => write!(f, "exactly {}", word(max)),
            Some(max) => write!(f, "{} to {}", word(&self.min), word(max)),
            None => write!(f, "at least {}", word(&self.min)),
        }
    }
}

/// One check with its arguments.
#[derive(Debug, Clone)]
pub enum Check {
    /// The program exits with this code.
    ExitCode {
        /// The code.
        equals: i32,
    },
    /// Lines matching `pattern`, printed by `printer` on `stream`, number within `bounds`.
    OutputMatches {
        /// The pattern (searched anywhere in the line).
        pattern: Regex,
        /// Whose lines count.
        printer: Printer,
        /// Which stream's lines count.
        stream: StreamFilter,
        /// How many may match.
        bounds: Bounds,
    },
    /// These exact lines are printed once each, in this order (other lines may come between).
    OutputOrder {
        /// The lines.
        lines: Vec<String>,
    },
    /// Processes the program started (multiprocessing's own helpers are not counted).
    ProcessesStarted {
        /// How many.
        bounds: Bounds,
    },
    /// Distinct PIDs that ran pool or executor tasks.
    TaskPids {
        /// How many.
        bounds: Bounds,
    },
    /// No task lost; exactly `count` finished when given.
    TasksFinished {
        /// How many must finish.
        count: Option<u64>,
    },
    /// Tasks finished in this order.
    CompletionOrder {
        /// The order.
        order: TaskOrder,
    },
    /// Task results in task order, as Python's `repr` shows them.
    Results {
        /// The results.
        values: Vec<String>,
    },
    /// Every process the program started exited with 0 on its own (no signal).
    WorkersClean,
    /// Every process the program started ended before its main process did.
    NoProcessLeft,
    /// No child of the main process was a zombie when the main process ended.
    NoZombies,
    /// The main process ran at most `at_most_s × (1 + margin)` seconds.
    WallTime {
        /// Seconds.
        at_most_s: f64,
        /// The fraction allowed on top.
        margin: f64,
    },
    /// The program is at least `at_least` times faster than the serial reference (on a
    /// machine with `cores` cores; scaled down on fewer).
    Speedup {
        /// The speedup asked for.
        at_least: f64,
        /// The serial reference's file name, in the exercise folder.
        serial: String,
        /// The cores `at_least` is asked for.
        cores: u32,
    },
    /// Every other check passes under each of these start methods.
    StartMethods {
        /// The methods.
        methods: Vec<StartMethod>,
    },
    /// The pool and executor calls sent `at_least ..= at_most` chunks (tasks ÷ chunksize,
    /// rounded up, per call).
    PoolChunks {
        /// The fewest.
        at_least: u64,
        /// The most.
        at_most: Option<u64>,
    },
    /// For at least `fraction` of the span from the first task's start to the last task's end,
    /// `at_least` tasks or more were running at the same moment.
    ParallelTasks {
        /// How many at once.
        at_least: WorkerCount,
        /// Of the span, 0 to 1.
        fraction: f64,
    },
}

impl Check {
    /// Its kind.
    pub fn kind(&self) -> CheckKind {
        match self {
            Check::ExitCode { .. } => CheckKind::ExitCode,
            Check::OutputMatches { .. } => CheckKind::OutputMatches,
            Check::OutputOrder { .. } => CheckKind::OutputOrder,
            Check::ProcessesStarted { .. } => CheckKind::ProcessesStarted,
            Check::TaskPids { .. } => CheckKind::TaskPids,
            Check::TasksFinished { .. } => CheckKind::TasksFinished,
            Check::CompletionOrder { .. } => CheckKind::CompletionOrder,
            Check::Results { .. } => CheckKind::Results,
            Check::WorkersClean => CheckKind::WorkersClean,
            Check::NoProcessLeft => CheckKind::NoProcessLeft,
            Check::NoZombies => CheckKind::NoZombies,
            Check::WallTime { .. } => CheckKind::WallTime,
            Check::Speedup { .. } => CheckKind::Speedup,
            Check::StartMethods { .. } => CheckKind::StartMethods,
            Check::PoolChunks { .. } => CheckKind::PoolChunks,
            Check::ParallelTasks { .. } => CheckKind::ParallelTasks,
        }
    }

    /// What it asks for, in one line a learner reads ("exits with code 0").
    pub fn describe(&self) -> String {
        match self {
            Check::ExitCode { equals } => format!("the program exits with code {equals}"),
            Check::OutputMatches {
                pattern,
                printer,
                bounds,
                ..
            } => {
                let who = match printer {
                    Printer::Main => "the main process",
                    Printer::Child => "the processes it starts",
                    Printer::Any => "any process",
                };
                format!(
                    "{bounds} {} printed by {who} match /{pattern}/",
                    bounds.noun("line", "lines")
                )
            }
            Check::OutputOrder { lines } => {
                format!("the lines {} come out in that order", quoted(lines))
            }
            Check::ProcessesStarted { bounds } => {
                format!(
                    "the program starts {bounds} {}",
                    bounds.noun("process", "processes")
                )
            }
            Check::TaskPids { bounds } => format!(
                "tasks run in {bounds} different {}",
                bounds.noun("process", "processes")
            ),
            Check::TasksFinished { count: Some(n) } => {
                format!("all {n} tasks finish, none is lost")
            }
            Check::TasksFinished { count: None } => "every task finishes, none is lost".into(),
            Check::CompletionOrder { order } => {
                format!("tasks finish in the order {}", order_text(order))
            }
            Check::Results { values } => format!("the results are {}", values.join(", ")),
            Check::WorkersClean => {
                "every process it starts ends on its own with exit code 0".into()
            }
            Check::NoProcessLeft => "no process it started is still running when it ends".into(),
            Check::NoZombies => "no child is left a zombie when it ends".into(),
            Check::WallTime { at_most_s, margin } => format!(
                "it finishes within {at_most_s} s (+{:.0}% margin)",
                margin * 100.0
            ),
            Check::Speedup {
                at_least,
                serial,
                cores,
            } => format!("it is at least {at_least}× faster than {serial} (on {cores} cores)"),
            Check::StartMethods { methods } => {
                let names: Vec<&str> = methods.iter().map(|m| m.name()).collect();
                format!("every check passes under {}", names.join(", "))
            }
            Check::PoolChunks { at_least, at_most } => match at_most {
                Some(most) => {
                    format!("its pools and executors send {at_least} to {most} chunks of tasks")
                }
                None => format!("its pools and executors send at least {at_least} chunks of tasks"),
            },
            Check::ParallelTasks { at_least, fraction } => format!(
                "{} tasks or more run at the same time for {:.0}% of the time tasks run",
                String::from(at_least.clone()),
                fraction * 100.0
            ),
        }
    }
}

/// The lines as `"3" "2"`.
pub(crate) fn quoted(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("{line:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn order_text(order: &TaskOrder) -> String {
    match order {
        TaskOrder::Labels(labels) => labels.join(" "),
        TaskOrder::Indexes(indexes) => indexes
            .iter()
            .map(|i| format!("#{i}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A check and whether every run must pass it.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// The check.
    pub check: Check,
    /// `true`: every run must pass; `false`: one is enough.
    pub every_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_words() {
        for word in CheckKind::all_names() {
            assert_eq!(CheckKind::parse(word).unwrap().name(), word);
        }
        assert_eq!(CheckKind::parse("exit_code"), Some(CheckKind::ExitCode));
        assert_eq!(CheckKind::parse("exitcode"), None);
        assert_eq!(CheckKind::all_names().len(), 16);
    }

    #[test]
    fn bounds_say_what_they_allow() {
        let exactly = Bounds::fixed(4, Some(4));
        assert!(exactly.allows(4, 2) && !exactly.allows(3, 2) && !exactly.allows(5, 2));
        assert_eq!(exactly.to_string(), "exactly 4");
        assert_eq!(exactly.text(2), "exactly 4");
        let open = Bounds::fixed(1, None);
        assert!(open.allows(1000, 2));
        assert_eq!(open.to_string(), "at least 1");
        let per_core = Bounds {
            min: WorkerCount::Cores(0),
            max: Some(WorkerCount::Cores(0)),
        };
        assert!(per_core.allows(2, 2) && !per_core.allows(4, 2) && per_core.allows(4, 4));
        assert_eq!(per_core.to_string(), "exactly cores");
        assert_eq!(
            per_core.text(2),
            "exactly 2 (exactly cores: this machine has 2 cores)"
        );
    }

    #[test]
    fn a_check_counts_in_words_that_agree_with_its_number() {
        let starts = |min, max| Check::ProcessesStarted {
            bounds: Bounds::fixed(min, max),
        };
        assert_eq!(
            starts(1, Some(1)).describe(),
            "the program starts exactly 1 process"
        );
        assert_eq!(
            starts(2, Some(2)).describe(),
            "the program starts exactly 2 processes"
        );
        assert_eq!(
            starts(1, None).describe(),
            "the program starts at least 1 process"
        );
        assert_eq!(
            starts(0, Some(3)).describe(),
            "the program starts 0 to 3 processes"
        );
    }
}
