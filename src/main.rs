//! The `proclab` binary: an orphan or a probe when a worker starts one (a lesson about fresh
//! programs), else the command line.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some(proclab::worker::children::ORPHAN_ARG) => {
            proclab::worker::children::orphan_main(&args[2..])
        }
        Some(proclab::worker::children::PROBE_ARG) => proclab::worker::children::probe_main(),
        _ => {}
    }
    proclab::cli::main()
}
