//! Memory the processes of a stage share: a memfd that the parent and every worker map. It holds
//! a counter (so that processes really share one variable and can really lose updates to each
//! other) and a lock that is a futex in that memory, as Python's `multiprocessing.Lock` is a
//! semaphore in shared memory.

use std::num::NonZeroUsize;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

use crate::protocol::SHARED_BYTES;

/// A shared region as the process that made or mapped it sees it.
#[derive(Debug)]
pub struct SharedRegion {
    fd: Option<OwnedFd>,
    map: NonNull<std::ffi::c_void>,
}

// SAFETY: the mapping is only ever accessed through atomics, from any thread.
unsafe impl Send for SharedRegion {}
// SAFETY: as for Send.
unsafe impl Sync for SharedRegion {}

impl SharedRegion {
    /// A new zeroed region, to hand to workers.
    pub fn new(name: &str) -> nix::Result<SharedRegion> {
        let fd = memfd_create(name, MFdFlags::MFD_CLOEXEC)?;
        nix::unistd::ftruncate(&fd, SHARED_BYTES as i64)?;
        let map = map_shared(fd.as_fd())?;
        Ok(SharedRegion { fd: Some(fd), map })
    }

    /// The region on `fd`, which a worker was given (the descriptor can be closed after).
    pub fn open(fd: BorrowedFd) -> nix::Result<SharedRegion> {
        Ok(SharedRegion {
            fd: None,
            map: map_shared(fd)?,
        })
    }

    /// The descriptor to hand to workers (`None` in a region that was opened).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }

    /// The counter, at offset 0.
    pub fn counter(&self) -> &AtomicU64 {
        // SAFETY: the region is page-aligned, at least 8 bytes, lives as long as `self`, and is
        // only ever accessed through atomics.
        unsafe { &*self.map.as_ptr().cast::<AtomicU64>() }
    }

    /// The lock, at offsets 8 (its holder) and 12 (how many wait).
    pub fn lock(&self) -> SharedLock<'_> {
        let word = |offset: usize| {
            // SAFETY: as for `counter`; offsets 8 and 12 are 4-byte aligned and inside.
            unsafe {
                &*self
                    .map
                    .as_ptr()
                    .cast::<u8>()
                    .add(offset)
                    .cast::<AtomicU32>()
            }
        };
        SharedLock {
            holder: word(8),
            waiters: word(12),
        }
    }
}

impl Drop for SharedRegion {
    fn drop(&mut self) {
        // SAFETY: `map` is the mapping made when `self` was, of SHARED_BYTES, unmapped only here.
        let _ = unsafe { munmap(self.map, SHARED_BYTES) };
    }
}

/// Maps the shared region of `fd` read-write and shared.
fn map_shared(fd: BorrowedFd) -> nix::Result<NonNull<std::ffi::c_void>> {
    let length = NonZeroUsize::new(SHARED_BYTES).expect("the region is not empty");
    // SAFETY: a fresh shared mapping of a memfd of SHARED_BYTES; nothing else is at that address.
    unsafe {
        mmap(
            None,
            length,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
            fd,
            0,
        )
    }
}

/// How long a waiter sleeps before it checks that the holder still lives.
const HOLDER_CHECK: Duration = Duration::from_millis(50);

/// A lock between processes: a futex in shared memory. It holds the PID of the process holding
/// it, so that a holder killed while it held the lock (SIGKILL from the UI) does not block the
/// others for ever: a waiter takes the lock over once the holder is gone.
#[derive(Debug, Clone, Copy)]
pub struct SharedLock<'a> {
    holder: &'a AtomicU32,
    waiters: &'a AtomicU32,
}

/// Holds a [`SharedLock`] until dropped.
#[derive(Debug)]
pub struct SharedLockGuard<'a>(SharedLock<'a>);

impl<'a> SharedLock<'a> {
    /// Waits until this process holds the lock. A waiter sleeps in the kernel, so the holder's
    /// release wakes it like any other sleeper (onto a free core).
    pub fn lock(self) -> SharedLockGuard<'a> {
        let me = std::process::id();
        loop {
            if self
                .holder
                .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return SharedLockGuard(self);
            }
            self.waiters.fetch_add(1, Ordering::SeqCst);
            let holder = self.holder.load(Ordering::SeqCst);
            let woken = holder == 0 || futex_wait(self.holder, holder, HOLDER_CHECK);
            self.waiters.fetch_sub(1, Ordering::SeqCst);
            if !woken && !alive(holder) {
                let _ = self
                    .holder
                    .compare_exchange(holder, 0, Ordering::SeqCst, Ordering::SeqCst);
            }
        }
    }
}

impl Drop for SharedLockGuard<'_> {
    fn drop(&mut self) {
        self.0.holder.store(0, Ordering::SeqCst);
        if self.0.waiters.load(Ordering::SeqCst) > 0 {
            futex_wake_one(self.0.holder);
        }
    }
}

/// Sleeps while `word` holds `expected`, at most `timeout`; `false` if the time ran out.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) -> bool {
    let timeout = nix::libc::timespec {
        tv_sec: timeout.as_secs() as nix::libc::time_t,
        tv_nsec: timeout.subsec_nanos() as nix::libc::c_long,
    };
    // SAFETY: FUTEX_WAIT on an aligned word of a shared mapping that outlives the call (not
    // private: the word is shared between processes), with a relative timeout.
    let result = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_futex,
            word.as_ptr(),
            nix::libc::FUTEX_WAIT,
            expected,
            &timeout as *const nix::libc::timespec,
            std::ptr::null::<u32>(),
            0,
        )
    };
    result == 0 || nix::errno::Errno::last() != nix::errno::Errno::ETIMEDOUT
}

/// Wakes one process sleeping on `word`.
fn futex_wake_one(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE on an aligned word of a shared mapping.
    unsafe {
        nix::libc::syscall(
            nix::libc::SYS_futex,
            word.as_ptr(),
            nix::libc::FUTEX_WAKE,
            1,
            std::ptr::null::<nix::libc::timespec>(),
            std::ptr::null::<u32>(),
            0,
        );
    }
}

/// Whether process `pid` still runs (a zombie holds nothing any more).
fn alive(pid: u32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
        && crate::observe::procfs::read_process(pid).is_none_or(|stat| stat.state != 'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_is_shared_between_mappings() {
        let made = SharedRegion::new("test").unwrap();
        let opened = SharedRegion::open(made.fd().unwrap()).unwrap();
        opened.counter().store(41, Ordering::SeqCst);
        made.counter().fetch_add(1, Ordering::SeqCst);
        assert_eq!(opened.counter().load(Ordering::SeqCst), 42);
        assert!(opened.fd().is_none());
    }

    #[test]
    fn the_lock_excludes_and_a_dead_holder_is_taken_over() {
        let region = SharedRegion::new("test").unwrap();
        let lock = region.lock();
        drop(lock.lock());
        // A holder that no longer exists (PID 0x7fff_fff0 is above pid_max): taken over.
        lock.holder.store(0x7fff_fff0, Ordering::SeqCst);
        let guard = lock.lock();
        assert_eq!(lock.holder.load(Ordering::SeqCst), std::process::id());
        let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let other = std::thread::spawn({
            let fd = region.fd().unwrap().try_clone_to_owned().unwrap();
            let released = released.clone();
            move || {
                let opened = SharedRegion::open(fd.as_fd()).unwrap();
                let _held = opened.lock().lock();
                released.load(Ordering::SeqCst)
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        released.store(true, Ordering::SeqCst);
        drop(guard);
        assert!(other.join().unwrap(), "it waited for the holder to let go");
    }
}
