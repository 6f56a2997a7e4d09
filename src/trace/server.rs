//! The Unix socket instrumented processes report on: one connection per process, read line by
//! line without ever blocking proclab.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::Path;

use nix::sys::socket::getsockopt;
use nix::sys::socket::sockopt::PeerCredentials;

use super::message::{Kind, Message};
use crate::observe::lines::LineReader;

/// Longest message line accepted; a longer one is cut, so it counts as malformed.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Most reads (of up to 64 KiB) of one connection per [`Server::receive`]. One: a process that
/// keeps writing never keeps proclab from reading (and handling) the others' reports for long,
/// and each sees its reports read soon (it gives up reporting after five seconds without that).
const READS_PER_TURN: usize = 1;
/// Most reads of an ended process's connection: 64 × 64 KiB, far more than its send buffer.
const READS_OF_AN_ENDED_PROCESS: usize = 64;
/// Most connections open at once; past it new ones wait in the backlog (their senders time out
/// and only lose detail).
pub const MAX_CONNECTIONS: usize = 1024;

/// One process's connection.
#[derive(Debug)]
struct Connection {
    reader: LineReader,
    /// The PID the kernel says connected (`SO_PEERCRED`).
    peer: Option<u32>,
}

/// The listening socket and its open connections.
#[derive(Debug)]
pub struct Server {
    listener: UnixListener,
    connections: Vec<Connection>,
    /// Lines that were not messages of the protocol, or claimed another process's PID.
    pub malformed: u64,
    /// Connections not taken because [`MAX_CONNECTIONS`] were open.
    pub at_capacity: bool,
    /// Bytes of message lines the last read turn took, across connections.
    pub last_read_bytes: usize,
}

impl Server {
    /// Listens at `path` (inside proclab's private folder).
    pub fn bind(path: &Path) -> io::Result<Server> {
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        Ok(Server {
            listener,
            connections: Vec::new(),
            malformed: 0,
            at_capacity: false,
            last_read_bytes: 0,
        })
    }

    /// Descriptors to poll: the listener first, then each open connection.
    pub fn fds(&self) -> Vec<BorrowedFd<'_>> {
        std::iter::once(self.listener.as_fd())
            .chain(
                self.connections
                    .iter()
                    .filter_map(|c| c.reader.file().map(AsFd::as_fd)),
            )
            .collect()
    }

    /// Takes every waiting connection and reads what every connection has now, in the order
    /// the connections were made. A message must carry the PID of the process that made its
    /// connection, so no process can speak for another.
    pub fn receive(&mut self) -> Vec<Message> {
        self.accept();
        self.read(READS_PER_TURN, None)
    }

    /// Everything the connections of process `pid` still hold, which has ended (so that is at
    /// most what its send buffer held), with a turn's share of every other connection: the
    /// messages come in the order they were sent, across processes, as [`Server::receive`]'s.
    pub fn receive_rest_of(&mut self, pid: u32) -> Vec<Message> {
        self.accept();
        self.read(READS_PER_TURN, Some(pid))
    }

    /// Up to `reads` reads of each connection; to its end (at most
    /// [`READS_OF_AN_ENDED_PROCESS`]) for the connections of `ended`.
    fn read(&mut self, reads: usize, ended: Option<u32>) -> Vec<Message> {
        // (when it happened, message): sorted at the end, because each process has its own
        // connection, and reading them one after the other would put a line printed later by
        // one process before a line printed earlier by another.
        let mut messages: Vec<(f64, Message)> = Vec::new();
        self.last_read_bytes = 0;
        for connection in &mut self.connections {
            let reads = if ended.is_some() && connection.peer == ended {
                READS_OF_AN_ENDED_PROCESS
            } else {
                reads
            };
            let first = messages.len();
            for _ in 0..reads {
                let chunk = connection.reader.read_once();
                let empty = chunk.lines.is_empty();
                for line in chunk.lines {
                    self.last_read_bytes += line.len();
                    match Message::parse(&line) {
                        Some(message) if Some(message.pid) == connection.peer => {
                            messages.push((message.t, message))
                        }
                        _ => self.malformed += 1,
                    }
                }
                if chunk.eof || empty {
                    break;
                }
            }
            // A process may send what it held back until its hello (spawned children do):
            // the hello still goes first, at the time of the earliest of them.
            let batch = &mut messages[first..];
            let earliest = batch.iter().map(|(t, _)| *t).fold(f64::INFINITY, f64::min);
            if let Some((
                t,
                Message {
                    kind: Kind::Hello { .. },
                    ..
                },
            )) = batch.first_mut()
            {
                *t = earliest;
            }
        }
        self.connections.retain(|c| c.reader.file().is_some());
        messages.sort_by(|a, b| a.0.total_cmp(&b.0));
        messages.into_iter().map(|(_, message)| message).collect()
    }

    fn accept(&mut self) {
        while self.connections.len() < MAX_CONNECTIONS {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    let peer = getsockopt(&stream, PeerCredentials)
                        .ok()
                        .and_then(|c| u32::try_from(c.pid()).ok());
                    let file = File::from(OwnedFd::from(stream));
                    self.connections.push(Connection {
                        reader: LineReader::new(file, MAX_MESSAGE_BYTES),
                        peer,
                    });
                }
                Err(_) => return,
            }
        }
        self.at_capacity = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    #[test]
    fn reads_messages_from_several_connections_and_counts_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut server = Server::bind(&path).unwrap();
        let mut a = UnixStream::connect(&path).unwrap();
        let mut b = UnixStream::connect(&path).unwrap();
        let me = std::process::id();
        let exiting =
            |pid: u32| format!("{{\"k\":\"exiting\",\"pid\":{pid},\"t\":1.0,\"code\":0}}\n");
        a.write_all(format!("{}garbage\n{}{{\"k\":", exiting(me), exiting(me + 1)).as_bytes())
            .unwrap();
        b.write_all(exiting(me).as_bytes()).unwrap();
        drop(b);
        let messages = server.receive();
        assert_eq!(messages.len(), 2);
        assert_eq!(
            server.malformed, 2,
            "garbage, and a PID that is not the sender's"
        );
        a.write_all(format!("\"exiting\",\"pid\":{me},\"t\":2.0,\"code\":1}}\n").as_bytes())
            .unwrap();
        assert_eq!(server.receive().len(), 1);
        assert_eq!(
            server.fds().len(),
            2,
            "b's connection closed and was dropped"
        );
    }

    #[test]
    fn a_turn_reads_a_share_of_each_connection_and_an_ended_process_is_read_to_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut server = Server::bind(&path).unwrap();
        let me = std::process::id();
        let line = format!(
            "{{\"k\":\"output\",\"pid\":{me},\"t\":1.0,\"stream\":\"stdout\",\"text\":\"{}\"}}\n",
            "x".repeat(1000)
        );
        let writer = std::thread::spawn({
            let path = path.clone();
            move || {
                let mut a = UnixStream::connect(&path).unwrap();
                for _ in 0..150 {
                    a.write_all(line.as_bytes()).unwrap();
                }
            }
        });
        let mut got = 0;
        while !writer.is_finished() {
            let share = server.receive().len();
            assert!(share <= 65, "one turn reads at most 64 KiB: {share}");
            got += share;
        }
        got += server.receive_rest_of(me).len();
        assert_eq!(got, 150);
    }
}
