//! Loading lessons: the built-in ones compiled into the binary, and lesson folders on disk.

use std::fs;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use toml::Spanned;

use super::folder::LessonDir;
use super::notes::{NarrativeNotes, split_notes};
use super::problem::Problem;
use super::raw::RawLesson;
use super::validate::{
    CheckedFile, Place, closest, control_character_problems, is_plain_file_name, validate,
};
use super::{Lesson, Origin, checkpoint_markers};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lessons");

/// The name of a lesson's data file inside its folder.
pub const LESSON_FILE: &str = "lesson.toml";

/// Reads the files of one lesson folder (or of a folder in it), wherever it lives.
pub(crate) trait LessonFiles {
    /// How to name `file` in a message.
    fn display(&self, file: &str) -> String;
    /// The text of `file`, or the problem reading it.
    fn read(&self, file: &str) -> Result<String, Problem>;
    /// Where the lesson came from.
    fn origin(&self) -> Origin;
    /// The folder's own name.
    fn name(&self) -> String;
    /// The folders inside the folder `folder` of this one, by name (none when it has no
    /// `folder`).
    fn folders_in(&self, folder: &str) -> Result<Vec<Box<dyn LessonFiles + '_>>, Problem>;
}

struct Embedded<'a>(&'a Dir<'static>);

impl LessonFiles for Embedded<'_> {
    fn display(&self, file: &str) -> String {
        format!("builtin:{}/{file}", self.0.path().display())
    }
    fn read(&self, file: &str) -> Result<String, Problem> {
        let found = self.0.get_file(self.0.path().join(file));
        let text = found.and_then(|f| f.contents_utf8());
        text.map(str::to_string).ok_or_else(|| {
            Problem::whole_file(&self.display(file), "missing from the built-in lessons")
        })
    }
    fn origin(&self) -> Origin {
        Origin::Builtin
    }
    fn name(&self) -> String {
        let name = self.0.path().file_name().unwrap_or_default();
        name.to_string_lossy().into_owned()
    }
    fn folders_in(&self, folder: &str) -> Result<Vec<Box<dyn LessonFiles + '_>>, Problem> {
        let Some(dir) = self.0.get_dir(self.0.path().join(folder)) else {
            return Ok(Vec::new());
        };
        let mut dirs: Vec<&Dir<'static>> = dir.dirs().collect();
        dirs.sort_by_key(|dir| dir.path());
        Ok(dirs
            .into_iter()
            .map(|dir| Box::new(Embedded(dir)) as Box<dyn LessonFiles>)
            .collect())
    }
}

struct Folder(LessonDir);

impl LessonFiles for Folder {
    fn display(&self, file: &str) -> String {
        self.0.display(file)
    }
    fn read(&self, file: &str) -> Result<String, Problem> {
        self.0.read(file)
    }
    fn origin(&self) -> Origin {
        Origin::Folder(self.0.path().to_path_buf())
    }
    fn name(&self) -> String {
        let name = self.0.path().file_name().unwrap_or_default();
        name.to_string_lossy().into_owned()
    }
    fn folders_in(&self, folder: &str) -> Result<Vec<Box<dyn LessonFiles + '_>>, Problem> {
        let Some(outer) = self.0.open_folder(folder)? else {
            return Ok(Vec::new());
        };
        let mut folders: Vec<Box<dyn LessonFiles>> = Vec::new();
        for name in outer.names()? {
            let inner = outer.open_folder(&name)?;
            folders.extend(inner.map(|dir| Box::new(Folder(dir)) as Box<dyn LessonFiles>));
        }
        Ok(folders)
    }
}

