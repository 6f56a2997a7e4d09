//! The screen of `proclab trace`: a page that says what is being traced and how to read the
//! panels (and the traced Python file, when there is one), beside the run panels; `r` traces the
//! command again and `q` leaves proclab.

use std::ffi::OsStr;
use std::path::Path;

use super::message::Command;
use super::panes::{AboutPage, Reader, RunView, Text};
use super::{App, Exit, Screen};
use crate::limits;
use crate::trace::{self, TraceSpec};
use crate::tui::runtime::keys::Action;
use crate::tui::runtime::theme::Theme;

/// The screen of `proclab trace`.
#[derive(Debug, Clone)]
pub struct TraceScreen {
    /// The command `r` traces again.
    pub(crate) spec: TraceSpec,
    /// The page about the trace.
    pub(crate) about: AboutPage,
    /// The reading pane.
    pub(crate) reader: Reader,
    /// The run panels.
    pub(crate) view: RunView,
}

impl TraceScreen {
    /// A screen for tracing `spec` (not started yet).
    pub(crate) fn new(spec: TraceSpec, theme: &Theme) -> TraceScreen {
        let about = about_page(&spec);
        let reader = Reader::of(Text::About(&about), &about.program, theme);
        TraceScreen {
            spec,
            about,
            reader,
            view: RunView::default(),
        }
    }
}

impl App {
    /// A UI tracing `spec` on a screen of its own; the trace starts with the UI.
    pub fn tracing(
        lessons: Vec<crate::lesson::Lesson>,
        spec: TraceSpec,
        cores: u32,
        theme: Theme,
        area: ratatui::layout::Rect,
    ) -> App {
        let options = crate::engine::RunOptions::default();
        let mut app = App::new(lessons, None, options, cores, theme, area);
        app.screen = Screen::Trace(Box::new(TraceScreen::new(spec, &app.theme)));
        app.startup = app.start_trace();
        app
    }

    /// The keys of the trace screen.
    pub(super) fn trace_action(&mut self, action: Action) -> Option<Command> {
        match action {
            // The screen opened on its own, not from the list: leaving it leaves proclab.
            Action::Back => self.leave(Exit::Quit),
            Action::Run => self.start_trace(),
            Action::Pause | Action::Kill => self.control_run(action),
            Action::Record => self.save_run(),
            _ => {
                self.panes()?.act(action);
                None
            }
        }
    }
}

/// The page and program shown beside a trace of `spec`.
fn about_page(spec: &TraceSpec) -> AboutPage {
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
         - **r** runs it again; **Space** pauses every process (SIGSTOP); **K** kills the \
         selected one (SIGKILL, after asking)\n\
         - **v** shows the program; **R** saves the run to replay later\n"
    );
    AboutPage {
        id: trace::LESSON.to_string(),
        title: format!("Trace of {command}"),
        markdown: narrative,
        program,
        program_name,
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
        let page = about_page(&spec);
        assert_eq!(page.program, "print('hi')\n");
        assert_eq!(page.program_name, "homework.py");
        assert!(page.title.contains("homework.py"));
        let none = about_page(&TraceSpec::new(vec!["sleep".into(), "1".into()]));
        assert!(none.program.is_empty());
    }
}
