//! A counter in shared memory: a memfd that the parent and every worker of a stage map, so
//! that processes really share one variable (and can really lose updates to each other).

use std::num::NonZeroUsize;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

use crate::protocol::SHARED_BYTES;

/// The parent's view of a stage's shared counter.
#[derive(Debug)]
pub struct SharedCounter {
    fd: OwnedFd,
    map: NonNull<std::ffi::c_void>,
}

impl SharedCounter {
    /// A new zeroed shared region.
    pub fn new() -> nix::Result<SharedCounter> {
        let fd = memfd_create("proclab-counter", MFdFlags::MFD_CLOEXEC)?;
        nix::unistd::ftruncate(&fd, SHARED_BYTES as i64)?;
        let map = map_shared(fd.as_fd())?;
        Ok(SharedCounter { fd, map })
    }

    /// The descriptor workers map (it becomes their fd 5).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The counter's value now.
    pub fn value(&self) -> u64 {
        counter_at(self.map).load(Ordering::SeqCst)
    }
}

impl Drop for SharedCounter {
    fn drop(&mut self) {
        // SAFETY: `map` is the mapping made in `new`, of SHARED_BYTES, unmapped only here.
        let _ = unsafe { munmap(self.map, SHARED_BYTES) };
    }
}

/// Maps the shared region of `fd` read-write and shared.
pub fn map_shared(fd: BorrowedFd) -> nix::Result<NonNull<std::ffi::c_void>> {
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

/// The counter at the start of a shared region.
pub fn counter_at(map: NonNull<std::ffi::c_void>) -> &'static AtomicU64 {
    // SAFETY: the region is page-aligned, at least 8 bytes, lives until the process unmaps it
    // (the parent only after every worker is gone; workers never), and is only ever accessed
    // through atomics.
    unsafe { &*map.as_ptr().cast::<AtomicU64>() }
}

/// The lock word beside the counter.
pub fn lock_at(map: NonNull<std::ffi::c_void>) -> &'static std::sync::atomic::AtomicU32 {
    // SAFETY: as for `counter_at`; offset 8 is 4-byte aligned and inside the region.
    unsafe {
        &*map
            .as_ptr()
            .cast::<u8>()
            .add(8)
            .cast::<std::sync::atomic::AtomicU32>()
    }
}
