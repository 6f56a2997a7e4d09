//! The `R` key: saves the run on screen as a recording in proclab's state folder, named after
//! the lesson and the time, and says where it went.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::record::RunRecord;
use crate::recording::RecordingWriter;
use crate::state;

/// The folder, inside the state folder, that holds saved runs.
pub(crate) const RECORDINGS_DIR: &str = "recordings";

/// Saves `record`'s events; returns the note to show (where it went, or why it could not).
pub(crate) fn save(lesson: &str, record: &RunRecord) -> String {
    let Some(folder) = state::state_dir().map(|dir| dir.join(RECORDINGS_DIR)) else {
        return "Cannot save: neither XDG_STATE_HOME nor HOME is set. Use `proclab run <id> --record FILE`."
            .into();
    };
    let path = folder.join(file_name(lesson, SystemTime::now()));
    match write(&folder, &path, record) {
        Ok(()) if record.events_dropped > 0 => format!(
            "Saved the first {} of {} events to {} (the rest did not fit in memory; `proclab run {lesson} --record FILE` keeps them all).",
            record.events.len(),
            record.events_total,
            path.display()
        ),
        Ok(()) => format!("Saved: proclab replay {}", path.display()),
        Err(error) => format!("Cannot save to {}: {error}", path.display()),
    }
}

fn write(folder: &Path, path: &Path, record: &RunRecord) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let mut writer = RecordingWriter::create(path)?;
    for event in record.events.iter() {
        writer.push(&event)?;
    }
    writer.finish()
}

/// `<lesson>-<YYYYMMDD>-<HHMMSS>.jsonl` in UTC.
fn file_name(lesson: &str, now: SystemTime) -> PathBuf {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    PathBuf::from(format!(
        "{lesson}-{year:04}{month:02}{day:02}-{:02}{:02}{:02}.jsonl",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_the_file_after_the_lesson_and_the_utc_time() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_638_896);
        assert_eq!(
            file_name("pool-sleep", at),
            PathBuf::from("pool-sleep-20261125-203456.jsonl")
        );
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
