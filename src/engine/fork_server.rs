//! The fork server: how proclab starts workers as fast as the OS allows, the way Python's
//! `forkserver` start method does.
//!
//! [`start`] forks a small single-threaded copy of proclab before proclab starts any thread. To
//! start a worker, the engine sends it the worker's settings and descriptors (its pipes, a
//! pool's task queue, a shared counter) over a Unix socket; the server forks the worker and says
//! its PID. The worker is a fork of a process that never had a thread, so it may run any code
//! (no `exec` is needed, unlike a fork of the multi-threaded proclab), and it starts in the time
//! a `fork` takes.
//!
//! The server forks with `CLONE_PARENT`, so every worker is proclab's own child, as with a plain
//! `fork`: its parent PID is proclab's, proclab joins it (`waitpid`), its zombie is proclab's
//! until then, and its `PR_SET_PDEATHSIG` fires when proclab's main thread (the one that started
//! the server) ends. The server itself dies with proclab (`PR_SET_PDEATHSIG`, and end of file on
//! its socket) and is reaped when the [`ForkServer`] guard is dropped.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard};

use nix::sys::signal::{SigHandler, Signal};
use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg,
    sendmsg, socketpair,
};
use nix::unistd::{ForkResult, Pid, fork, getppid};
use serde::{Deserialize, Serialize};

use crate::observe::clock::monotonic_ns;
use crate::protocol::{QUEUE_FD, QUEUE_LOCK_FD, REPORT_FD, SHARED_FD, WorkerConfig};

/// The fork server's command name (`/proc/<pid>/comm`), so that it is told apart from workers.
pub const SERVER_NAME: &str = "proclab-forksrv";
/// The highest descriptor a worker is given.
const LAST_FD: RawFd = QUEUE_LOCK_FD;
/// A worker's command name.
const WORKER_NAME: &std::ffi::CStr = c"proclab";

/// The parent's end of the server's socket, and the server's PID.
#[derive(Debug)]
struct Client {
    pid: Pid,
    socket: OwnedFd,
}

/// The running server, if [`start`] was called.
static SERVER: Mutex<Option<Client>> = Mutex::new(None);

/// Ends the fork server and reaps it when dropped: keep it until proclab is done.
#[derive(Debug)]
#[must_use = "the fork server ends when this is dropped"]
pub struct ForkServer(());

/// What a worker gets: its settings and its descriptors.
#[derive(Debug, Clone, Copy)]
pub struct WorkerFds<'a> {
    /// Read end of the command pipe (its stdin).
    pub stdin: BorrowedFd<'a>,
    /// Write end of its stdout pipe.
    pub stdout: BorrowedFd<'a>,
    /// Write end of its stderr pipe.
    pub stderr: BorrowedFd<'a>,
    /// Write end of its report pipe (its fd 3).
    pub reports: BorrowedFd<'a>,
    /// A pool's shared task queue (its fds 4 and 6).
    pub queue: Option<QueueFds<'a>>,
    /// The stage's shared-memory counter (its fd 5).
    pub shared: Option<BorrowedFd<'a>>,
}

/// A pool's task queue as a worker gets it.
#[derive(Debug, Clone, Copy)]
pub struct QueueFds<'a> {
    /// The read end of the queue's pipe (its fd 4).
    pub packets: BorrowedFd<'a>,
    /// The queue's lock (its fd 6).
    pub lock: BorrowedFd<'a>,
}

/// Starts the fork server. Call it before proclab starts any thread: the server is a copy of
/// proclab as it is at that moment.
pub fn start() -> io::Result<ForkServer> {
    let mut server = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    if server.is_some() {
        return Ok(ForkServer(()));
    }
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    let proclab = nix::unistd::getpid();
    // SAFETY: the caller promises no other thread exists yet, so the child is a whole copy of
    // a single-threaded process and may run any code.
    match unsafe { fork() }? {
        ForkResult::Child => {
            drop(ours);
            serve(theirs, proclab)
        }
        ForkResult::Parent { child } => {
            *server = Some(Client {
                pid: child,
                socket: ours,
            });
            Ok(ForkServer(()))
        }
    }
}

impl Drop for ForkServer {
    fn drop(&mut self) {
        let client = SERVER.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(Client { pid, socket }) = client {
            // End of file on its socket: the server leaves.
            drop(socket);
            let _ = nix::sys::wait::waitpid(pid, None);
        }
    }
}

