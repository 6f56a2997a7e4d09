//! `proclab new`: the scaffolded lesson passes `check` unchanged, runs with real processes, and
//! nothing is ever overwritten.

mod common;

use std::path::Path;

use common::*;

fn new_lesson(id: &str, dir: &Path) -> std::process::Output {
    proclab(&["new", "--dir", dir.to_str().unwrap(), "--", id])
}

#[test]
fn a_new_lesson_passes_check_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let lessons = dir.path().join("my-lessons");
    let made = new_lesson("three-sleepers", &lessons);
    assert!(made.status.success(), "{made:?}");
    let said = String::from_utf8(made.stdout).unwrap();
    let folder = lessons.join("three-sleepers");
    for file in ["lesson.toml", "narrative.md", "program.py"] {
        assert!(folder.join(file).is_file(), "{file} missing");
        assert!(
            said.contains(&folder.join(file).display().to_string()),
            "{said}"
        );
    }
    assert!(said.contains("proclab check"), "{said}");
    assert!(said.contains("run three-sleepers --speed 20"), "{said}");

    let checked = proclab(&["check", folder.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{report}");
    assert!(report.contains("1 lesson checked: all valid"), "{report}");

    let narrative = std::fs::read_to_string(folder.join("narrative.md")).unwrap();
    assert_eq!(proclab::lesson::split_pages(&narrative).len(), 2);
    assert_eq!(proclab::lesson::checkpoint_markers(&narrative).len(), 2);
    let toml = std::fs::read_to_string(folder.join("lesson.toml")).unwrap();
    for field in [
        "format_version",
        "summary",
        "time_limit_s",
        "instructor_notes",
        "chunksize",
        "result_order",
        "join_delay_s",
        "parent_says",
        "buffering",
        "counter",
        "pin",
        "sweep",
        "serial_secs",
        "each",
        "items",
        "before",
        "after",
        "tolerance",
        "observe",
        "hints",
        "[[knob]]",
        "step",
    ] {
        assert!(toml.contains(field), "lesson.toml does not mention {field}");
    }

    let lessons_arg = lessons.to_str().unwrap();
    let events = run_json(&["three-sleepers", "--speed", "20", "--lessons", lessons_arg]);
    assert_eq!(events[0]["lesson"], "three-sleepers");
    assert_eq!(of_kind(&events, "spawned").len(), 2);
    assert_eq!(of_kind(&events, "task_finished").len(), 3);
    let report = proclab(&[
        "--lessons",
        lessons_arg,
        "run",
        "three-sleepers",
        "--speed",
        "20",
    ]);
    assert!(report.status.success());
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(
        report.contains("proclab run three-sleepers — Three sleepers"),
        "{report}"
    );
    assert!(report.contains("input:      A B C"), "{report}");
}

#[test]
fn the_new_program_runs_with_python() {
    let dir = tempfile::tempdir().unwrap();
    assert!(new_lesson("py-check", dir.path()).status.success());
    let output = std::process::Command::new("python3")
        .arg("program.py")
        .current_dir(dir.path().join("py-check"))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("results (input order): ['A', 'B', 'C']"),
        "{text}"
    );
}

#[test]
fn an_existing_folder_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("taken");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("lesson.toml"), "mine").unwrap();
    let output = new_lesson("taken", dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already exists") && stderr.contains("never overwrites"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("lesson.toml")).unwrap(),
        "mine"
    );
    // A symbolic link in the way is refused too, not followed.
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("linked")).unwrap();
    assert_eq!(new_lesson("linked", dir.path()).status.code(), Some(1));
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn a_bad_id_is_refused_with_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["Pool", "a--b", "-a", "a/b", "..", "x".repeat(41).as_str()] {
        let output = new_lesson(id, dir.path());
        assert_eq!(output.status.code(), Some(1), "{id}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("lowercase letters, digits"),
            "{id}: {stderr}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
