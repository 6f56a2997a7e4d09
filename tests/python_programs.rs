//! Every lesson's Python program runs on its own with `python3` and exits 0.

use std::process::{Command, Stdio};

#[test]
fn every_lesson_program_runs_with_python3() {
    let mut folders: Vec<_> = std::fs::read_dir("lessons")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    // Start them all at once (pool-sleep alone sleeps 6 s), then wait for each.
    let running: Vec<_> = folders
        .iter()
        .map(|folder| {
            let child = Command::new("python3")
                .arg("program.py")
                .current_dir(folder)
                .env_remove("PYTHONUNBUFFERED")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3 is installed (see .ci/run)");
            (folder, child)
        })
        .collect();
    for (folder, child) in running {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}/program.py failed:\n{}",
            folder.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !output.stdout.is_empty(),
            "{}/program.py printed nothing",
            folder.display()
        );
    }
}