/// Most requests sent ahead of their answers: enough for a stage's starts to overlap, few
/// enough that neither end's socket buffer can fill while the other waits.
pub(crate) const REQUESTS_AHEAD: usize = 16;

/// A worker the fork server was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Forked {
    /// Its PID.
    pub(crate) pid: u32,
    /// `CLOCK_MONOTONIC` ns when it was asked for.
    pub(crate) asked_ns: u64,
}

/// The fork server, held for a batch of requests: each [`Batch::ask`] sends its request at once
/// (as Python's `start()` returns right after its fork), so the server forks one worker while
/// proclab prepares and asks for the next; [`Batch::answers`] then reads the answers, in order.
/// Ask for at most [`REQUESTS_AHEAD`] workers in one batch.
pub(crate) struct Batch {
    server: MutexGuard<'static, Option<Client>>,
    /// When each request went out, or why it could not.
    sent: Vec<io::Result<u64>>,
}

impl Batch {
    /// Holds the fork server for a batch (other threads' starts wait).
    pub(crate) fn hold() -> Batch {
        Batch {
            server: SERVER.lock().unwrap_or_else(|e| e.into_inner()),
            sent: Vec::new(),
        }
    }

    /// Asks for a worker set up by `config` with `fds`. Once this returns, `fds` may be closed:
    /// the request holds its own copies.
    pub(crate) fn ask(&mut self, config: WorkerConfig, fds: &WorkerFds) {
        debug_assert!(
            self.sent.len() < REQUESTS_AHEAD,
            "too many requests in one batch"
        );
        let sent = match self.server.as_ref() {
            Some(client) => {
                let asked_ns = monotonic_ns();
                send_request(&client.socket, config, fds).map(|()| asked_ns)
            }
            None => Err(io::Error::other(
                "proclab's fork server is not running (it is started at the top of main)",
            )),
        };
        self.sent.push(sent);
    }

    /// The answer to each request, in the order they were asked.
    pub(crate) fn answers(self) -> Vec<io::Result<Forked>> {
        let Batch { server, sent } = self;
        sent.into_iter()
            .map(|sent| {
                let asked_ns = sent?;
                let client = server
                    .as_ref()
                    .expect("a request was sent, so the server runs");
                answer(&client.socket, asked_ns)
            })
            .collect()
    }
}

