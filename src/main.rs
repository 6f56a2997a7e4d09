//! The `proclab` binary: a worker when re-executed by the engine, else the command line.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(proclab::protocol::WORKER_ARG) {
        proclab::worker::main(&args[2..]);
    }
    proclab::cli::main()
}
