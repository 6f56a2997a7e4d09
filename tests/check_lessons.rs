//! `proclab check`: every built-in lesson is valid, and every broken lesson in `tests/broken/`
//! gets exactly the message its `expected.txt` holds, with file, line and column.

mod common;

use std::path::Path;

use common::proclab;

#[test]
fn every_lesson_under_lessons_passes_check() {
    let output = proclab(&["check", "lessons"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.ends_with("lessons checked: all valid\n"), "{text}");
}

#[test]
fn each_broken_lesson_gets_its_exact_message() {
    let mut cases: Vec<_> = std::fs::read_dir("tests/broken")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let expected = std::fs::read_to_string(case.join("expected.txt")).unwrap();
        let output = proclab(&["check", case.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let problems: Vec<&str> = stdout.lines().filter(|l| !l.ends_with(" found")).collect();
        let expected: Vec<&str> = expected.lines().collect();
        if output.status.code() != Some(1) || problems != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  got      {problems:?}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_missing_path_is_named() {
    let output = proclab(&["check", "tests/no-such-folder"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with("tests/no-such-folder: does not exist")
    );
}

#[test]
fn a_broken_lessons_folder_stops_run_with_every_problem_and_nothing_else_runs() {
    assert!(Path::new("tests/broken/typo-task").is_dir());
    let output = proclab(&[
        "--lessons",
        "tests/broken/typo-task",
        "run",
        "pool-sleep",
        "--speed",
        "10",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "tests/broken/typo-task/lesson.toml:9:17: stage 1: task 1: unknown task function"
        ),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn the_readme_example_lesson_is_valid_and_runs() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = &readme[readme
        .find("## Write a lesson")
        .expect("the section exists")..];
    let start = section.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let toml = &section[start..start + section[start..].find("```").unwrap()];
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("three-sleepers");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("lesson.toml"), toml).unwrap();
    std::fs::write(folder.join("narrative.md"), "A short narrative.\n").unwrap();
    std::fs::write(folder.join("program.py"), "print('hi')\n").unwrap();
    let root = root.path().to_str().unwrap();
    let check = proclab(&["check", root]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let run = proclab(&["--lessons", root, "run", "three-sleepers", "--speed", "10"]);
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stdout).contains("completion: B C A"));
}