/// Sends the request for one worker, its descriptors beside it.
fn send_request(socket: &OwnedFd, config: WorkerConfig, fds: &WorkerFds) -> io::Result<()> {
    let request = Request {
        config,
        queue: fds.queue.is_some(),
        shared: fds.shared.is_some(),
    };
    let mut raw: Vec<RawFd> = [fds.stdin, fds.stdout, fds.stderr, fds.reports]
        .iter()
        .map(AsRawFd::as_raw_fd)
        .collect();
    if let Some(queue) = fds.queue {
        raw.extend([queue.packets.as_raw_fd(), queue.lock.as_raw_fd()]);
    }
    raw.extend(fds.shared.map(|fd| fd.as_raw_fd()));
    let bytes = serde_json::to_vec(&request).expect("requests always serialize");
    sendmsg::<()>(
        socket.as_raw_fd(),
        &[IoSlice::new(&bytes)],
        &[ControlMessage::ScmRights(&raw)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    Ok(())
}

/// Reads the server's answer to the oldest request not answered yet, sent at `asked_ns`.
fn answer(socket: &OwnedFd, asked_ns: u64) -> io::Result<Forked> {
    let mut reply = [0u8; 4];
    let read = nix::unistd::read(socket, &mut reply)?;
    if read != reply.len() {
        return Err(io::Error::other("proclab's fork server has ended"));
    }
    match i32::from_le_bytes(reply) {
        pid if pid > 0 => Ok(Forked {
            pid: pid as u32,
            asked_ns,
        }),
        errno => Err(io::Error::from_raw_os_error(-errno)),
    }
}

/// A request for one worker, as it travels (its descriptors travel beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Request {
    config: WorkerConfig,
    /// A pool's task queue comes with it.
    queue: bool,
    /// A shared counter comes with it.
    shared: bool,
}

/// Longest request accepted.
const MAX_REQUEST_BYTES: usize = 256;

impl Request {
    /// Descriptors that come with it.
    fn fd_count(self) -> usize {
        4 + 2 * usize::from(self.queue) + usize::from(self.shared)
    }
}

/// The server's life: answers requests until its socket closes, then leaves.
fn serve(socket: OwnedFd, proclab: Pid) -> ! {
    let socket = settle_server(socket, proclab);
    loop {
        let mut bytes = [0u8; MAX_REQUEST_BYTES];
        let mut space = nix::cmsg_space!([RawFd; 7]);
        let (read, fds) = {
            let mut iov = [IoSliceMut::new(&mut bytes)];
            let message = loop {
                match recvmsg::<()>(
                    socket,
                    &mut iov,
                    Some(&mut space),
                    MsgFlags::MSG_CMSG_CLOEXEC,
                ) {
                    Ok(message) => break message,
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => leave(0),
                }
            };
            let mut fds: Vec<OwnedFd> = Vec::new();
            if let Ok(cmsgs) = message.cmsgs() {
                for cmsg in cmsgs {
                    if let ControlMessageOwned::ScmRights(received) = cmsg {
                        // SAFETY: the kernel just gave these descriptors to this process.
                        fds.extend(
                            received
                                .into_iter()
                                .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                        );
                    }
                }
            }
            (message.bytes, fds)
        };
        if read == 0 {
            leave(0); // proclab closed the socket
        }
        let reply = match serde_json::from_slice::<Request>(&bytes[..read]) {
            Ok(request) if fds.len() == request.fd_count() => fork_one(request, &fds, proclab),
            _ => -nix::libc::EINVAL,
        };
        drop(fds);
        // SAFETY: `socket` is the server's open socket.
        let _ = nix::unistd::write(
            unsafe { BorrowedFd::borrow_raw(socket) },
            &reply.to_le_bytes(),
        );
    }
}

/// Makes the fresh server a quiet process of its own: it dies with proclab, has its name, holds
/// no descriptor but its socket (on fd 3) and `/dev/null` on 0, 1 and 2. Returns the socket.
fn settle_server(socket: OwnedFd, proclab: Pid) -> RawFd {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    if getppid() != proclab {
        leave(1); // proclab ended while the server was starting
    }
    let _ = nix::sys::prctl::set_name(&std::ffi::CString::new(SERVER_NAME).expect("no NUL"));
    without_fastbins();
    prepare_workers_stdio();
    // As Python's fork server does: Ctrl-C in the terminal reaches every process of the job, and
    // proclab answers it (it stops the run); the server stays to start no more, and leaves with
    // proclab. Workers get the default back.
    set_interrupt_disposition(SigHandler::SigIgn);
    // A worker's panic prints one line, as an uncaught exception would, not a backtrace hint.
    // SAFETY: this process has one thread, so nothing reads the environment meanwhile.
    unsafe { std::env::set_var("RUST_BACKTRACE", "0") };
    // SAFETY: dup3, dup2 and close_range on this process's own descriptor numbers: the socket
    // moves to fd 3 first (it may have been given 0 to 2 if proclab started without them),
    // then /dev/null goes on 0 to 2, then everything above 3 is closed.
    unsafe {
        if socket.as_raw_fd() != 3 {
            nix::libc::dup3(socket.as_raw_fd(), 3, nix::libc::O_CLOEXEC);
        }
        if let Ok(null) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
        {
            // Not closed here: it may be one of 0 to 2 itself; close_range ends a higher one.
            let null = null.into_raw_fd();
            for fd in 0..3 {
                nix::libc::dup2(null, fd);
            }
        }
        nix::libc::syscall(nix::libc::SYS_close_range, 4u32, u32::MAX, 0u32);
    }
    // Whatever number it had is closed or reused now: fd 3 is the socket.
    std::mem::forget(socket);
    3
}

/// Forks one worker with `CLONE_PARENT`; returns its PID, or minus the `errno`.
fn fork_one(request: Request, fds: &[OwnedFd], proclab: Pid) -> i32 {
    // SAFETY: a raw `clone` with no new stack behaves as `fork`; this process has a single
    // thread, so the child is a whole copy and may run any code. `CLONE_PARENT` makes the child
    // proclab's, and SIGCHLD tells proclab when it ends.
    let pid = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_clone,
            nix::libc::CLONE_PARENT | nix::libc::SIGCHLD,
            0,
            0,
            0,
            0,
        )
    };
    match pid {
        0 => become_worker(request, fds, proclab),
        pid if pid > 0 => pid as i32,
        _ => -nix::errno::Errno::last_raw(),
    }
}

