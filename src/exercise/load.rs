//! Loading a lesson's exercises (`exercises/<id>/` in its folder, built in or on disk), read
//! through the lesson's own [`LessonFiles`]: each folder opened relative to the one above it,
//! never through a link, each file size-limited, no control characters anywhere.

use super::check::Check;
use super::raw::RawExercise;
use super::validate::validate;
use super::{Exercise, Program};
use crate::lesson::Problem;
use crate::lesson::load::LessonFiles;
use crate::lesson::validate::{Place, control_character_problems, is_valid_id};

/// The folder of a lesson that holds its exercises.
pub const EXERCISES_FOLDER: &str = "exercises";
/// An exercise's data file.
pub const EXERCISE_FILE: &str = "exercise.toml";
/// The program the learner starts from.
pub const START_FILE: &str = "start.py";
/// The reference solution.
pub const SOLUTION_FILE: &str = "solution.py";

/// Every exercise of the lesson `lesson` whose files `files` reads, and every problem found.
pub(crate) fn load_all(files: &dyn LessonFiles, lesson: &str) -> (Vec<Exercise>, Vec<Problem>) {
    let folders = match files.folders_in(EXERCISES_FOLDER) {
        Ok(folders) => folders,
        Err(problem) => return (Vec::new(), vec![problem]),
    };
    let mut exercises = Vec::new();
    let mut problems = Vec::new();
    for folder in folders {
        match load_one(folder.as_ref(), lesson) {
            Ok(exercise) => exercises.push(exercise),
            Err(mut found) => problems.append(&mut found),
        }
    }
    (exercises, problems)
}

/// One exercise folder.
fn load_one(files: &dyn LessonFiles, lesson: &str) -> Result<Exercise, Vec<Problem>> {
    let id = files.name();
    let file = files.display(EXERCISE_FILE);
    if !is_valid_id(&id) {
        let folder = file.trim_end_matches(EXERCISE_FILE).trim_end_matches('/');
        return Err(vec![Problem::whole_file(
            folder,
            "an exercise folder's name is its id: use lowercase letters, digits and single '-' between words, 1-40 characters (for example \"four-prints-in-order\")",
        )]);
    }
    let source = files.read(EXERCISE_FILE).map_err(|p| vec![p])?;
    let raw = parse(&file, &source).map_err(|p| vec![p])?;
    let checked = validate(
        &raw,
        Place {
            file: &file,
            source: &source,
        },
    );
    let mut problems = checked.as_ref().err().cloned().unwrap_or_default();
    let mut program = |name: &str| match files.read(name) {
        Ok(text) => {
            let found = control_character_problems(&files.display(name), &text);
            if found.is_empty() {
                return Some(Program {
                    name: name.to_string(),
                    text,
                });
            }
            problems.extend(found);
            None
        }
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    let start = program(START_FILE);
    let solution = program(SOLUTION_FILE);
    let serial_name = checked.as_ref().ok().and_then(|checked| {
        checked.checks.iter().find_map(|spec| match &spec.check {
            Check::Speedup { serial, .. } => Some(serial.clone()),
            _ => None,
        })
    });
    let serial = serial_name.map(|name| program(&name));
    match (checked, start, solution, serial) {
        (Ok(checked), Some(start), Some(solution), serial)
            if problems.is_empty() && serial.as_ref().is_none_or(Option::is_some) =>
        {
            Ok(Exercise {
                id,
                lesson: lesson.to_string(),
                title: checked.title,
                summary: checked.summary,
                task: checked.task,
                runs: checked.runs,
                time_limit_s: checked.time_limit_s,
                hints: checked.hints,
                checks: checked.checks,
                start,
                solution,
                serial: serial.flatten(),
                origin: files.origin(),
            })
        }
        _ => Err(problems),
    }
}

/// The file as written, or the problem that keeps it from being read as an exercise file.
fn parse(file: &str, source: &str) -> Result<RawExercise, Problem> {
    toml::from_str(source).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        Problem::at(file, source, offset, error.message().trim_end().to_string())
    })
}

/// Problems for exercise ids used twice among `lessons` (an id names one exercise everywhere).
pub(crate) fn duplicate_ids<'a>(
    lessons: impl IntoIterator<Item = &'a crate::lesson::Lesson>,
) -> Vec<Problem> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut problems = Vec::new();
    for lesson in lessons {
        for exercise in &lesson.exercises {
            if let Some((_, first)) = seen.iter().find(|(id, _)| *id == exercise.id) {
                problems.push(Problem::whole_file(
                    &exercise.display(EXERCISE_FILE),
                    format!(
                        "the exercise id {:?} is already used in the lesson {first:?}: rename this exercise's folder (ids are unique across all lessons)",
                        exercise.id
                    ),
                ));
            } else {
                seen.push((&exercise.id, &lesson.id));
            }
        }
    }
    problems
}
