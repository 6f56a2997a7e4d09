//! Watching a folder for changes (the `notify` crate), one call per burst of changes.
//!
//! A folder, not files: editors save by writing a new file and renaming it over the old one,
//! which a watch on the old file would miss.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// How long a folder must stay quiet before a burst of changes is reported.
pub(crate) const QUIET: Duration = Duration::from_millis(100);

/// Changes that may wait between the watcher and the thread that coalesces them; more are
/// dropped, which loses nothing because a report is already due.
const PENDING: usize = 256;

/// A folder being watched; dropping it stops the watch and its thread.
pub(crate) struct FolderWatch {
    _watcher: RecommendedWatcher,
}

/// Watches `folder` (not its subfolders) and calls `changed` with the paths touched, once per
/// burst: after [`QUIET`] without a new change. Reads (opening, closing unchanged) do not
/// count, so `changed` may read the folder. The watch ends when `changed` returns `false` or
/// the returned [`FolderWatch`] is dropped.
pub(crate) fn watch_folder(
    folder: &Path,
    mut changed: impl FnMut(Vec<PathBuf>) -> bool + Send + 'static,
) -> Result<FolderWatch> {
    let (sender, changes) = mpsc::sync_channel::<Vec<PathBuf>>(PENDING);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        match event {
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
            Ok(event) => {
                let _ = sender.try_send(event.paths);
            }
            // The folder's watch went wrong (it was removed, the kernel dropped events):
            // report a change, so the reader looks and says what it finds.
            Err(_) => {
                let _ = sender.try_send(Vec::new());
            }
        }
    })
    .context("Failed to start watching files (inotify)")?;
    watcher
        .watch(folder, RecursiveMode::NonRecursive)
        .with_context(|| format!("Failed to watch {} for changes", folder.display()))?;
    std::thread::spawn(move || {
        while let Ok(mut paths) = changes.recv() {
            let mut open = true;
            loop {
                match changes.recv_timeout(QUIET) {
                    Ok(more) => paths.extend(more),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            paths.sort();
            paths.dedup();
            if !changed(paths) || !open {
                return;
            }
        }
    });
    Ok(FolderWatch { _watcher: watcher })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_of_writes_are_coalesced_and_reads_are_not_changes() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("lesson.toml");
        std::fs::write(&file, "a").unwrap();
        let (sender, reports) = mpsc::channel();
        let watch = watch_folder(folder.path(), move |paths| sender.send(paths).is_ok()).unwrap();
        for text in ["b", "c", "d"] {
            std::fs::write(&file, text).unwrap();
        }
        let first = reports.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(first.contains(&file), "{first:?}");
        // Each write makes several events; however the writes were spread, no more than one
        // report per write arrives.
        let mut more = 0;
        while reports.recv_timeout(Duration::from_secs(1)).is_ok() {
            more += 1;
        }
        assert!(more <= 2, "{} reports for 3 writes", more + 1);
        let _ = std::fs::read_to_string(&file).unwrap();
        assert!(
            reports.recv_timeout(QUIET * 5).is_err(),
            "reading the file is not a change"
        );
        drop(watch);
    }
}
