//! The module arena: one reserved range of the address space where module memory, the trampolines to
//! host functions and the host's exported data live.
//!
//! Modules are built with `-mcmodel=kernel`: they reach symbols with 32-bit sign-extended absolute
//! addresses (`R_X86_64_32S`) and ±2 GiB PC-relative offsets. So everything a module addresses must
//! sit below 2 GiB and within 2 GiB of everything else; the arena is reserved at 256 MiB, 1 GiB long,
//! before anything else maps memory there.
//!
//! Layout: `[0, 64 KiB)` trampolines and stubs (RX once written), `[64 KiB, 128 KiB)` the kernel-data
//! block (RW: `jiffies`, `__stack_chk_guard`, `param_ops_*`), the rest module pages handed out by a
//! first-fit free list that coalesces, so released ranges are reused at the same address.

use std::sync::Mutex;

pub const ARENA_BASE: usize = 0x1000_0000;
pub const ARENA_SIZE: usize = 1 << 30;
pub const PAGE_SIZE: usize = 4096;
pub const TRAMPOLINE_AREA: usize = 64 * 1024;
pub const DATA_AREA: usize = 64 * 1024;
const PAGES_START: usize = ARENA_BASE + TRAMPOLINE_AREA + DATA_AREA;

/// Page protection of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prot {
    None,
    Read,
    ReadWrite,
    ReadExec,
}

impl Prot {
    fn bits(self) -> libc::c_int {
        match self {
            Prot::None => libc::PROT_NONE,
            Prot::Read => libc::PROT_READ,
            Prot::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
            Prot::ReadExec => libc::PROT_READ | libc::PROT_EXEC,
        }
    }
}

/// Why the arena cannot be used.
#[derive(Debug)]
pub struct ArenaError(pub String);

impl std::fmt::Display for ArenaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The reserved range and its free list.
pub struct Arena {
    /// Free page ranges `(start, len)`, sorted by start, never adjacent.
    free: Mutex<Vec<(usize, usize)>>,
}

pub fn page_align(n: usize) -> usize {
    n.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

impl Arena {
    /// Reserves the arena. Must run before other threads or allocators might map memory at its
    /// addresses; fails (never clobbers) if something is already there.
    pub fn reserve() -> Result<Arena, ArenaError> {
        // SAFETY: mapping fresh anonymous memory at a fixed address; MAP_FIXED_NOREPLACE refuses to
        // replace any existing mapping, so no memory of ours is affected.
        let p = unsafe {
            libc::mmap(
                ARENA_BASE as *mut libc::c_void,
                ARENA_SIZE,
                libc::PROT_NONE,
                libc::MAP_PRIVATE
                    | libc::MAP_ANONYMOUS
                    | libc::MAP_FIXED_NOREPLACE
                    | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED || p as usize != ARENA_BASE {
            return Err(ArenaError(format!(
                "cannot reserve the module arena at {ARENA_BASE:#x} ({} MiB): {}; \
                 something else is mapped there (is this a sandbox kernel process?)",
                ARENA_SIZE >> 20,
                std::io::Error::last_os_error()
            )));
        }
        let arena = Arena {
            free: Mutex::new(vec![(PAGES_START, ARENA_BASE + ARENA_SIZE - PAGES_START)]),
        };
        arena.protect(ARENA_BASE, TRAMPOLINE_AREA + DATA_AREA, Prot::ReadWrite)?;
        Ok(arena)
    }

    /// Start of the trampoline area.
    pub fn trampolines(&self) -> usize {
        ARENA_BASE
    }

    /// Start of the kernel-data block.
    pub fn data_block(&self) -> usize {
        ARENA_BASE + TRAMPOLINE_AREA
    }

    /// Allocates `len` bytes (rounded up to pages), zeroed and read-write.
    pub fn alloc(&self, len: usize) -> Result<usize, ArenaError> {
        let len = page_align(len.max(1));
        let start = {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            let Some(i) = free.iter().position(|&(_, l)| l >= len) else {
                return Err(ArenaError(format!(
                    "module arena exhausted: no {len} free bytes in {} MiB",
                    ARENA_SIZE >> 20
                )));
            };
            let (start, l) = free[i];
            if l == len {
                free.remove(i);
            } else {
                free[i] = (start + len, l - len);
            }
            start
        };
        self.protect(start, len, Prot::ReadWrite)?;
        Ok(start)
    }

    /// Returns pages to the arena. Their contents are dropped (the range is mapped anew, inaccessible),
    /// so nothing of an unloaded module stays readable and the process's memory does not grow.
    pub fn free(&self, start: usize, len: usize) {
        let len = page_align(len.max(1));
        debug_assert!(start >= PAGES_START && start + len <= ARENA_BASE + ARENA_SIZE);
        // SAFETY: [start, start+len) is a range this arena handed out and the caller no longer uses;
        // replacing it with a fresh inaccessible mapping only affects that range.
        unsafe {
            libc::mmap(
                start as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            );
        }
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let i = free.partition_point(|&(s, _)| s < start);
        free.insert(i, (start, len));
        // Coalesce with the neighbours.
        if i + 1 < free.len() && free[i].0 + free[i].1 == free[i + 1].0 {
            free[i].1 += free[i + 1].1;
            free.remove(i + 1);
        }
        if i > 0 && free[i - 1].0 + free[i - 1].1 == free[i].0 {
            free[i - 1].1 += free[i].1;
            free.remove(i);
        }
    }

    /// Sets the protection of page-aligned range inside the arena.
    pub fn protect(&self, start: usize, len: usize, prot: Prot) -> Result<(), ArenaError> {
        if len == 0 {
            return Ok(());
        }
        // SAFETY: the range lies inside the arena mapping, which this process owns; changing its
        // protection cannot affect memory outside it.
        let r = unsafe { libc::mprotect(start as *mut libc::c_void, page_align(len), prot.bits()) };
        if r != 0 {
            return Err(ArenaError(format!(
                "mprotect({start:#x}, {len:#x}): {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    /// Free page ranges, for tests and `status`.
    pub fn free_ranges(&self) -> usize {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
