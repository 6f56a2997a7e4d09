//! What the learner has done, and the file that keeps it between runs: [`model`] is the value
//! (lessons opened, checkpoints answered right, the page of each lesson and where the learner
//! was last), `store` reads and writes it as `progress.json` in the state folder. The lesson
//! screen changes it; `proclab notes` reads where the lesson screen is through the same types.

pub mod model;
pub(crate) mod store;

pub use model::{LessonProgress, PROGRESS_VERSION, Place, Progress};
pub(crate) use store::ProgressStore;
