//! The traced program's raw output: its pty (or its stdout and stderr pipes), read without
//! blocking, echoed byte for byte where asked, and split into lines.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};

use super::Echo;
use super::launch::RawOutput;
use crate::event::Stream;
use crate::limits;
use crate::observe::lines::LineReader;

/// The program's output streams still open.
#[derive(Debug)]
pub struct ProgramOutput {
    streams: Vec<(File, Stream, LineReader)>,
    echo: Echo,
    /// The master of the program's terminal (with pipes, or once the program closed its side),
    /// held open until the trace ends: closing it would hang the terminal up, and the kernel
    /// would send SIGHUP to the session (its leader ends every process of the program then).
    terminal: Option<File>,
}

impl ProgramOutput {
    /// Takes over the outputs of a started command; `echo` says where its bytes are copied.
    pub fn new(raw: RawOutput, echo: Echo) -> ProgramOutput {
        let (streams, terminal) = match raw {
            RawOutput::Pty(master) => (vec![(master, Stream::Stdout)], None),
            RawOutput::Pipes {
                stdout,
                stderr,
                terminal,
            } => (
                vec![(stdout, Stream::Stdout), (stderr, Stream::Stderr)],
                Some(terminal),
            ),
        };
        let streams = streams
            .into_iter()
            .map(|(file, stream)| {
                let _ = nix::fcntl::fcntl(
                    &file,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                );
                (file, stream, LineReader::splitter(limits::MAX_LINE_BYTES))
            })
            .collect();
        ProgramOutput {
            streams,
            echo,
            terminal,
        }
    }

    /// The open streams' descriptors, to poll; indices are those [`ProgramOutput::read`] takes.
    pub fn fds(&self) -> Vec<BorrowedFd<'_>> {
        self.streams
            .iter()
            .map(|(file, _, _)| file.as_fd())
            .collect()
    }

    /// Whether every stream has ended.
    pub fn is_finished(&self) -> bool {
        self.streams.is_empty()
    }

    /// Reads stream `index` once (when poll says it is readable): echoes what came and
    /// returns the lines it completed (`\r` before a newline dropped). At its end the stream is
    /// closed and removed, which moves the streams after it: read the highest index first.
    pub fn read(&mut self, index: usize) -> (Stream, Vec<String>) {
        let mut buffer = [0u8; 65536];
        let (file, stream, splitter) = &mut self.streams[index];
        let stream = *stream;
        let n = loop {
            match file.read(&mut buffer) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return (stream, Vec::new()),
                // EIO: every holder of the pty's other end closed it.
                Err(_) => break 0,
                Ok(n) => break n,
            }
        };
        let lines = if n == 0 {
            let partial = splitter.take_partial();
            let (file, stream, _) = self.streams.remove(index);
            if stream == Stream::Stdout && self.terminal.is_none() {
                // The pty's master (pipes come with their terminal): kept, see `terminal`.
                self.terminal = Some(file);
            }
            partial.into_iter().collect()
        } else {
            let lines = splitter.push_bytes(&buffer[..n]);
            self.echo_bytes(&buffer[..n]);
            lines
        };
        let lines = lines
            .into_iter()
            .map(|line| match line.strip_suffix('\r') {
                Some(text) => text.to_string(),
                None => line,
            })
            .collect();
        (stream, lines)
    }

    fn echo_bytes(&self, bytes: &[u8]) {
        // A closed stdout or stderr is the reader's choice: the trace goes on.
        let _ = match self.echo {
            Echo::Off => Ok(()),
            Echo::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Echo::Stderr => std::io::stderr().lock().write_all(bytes),
        };
    }
}