/// In the forked child: takes the worker's descriptors, ties its life to proclab's, and runs
/// the worker.
fn become_worker(request: Request, fds: &[OwnedFd], proclab: Pid) -> ! {
    // Set before anything else, so there is no moment when proclab's death could be missed.
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    if getppid() != proclab {
        leave(1);
    }
    let mut targets = vec![0, 1, 2, REPORT_FD];
    if request.queue {
        targets.extend([QUEUE_FD, QUEUE_LOCK_FD]);
    }
    if request.shared {
        targets.push(SHARED_FD);
    }
    if place_fds(fds, &targets).is_err() {
        leave(1);
    }
    let _ = nix::sys::prctl::set_name(WORKER_NAME);
    set_interrupt_disposition(SigHandler::SigDfl);
    let config = request.config;
    let _ = std::panic::catch_unwind(move || -> () { crate::worker::run(config) });
    // A panic that escaped a task: the message is out on stderr; exit as Rust would.
    std::process::exit(101)
}

/// Puts `fds[i]` on descriptor `targets[i]` (without close-on-exec) and closes every other
/// descriptor, the server's socket (on fd 3, which the reports take) included.
fn place_fds(fds: &[OwnedFd], targets: &[RawFd]) -> nix::Result<()> {
    // Copied above every target first, so that placing one never overwrites another.
    let mut high = Vec::with_capacity(fds.len());
    for fd in fds {
        // SAFETY: fcntl on a descriptor this process holds.
        let copy = unsafe { nix::libc::fcntl(fd.as_raw_fd(), nix::libc::F_DUPFD_CLOEXEC, 10) };
        if copy < 0 {
            return Err(nix::errno::Errno::last());
        }
        high.push(copy);
    }
    // SAFETY: dup2 onto the worker's fixed descriptors, then close everything else this
    // process holds: the received descriptors, their copies and the server's socket.
    unsafe {
        for (&from, &to) in high.iter().zip(targets) {
            if nix::libc::dup2(from, to) < 0 {
                return Err(nix::errno::Errno::last());
            }
        }
        for fd in (REPORT_FD..=LAST_FD).filter(|fd| !targets.contains(fd)) {
            nix::libc::close(fd);
        }
        nix::libc::syscall(
            nix::libc::SYS_close_range,
            LAST_FD as u32 + 1,
            u32::MAX,
            0u32,
        );
    }
    Ok(())
}

/// Turns off the C library's fastbins (its cache of small freed blocks) in the server, after
/// merging the ones it has. A worker's first larger allocation would otherwise merge them
/// itself, writing to pages it shares with the server: a copy of each page (a fault) in every
/// worker. Small blocks are still cached per thread (tcache).
fn without_fastbins() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt changes the allocator's settings; this process has one thread.
    unsafe {
        nix::libc::mallopt(nix::libc::M_MXFAST, 0);
    }
}

/// Makes the buffers of stdin and stdout here, once, so that every worker forked from the
/// server has them already: each worker reads its command through stdin's buffer and prints
/// through stdout's, and making them in each worker costs a search of the server's heap that
/// writes to pages it shares with the server (a page copy, a fault, for each). The server never
/// reads or writes them itself (its 0 and 1 are `/dev/null`); a worker's are its own pipes, on
/// the same descriptors.
fn prepare_workers_stdio() {
    drop(std::io::stdin().lock());
    drop(std::io::stdout().lock());
}

/// Sets what SIGINT does to this process.
fn set_interrupt_disposition(handler: SigHandler) {
    // SAFETY: SIG_IGN and SIG_DFL run no code of ours in a signal handler.
    let _ = unsafe { nix::sys::signal::signal(Signal::SIGINT, handler) };
}

/// Leaves without running anything of proclab's exit path (this is a copy of proclab).
fn leave(code: i32) -> ! {
    // SAFETY: _exit ends the process at once.
    unsafe { nix::libc::_exit(code) }
}
