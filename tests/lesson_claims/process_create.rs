//! process-create: each child gets a PID with proclab as its parent, exits with 0, is a zombie
//! until the delayed join, and the parent's line comes last only because of the joins.

use std::time::Duration;

use crate::support::{Program, Run, at_once, num, numbers, oldest_and_newest, says, text};

const LESSON: &str = "process-create";

#[test]
fn each_child_has_proclab_as_parent_exits_0_and_is_a_zombie_until_it_is_joined() {
    says(
        LESSON,
        "a PID assigned with proclab as its parent, running, exited with code 0, about 1 s as a zombie (state `Z`), then joined.",
    );
    // At speed 5 the join comes 0.2 s into the stage, so each child, which exits within
    // milliseconds of its start (up to 20 ms on a loaded machine), is a zombie for nearly
    // 0.2 s; 40 ms are to spare.
    let run = Run::of(LESSON, &["--speed", "5"]);
    let parent = num(&run.events[0], "parent_pid");
    let at = |kind: &str, pid: u64| {
        run.kind(kind)
            .iter()
            .find(|e| num(e, "pid") == pid)
            .map(|e| e["t_ms"].as_f64().unwrap())
            .unwrap_or_else(|| panic!("no {kind} of {pid}"))
    };
    let children = run.kind("spawned");
    assert_eq!(children.len(), 2);
    for child in children {
        let pid = num(child, "pid");
        assert_eq!(num(child, "ppid"), parent);
        let exited = run
            .kind("exited")
            .into_iter()
            .find(|e| num(e, "pid") == pid)
            .unwrap();
        assert_eq!(exited["code"], 0);
        let zombie = run
            .kind("state")
            .into_iter()
            .any(|e| num(e, "pid") == pid && e["state"] == "Z");
        assert!(zombie, "{pid} was never seen as a zombie");
        let waited = at("joined", pid) - at("exited", pid);
        assert!(
            waited >= 160.0,
            "{pid} was joined {waited} ms after its exit"
        );
    }
}

#[test]
fn the_childrens_lines_come_first_the_parents_last_unless_the_joins_are_skipped() {
    says(LESSON, "The parent's line comes **last every time**");
    says(
        LESSON,
        "the parent no longer waits. Its line can now come **before** the children's.",
    );
    let lines = |args: &[&str]| -> Vec<Vec<String>> {
        Run::repeated(LESSON, 20, args)
            .iter()
            .map(|run| {
                run.kind("output")
                    .iter()
                    .map(|e| text(e).to_string())
                    .collect()
            })
            .collect()
    };
    for run in lines(&["--set", "join_delay_s=0"]) {
        assert_eq!(run.len(), 3, "{run:?}");
        assert!(run[2].starts_with("parent:"), "{run:?}");
        let mut children = [run[0].as_str(), run[1].as_str()];
        children.sort();
        assert_eq!(
            children,
            ["cube: 10 x 10 x 10 = 1000", "square: 10 x 10 = 100"]
        );
    }
    let early = lines(&["--set", "join=0"])
        .iter()
        .filter(|run| !run.last().is_some_and(|l| l.starts_with("parent:")))
        .count();
    assert!(
        early > 0,
        "without joins the parent's line was last in all 20 runs"
    );
}

#[test]
fn program_py_children_report_the_script_as_their_parent_up_to_3_13() {
    says(
        LESSON,
        "On Python 3.13 and earlier that is the script's own PID.",
    );
    says(LESSON, "`p.pid` is `None`");
    at_once(&oldest_and_newest(), |python| {
        let ran = Program::of(LESSON).run(python, &[], Duration::from_secs(30));
        let what = format!("Python {}:\n{}", python.version(), ran.stdout());
        let me = numbers(ran.line("parent: my pid is"))[0];
        assert!(
            ran.line("created two Process objects")
                .ends_with("pids None and None"),
            "{what}"
        );
        for child in ["square:", "cube:"] {
            let parent = *numbers(ran.line(child)).last().unwrap();
            if python.minor <= 13 {
                assert_eq!(parent, me, "{what}");
            }
        }
        assert!(ran.line("exit codes").ends_with("0 and 0"), "{what}");
        assert_eq!(
            ran.lines.last().unwrap().1,
            "parent: both children joined, done",
            "{what}"
        );
    });
}
