//! The `proclab` binary: a trace's session leader when `proclab trace` starts one, an orphan or
//! a probe when a worker starts one (a lesson about fresh programs), else the command line.

use proclab::worker::children;

fn main() -> std::process::ExitCode {
    // Arguments are OS strings: one that is not UTF-8 is the command line's to refuse, never a
    // panic here.
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    if first.as_deref() == Some(std::ffi::OsStr::new(proclab::trace::SESSION_ARG)) {
        let rest: Vec<std::ffi::OsString> = args.collect();
        return proclab::trace::session_main(&rest);
    }
    match first.as_deref().and_then(|arg| arg.to_str()) {
        Some(children::ORPHAN_ARG) => {
            let rest: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
            children::orphan_main(&rest)
        }
        Some(children::PROBE_ARG) => children::probe_main(),
        _ => proclab::cli::main(),
    }
}
