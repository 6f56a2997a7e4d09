//! `proclab replay`: a recorded run played back beside its lesson's pages (or a page about the
//! recording, when its lesson is not loaded): the same panels as a live run, fed from the
//! recording's events at their recorded times, with pause, step event by event, and seek.

use std::path::Path;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;

use super::checkpoints::CheckpointState;
use super::live_run::{LiveRun, RunState};
use super::message::{Command, RunId};
use super::panes::{AboutPage, Reader, RunView, Text};
use super::{App, Exit, Screen};
use crate::engine::RunOptions;
use crate::event::RunSource;
use crate::lesson::Lesson;
use crate::record::RunRecord;
use crate::recording::{EventLog, Recording};
use crate::tui::runtime::keys::Action;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::narrative;

/// What a replay shows beside the run.
#[derive(Debug, Clone)]
pub enum ReplayText {
    /// The recorded lesson's pages, when it is loaded.
    Lesson(Lesson),
    /// A page about the recording, when its lesson is not loaded.
    About(AboutPage),
}

impl ReplayText {
    /// The recorded lesson if it is among `lessons`, else a page about `recording` (read from
    /// `path`).
    pub fn of(recording: &Recording, path: &Path, lessons: &[Lesson]) -> ReplayText {
        match lessons.iter().find(|l| l.id == recording.lesson()) {
            Some(lesson) => ReplayText::Lesson(lesson.clone()),
            None => ReplayText::About(about_page(recording, path)),
        }
    }

    /// What the reading pane reads from: a lesson's checkpoints as `checkpoints` has them
    /// (hints revealed), not to be answered on a recording.
    pub(crate) fn text<'a>(&'a self, checkpoints: &'a [CheckpointState]) -> Text<'a> {
        match self {
            ReplayText::Lesson(lesson) => Text::Lesson {
                lesson,
                checkpoints,
                answerable: false,
            },
            ReplayText::About(page) => Text::About(page),
        }
    }

    /// The recorded lesson, if it is loaded.
    fn lesson(&self) -> Option<&Lesson> {
        match self {
            ReplayText::Lesson(lesson) => Some(lesson),
            ReplayText::About(_) => None,
        }
    }

    fn program(&self) -> &str {
        match self {
            ReplayText::Lesson(lesson) => &lesson.program,
            ReplayText::About(page) => &page.program,
        }
    }
}

/// The screen of `proclab replay`.
#[derive(Debug, Clone)]
pub struct ReplayScreen {
    /// The lesson's pages, or a page about the recording.
    pub(crate) text: ReplayText,
    /// The reading pane.
    pub(crate) reader: Reader,
    /// The run panels, showing the run as far as it is played.
    pub(crate) view: RunView,
    /// Where playback is.
    pub replay: Replay,
    /// The hints revealed of the lesson's checkpoints (they are not answered here).
    pub(crate) checkpoints: Vec<CheckpointState>,
    /// How to run the recorded lesson or command live, for the keys a recording refuses.
    pub(crate) live_command: String,
}

impl ReplayScreen {
    /// What the reading pane reads from.
    pub(crate) fn text(&self) -> Text<'_> {
        self.text.text(&self.checkpoints)
    }

    /// Reveals the next hint of this page's checkpoints; `false` when none is left.
    fn reveal_hint(&mut self) -> bool {
        let Some(lesson) = self.text.lesson() else {
            return false;
        };
        narrative::page_checkpoints(lesson, self.reader.page)
            .iter()
            .any(|&i| self.checkpoints[i].reveal_hint(&lesson.checkpoints[i]))
    }
}

impl App {
    /// A UI playing back `events` (a recording, its first event `run_started`) on a screen of
    /// its own beside `text`, paused at the start.
    pub fn replaying(
        lessons: Vec<Lesson>,
        events: EventLog,
        text: ReplayText,
        cores: u32,
        theme: Theme,
        area: Rect,
    ) -> App {
        let mut app = App::new(lessons, None, RunOptions::default(), cores, theme, area);
        if let ReplayText::Lesson(lesson) = &text
            && let Some(index) = app.lessons.iter().position(|l| l.id == lesson.id)
        {
            app.list.selected = index;
        }
        let checkpoints = text.lesson().map_or(Vec::new(), |lesson| {
            vec![CheckpointState::default(); lesson.checkpoints.len()]
        });
        let reader = Reader::of(text.text(&checkpoints), text.program(), &app.theme);
        let live_command = live_command(&events, &text);
        let mut replay = Replay::new(events);
        let mut view = RunView::default();
        view.show(replay.start(app.take_run_id()));
        app.screen = Screen::Replay(Box::new(ReplayScreen {
            text,
            reader,
            view,
            replay,
            checkpoints,
            live_command,
        }));
        app.notice = Some(
            "A recording, paused at its start: Space plays it, . and , step one event, [ and ] seek."
                .into(),
        );
        app
    }

