//! A lesson folder is input from anyone: these tests hand the real binary hostile lessons and
//! check that nothing outside the vocabulary runs, nothing outside the lesson folder is opened or
//! created, counts stay capped, hostile text stays text, and odd files (symlink loops, FIFOs,
//! huge files) give a clear message instead of a hang.
//!
//! Every run happens in a fresh temporary folder (also the working directory of proclab), with a
//! timeout; after it, the folder holds exactly what the test wrote.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::PROCLAB;
use proclab::limits;
use proclab::task::TASK_FUNCTIONS;

/// The first lines of every lesson here; the `[[stage]]` starts on line 6.
fn header(id: &str) -> String {
    format!("format_version = 1\nid = \"{id}\"\ntitle = \"t\"\nsummary = \"s\"\n\n")
}

/// A scratch folder: `lessons/` for lesson folders, `cwd/` as proclab's working directory.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir_all(dir.path().join("lessons")).unwrap();
        std::fs::create_dir_all(dir.path().join("cwd")).unwrap();
        Scratch { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes `lessons/<name>/` with `lesson.toml` = `header(id) + body`, a narrative and a
    /// program; returns the folder as a string.
    fn lesson(&self, name: &str, body: &str) -> String {
        let folder = self.path(&format!("lessons/{name}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("lesson.toml"),
            format!("{}{body}", header(name)),
        )
        .unwrap();
        std::fs::write(folder.join("narrative.md"), "Some text.\n").unwrap();
        std::fs::write(folder.join("program.py"), "print('hi')\n").unwrap();
        folder.display().to_string()
    }

    /// Every path under the scratch folder.
    fn listing(&self) -> BTreeSet<PathBuf> {
        fn walk(dir: &Path, into: &mut BTreeSet<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                into.insert(path.clone());
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&path, into);
                }
            }
        }
        let mut all = BTreeSet::new();
        walk(self.dir.path(), &mut all);
        all
    }

    /// Runs proclab in `cwd/`, at most `seconds`, and checks that it created nothing here.
    fn proclab(&self, args: &[&str], seconds: u64) -> Output {
        let before = self.listing();
        let output = run_with_timeout(args, &self.path("cwd"), seconds);
        let after = self.listing();
        let created: Vec<_> = after.difference(&before).collect();
        assert!(created.is_empty(), "proclab {args:?} created {created:?}");
        output
    }
}