/// Reads a lesson file from disk (`path` names a file in a lesson folder): a regular file, not
/// a link, at most [`crate::limits::MAX_LESSON_FILE_BYTES`], valid UTF-8; anything else is a problem
/// naming the file and the fix.
pub(crate) fn read_limited(path: &Path) -> Result<String, Problem> {
    let name = path.display().to_string();
    let (Some(folder), Some(file)) = (path.parent(), path.file_name()) else {
        return Err(Problem::whole_file(
            &name,
            "is not a file in a lesson folder",
        ));
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    LessonDir::open(folder)?.read(&file.to_string_lossy())
}

fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".into(),
        _ => format!("cannot be read: {error}"),
    }
}

/// Parses the text of a `lesson.toml` named `file` and checks it: the parsed file and the
/// problems found (empty when valid), or the parse error. Never panics, whatever the text.
pub fn parse_lesson(file: &str, source: &str) -> Result<(RawLesson, Vec<Problem>), Problem> {
    let raw = parse_raw(file, source)?;
    let problems = validate(&raw, Place { file, source })
        .err()
        .unwrap_or_default();
    Ok((raw, problems))
}

/// The file as written, or the problem that keeps it from being read as a lesson file.
fn parse_raw(file: &str, source: &str) -> Result<RawLesson, Problem> {
    toml::from_str(source).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        let message = explain_choice(source, offset)
            .unwrap_or_else(|| error.message().trim_end().to_string());
        Problem::at(file, source, offset, message)
    })
}

/// Fields whose value is one word from a list, and that list.
const CHOICES: &[(&str, &str)] = &[
    ("kind", "\"processes\", \"pool\", \"threads\" or \"serial\""),
    ("result_order", "\"map\" or \"unordered\""),
    ("join", "\"all\" or \"skip\""),
    ("buffering", "\"line\" or \"block\""),
    (
        "counter",
        "\"own\", \"shared\", \"shared-memory\" or \"shared-memory-locked\"",
    ),
    ("pin", "\"none\", \"one-core\" or \"spread\""),
    ("answer_kind", "\"choice\", \"order\" or \"number\""),
    (
        "observe",
        "\"completion_order\", \"last_finished\", \"total_seconds\", \"distinct_pids\", \"print_order\", \"slowdown_factor\", \"migrations\", \"lost_updates\", \"best_speedup\" or \"exit_codes\"",
    ),
];

