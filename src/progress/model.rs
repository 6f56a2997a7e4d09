//! What the learner has done: which lessons they opened, which checkpoints they answered right,
//! the page they were last on in each lesson, and where they were last of all. Saved between
//! runs by `super::store`; this is the value, with no files in sight.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The version of the saved progress format.
pub const PROGRESS_VERSION: u32 = 1;

/// Progress in one lesson.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The lesson was opened at least once.
    pub visited: bool,
    /// Ids of the checkpoints answered right (before a run that confirmed them).
    pub right: BTreeSet<String>,
    /// The page the learner was last on, 0-based.
    #[serde(default)]
    pub last_page: usize,
}

/// Where the learner was last: another tool reads this to follow the instructor, so its shape
/// stays `{"lesson": id, "page": p}` with a 0-based page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// The lesson's id.
    pub lesson: String,
    /// The page, 0-based.
    pub page: usize,
}

/// Progress in every lesson, by lesson id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The format's version, [`PROGRESS_VERSION`].
    pub version: u32,
    /// Lessons the learner has touched.
    pub lessons: BTreeMap<String, LessonProgress>,
    /// The lesson and page the learner was on last.
    #[serde(default)]
    pub last: Option<Place>,
    /// Ids of the exercises whose program passed every check.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub exercises_passed: BTreeSet<String>,
}

impl Default for Progress {
    fn default() -> Progress {
        Progress {
            version: PROGRESS_VERSION,
            lessons: BTreeMap::new(),
            last: None,
            exercises_passed: BTreeSet::new(),
        }
    }
}

impl Progress {
    /// Notes that the lesson `id` was opened.
    pub fn visit(&mut self, id: &str) {
        self.lessons.entry(id.to_string()).or_default().visited = true;
    }

    /// Notes that `checkpoint` of lesson `id` was answered right.
    pub fn answered_right(&mut self, id: &str, checkpoint: &str) {
        let lesson = self.lessons.entry(id.to_string()).or_default();
        lesson.visited = true;
        lesson.right.insert(checkpoint.to_string());
    }

    /// Notes that the learner is on `page` (0-based) of lesson `id`.
    pub fn place(&mut self, id: &str, page: usize) {
        let lesson = self.lessons.entry(id.to_string()).or_default();
        lesson.visited = true;
        lesson.last_page = page;
        self.last = Some(Place {
            lesson: id.to_string(),
            page,
        });
    }

    /// Forgets everything about lesson `id` (and the last place, if it was there).
    pub fn reset(&mut self, id: &str) {
        self.lessons.remove(id);
        if self.last.as_ref().is_some_and(|last| last.lesson == id) {
            self.last = None;
        }
    }

    /// Notes that a program passed every check of exercise `id`.
    pub fn exercise_passed(&mut self, id: &str) {
        self.exercises_passed.insert(id.to_string());
    }

    /// Progress in lesson `id` (nothing yet if never opened).
    pub fn of(&self, id: &str) -> LessonProgress {
        self.lessons.get(id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_right_checkpoint_once_and_round_trips_as_json() {
        let mut progress = Progress::default();
        assert!(!progress.of("pool-sleep").visited);
        progress.visit("pool-sleep");
        progress.answered_right("pool-sleep", "last-job");
        progress.answered_right("pool-sleep", "last-job");
        assert_eq!(progress.of("pool-sleep").right.len(), 1);
        let json = serde_json::to_string(&progress).unwrap();
        assert_eq!(serde_json::from_str::<Progress>(&json).unwrap(), progress);
    }

    #[test]
    fn the_last_place_keeps_its_shape_and_a_reset_forgets_it() {
        let mut progress = Progress::default();
        progress.place("pool-sleep", 2);
        progress.place("four-prints", 1);
        let json: serde_json::Value = serde_json::to_value(&progress).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(
            json["last"],
            serde_json::json!({"lesson": "four-prints", "page": 1})
        );
        assert_eq!(progress.of("pool-sleep").last_page, 2);
        progress.reset("pool-sleep");
        assert!(!progress.of("pool-sleep").visited);
        assert!(progress.last.is_some(), "the last place was elsewhere");
        progress.reset("four-prints");
        assert_eq!(progress.last, None);
    }
}
