//! What the learner has done: which lessons they opened and which checkpoints they answered
//! right. Kept in memory for now; the types serialize so a later version can save them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Progress in one lesson.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The lesson was opened at least once.
    pub visited: bool,
    /// Ids of the checkpoints answered right (before a run that confirmed them).
    pub right: BTreeSet<String>,
}

/// Progress in every lesson, by lesson id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Lessons the learner has touched.
    pub lessons: BTreeMap<String, LessonProgress>,
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
}