    /// The keys of the replay screen; those that would start or change a live run say that
    /// this is a recording.
    pub(super) fn replay_action(&mut self, action: Action) -> Option<Command> {
        let at = Instant::now();
        let Screen::Replay(screen) = &mut self.screen else {
            return None;
        };
        let (replay, run) = (&mut screen.replay, screen.view.run.as_mut()?);
        match action {
            Action::Back if screen.reader.notes.is_some() => screen.reader.notes = None,
            // The screen opened on its own, not from the list: leaving it leaves proclab.
            Action::Back => return self.leave(Exit::Quit),
            Action::Pause => replay.toggle(run, at),
            Action::StepForward => replay.step_forward(run),
            Action::StepBack => replay.step_back(run),
            Action::SeekForward | Action::SeekBack => {
                replay.seek(run, action == Action::SeekForward, at)
            }
            Action::JumpStart | Action::JumpEnd => replay.jump(run, action == Action::JumpEnd, at),
            Action::Faster | Action::Slower => {
                replay.change_rate(action == Action::Faster, at);
                self.notice = Some(format!("Playing at ×{}.", replay.rate()));
            }
            Action::Run => {
                replay.jump(run, false, at);
                replay.toggle(run, at);
            }
            Action::Hint => {
                if !screen.reveal_hint() {
                    self.notice = Some("No more hints on this page.".into());
                }
            }
            Action::LiveOnly => {
                self.notice = Some(format!(
                    "This is a recording: it shows what happened then, and Space plays it. To answer, run or change it live: {}",
                    screen.live_command
                ));
            }
            Action::Record => self.notice = Some("This run is already a recording.".into()),
            _ => {
                self.panes()?.act(action);
            }
        }
        None
    }
}

/// Playback rates `<` and `>` step through.
const RATES: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// How far `[` and `]` move, as a share of the whole run (at least 100 ms).
const SEEK_SHARE: f64 = 0.05;

/// A recording being played back.
#[derive(Debug, Clone)]
pub struct Replay {
    events: EventLog,
    /// The latest event's time: the recorded run's length, in ms.
    end_ms: f64,
    /// Events `events[..applied]` are in the run shown.
    applied: usize,
    /// The recorded time shown, in ms.
    position_ms: f64,
    /// Whether time moves on by itself.
    playing: bool,
    /// Index into [`RATES`].
    rate: usize,
    /// When playing: the wall-clock instant and position playback (re)started from.
    anchor: Option<(Instant, f64)>,
}

impl Replay {
    /// A replay of `events` (the first is `run_started`), paused at the start.
    pub(crate) fn new(events: EventLog) -> Replay {
        Replay {
            end_ms: (0..events.len())
                .filter_map(|index| events.t_ms(index))
                .fold(0.0, f64::max),
            events,
            applied: 0,
            position_ms: 0.0,
            playing: false,
            rate: 2,
            anchor: None,
        }
    }

    /// The recorded run's length in ms (its last event's time).
    pub(crate) fn end_ms(&self) -> f64 {
        self.end_ms
    }

    /// The time shown, in ms since the run started.
    pub(crate) fn position_ms(&self) -> f64 {
        self.position_ms
    }

    /// How many events are shown, and how many there are.
    pub fn progress(&self) -> (usize, usize) {
        (self.applied, self.events.len())
    }

    /// Whether time moves on by itself.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// The playback rate (1 = as recorded).
    pub(crate) fn rate(&self) -> f64 {
        RATES[self.rate]
    }

    /// Whether every event is shown.
    pub(crate) fn at_end(&self) -> bool {
        self.applied == self.events.len()
    }

    /// Starts or stops playback; playing from the end starts again from the beginning.
    pub(crate) fn toggle(&mut self, run: &mut LiveRun, at: Instant) {
        if self.playing {
            self.pause();
        } else {
            if self.at_end() {
                self.rebuild(run, 0, 0.0);
            }
            self.playing = true;
            self.anchor = Some((at, self.position_ms));
        }
        self.show_state(run);
    }

    fn pause(&mut self) {
        self.playing = false;
        self.anchor = None;
    }

    /// A faster (`true`) or slower playback rate.
    pub(crate) fn change_rate(&mut self, faster: bool, at: Instant) {
        self.rate = if faster {
            (self.rate + 1).min(RATES.len() - 1)
        } else {
            self.rate.saturating_sub(1)
        };
        if self.playing {
            self.anchor = Some((at, self.position_ms));
        }
    }

