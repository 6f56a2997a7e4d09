//! Splits what arrives on a pipe into lines, with a cap on line length so that a worker printing
//! one endless line cannot make proclab's memory grow.

use std::cell::RefCell;
use std::fs::File;
use std::io::{ErrorKind, Read};

/// A pipe being read line by line.
#[derive(Debug)]
pub(crate) struct LineReader {
    file: Option<File>,
    pending: Vec<u8>,
    max_line: usize,
    /// Inside a line that was already cut: drop bytes up to the next newline.
    skipping: bool,
    /// Bytes dropped from over-long lines so far.
    pub(crate) dropped_bytes: u64,
}

/// Most bytes one read takes: what a pipe holds.
const READ_SIZE: usize = 65536;

thread_local! {
    /// Where this thread's reads of pipes land before they are split: one buffer a thread,
    /// made at its first read, not one per pipe. A run reads a few pipes of every worker, and
    /// a fresh 64 KiB for each would be 16 pages to fault in and zero as each worker starts.
    static READS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `read` with this thread's read buffer, [`READ_SIZE`] bytes. `read` must not call it
/// again.
pub(crate) fn with_read_buffer<T>(read: impl FnOnce(&mut [u8]) -> T) -> T {
    READS.with_borrow_mut(|buffer| {
        if buffer.len() < READ_SIZE {
            buffer.resize(READ_SIZE, 0);
        }
        read(buffer)
    })
}

/// What one read produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// Complete lines, without newlines (cut lines end with ` […]`).
    pub(crate) lines: Vec<String>,
    /// The pipe is closed and everything was read.
    pub(crate) eof: bool,
}

/// Appended to a line that was cut at the length cap.
pub(crate) const CUT_MARK: &str = " […]";

impl LineReader {
    /// Reads `file` (made non-blocking) in lines of at most `max_line` bytes.
    pub(crate) fn new(file: File, max_line: usize) -> LineReader {
        let _ = nix::fcntl::fcntl(
            &file,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        LineReader {
            file: Some(file),
            pending: Vec::new(),
            max_line,
            skipping: false,
            dropped_bytes: 0,
        }
    }

    /// A reader with nothing to read (for a process whose pipes proclab does not hold).
    pub(crate) fn closed() -> LineReader {
        LineReader {
            file: None,
            pending: Vec::new(),
            max_line: 0,
            skipping: false,
            dropped_bytes: 0,
        }
    }

    /// A splitter with no pipe of its own: bytes read elsewhere are handed to
    /// [`LineReader::push_bytes`] (a pty, or text that arrived inside messages).
    pub(crate) fn splitter(max_line: usize) -> LineReader {
        LineReader {
            max_line,
            ..LineReader::closed()
        }
    }

    /// Splits bytes read elsewhere; returns the lines they complete.
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) -> Vec<String> {
        self.split(bytes)
    }

    /// The unterminated last line, if any (at the end of the stream).
    pub(crate) fn take_partial(&mut self) -> Option<String> {
        let partial = (!self.pending.is_empty() && !self.skipping)
            .then(|| String::from_utf8_lossy(&self.pending).into_owned());
        self.pending.clear();
        self.skipping = false;
        partial
    }

    /// The open pipe, if it is not at EOF yet.
    pub(crate) fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Reads what is available once (call when poll says the pipe is readable).
    pub(crate) fn read_once(&mut self) -> Chunk {
        with_read_buffer(|buffer| {
            let Some(file) = self.file.as_mut() else {
                return Chunk {
                    lines: Vec::new(),
                    eof: true,
                };
            };
            let n = loop {
                match file.read(buffer) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // Nothing there now (the pipe is non-blocking): not the end.
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        return Chunk {
                            lines: Vec::new(),
                            eof: false,
                        };
                    }
                    Err(_) => break 0,
                    Ok(n) => break n,
                }
            };
            if n == 0 {
                self.file = None;
                let mut lines = Vec::new();
                if !self.pending.is_empty() && !self.skipping {
                    lines.push(String::from_utf8_lossy(&self.pending).into_owned());
                }
                self.pending.clear();
                return Chunk { lines, eof: true };
            }
            Chunk {
                lines: self.split(&buffer[..n]),
                eof: false,
            }
        })
    }

    /// Reads everything there is now, without waiting: after a worker exits its pipe holds
    /// its last lines, but a process it started may still hold the pipe open.
    pub(crate) fn drain(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut chunk = self.read_once();
            let empty = chunk.lines.is_empty();
            lines.append(&mut chunk.lines);
            if chunk.eof || (empty && self.file.is_some() && !self.has_data()) {
                return lines;
            }
        }
    }

    /// Whether a read would return something now (data or EOF).
    fn has_data(&self) -> bool {
        let Some(file) = &self.file else { return true };
        let mut fds = [nix::poll::PollFd::new(
            std::os::fd::AsFd::as_fd(file),
            nix::poll::PollFlags::POLLIN,
        )];
        nix::poll::poll(&mut fds, nix::poll::PollTimeout::ZERO).is_ok_and(|n| n > 0)
    }

    fn split(&mut self, mut bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        while !bytes.is_empty() {
            let newline = bytes.iter().position(|&b| b == b'\n');
            let (part, rest) = match newline {
                Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
                None => (bytes, None),
            };
            if self.skipping {
                self.dropped_bytes += part.len() as u64;
            } else {
                let room = self.max_line - self.pending.len();
                if part.len() > room {
                    self.pending.extend_from_slice(&part[..room]);
                    self.dropped_bytes += (part.len() - room) as u64;
                    let mut text = String::from_utf8_lossy(&self.pending).into_owned();
                    text.push_str(CUT_MARK);
                    lines.push(text);
                    self.pending.clear();
                    self.skipping = true;
                } else {
                    self.pending.extend_from_slice(part);
                }
            }
            match rest {
                Some(rest) => {
                    if !self.skipping {
                        lines.push(String::from_utf8_lossy(&self.pending).into_owned());
                    }
                    self.pending.clear();
                    self.skipping = false;
                    bytes = rest;
                }
                None => break,
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn reader_with(bytes: &[u8], max_line: usize) -> LineReader {
        let (read, write) = nix::unistd::pipe().unwrap();
        let mut write = File::from(write);
        write.write_all(bytes).unwrap();
        drop(write);
        LineReader::new(File::from(read), max_line)
    }

    #[test]
    fn splits_lines_and_keeps_the_unterminated_tail() {
        let mut reader = reader_with(b"a\nbc\nd", 100);
        assert_eq!(reader.drain(), vec!["a", "bc", "d"]);
        assert!(reader.file().is_none());
    }

    #[test]
    fn cuts_long_lines_and_counts_what_it_dropped() {
        let mut reader = reader_with(b"0123456789\nok\n", 4);
        assert_eq!(
            reader.drain(),
            vec![format!("0123{CUT_MARK}"), "ok".to_string()]
        );
        assert_eq!(reader.dropped_bytes, 6);
    }

    #[test]
    fn a_line_split_across_reads_is_joined() {
        let mut reader = reader_with(b"", 100);
        assert_eq!(reader.split(b"hel"), Vec::<String>::new());
        assert_eq!(reader.split(b"lo\nwo"), vec!["hello"]);
        assert_eq!(reader.split(b"rld\n"), vec!["world"]);
    }
}