/// Runs proclab with `args` in `cwd`; fails the test if it has not exited after `seconds`.
fn run_with_timeout(args: &[&str], cwd: &Path, seconds: u64) -> Output {
    let mut child = Command::new(PROCLAB)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("proclab starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for proclab") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("proclab {args:?} still ran after {seconds} s: it hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `proclab check <folder>`: exit 1 and exactly these problems, then "N problem(s) found".
fn assert_check(scratch: &Scratch, folder: &str, expected: &[String]) {
    let output = scratch.proclab(&["check", folder], 20);
    let stdout = text(&output.stdout);
    let problems: Vec<&str> = stdout.lines().filter(|l| !l.ends_with(" found")).collect();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_eq!(problems, expected, "check {folder}");
    let count = expected.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    assert!(
        stdout.ends_with(&format!("{count} {noun} found\n")),
        "{stdout}"
    );
}

/// `proclab --lessons <root> run <id>`: exit 1, nothing on stdout, every problem on stderr.
fn assert_run_refused(scratch: &Scratch, id: &str, expected: &[String]) {
    let root = scratch.path("lessons");
    let output = scratch.proclab(
        &[
            "--lessons",
            root.to_str().unwrap(),
            "run",
            id,
            "--speed",
            "100",
        ],
        20,
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    assert!(
        stderr.starts_with("error: the lessons in --lessons have problems:\n"),
        "{stderr}"
    );
    for line in expected {
        assert!(stderr.contains(line.as_str()), "{stderr}\nlacks {line}");
    }
}

fn vocabulary() -> String {
    TASK_FUNCTIONS.join(", ")
}

// ---------------------------------------------------------------------------------------------
// Nothing but the vocabulary runs.

#[test]
fn a_shell_command_as_task_function_is_refused_and_never_runs() {
    let scratch = Scratch::new();
    let marker = scratch.path("pwned");
    let tmp_pwned = Path::new("/tmp/pwned");
    let tmp_pwned_before = tmp_pwned.exists();
    let commands = [
        "sh -c 'touch /tmp/pwned'".to_string(),
        format!("sh -c 'touch {}'", marker.display()),
        "/bin/rm".to_string(),
        "/bin/sh".to_string(),
        format!("touch {}", marker.display()),
    ];
    for (i, command) in commands.iter().enumerate() {
        let id = format!("shell{i}");
        // As a task, as `each` and as `items`.
        let body = format!(
            "[[stage]]\nkind = \"processes\"\ntasks = [{{ fn = {command:?} }}]\n\n\
             [[stage]]\nkind = \"threads\"\nworkers = 2\neach = {{ fn = {command:?} }}\n\n\
             [[stage]]\nkind = \"pool\"\nitems = {{ fn = {command:?}, from = 1, to = 3 }}\n"
        );
        let folder = scratch.lesson(&id, &body);
        let unknown = format!("unknown task function {command:?}");
        let file = format!("{folder}/lesson.toml");
        let output = scratch.proclab(&["check", &folder], 20);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 4, "{stdout}");
        assert!(
            lines[0].starts_with(&format!("{file}:8:17: stage 1: task 1: {unknown}")),
            "{stdout}"
        );
        assert!(
            lines[0].ends_with(&format!(": use one of {}", vocabulary())),
            "{stdout}"
        );
        assert!(
            lines[1].starts_with(&format!("{file}:13:15: stage 2: each: {unknown}")),
            "{stdout}"
        );
        assert_eq!(
            lines[2],
            format!(
                "{file}:17:16: stage 3: items: fn = {command:?} is not allowed here: use \"square\" or \"cube\""
            )
        );
        assert_eq!(lines[3], "3 problems found");
        assert_run_refused(
            &scratch,
            &id,
            &[format!("{file}:8:17: stage 1: task 1: {unknown}")],
        );
        std::fs::remove_dir_all(&folder).unwrap();
    }
    assert!(!marker.exists());
    if !tmp_pwned_before {
        assert!(!tmp_pwned.exists(), "/tmp/pwned was created");
    }
}

// ---------------------------------------------------------------------------------------------
// Nothing outside the lesson folder is opened.

/// A narrative outside the folder that, if it were read, would add a problem naming "leaked".
fn write_outside(scratch: &Scratch) -> PathBuf {
    let outside = scratch.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "::: checkpoint leaked\n").unwrap();
    std::fs::write(outside.join("secret.py"), "print('secret')\n").unwrap();
    nix::unistd::mkfifo(&outside.join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    outside
}

#[test]
fn program_and_narrative_outside_the_folder_are_refused_unopened() {
    let scratch = Scratch::new();
    let outside = write_outside(&scratch);
    let absolute = |name: &str| outside.join(name).display().to_string();
    let cases = [
        ("narrative", absolute("secret.md")),
        ("narrative", "../../outside/secret.md".to_string()),
        ("narrative", absolute("fifo")),
        ("narrative", "..".to_string()),
        ("program", absolute("secret.py")),
        ("program", "../../outside/fifo".to_string()),
        ("program", "/etc/passwd".to_string()),
        ("program", "sub/../program.py".to_string()),
        ("program", "..\\..\\outside\\secret.py".to_string()),
    ];
    for (i, (field, path)) in cases.iter().enumerate() {
        let id = format!("escape{i}");
        let body = format!(
            "{field} = {path:?}\n[[stage]]\nkind = \"pool\"\nworkers = 2\ntasks = [{{ fn = \"square\", n = 2 }}]\n"
        );
        let folder = scratch.lesson(&id, &body);
        let col = field.len() + 4;
        let expected = format!(
            "{folder}/lesson.toml:6:{col}: {path:?} must be a file name inside the lesson folder, without '/' or '..' (for example \"program.py\")"
        );
        // A FIFO blocks whoever opens it for reading: a hang here means the file was opened.
        assert_check(&scratch, &folder, std::slice::from_ref(&expected));
        assert_run_refused(&scratch, &id, &[expected]);
        std::fs::remove_dir_all(&folder).unwrap();
    }
}

/// Replaces the file `name` of a lesson folder with a symbolic link to `target`.
fn replace_with_link(folder: &Path, name: &str, target: impl AsRef<Path>) {
    std::fs::remove_file(folder.join(name)).unwrap();
    std::os::unix::fs::symlink(target, folder.join(name)).unwrap();
}

#[test]
fn lesson_files_that_are_not_regular_files_are_refused_without_a_hang() {
    let scratch = Scratch::new();
    let outside = write_outside(&scratch);
    // narrative.md is a symlink to a FIFO, program.py a symlink to /dev/zero.
    let folder = scratch.lesson(
        "odd",
        "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"panic\" }]\n",
    );
    let folder_path = PathBuf::from(&folder);
    replace_with_link(&folder_path, "narrative.md", outside.join("fifo"));
    replace_with_link(&folder_path, "program.py", "/dev/zero");
    let link = "is a symbolic link: a lesson's files must be regular files in its folder (copy the file there instead)";
    let expected = [
        format!("{folder}/narrative.md: {link}"),
        format!("{folder}/program.py: {link}"),
    ];
    assert_check(&scratch, &folder, &expected);
    assert_run_refused(&scratch, "odd", &expected);

    // lesson.toml itself a FIFO.
    std::fs::remove_file(folder_path.join("lesson.toml")).unwrap();
    nix::unistd::mkfifo(
        &folder_path.join("lesson.toml"),
        nix::sys::stat::Mode::S_IRWXU,
    )
    .unwrap();
    assert_check(
        &scratch,
        &folder,
        &[format!("{folder}/lesson.toml: is not a regular file")],
    );
}

// ---------------------------------------------------------------------------------------------
// Counts stay capped.

#[test]
fn oversized_counts_are_refused_before_anything_starts() {
    let scratch = Scratch::new();
    let max_workers = limits::MAX_WORKERS;
    let cases: [(&str, &str, String); 7] = [
        (
            "huge-pool",
            "[[stage]]\nkind = \"pool\"\nworkers = 1000000\ntasks = [{ fn = \"panic\" }]\n",
            format!("8:11: stage 1: workers = 1000000 is out of range: 1 to {max_workers}"),
        ),
        (
            "huge-each",
            "[[stage]]\nkind = \"processes\"\nworkers = 1000000\neach = { fn = \"sleep\", secs = 1 }\n",
            format!("8:11: stage 1: workers = 1000000 is out of range: 1 to {max_workers}"),
        ),
        (
            "huge-cores",
            "[[stage]]\nkind = \"processes\"\nworkers = \"cores+1000000\"\neach = { fn = \"sleep\", secs = 1 }\n",
            format!(
                "8:11: stage 1: workers = \"cores+1000000\" gives 1000001 workers on a machine with 1 core: at most {max_workers}, on any machine with up to {} cores",
                limits::MAX_CORES
            ),
        ),
        (
            "huge-count",
            "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"count\", times = 1000000000000 }]\n",
            format!(
                "8:34: stage 1: task 1: times = 1000000000000 is out of range: 0 to {}",
                limits::MAX_COUNT_TIMES
            ),
        ),
        (
            "huge-print",
            "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"print\", text = \"x\", times = 1000000 }]\n",
            format!(
                "8:46: stage 1: task 1: times = 1000000 is too many lines: at most {}",
                limits::MAX_PRINT_TIMES
            ),
        ),
        (
            "huge-items",
            "[[stage]]\nkind = \"pool\"\nitems = { fn = \"square\", from = 0, to = 9999999 }\n",
            format!(
                "8:41: stage 1: items: 0..=9999999 is too many tasks: at most {}",
                limits::MAX_TASKS
            ),
        ),
        (
            "huge-sleep",
            "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"spin\", secs = 1e12 }]\n",
            format!(
                "8:32: stage 1: task 1: secs = 1000000000000 is out of range: 0 to {} seconds",
                limits::MAX_TASK_SECS
            ),
        ),
    ];
    for (id, body, problem) in &cases {
        let folder = scratch.lesson(id, body);
        let started = Instant::now();
        let mut expected = vec![format!("{folder}/lesson.toml:{problem}")];
        if *id == "huge-items" {
            expected.push(format!(
                "{folder}/lesson.toml:8:41: stage 1: items: numbers must stay within -1000000..=1000000"
            ));
        }
        assert_check(&scratch, &folder, &expected);
        assert_run_refused(&scratch, id, &expected);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{id} took {:?}",
            started.elapsed()
        );
        std::fs::remove_dir_all(&folder).unwrap();
    }
}

#[test]
fn oversized_worker_flags_are_usage_errors() {
    let scratch = Scratch::new();
    for flag in ["1000000", "0", "-1", "257"] {
        let output = scratch.proclab(
            &["run", "pool-sleep", "--workers", flag, "--speed", "100"],
            20,
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "--workers {flag}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid value '{flag}' for '--workers <N>'")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("1..={}", limits::MAX_WORKERS)),
            "{stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Files too large, symlink loops.

/// A valid lesson whose `lesson.toml` is padded with instructor notes to `size` bytes.
fn padded_lesson(scratch: &Scratch, name: &str, size: usize) -> String {
    let folder = scratch.lesson(name, "");
    let head = format!("{}instructor_notes = \"\"\"\n", header(name));
    let tail =
        "\"\"\"\n[[stage]]\nkind = \"pool\"\nworkers = 2\ntasks = [{ fn = \"square\", n = 2 }]\n";
    let line = format!("{}\n", "x".repeat(99));
    let mut text = head;
    while text.len() + line.len() + tail.len() <= size {
        text.push_str(&line);
    }
    text.push_str(&"y".repeat(size - text.len() - tail.len()));
    text.push_str(tail);
    assert_eq!(text.len(), size);
    std::fs::write(format!("{folder}/lesson.toml"), text).unwrap();
    folder
}

#[test]
fn a_2_mb_lesson_file_is_refused_and_one_of_exactly_1_mib_is_read() {
    let scratch = Scratch::new();
    let max = limits::MAX_LESSON_FILE_BYTES;
    let big = padded_lesson(&scratch, "big", 2 * 1024 * 1024);
    let expected = [format!(
        "{big}/lesson.toml: is 2097152 bytes: a lesson file may be at most {max} bytes"
    )];
    assert_check(&scratch, &big, &expected);
    assert_run_refused(&scratch, "big", &expected);
    std::fs::remove_dir_all(&big).unwrap();

    let exact = padded_lesson(&scratch, "exact", max as usize);
    let output = scratch.proclab(&["check", &exact], 20);
    assert_eq!(text(&output.stdout), "1 lesson checked: all valid\n");
    assert!(output.status.success());

    // The narrative and the program have the same limit.
    let narrative = format!("{exact}/narrative.md");
    std::fs::write(&narrative, "n".repeat(max as usize + 1)).unwrap();
    assert_check(
        &scratch,
        &exact,
        &[format!(
            "{narrative}: is {} bytes: a lesson file may be at most {max} bytes",
            max + 1
        )],
    );
}

#[test]
fn a_symlink_loop_gives_a_clear_message_without_a_hang() {
    let scratch = Scratch::new();
    let root = scratch.path("lessons");
    let self_loop = root.join("loop");
    std::os::unix::fs::symlink(&self_loop, &self_loop).unwrap();
    let (a, b) = (root.join("a"), root.join("b"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    for path in [&self_loop, &a] {
        let shown = path.display().to_string();
        let expected =
            format!("{shown}: cannot be read: Too many levels of symbolic links (os error 40)");
        assert_check(&scratch, &shown, std::slice::from_ref(&expected));
        let output = scratch.proclab(
            &["--lessons", &shown, "run", "pool-sleep", "--speed", "100"],
            20,
        );
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        assert_eq!(
            text(&output.stderr),
            format!("error: the lessons in --lessons have problems:\n{expected}\n")
        );
    }
    // A folder that contains itself (`inner -> ..`) next to a real lesson: the lesson loads and
    // the walk stops (lesson folders are looked for one level deep only).
    scratch.lesson(
        "good",
        "[[stage]]\nkind = \"pool\"\nworkers = 2\ntasks = [{ fn = \"square\", n = 3 }]\n",
    );
    std::os::unix::fs::symlink("..", scratch.path("lessons/good/inner")).unwrap();
    std::fs::remove_file(&self_loop).unwrap();
    std::fs::remove_file(&a).unwrap();
    std::fs::remove_file(&b).unwrap();
    std::os::unix::fs::symlink(&root, root.join("again")).unwrap();
    let output = scratch.proclab(&["check", root.to_str().unwrap()], 20);
    assert_eq!(text(&output.stdout), "1 lesson checked: all valid\n");
    let output = scratch.proclab(
        &[
            "--lessons",
            root.to_str().unwrap(),
            "run",
            "good",
            "--speed",
            "100",
            "--json",
        ],
        30,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A lesson folder whose `lesson.toml` is a symlink to itself names that file, and why it is
/// not read (lesson files are never followed through links).
#[test]
fn a_looping_lesson_file_is_named() {
    let scratch = Scratch::new();
    let folder = scratch.path("lessons/looped");
    std::fs::create_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink(folder.join("lesson.toml"), folder.join("lesson.toml")).unwrap();
    let shown = folder.display().to_string();
    assert_check(
        &scratch,
        &shown,
        &[format!(
            "{shown}/lesson.toml: is a symbolic link: a lesson's files must be regular files in its folder (copy the file there instead)"
        )],
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile text stays text.

const SHELL: &str =
    "$(touch MARK1); `touch MARK2` | touch MARK3 && touch MARK4 > MARK5 'q' \"dq\" \\";

/// A lesson that prints hostile text through every text field: labels, print text, before and
/// after lines and the parent's line. `MARK` stands for a path in the scratch folder.
fn hostile_lesson(scratch: &Scratch, id: &str, hostile: &str) -> String {
    let mark = scratch.path("mark").display().to_string();
    let hostile = hostile.replace("MARK", &mark);
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let body = format!(
        "[[stage]]\nkind = \"pool\"\nworkers = 2\nparent_says = {parent}\ntasks = [\n  \
         {{ label = {label}, fn = \"print\", text = {text}, before = \"start {{label}}\", after = \"end {{label}}\" }},\n  \
         {{ label = \"B\", fn = \"square\", n = 3 }},\n]\n\n[[checkpoint]]\nid = \"q\"\nquestion = \"?\"\n\
         answer_kind = \"order\"\nanswer = {order}\nexplanation = \"e\"\n",
        parent = q(&format!("parent {hostile}")),
        label = q(&format!("L{hostile}")),
        text = q(&format!("T{hostile}")),
        order = q("B"),
    );
    scratch.lesson(id, &body)
}

#[test]
fn shell_metacharacters_in_text_are_printed_literally() {
    let scratch = Scratch::new();
    let folder = hostile_lesson(&scratch, "shelly", SHELL);
    let mark = scratch.path("mark").display().to_string();
    let literal = SHELL.replace("MARK", &mark);
    let output = scratch.proclab(&["check", &folder], 20);
    assert_eq!(text(&output.stdout), "1 lesson checked: all valid\n");
    let root = scratch.path("lessons");
    let output = scratch.proclab(
        &[
            "--lessons",
            root.to_str().unwrap(),
            "run",
            "shelly",
            "--speed",
            "100",
        ],
        30,
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for line in [
        format!("start L{literal}"),
        format!("T{literal}"),
        format!("end L{literal}"),
        format!("parent {literal}"),
    ] {
        assert!(stdout.contains(&line), "{stdout}\nlacks {line}");
    }
    // The JSON stream carries the same text, exactly.
    let output = scratch.proclab(
        &[
            "--lessons",
            root.to_str().unwrap(),
            "run",
            "shelly",
            "--speed",
            "100",
            "--json",
        ],
        30,
    );
    assert!(output.status.success());
    let texts: Vec<String> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .filter(|e| e["event"] == "output")
        .map(|e| e["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(texts.contains(&format!("T{literal}")), "{texts:?}");
    // (`Scratch::proclab` has checked that no MARK file was created.)
}

/// Terminal escape sequences in a label, print text, before/after line or `parent_says` would
/// clear the learner's screen (`ESC[2J`) or retitle the window (`ESC]0;...BEL`): they never reach
/// the terminal.
#[test]
fn escape_sequences_in_text_do_not_reach_the_terminal() {
    let scratch = Scratch::new();
    let folder = hostile_lesson(
        &scratch,
        "ansi",
        "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7} \u{1b}[2J",
    );
    let check = scratch.proclab(&["check", &folder], 20);
    if check.status.code() == Some(1) {
        return; // refused by the validator: fine
    }
    let root = scratch.path("lessons");
    let output = scratch.proclab(
        &[
            "--lessons",
            root.to_str().unwrap(),
            "run",
            "ansi",
            "--speed",
            "100",
        ],
        30,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let raw: Vec<usize> = output
        .stdout
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == 0x1b || **b == 0x07)
        .map(|(i, _)| i)
        .collect();
    assert!(
        raw.is_empty(),
        "raw control bytes at {raw:?} in:\n{}",
        text(&output.stdout)
    );
}

/// `program` and `narrative` are checked by name only: a `program.py` or `narrative.md` inside
/// the folder that is a symlink to a file outside it is followed and read (a shared lesson folder
/// with `narrative.md -> /proc/self/environ` shows the learner's environment in the TUI).
#[test]
fn symlinks_out_of_the_folder_are_not_followed() {
    let scratch = Scratch::new();
    let outside = write_outside(&scratch);
    let folder = scratch.lesson(
        "linked",
        "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"square\", n = 2 }]\n",
    );
    let folder_path = PathBuf::from(&folder);
    replace_with_link(&folder_path, "narrative.md", outside.join("secret.md"));
    let output = scratch.proclab(&["check", &folder], 20);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        !stdout.contains("leaked"),
        "the narrative outside was read:\n{stdout}"
    );
}

#[test]
fn a_lesson_folder_that_is_a_symbolic_link_is_refused() {
    let scratch = Scratch::new();
    let folder = scratch.lesson(
        "real",
        "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"square\", n = 2 }]\n",
    );
    let shared = scratch.path("shared");
    std::fs::create_dir_all(&shared).unwrap();
    // In a folder of lessons, and named on its own.
    std::os::unix::fs::symlink(&folder, shared.join("linked")).unwrap();
    let link = shared.join("linked").display().to_string();
    let expected = format!(
        "{link}: is a symbolic link: a lesson folder must be a folder of its own, not a link to one (copy the lesson there, or name the folder the link points to)"
    );
    for checked in [shared.display().to_string(), link.clone()] {
        let output = scratch.proclab(&["check", &checked], 20);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert_eq!(stdout.lines().next(), Some(expected.as_str()), "{stdout}");
    }
    let output = scratch.proclab(&["--lessons", &link, "list"], 20);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains(&expected),
        "{}",
        text(&output.stderr)
    );
}

/// While lessons load again and again, another thread swaps `narrative.md` for a link to a file
/// outside the folder and back: no load may ever read the outside file (a check before the
/// open would leave a window: a reader that checked, then opened, was caught in 2 runs of 2 while
/// this test was written; one open without following links leaves none).
#[test]
fn a_file_swapped_for_a_link_while_it_is_read_is_never_followed() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let scratch = Scratch::new();
    let outside = scratch.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "# leaked secret\n").unwrap();
    let folder = PathBuf::from(scratch.lesson(
        "racy",
        "[[stage]]\nkind = \"pool\"\ntasks = [{ fn = \"square\", n = 2 }]\n",
    ));
    let done = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (done, folder, secret) = (done.clone(), folder.clone(), outside.join("secret.md"));
        std::thread::spawn(move || {
            let (real, link, narrative) = (
                folder.join("real.tmp"),
                folder.join("link.tmp"),
                folder.join("narrative.md"),
            );
            while !done.load(Ordering::Relaxed) {
                std::fs::write(&real, "Some text.\n").unwrap();
                std::fs::rename(&real, &narrative).unwrap();
                std::os::unix::fs::symlink(&secret, &link).unwrap();
                std::fs::rename(&link, &narrative).unwrap();
            }
        })
    };
    let (mut loaded, mut refused) = (0, 0);
    for _ in 0..20000 {
        match proclab::lesson::load::load_folder(&folder) {
            Ok(lesson) => {
                assert!(!lesson.narrative.contains("leaked"), "read through a link");
                loaded += 1;
            }
            Err(problems) => {
                let text = format!("{problems:?}");
                assert!(!text.contains("leaked"), "{text}");
                refused += 1;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(
        loaded > 0 && refused > 0,
        "{loaded} loaded, {refused} refused"
    );
}

// ---------------------------------------------------------------------------------------------
// Nothing from a recording or a traced program reaches the terminal as control codes.

/// Every kind of escape an attacker would send: a window title (OSC 0), a clear screen, a
/// clipboard write (OSC 52), a C1 CSI (U+009B) and DEL.
const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;Y3VybA==\u{7}\u{9b}31m\u{7f}X";

/// Where a raw control byte (C0 but newline and tab, DEL, a C1 in UTF-8) is in `bytes`.
fn raw_controls(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len())
        .filter(|&i| {
            let b = bytes[i];
            (b < 0x20 && b != b'\n' && b != b'\t')
                || b == 0x7f
                || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)))
        })
        .collect()
}

fn assert_no_raw_controls(what: &str, bytes: &[u8]) {
    let raw = raw_controls(bytes);
    assert!(
        raw.is_empty(),
        "{what}: raw control bytes at {raw:?} in:\n{}",
        String::from_utf8_lossy(bytes).escape_debug()
    );
}

/// A recording of the pool-sleep fixture with [`ESCAPES`] in every string a recording holds:
/// the lesson, version, stage name, labels, printed lines, kernel states, results, notices and
/// pool calls;
/// `source` is `lesson` or `trace` (whose report shows the stage name as the command).
fn hostile_recording(path: &Path, source: &str) {
    use serde_json::{Value, json};
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pool-sleep.jsonl"),
    )
    .unwrap();
    let hostile = |v: &Value| Value::String(format!("{ESCAPES}{}", v.as_str().unwrap_or("")));
    let mut lines = Vec::new();
    for line in fixture.lines() {
        let mut event: Value = serde_json::from_str(line).unwrap();
        let kind = event["event"].as_str().unwrap().to_string();
        for field in ["lesson", "version", "name", "label", "text", "state"] {
            if let Some(value) = event.get(field) {
                event[field] = hostile(value);
            }
        }
        match kind.as_str() {
            "run_started" => event["source"] = json!(source),
            "task_finished" => event["result"] = json!(ESCAPES),
            "run_finished" => event["results"] = json!([ESCAPES, ESCAPES, ESCAPES, ESCAPES]),
            _ => {}
        }
        lines.push(event.to_string());
        if kind == "stage_started" {
            let t_ms = event["t_ms"].clone();
            let notice = json!({"event": "notice", "t_ms": t_ms, "text": ESCAPES});
            let call = json!({"event": "pool_call", "t_ms": t_ms, "worker": 0, "pid": 1,
                "api": format!("{ESCAPES}Pool.map"), "tasks": 4, "chunksize": 1, "workers": 2});
            lines.push(notice.to_string());
            lines.push(call.to_string());
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// `export` of a recording with escape sequences in every string: the text report and the SVG
/// (on standard output and in a file) show them as `\u{1b}`; no byte of them is sent.
#[test]
fn a_hostile_recording_exports_without_control_codes() {
    let scratch = Scratch::new();
    for source in ["lesson", "trace"] {
        let recording = scratch.path(&format!("{source}.jsonl"));
        hostile_recording(&recording, source);
        let recording = recording.to_str().unwrap();
        let svg_file = scratch.path(&format!("{source}.svg"));
        for args in [
            vec!["export", recording, "--format", "text"],
            vec!["export", recording, "--format", "svg"],
            vec!["export", recording, "--svg", svg_file.to_str().unwrap()],
            // Not a terminal: the error names the file, and sends nothing either.
            vec!["replay", recording],
        ] {
            let output = run_with_timeout(&args, &scratch.path("cwd"), 20);
            assert_no_raw_controls(&format!("{args:?} stdout"), &output.stdout);
            assert_no_raw_controls(&format!("{args:?} stderr"), &output.stderr);
            if args.get(3) == Some(&"text") {
                let report = text(&output.stdout);
                assert!(output.status.success(), "{}", text(&output.stderr));
                let shown =
                    "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{1b}]52;c;Y3VybA==\\u{7}\\u{9b}31m\\u{7f}X";
                for line in [
                    format!("{shown}A waiting 5 s"),
                    // A lesson's results are JSON values (JSON's escapes show them), a trace's
                    // are Python reprs.
                    match source {
                        "lesson" => "results:    [\"\\u001b]0;pwned\\u0007".to_string(),
                        _ => format!("results:    [{shown}, {shown}"),
                    },
                    format!("  • {shown}"),
                ] {
                    assert!(report.contains(&line), "{report}\nlacks {line}");
                }
                if source == "trace" {
                    let line = format!("proclab trace {shown}a pool of 2");
                    assert!(report.starts_with(&line), "{report}");
                    assert!(report.contains(&format!("{shown}Pool.map")), "{report}");
                }
            }
        }
        let svg = std::fs::read(&svg_file).unwrap();
        assert_no_raw_controls("the SVG file", &svg);
        roxmltree::Document::parse(std::str::from_utf8(&svg).unwrap()).expect("well-formed XML");
    }
}

/// A recording's own error quotes what it read: a string with escapes where a number belongs,
/// and a line that is not JSON at all, are quoted with their control characters shown.
#[test]
fn a_bad_recordings_message_shows_the_escapes_it_quotes() {
    let scratch = Scratch::new();
    let started = r#"{"event":"run_started","t_ms":0.0,"lesson":"x","parent_pid":1,"cores":2,"workers":1,"speed":1.0,"stages":1,"version":"0.1.0"}"#;
    let cases = [
        format!(
            "{started}\n{{\"event\":\"notice\",\"t_ms\":{}}}\n",
            serde_json::to_string(ESCAPES).unwrap()
        ),
        format!("{started}\n{ESCAPES}\n"),
        format!("{ESCAPES}\n"),
    ];
    for (n, body) in cases.iter().enumerate() {
        let path = scratch.path(&format!("bad-{n}.jsonl"));
        std::fs::write(&path, body).unwrap();
        for command in ["export", "replay"] {
            let output =
                run_with_timeout(&[command, path.to_str().unwrap()], &scratch.path("cwd"), 20);
            assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
            assert_no_raw_controls(&format!("{command} case {n}"), &output.stderr);
            // The first quotes the value it could not use.
            assert!(
                n > 0 || text(&output.stderr).contains("\"\\u{1b}]0;pwned\\u{7}"),
                "{}",
                text(&output.stderr)
            );
        }
    }
}

/// A traced program that puts escape sequences in its command line, its tasks' labels, results
/// (a repr of its own) and exception messages, but prints nothing hostile itself: neither the
/// report nor the JSON events send a byte of them, and the report shows each of them.
#[test]
fn a_traced_programs_texts_reach_the_report_escaped() {
    if !common::tracing::have_python("a_traced_programs_texts_reach_the_report_escaped") {
        return;
    }
    let scratch = Scratch::new();
    let program = scratch.path("hostile.py");
    std::fs::write(
        &program,
        "import sys, multiprocessing as mp\n\
         E = sys.argv[1]\n\
         class Shown:\n    def __repr__(self):\n        return E + 'repr'\n\
         def work(item):\n    if item.endswith('raise'):\n        raise ValueError(E + 'boom')\n    \
         return Shown()\n\
         if __name__ == '__main__':\n    with mp.Pool(2) as pool:\n        \
         pool.map(work, [E + 'a', E + 'b'])\n        \
         try:\n            pool.apply(work, (E + 'raise',))\n        \
         except ValueError:\n            pass\n    print('done')\n",
    )
    .unwrap();
    let program = program.to_str().unwrap();
    let output = run_with_timeout(
        &["trace", "--pipe", "--", "python3", program, ESCAPES],
        &scratch.path("cwd"),
        60,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_no_raw_controls("the trace's report", &output.stdout);
    assert_no_raw_controls("the trace's stderr", &output.stderr);
    let report = text(&output.stdout);
    let shown = "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{1b}]52;c;Y3VybA==\\u{7}\\u{9b}31m\\u{7f}X";
    for line in [
        // The command as a shell would quote it; labels are cut at 24 characters.
        format!("proclab trace python3 {program} $'\\x1b]0;pwned\\x07\\x1b[2J"),
        "input:      \\u{1b}]0;pwned\\u{7}\\u{1b}[2J".to_string(),
        format!("results:    [{shown}repr, {shown}repr, raised ValueError: {shown}boom]"),
    ] {
        assert!(report.contains(&line), "{report}\nlacks {line}");
    }
    let output = run_with_timeout(
        &[
            "trace", "--json", "--pipe", "--", "python3", program, ESCAPES,
        ],
        &scratch.path("cwd"),
        60,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_no_raw_controls("the trace's JSON", &output.stdout);
    let results: Vec<String> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .filter(|e| e["event"] == "task_finished")
        .map(|e| e["result"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        results.contains(&format!("{ESCAPES}repr")),
        "the JSON keeps the text exactly: {results:?}"
    );
}

/// A replay of the hostile recording in a real terminal, read as the raw bytes proclab wrote
/// to it (tmux `pipe-pane`): its stage names, labels (the timeline writes them cell by cell),
/// printed lines and notices send no title, clipboard write, C1 or DEL, however far it plays,
/// on the lesson's screen and the page that describes an unknown lesson.
#[test]
fn a_hostile_replay_sends_no_control_codes_to_the_terminal() {
    let scratch = Scratch::new();
    for source in ["lesson", "trace"] {
        let recording = scratch.path(&format!("{source}.jsonl"));
        hostile_recording(&recording, source);
        let raw = scratch.path(&format!("{source}.raw"));
        let tmux = common::tmux::Tmux::start(160, 48);
        tmux.tmux(&[
            "pipe-pane",
            "-o",
            "-t",
            "main",
            &format!("cat >> {}", raw.display()),
        ]);
        tmux.type_line(&format!("{PROCLAB} replay {}", recording.display()));
        tmux.wait_for("the paused replay", |s| s.contains("❚❚ replay 0.00 s"));
        tmux.keys(&["End"]);
        tmux.wait_for("the end of the replay", |s| s.contains("finished in"));
        for key in ["v", "i", "i", "?"] {
            tmux.keys(&[key]);
            std::thread::sleep(Duration::from_millis(300));
        }
        tmux.keys(&["q"]);
        tmux.keys(&["q"]);
        tmux.wait_for("the shell", |s| s.trim_end().ends_with('$'));
        let title = tmux.tmux(&["display-message", "-p", "-t", "main", "#{pane_title}"]);
        assert!(!title.contains("pwned"), "the title was set: {title}");
        drop(tmux);
        let bytes = std::fs::read(&raw).unwrap();
        assert!(
            bytes.windows(5).any(|w| w == b"pwned"),
            "the replay drew no hostile text"
        );
        for (what, found) in [
            (
                "an OSC (title, clipboard)",
                bytes.windows(2).any(|w| w == b"\x1b]"),
            ),
            ("a BEL", bytes.contains(&0x07)),
            ("a DEL", bytes.contains(&0x7f)),
            (
                "a C1 control",
                bytes
                    .windows(2)
                    .any(|w| w[0] == 0xc2 && (0x80..0xa0).contains(&w[1])),
            ),
        ] {
            assert!(
                !found,
                "{source}: {what} reached the terminal:\n{}",
                String::from_utf8_lossy(&bytes).escape_debug()
            );
        }
    }
}

/// `progress.json` is a file anyone with the account could have edited: the lesson it names,
/// quoted by `proclab notes` when no such lesson exists, is shown escaped.
#[test]
fn a_hostile_lesson_id_in_the_progress_file_is_quoted_escaped() {
    let scratch = Scratch::new();
    let state = scratch.path("state/proclab");
    std::fs::create_dir_all(&state).unwrap();
    let progress = serde_json::json!({
        "version": 1,
        "last": {"lesson": ESCAPES, "page": 0},
        "lessons": {},
    });
    std::fs::write(state.join("progress.json"), progress.to_string()).unwrap();
    let output = Command::new(PROCLAB)
        .arg("notes")
        .env("XDG_STATE_HOME", scratch.path("state"))
        .stdin(Stdio::null())
        .output()
        .expect("proclab runs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_no_raw_controls("notes' stdout", &output.stdout);
    assert_no_raw_controls("notes' stderr", &output.stderr);
    assert!(
        stderr.starts_with("error: no lesson with id \"\\u{1b}]0;pwned\\u{7}"),
        "{stderr}"
    );
}