    /// Moves playback on to wall-clock time `at`.
    pub(crate) fn tick(&mut self, run: &mut LiveRun, at: Instant) {
        let Some((since, from_ms)) = self.anchor else {
            return;
        };
        let elapsed = at.saturating_duration_since(since).as_secs_f64() * 1000.0;
        let target = (from_ms + elapsed * self.rate()).min(self.end_ms());
        self.apply_until(run, target);
        if self.at_end() {
            self.pause();
        }
        self.show_state(run);
    }

    /// How long until the next event is due (for the UI's timer), while playing.
    pub(crate) fn next_due(&self) -> Option<Duration> {
        if !self.playing {
            return None;
        }
        let next = self.events.t_ms(self.applied)?;
        let wait_ms = ((next - self.position_ms) / self.rate()).max(0.0);
        Some(Duration::from_secs_f64(wait_ms / 1000.0))
    }

    /// Shows one more event (and pauses).
    pub(crate) fn step_forward(&mut self, run: &mut LiveRun) {
        self.pause();
        if self.applied < self.events.len() {
            self.apply_one(run);
            run.now_ms = self.position_ms.max(run.record.now_ms);
        }
        self.show_state(run);
    }

    /// Shows one event fewer (and pauses).
    pub(crate) fn step_back(&mut self, run: &mut LiveRun) {
        self.pause();
        let count = self.applied.saturating_sub(1);
        let position = count
            .checked_sub(1)
            .and_then(|last| self.events.t_ms(last))
            .unwrap_or(0.0);
        self.rebuild(run, count, position);
        self.show_state(run);
    }

    /// Moves `forward` (or back) by a twentieth of the run, keeping play or pause.
    pub(crate) fn seek(&mut self, run: &mut LiveRun, forward: bool, at: Instant) {
        let step = (self.end_ms() * SEEK_SHARE).max(100.0);
        let target = if forward {
            (self.position_ms + step).min(self.end_ms())
        } else {
            (self.position_ms - step).max(0.0)
        };
        self.seek_to(run, target, at);
    }

    /// Jumps to the start (`false`) or the end (`true`).
    pub(crate) fn jump(&mut self, run: &mut LiveRun, to_end: bool, at: Instant) {
        let target = if to_end { self.end_ms() } else { 0.0 };
        self.seek_to(run, target, at);
    }

    fn seek_to(&mut self, run: &mut LiveRun, target: f64, at: Instant) {
        if target < self.position_ms {
            let count = self.events.count_until(target);
            self.rebuild(run, count, target);
        } else {
            self.apply_until(run, target);
        }
        if self.playing {
            self.anchor = Some((at, self.position_ms));
        }
        if self.at_end() {
            self.pause();
        }
        self.show_state(run);
    }

    /// Shows every event up to `target` ms.
    fn apply_until(&mut self, run: &mut LiveRun, target: f64) {
        while self.events.t_ms(self.applied).is_some_and(|t| t <= target) {
            self.apply_one(run);
        }
        self.position_ms = target.max(self.position_ms);
        run.now_ms = self.position_ms.max(run.record.now_ms);
    }

    fn apply_one(&mut self, run: &mut LiveRun) {
        let event = self.events.get(self.applied);
        self.applied += 1;
        if let Some(event) = event {
            self.position_ms = self.position_ms.max(event.t_ms());
            run.push(event, Instant::now());
        }
    }

    /// Replaces the run shown with one built from the first `count` events, at `position`.
    fn rebuild(&mut self, run: &mut LiveRun, count: usize, position: f64) {
        *run = LiveRun::new(run.id);
        self.applied = 0;
        self.position_ms = 0.0;
        while self.applied < count {
            self.apply_one(run);
        }
        self.position_ms = position;
        run.now_ms = position;
    }

    /// Shows the replay's play/pause/end as the run's state.
    fn show_state(&self, run: &mut LiveRun) {
        run.state = if self.at_end() {
            RunState::Ended
        } else if self.playing {
            RunState::Running
        } else {
            RunState::Paused
        };
    }

    /// The run to show at the start (nothing yet happened).
    pub(crate) fn start(&mut self, id: RunId) -> LiveRun {
        let mut run = LiveRun::new(id);
        self.rebuild(&mut run, 0, 0.0);
        // `run_started` is shown at once, so the panels know the run's shape.
        self.apply_until(&mut run, 0.0);
        self.show_state(&mut run);
        run
    }
}

