//! What the exercises' task texts say about their programs holds when the programs run on
//! their own with `python3`, without proclab: the deadlocks hang, the orphan outlives its
//! program, `spawn` breaks what `fork` lets through, and each solution prints what its
//! checks ask for. (`tests/exercises.rs` judges the same programs through proclab's checks.)

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The folder of exercise `id` under `lesson`.
fn exercise(lesson: &str, id: &str) -> PathBuf {
    Path::new("lessons").join(lesson).join("exercises").join(id)
}

/// What a run of a program did.
struct Ran {
    /// How it ended, or `None` if it was still running at the time limit (then it and every
    /// process of its group were killed).
    status: Option<ExitStatus>,
    /// Its standard output, lines in the order they arrived.
    lines: Vec<String>,
}

impl Ran {
    /// How many lines are exactly `line`.
    fn count(&self, line: &str) -> usize {
        self.lines.iter().filter(|l| *l == line).count()
    }

    /// Where `line` is (it must be there).
    fn position(&self, line: &str) -> usize {
        self.lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line:?} is not in {:?}", self.lines))
    }

    /// Whether it exited with code 0.
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// A new folder with a `sitecustomize.py` that makes `method` multiprocessing's default start
/// method for every Python process started with it on `PYTHONPATH` (as a newer Python's
/// default would), without editing the program. The caller removes it.
fn start_method_dir(method: &str) -> PathBuf {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "proclab-exercise-programs-{}-{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).unwrap();
    let line = format!(
        "import multiprocessing\nmultiprocessing.set_start_method({method:?}, force=True)\n"
    );
    std::fs::write(dir.join("sitecustomize.py"), line).unwrap();
    dir
}

/// Runs `python3 file` in `folder` (under start method `method` if given), in a process
/// group of its own; past `limit` the whole group is killed. Reads stdout to its end, so a
/// process that outlives the program and keeps stdout open is waited for.
fn run(folder: &Path, file: &str, method: Option<&str>, limit: Duration) -> Ran {
    let mut command = Command::new("python3");
    command
        .arg(file)
        .current_dir(folder)
        .env_remove("PYTHONUNBUFFERED")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    let site = method.map(start_method_dir);
    if let Some(site) = &site {
        command.env("PYTHONPATH", site);
    }
    let mut child = command.spawn().expect("python3 is installed (see .ci/run)");
    let status = wait_until(&mut child, limit);
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    if let Some(site) = site {
        std::fs::remove_dir_all(site).unwrap();
    }
    let lines = text.lines().map(str::to_string).collect();
    Ran { status, lines }
}

/// Waits for `child` up to `limit`; past it, kills its process group and returns `None`.
fn wait_until(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let group = Pid::from_raw(child.id() as i32);
    let _ = killpg(group, Signal::SIGKILL);
    child.wait().unwrap();
    None
}

const QUICK: Duration = Duration::from_secs(20);

/// Whether one of up to three runs of `file` shows `what`: for the claims that depend on
/// timing (sleeps of a few tenths of a second), which a machine busy with other work can
/// stretch in one run.
fn in_one_of_three(folder: &Path, file: &str, what: impl Fn(&Ran) -> bool) -> bool {
    (0..3).any(|_| what(&run(folder, file, None, QUICK)))
}

#[test]
fn get_before_join_start_never_ends_and_its_solution_gets_the_whole_list() {
    let folder = exercise("shared-state", "get-before-join");
    let stuck = run(&folder, "start.py", None, Duration::from_secs(2));
    assert!(stuck.status.is_none(), "start.py ended: {:?}", stuck.lines);
    assert_eq!(
        stuck.lines,
        ["child: list sent"],
        "put() returned, the child printed"
    );

    let fixed = run(&folder, "solution.py", None, QUICK);
    assert!(fixed.succeeded());
    assert_eq!(
        fixed.count("parent: got 200000 numbers, the last is 39999600001"),
        1
    );
    assert_eq!(fixed.count("parent: the child exited with code 0"), 1);
}

#[test]
fn survive_a_dead_worker_start_hangs_and_its_solution_reports_b_lost() {
    let folder = exercise("crashes-and-exit-codes", "survive-a-dead-worker");
    let stuck = run(&folder, "start.py", None, Duration::from_secs(2));
    assert!(
        stuck.status.is_none(),
        "Pool.map returned: {:?}",
        stuck.lines
    );

    let fixed = run(&folder, "solution.py", None, QUICK);
    assert!(fixed.succeeded());
    assert_eq!(fixed.count("B: lost"), 1, "{:?}", fixed.lines);
    assert_eq!(fixed.lines.last().unwrap(), "the parent carries on");
    assert_eq!(fixed.lines.len(), 5, "one line per job: {:?}", fixed.lines);
}