/// For a field that takes one word from a list but was given something else (`kind = 3`),
/// a message naming the field and the words it takes; TOML's own says only "wanted string".
fn explain_choice(source: &str, offset: usize) -> Option<String> {
    let line_start = source[..offset.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = &source[line_start..];
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let (_, words) = CHOICES.iter().find(|(name, _)| *name == key)?;
    let value = value.lines().next().unwrap_or("").trim();
    (!value.starts_with('"'))
        .then(|| format!("{key} = {value} is not one of its words: use {words}"))
}

fn load(files: &dyn LessonFiles) -> Result<Lesson, Vec<Problem>> {
    let file = files.display(LESSON_FILE);
    let source = files.read(LESSON_FILE).map_err(|p| vec![p])?;
    let raw = parse_raw(&file, &source).map_err(|p| vec![p])?;
    let checked = validate(
        &raw,
        Place {
            file: &file,
            source: &source,
        },
    );
    let mut problems = checked.as_ref().err().cloned().unwrap_or_default();
    // A name that is not a plain file name was reported above and is never opened.
    let read = |name: &Spanned<String>| {
        let name = name.get_ref();
        is_plain_file_name(name).then(|| {
            let text = files.read(name).map_err(|problem| vec![problem])?;
            let found = control_character_problems(&files.display(name), &text);
            if found.is_empty() {
                Ok(text)
            } else {
                Err(found)
            }
        })
    };
    let (Some(narrative), Some(program)) = (read(&raw.narrative), read(&raw.program)) else {
        return Err(problems);
    };
    let narrative_file = files.display(raw.narrative.get_ref());
    let narrative = narrative.map(|text| {
        let (notes, mut found) = split_notes(&narrative_file, &text);
        problems.append(&mut found);
        problems.extend(unknown_markers(&narrative_file, &text, &raw));
        notes
    });
    let (exercises, mut found) = crate::exercise::load::load_all(files, raw.id.get_ref());
    problems.append(&mut found);
    match (checked, narrative, program) {
        (Ok(checked), Ok(notes), Ok(program)) if problems.is_empty() => {
            let mut lesson = lesson(checked, notes, program, &raw, files.origin());
            lesson.exercises = exercises;
            Ok(lesson)
        }
        (_, narrative, program) => {
            problems.extend(narrative.err().into_iter().flatten());
            problems.extend(program.err().into_iter().flatten());
            Err(problems)
        }
    }
}

/// The narrative's `::: checkpoint <id>` lines that name no checkpoint of the lesson file.
fn unknown_markers(file: &str, narrative: &str, raw: &RawLesson) -> Vec<Problem> {
    let ids: Vec<&str> = raw
        .checkpoints
        .iter()
        .map(|c| c.get_ref().id.get_ref().as_str())
        .collect();
    checkpoint_markers(narrative)
        .into_iter()
        .filter(|(_, id)| !ids.contains(id))
        .map(|(line, id)| {
            Problem::at_line(
                file,
                line,
                format!(
                    "`::: checkpoint {id}` names no checkpoint of {LESSON_FILE}: use one of {ids:?}"
                ),
            )
        })
        .collect()
}

/// The lesson, from its checked file and the texts it names.
fn lesson(
    checked: CheckedFile,
    notes: NarrativeNotes,
    program: String,
    raw: &RawLesson,
    origin: Origin,
) -> Lesson {
    Lesson {
        id: checked.id,
        title: checked.title,
        summary: checked.summary,
        narrative: notes.narrative,
        program,
        program_name: raw.program.get_ref().clone(),
        time_limit_s: checked.time_limit_s,
        stages: checked.stages,
        checkpoints: checked.checkpoints,
        knobs: checked.knobs,
        instructor_notes: checked.instructor_notes,
        page_notes: notes.page_notes,
        exercises: Vec::new(),
        origin,
    }
}

/// Loads one lesson folder from disk (a folder, not a symbolic link to one).
pub fn load_folder(folder: &Path) -> Result<Lesson, Vec<Problem>> {
    let opened = LessonDir::open(folder).map_err(|problem| vec![problem])?;
    load(&Folder(opened))
}

/// The built-in lessons, in curriculum order.
pub(crate) fn builtin() -> Vec<Lesson> {
    let mut lessons: Vec<Lesson> = BUILTIN
        .dirs()
        .map(|dir| match load(&Embedded(dir)) {
            Ok(lesson) => lesson,
            Err(problems) => {
                panic!("built-in lesson is invalid (a test catches this): {problems:?}")
            }
        })
        .collect();
    lessons.sort_by_key(|lesson| curriculum_position(&lesson.id));
    lessons
}

/// The ids of the built-in lessons in the order a learner takes them.
pub(crate) const CURRICULUM_ORDER: &[&str] = &[
    "what-is-multiprocessing",
    "processes-vs-threads",
    "process-create",
    "pool-sleep",
    "pool-pids",
    "four-prints",
    "cpu-speedup",
    "chunksize",
    "affinity",
    "crashes-and-exit-codes",
    "zombies-and-orphans",
    "shared-state",
    "start-methods",
];

fn curriculum_position(id: &str) -> (usize, String) {
    let position = CURRICULUM_ORDER.iter().position(|known| *known == id);
    (position.unwrap_or(CURRICULUM_ORDER.len()), id.to_string())
}

/// The folders under `root` that hold a lesson: `root` itself if it has a `lesson.toml`, else its
/// direct subfolders that do (one level only, so a symlink loop cannot make this run forever).
pub fn lesson_folders(root: &Path) -> Result<Vec<PathBuf>, Problem> {
    let name = root.display().to_string();
    if fs::symlink_metadata(root.join(LESSON_FILE)).is_ok() {
        return Ok(vec![root.to_path_buf()]);
    }
    let entries = fs::read_dir(root).map_err(|e| Problem::whole_file(&name, describe_io(&e)))?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| fs::symlink_metadata(path.join(LESSON_FILE)).is_ok())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(Problem::whole_file(
            &name,
            format!(
                "holds no lesson: a lesson is a folder with a {LESSON_FILE} (see `proclab new`)"
            ),
        ));
    }
    Ok(folders)
}

