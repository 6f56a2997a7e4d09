//! Where proclab keeps what it remembers between runs: `$XDG_STATE_HOME/proclab/`, else
//! `~/.local/state/proclab/`.

use std::path::PathBuf;

/// proclab's state folder (not created here), or `None` when neither `XDG_STATE_HOME` nor
/// `HOME` is set to an absolute path.
pub(crate) fn state_dir() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if let Some(xdg) = absolute("XDG_STATE_HOME") {
        return Some(xdg.join("proclab"));
    }
    absolute("HOME").map(|home| home.join(".local/state/proclab"))
}