#[test]
fn guard_the_main_start_breaks_only_under_spawn_and_forkserver() {
    let folder = exercise("start-methods", "guard-the-main");
    let forked = run(&folder, "start.py", Some("fork"), QUICK);
    assert_eq!(forked.count("loading settings"), 1);
    assert_eq!(forked.count("exit codes: [0, 0]"), 1, "{:?}", forked.lines);
    for method in ["spawn", "forkserver"] {
        let broken = run(&folder, "start.py", Some(method), QUICK);
        assert_eq!(
            broken.count("exit codes: [1, 1]"),
            1,
            "{method}: {:?}",
            broken.lines
        );
        assert!(
            broken.count("loading settings") > 1,
            "{method}: the top level ran again"
        );
    }
    for method in ["fork", "spawn", "forkserver"] {
        let fixed = run(&folder, "solution.py", Some(method), QUICK);
        assert_eq!(fixed.count("loading settings"), 1, "{method}");
        assert_eq!(
            fixed.count("exit codes: [0, 0]"),
            1,
            "{method}: {:?}",
            fixed.lines
        );
    }
}

#[test]
fn what_the_child_inherits_start_is_silently_wrong_under_spawn_and_forkserver() {
    let folder = exercise("start-methods", "what-the-child-inherits");
    let forked = run(&folder, "start.py", Some("fork"), QUICK);
    assert_eq!(forked.lines, ["[3, 6, 9, 12]"]);
    for method in ["spawn", "forkserver"] {
        let wrong = run(&folder, "start.py", Some(method), QUICK);
        assert!(wrong.succeeded(), "{method}: no error, just a wrong answer");
        assert_eq!(wrong.lines, ["[1, 2, 3, 4]"], "{method}");
    }
    for method in ["fork", "spawn", "forkserver"] {
        let fixed = run(&folder, "solution.py", Some(method), QUICK);
        assert_eq!(fixed.lines, ["[3, 6, 9, 12]"], "{method}");
    }
}

#[test]
fn wait_for_your_helper_start_leaves_an_orphan_that_reports_after_main_is_done() {
    let folder = exercise("zombies-and-orphans", "wait-for-your-helper");
    // stdout is read to its end, which the orphaned helper holds open until it is done.
    let orphaned =
        |ran: &Ran| ran.succeeded() && ran.position("main done") < ran.position("helper done");
    assert!(in_one_of_three(&folder, "start.py", orphaned));

    let fixed = run(&folder, "solution.py", None, QUICK);
    let order = ["helper done", "worker done", "main done"].map(|line| fixed.position(line));
    assert!(order.is_sorted(), "{:?}", fixed.lines);
}

#[test]
fn bring_the_count_home_start_prints_0_and_its_solution_4000() {
    let folder = exercise("processes-vs-threads", "bring-the-count-home");
    let start = run(&folder, "start.py", None, QUICK);
    assert_eq!(start.lines.last().unwrap(), "total 0");
    let fixed = run(&folder, "solution.py", None, QUICK);
    assert_eq!(fixed.lines.last().unwrap(), "total 4000");
    assert_eq!(
        fixed
            .lines
            .iter()
            .filter(|l| l.ends_with(" added 1000"))
            .count(),
        4
    );
}

#[test]
fn first_done_first_out_solution_prints_jobs_as_they_finish() {
    let folder = exercise("pool-sleep", "first-done-first-out");
    let finished = |ran: &Ran| -> Vec<String> {
        ran.lines
            .iter()
            .filter(|l| l.starts_with("finished"))
            .cloned()
            .collect()
    };
    let start = run(&folder, "start.py", None, QUICK);
    assert_eq!(
        finished(&start),
        ["finished A", "finished B", "finished C", "finished D"],
        "map hands the results back in input order"
    );
    let as_they_finish = ["finished B", "finished C", "finished A", "finished D"];
    assert!(in_one_of_three(&folder, "solution.py", |ran| finished(ran)
        == as_they_finish));
}

#[test]
fn busy_every_core_start_uses_one_pid_and_its_solution_one_per_core() {
    let folder = exercise("what-is-multiprocessing", "busy-every-core");
    let pids = |ran: &Ran| {
        let mut pids: Vec<String> = ran
            .lines
            .iter()
            .filter_map(|l| l.split(" in pid ").nth(1))
            .map(|rest| rest.split(' ').next().unwrap().to_string())
            .collect();
        pids.sort();
        pids.dedup();
        pids.len()
    };
    let threads = run(&folder, "start.py", None, QUICK);
    assert_eq!(pids(&threads), 1, "{:?}", threads.lines);
    let processes = run(&folder, "solution.py", None, QUICK);
    let cores = nix::sched::sched_getaffinity(Pid::from_raw(0)).unwrap();
    let cores = (0..nix::sched::CpuSet::count())
        .filter(|&c| cores.is_set(c).unwrap_or(false))
        .count();
    assert_eq!(pids(&processes), cores, "{:?}", processes.lines);
}

#[test]
fn serial_and_parallel_versions_agree_on_their_answers() {
    for (lesson, id, answer) in [
        (
            "cpu-speedup",
            "split-the-count",
            "primes below 400000: 33860",
        ),
        (
            "chunksize",
            "fewer-bigger-chunks",
            "sum of squares: 333283335000",
        ),
        ("pool-pids", "size-and-close-the-pool", "[1, 4, 9, 16, 25]"),
    ] {
        for file in ["start.py", "solution.py"] {
            let ran = run(&exercise(lesson, id), file, None, QUICK);
            assert!(ran.succeeded(), "{id}/{file}");
            assert_eq!(ran.count(answer), 1, "{id}/{file}: {:?}", ran.lines);
        }
    }
}
