//! The screen of `proclab trace`: a stand-in lesson whose one page says what is being traced
//! and how to read the panels, and whose program is the traced Python file when there is one.

use std::ffi::OsStr;
use std::path::Path;

use crate::lesson::{Lesson, Origin};
use crate::limits;
use crate::trace::{self, TraceSpec};

/// The page and program shown beside a trace of `spec`.
pub fn stand_in_lesson(spec: &TraceSpec) -> Lesson {
    let command = trace::command_line(&spec.command);
    let script = python_file(&spec.command);
    let program = script
        .and_then(|path| crate::files::read_regular(path, limits::MAX_LESSON_FILE_BYTES).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    let program_name = script
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = if spec.pipe {
        "The program writes into **pipes** (`--pipe`), as when its output goes to a file or to \
         `| cat`: Python then keeps its prints in a buffer and writes them in blocks, so lines \
         arrive late and grouped by process."
    } else {
        "The program writes into a **terminal** (a pty), as when you run it yourself: Python \
         writes each printed line as soon as it ends. Run it with `--pipe` to see block \
         buffering instead."
    };
    let narrative = format!(
        "# Tracing `{command}`\n\n\
         This is your own program, running for real. proclab started it and follows every \
         process it creates, from `/proc`: each one's PID, parent, kernel state, the core it \
         is on, and how it ended.\n\n\
         For a Python program there is more: through a small module that proclab puts on \
         `PYTHONPATH` for this run only, each `multiprocessing` process, and each item that a \
         `Pool` or a `ProcessPoolExecutor` works on, reports itself. The timeline then shows \
         which worker ran which item, and the order panel the order they finished in. Every \
         printed line is tagged with the PID that printed it.\n\n\
         {output}\n\n\
         - **r** runs it again; **Space** pauses every process (SIGSTOP); **k** kills the \
         selected one\n\
         - **v** shows the program; **R** saves the run to replay later\n"
    );
    Lesson {
        program,
        program_name,
        ..Lesson::stand_in(
            trace::LESSON,
            format!("Trace of {command}"),
            narrative,
            Origin::Trace,
        )
    }
}

/// The first `.py` argument of a Python command, if it names a file.
fn python_file(command: &[std::ffi::OsString]) -> Option<&Path> {
    command
        .iter()
        .skip(1)
        .map(Path::new)
        .find(|path| path.extension() == Some(OsStr::new("py")) && path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_traced_python_file_as_the_program() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("homework.py");
        std::fs::write(&file, "print('hi')\n").unwrap();
        let spec = TraceSpec::new(vec!["python3".into(), "-u".into(), file.clone().into()]);
        let lesson = stand_in_lesson(&spec);
        assert_eq!(lesson.program, "print('hi')\n");
        assert_eq!(lesson.program_name, "homework.py");
        assert!(lesson.title.contains("homework.py"));
        let none = stand_in_lesson(&TraceSpec::new(vec!["sleep".into(), "1".into()]));
        assert!(none.program.is_empty());
    }
}