/// Every lesson proclab knows: the built-in ones, replaced or joined by those of `--lessons`.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// In display order.
    pub lessons: Vec<Lesson>,
}

impl Catalog {
    /// The built-in lessons plus those under `extra` (a folder of lesson folders, or one lesson
    /// folder). Any problem in `extra` is an error: the caller shows every one.
    pub fn load(extra: Option<&Path>) -> Result<Catalog, Vec<Problem>> {
        let mut lessons = builtin();
        let Some(root) = extra else {
            return Ok(Catalog { lessons });
        };
        let loaded = load_tree(root)?;
        for lesson in loaded {
            match lessons.iter_mut().find(|known| known.id == lesson.id) {
                Some(known) => *known = lesson,
                None => lessons.push(lesson),
            }
        }
        let duplicates = crate::exercise::load::duplicate_ids(&lessons);
        if !duplicates.is_empty() {
            return Err(duplicates);
        }
        Ok(Catalog { lessons })
    }

    /// The lesson with this id.
    pub fn get(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.id == id)
    }

    /// An error message for an unknown id, with the closest ids suggested.
    pub fn unknown(&self, id: &str) -> String {
        let ids: Vec<&str> = self.lessons.iter().map(|l| l.id.as_str()).collect();
        let mut message = format!("no lesson with id {id:?}");
        if let Some(near) = closest(id, &ids) {
            message.push_str(&format!(": did you mean {near:?}?"));
        } else if let Some(near) = ids
            .iter()
            .find(|known| known.contains(id) || id.contains(*known))
        {
            message.push_str(&format!(": did you mean {near:?}?"));
        }
        message.push_str(" (`proclab list` shows every lesson)");
        message
    }
}

/// Loads every lesson under `root`, or every problem found; duplicate ids are problems too.
fn load_tree(root: &Path) -> Result<Vec<Lesson>, Vec<Problem>> {
    let folders = lesson_folders(root).map_err(|p| vec![p])?;
    let mut lessons: Vec<Lesson> = Vec::new();
    let mut problems = Vec::new();
    for folder in folders {
        match load_folder(&folder) {
            Ok(lesson) => {
                if let Some(first) = lessons.iter().find(|l| l.id == lesson.id) {
                    let Origin::Folder(first_folder) = &first.origin else {
                        unreachable!()
                    };
                    problems.push(Problem::whole_file(
                        &folder.join(LESSON_FILE).display().to_string(),
                        format!(
                            "id {:?} is already used by {}: give each lesson its own id",
                            lesson.id,
                            first_folder.join(LESSON_FILE).display()
                        ),
                    ));
                } else {
                    lessons.push(lesson);
                }
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    problems.extend(crate::exercise::load::duplicate_ids(&lessons));
    if problems.is_empty() {
        Ok(lessons)
    } else {
        Err(problems)
    }
}

/// `proclab check`: every problem in the named lesson files or folders (empty when all valid).
pub fn check_paths(paths: &[PathBuf]) -> (usize, Vec<Problem>) {
    let mut checked = 0;
    let mut problems = Vec::new();
    for path in paths {
        let root = if path.file_name().is_some_and(|name| name == LESSON_FILE) {
            path.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        } else {
            path.clone()
        };
        match lesson_folders(&root) {
            Ok(folders) => {
                checked += folders.len();
                if let Err(mut found) = load_tree(&root) {
                    problems.append(&mut found);
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    (checked, problems)
}
