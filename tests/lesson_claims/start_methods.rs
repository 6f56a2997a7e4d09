//! start-methods: a forked child sees the parent's memory and files, a fresh program neither,
//! and costs more to start; `program.py`'s three methods; `noguard.py` fails under spawn and
//! forkserver and works under fork or with the guard.

use std::time::Duration;

use crate::support::{Program, Ran, Run, at_once, numbers, oldest_and_newest, says};

const LESSON: &str = "start-methods";

#[test]
fn fork_children_see_42_and_every_fd_fresh_programs_see_0_and_fewer_and_cost_more() {
    says(LESSON, "After **fork**, the children saw **VALUE 42**");
    says(LESSON, "The **fresh programs** saw **VALUE 0**");
    says(LESSON, "the fresh program costs more");
    let run = Run::of(LESSON, &[]);
    let fork = run.lines(0).concat();
    let fresh = run.lines(1).concat();
    assert!(fork.contains("each saw VALUE = 42"), "{fork}");
    assert!(fresh.contains("each saw VALUE = 0"), "{fresh}");
    // "…; N file descriptors open in the child; M µs per start, …"
    let (fork, fresh) = (numbers(&fork), numbers(&fresh));
    let n = fork.len();
    assert!(
        fork[n - 3] > fresh[n - 3],
        "fds: fork {fork:?}, fresh {fresh:?}"
    );
    assert!(
        fork[n - 2] < fresh[n - 2],
        "µs: fork {fork:?}, fresh {fresh:?}"
    );
}

/// `program.py`'s row for `method`: VALUE, open fds, top level, first start ms, per child ms.
fn row<'a>(ran: &'a Ran, method: &str) -> &'a str {
    ran.lines
        .iter()
        .map(|(_, l)| l.as_str())
        .find(|l| l.starts_with(method))
        .unwrap_or_else(|| panic!("no {method} row in\n{}", ran.stdout()))
}

#[test]
fn program_py_shows_what_each_method_inherits_and_that_spawn_costs_the_most() {
    says(
        LESSON,
        "`python3 program.py`: for each of the three methods, the `VALUE` the child saw",
    );
    at_once(&oldest_and_newest(), |python| {
        let ran = Program::of(LESSON).run(python, &[], Duration::from_secs(60));
        let what = format!("Python {}", python.version());
        let parent_fds = numbers(ran.line("the parent:"))[1];
        let fork = row(&ran, "fork ");
        let spawn = row(&ran, "spawn ");
        let server = row(&ran, "forkserver ");
        assert!(
            fork.contains("VALUE = 42") && fork.contains("(not run again)"),
            "{what}: {fork}"
        );
        for fresh in [spawn, server] {
            assert!(
                fresh.contains("VALUE = 0") && fresh.contains("__mp_main__"),
                "{what}: {fresh}"
            );
            assert!(numbers(fresh)[1] < parent_fds, "{what}: {fresh}");
        }
        assert!(numbers(fork)[1] >= parent_fds, "{what}: {fork}");
        let each = |row: &str| numbers(row)[3];
        assert!(
            each(spawn) > each(fork) && each(spawn) > each(server),
            "{what}:\n{}",
            ran.stdout()
        );
    });
}

/// The narrative's `noguard.py`, exactly as it prints it.
fn noguard() -> String {
    let narrative =
        std::fs::read_to_string(crate::support::lesson_dir(LESSON).join("narrative.md")).unwrap();
    let start = narrative
        .find("```python\nimport multiprocessing")
        .expect("noguard.py in the text");
    let code = &narrative[start + "```python\n".len()..];
    code[..code.find("```").unwrap()].to_string()
}

#[test]
fn noguard_py_fails_in_the_child_under_spawn_and_forkserver_and_works_under_fork_or_guarded() {
    says(
        LESSON,
        "prints the child's traceback, ending in that `RuntimeError`, and then `exit code 1`",
    );
    says(
        LESSON,
        "Change `\"spawn\"` to `\"fork\"` and it prints the hello and `exit code 0`.",
    );
    says(
        LESSON,
        "Put the last five lines under `if __name__ == \"__main__\":` and both work.",
    );
    let source = noguard();
    let guarded = |text: &str| {
        let at = text.find("ctx = ").unwrap();
        let body: String = text[at..].lines().map(|l| format!("    {l}\n")).collect();
        format!("{}if __name__ == \"__main__\":\n{body}", &text[..at])
    };
    let cases: Vec<(&str, bool)> = ["spawn", "forkserver", "fork"]
        .into_iter()
        .flat_map(|method| [(method, false), (method, true)])
        .collect();
    let python = oldest_and_newest().pop().unwrap();
    at_once(&cases, |&(method, guard)| {
        let text = source.replace("\"spawn\"", &format!("\"{method}\""));
        let text = if guard { guarded(&text) } else { text };
        let program = Program::written("noguard.py", &text);
        let ran = Ran::of(
            program.script(&python, "noguard.py", &[]),
            Duration::from_secs(30),
        );
        let what = format!(
            "Python {} noguard.py, {method}, guard {guard}",
            python.version()
        );
        ran.assert_ok(&what);
        let works = guard || method == "fork";
        if works {
            assert_eq!(
                ran.stdout(),
                "hello from the child\nexit code 0\n",
                "{what}"
            );
        } else {
            assert_eq!(ran.stdout(), "exit code 1\n", "{what}");
            assert!(
                ran.stderr.contains("RuntimeError") && ran.stderr.contains("bootstrapping phase"),
                "{what}: {}",
                ran.stderr
            );
        }
    });
}