/// The command that runs the recorded lesson (or traces the recorded command) live.
fn live_command(events: &EventLog, text: &ReplayText) -> String {
    let record = RunRecord::from_events(events.iter().take(2));
    match (record.source, record.stages.first(), text) {
        (RunSource::Trace, Some(stage), _) => format!("proclab trace -- {}", stage.name),
        (_, _, ReplayText::Lesson(lesson)) => format!("proclab open {}", lesson.id),
        (_, _, ReplayText::About(page)) => {
            format!("proclab open {} --lessons <its folder>", page.id)
        }
    }
}

/// The page shown beside a recording whose lesson is not loaded: what was recorded, where and
/// how.
fn about_page(recording: &Recording, path: &Path) -> AboutPage {
    let record = RunRecord::from_events(recording.events().iter());
    let seconds = record.finished_ms.unwrap_or(record.now_ms) / 1000.0;
    let what = match record.stages.first() {
        Some(stage) if record.source == RunSource::Trace => {
            format!("a trace of `{}`", stage.name)
        }
        _ => format!("a run of **{}**", recording.lesson()),
    };
    let lesson_note = if record.source == RunSource::Trace {
        ""
    } else {
        " Its lesson is not loaded here, so this page stands in for it (load it with \
         `--lessons DIR` to see its own pages)."
    };
    let narrative = format!(
        "# A recorded run\n\n\
         This is {what}, recorded by proclab {version} on a machine with {cores} cores, and \
         saved to `{file}`.{lesson_note}\n\n\
         It started {workers} processes and lasted {seconds:.2} s, in {events} events.\n\n\
         Everything on the right is what happened then: the PIDs, cores and times are the ones \
         the recording machine reported, shown again in order.\n\n\
         - **Space** plays or pauses\n\
         - **.** and **,** step one event forward or back\n\
         - **[** and **]** seek; **Home** and **End** go to the ends\n\
         - **<** and **>** change the playback rate\n",
        version = recording.version(),
        cores = recording.cores(),
        file = path.display(),
        workers = record.workers.len(),
        events = recording.events().len(),
    );
    let title = match record.stages.first() {
        Some(stage) if record.source == RunSource::Trace => {
            format!("Recording of a trace of {}", stage.name)
        }
        _ => format!("Recording of {}", recording.lesson()),
    };
    AboutPage {
        id: recording.lesson().to_string(),
        title,
        markdown: narrative,
        program: String::new(),
        program_name: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::record::RunRecord;

    fn recording() -> Vec<Event> {
        include_str!("../../../tests/fixtures/pool-sleep.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn playing_to_the_end_gives_the_recorded_run() {
        let events = recording();
        let mut replay = Replay::new(events.iter().cloned().collect());
        let mut run = replay.start(RunId(1));
        let t0 = Instant::now();
        replay.toggle(&mut run, t0);
        let end = replay.end_ms();
        replay.tick(&mut run, t0 + Duration::from_secs_f64(end / 1000.0 + 1.0));
        assert!(replay.at_end());
        assert!(!replay.is_playing());
        assert_eq!(run.state, RunState::Ended);
        let live = RunRecord::from_events(events);
        assert_eq!(run.record.completion_order, live.completion_order);
        assert_eq!(run.record.finished_ms, live.finished_ms);
    }

    #[test]
    fn steps_one_event_at_a_time_both_ways() {
        let mut replay = Replay::new(recording().into_iter().collect());
        let mut run = replay.start(RunId(1));
        let first = replay.progress().0;
        replay.step_forward(&mut run);
        replay.step_forward(&mut run);
        assert_eq!(replay.progress().0, first + 2);
        replay.step_back(&mut run);
        assert_eq!(replay.progress().0, first + 1);
        assert_eq!(run.state, RunState::Paused);
    }

    #[test]
    fn seeks_back_and_forth_and_jumps_to_the_ends() {
        let mut replay = Replay::new(recording().into_iter().collect());
        let mut run = replay.start(RunId(1));
        let now = Instant::now();
        replay.jump(&mut run, true, now);
        assert!(replay.at_end());
        let tasks_done = run.record.completion_order.len();
        replay.seek(&mut run, false, now);
        assert!(replay.position_ms() < replay.end_ms());
        assert!(run.record.completion_order.len() <= tasks_done);
        replay.jump(&mut run, false, now);
        assert_eq!(replay.position_ms(), 0.0);
        assert!(run.record.completion_order.is_empty());
    }

    #[test]
    fn waits_for_the_next_event_scaled_by_the_rate() {
        let mut replay = Replay::new(recording().into_iter().collect());
        let mut run = replay.start(RunId(1));
        assert_eq!(replay.next_due(), None);
        let now = Instant::now();
        replay.toggle(&mut run, now);
        let slow = replay.next_due().unwrap();
        replay.change_rate(true, now);
        let fast = replay.next_due().unwrap();
        assert!(fast <= slow);
    }
}
