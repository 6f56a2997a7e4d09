//! Time as every process of a run sees it: `CLOCK_MONOTONIC`, shared by all processes on the
//! machine, so a worker's own reading lands exactly on the parent's timeline.

use std::time::Duration;

/// Nanoseconds on `CLOCK_MONOTONIC`, comparable between processes.
pub fn monotonic_ns() -> u64 {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .expect("CLOCK_MONOTONIC is always available on Linux");
    now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64
}

/// A run's clock: milliseconds since the run started, the `t_ms` of its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunClock {
    start_ns: u64,
}

impl RunClock {
    /// A clock whose zero is now.
    pub(crate) fn start_now() -> RunClock {
        RunClock {
            start_ns: monotonic_ns(),
        }
    }

    /// A clock whose zero is `start_ns`.
    #[cfg(test)]
    pub(crate) fn starting_at(start_ns: u64) -> RunClock {
        RunClock { start_ns }
    }

    /// `CLOCK_MONOTONIC` nanoseconds at the run's start.
    pub(crate) fn start_ns(self) -> u64 {
        self.start_ns
    }

    /// A `CLOCK_MONOTONIC` reading as run milliseconds (a reading before the start is 0).
    pub(crate) fn ms(self, t_ns: u64) -> f64 {
        t_ns.saturating_sub(self.start_ns) as f64 / 1e6
    }

    /// Run milliseconds now.
    pub(crate) fn now_ms(self) -> f64 {
        self.ms(monotonic_ns())
    }

    /// A `CLOCK_MONOTONIC` reading in seconds (as Python's `time.monotonic()` gives it) as run
    /// milliseconds, never below 0.
    pub(crate) fn secs_ms(self, t: f64) -> f64 {
        ((t * 1e9 - self.start_ns as f64) / 1e6).max(0.0)
    }
}

/// Something done every `every`: sampling `/proc`, scanning for new processes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Period {
    every: Duration,
    next_ns: u64,
}

impl Period {
    /// Due first at `first_ns`, then every `every`.
    pub(crate) fn new(every: Duration, first_ns: u64) -> Period {
        Period {
            every,
            next_ns: first_ns,
        }
    }

    /// How long until it is due, from `now_ns`.
    pub(crate) fn until(&self, now_ns: u64) -> Duration {
        Duration::from_nanos(self.next_ns.saturating_sub(now_ns))
    }

    /// Whether it is due at `now_ns`; if so, the next time is one period from `now_ns`.
    pub(crate) fn due(&mut self, now_ns: u64) -> bool {
        if now_ns < self.next_ns {
            return false;
        }
        self.next_ns = now_ns + self.every.as_nanos() as u64;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_milliseconds_start_at_the_clock_zero() {
        let clock = RunClock {
            start_ns: 5_000_000,
        };
        assert_eq!(clock.ms(7_500_000), 2.5);
        assert_eq!(clock.ms(1), 0.0, "a reading before the start is 0");
        assert_eq!(clock.secs_ms(0.0075), 2.5);
        assert_eq!(clock.secs_ms(0.001), 0.0);
    }

    #[test]
    fn a_period_is_due_once_per_interval() {
        let mut period = Period::new(Duration::from_nanos(10), 100);
        assert_eq!(period.until(95), Duration::from_nanos(5));
        assert!(!period.due(99));
        assert!(period.due(100));
        assert!(!period.due(105));
        assert!(period.due(110));
    }
}
