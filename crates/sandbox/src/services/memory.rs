//! Kernel services: memory (`<linux/slab.h>`, `<linux/vmalloc.h>`, `<linux/gfp.h>`, page allocation,
//! `<linux/random.h>`).
//!
//! Module memory comes from the host: `kmalloc` and slab caches from the host heap (aligned as SLUB
//! aligns: 8 bytes at least, power-of-two sizes up to a page naturally), `vmalloc` from whole-page
//! mappings followed by a `PROT_NONE` guard page, so an overrun faults in module code and becomes an
//! oops. Module code reaches this memory through 64-bit pointers only; nothing of it lies in the
//! arena.
//!
//! Every allocation is recorded: address, requested and usable size, kind, the module whose code
//! called (the caller's return address comes from the C entry points in `csrc/memory.c`), and that
//! address, for leak reports (`function+offset [module]`). [`module_usage`] and [`outstanding_for`]
//! read the table; at unload ([`module_unloaded`], from the loader's `free_module`) what a module
//! still holds is reported in one line and reclaimed.
//!
//! Misuse never reaches the host allocator: a free of a pointer the table does not hold, or of one
//! already freed, is reported in KASAN's words (taint `B`) and ignored. Freed memory is poisoned
//! (`0x6b`, `POISON_FREE`) and held in a quarantine for a while before the host reuses it, so a
//! double free is recognised as one and a use after free does not scribble on the host's live data
//! at once; freed `vmalloc` areas become `PROT_NONE` while quarantined, so touching them oopses.
//!
//! Issue 6 ("What Linux cannot tell you") adds SLUB's debugging checks and kmemleak's report:
//! every `kmalloc` and slab-cache object has a red zone (the bytes between the requested size and
//! the size class, unless `ksize()` was asked, and [`REDZONE`] bytes after the class), filled with
//! `0xcc` and checked when the object is freed; the poison of a quarantined object is checked when
//! it leaves the quarantine and when the module that allocated it is unloaded. Both report in
//! SLUB's words (`BUG kmalloc-32 (Not tainted): kmalloc Redzone overwritten`, `… Poison
//! overwritten`) with the allocation and free sites. A fault in a freed or overrun `vmalloc` area
//! is explained before the oops ([`describe_fault`]). What a module leaks is reported at unload in
//! kmemleak's shape, one object per allocation site ([`module_unloaded`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ffi::{c_char, c_void};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use crate::kernel::{kernel, taint, Module};
use crate::oops::symbolize;
use crate::services::{func_export, ExportEntry};
use crate::{mem, sched};

pub const PAGE_SIZE: usize = 4096;
pub const PAGE_SHIFT: u32 = 12;
/// `ZERO_SIZE_PTR`: what `kmalloc(0)` returns.
pub const ZERO_SIZE_PTR: u64 = 16;
/// Above this, `kmalloc` hands out whole pages (`KMALLOC_MAX_CACHE_SIZE`, two pages in SLUB).
pub const KMALLOC_MAX_CACHE_SIZE: usize = 2 * PAGE_SIZE;
/// `MAX_PAGE_ORDER` (x86_64).
pub const MAX_PAGE_ORDER: u32 = 10;
/// `KMALLOC_MAX_SIZE`: the largest `kmalloc` (an order-10 allocation, 4 MiB).
pub const KMALLOC_MAX_SIZE: usize = PAGE_SIZE << MAX_PAGE_ORDER;
/// `ARCH_KMALLOC_MINALIGN`.
pub const KMALLOC_MIN_ALIGN: usize = 8;

/// GFP flags, with Linux 6.12's values (`include/linux/gfp_types.h`).
pub mod gfp {
    pub const DMA: u32 = 0x01;
    pub const HIGHMEM: u32 = 0x02;
    pub const DMA32: u32 = 0x04;
    pub const MOVABLE: u32 = 0x08;
    pub const RECLAIMABLE: u32 = 0x10;
    pub const HIGH: u32 = 0x20;
    pub const IO: u32 = 0x40;
    pub const FS: u32 = 0x80;
    pub const ZERO: u32 = 0x100;
    pub const DIRECT_RECLAIM: u32 = 0x400;
    pub const KSWAPD_RECLAIM: u32 = 0x800;
    pub const NOWARN: u32 = 0x2000;
    pub const NOFAIL: u32 = 0x8000;
    pub const RECLAIM: u32 = DIRECT_RECLAIM | KSWAPD_RECLAIM;
    pub const KERNEL: u32 = RECLAIM | IO | FS;
    pub const ATOMIC: u32 = HIGH | KSWAPD_RECLAIM;
    pub const NOWAIT: u32 = KSWAPD_RECLAIM;
}

/// `SLAB_HWCACHE_ALIGN` (`_SLAB_HWCACHE_ALIGN` = bit 4 in 6.12's `enum _slab_flag_bits`).
const SLAB_HWCACHE_ALIGN: u32 = 1 << 4;
/// `SLAB_PANIC` (bit 8).
const SLAB_PANIC: u32 = 1 << 8;
const CACHE_LINE: usize = 64;
/// `TAINT_BAD_PAGE` (`B`): what a KASAN report taints.
const TAINT_BAD_PAGE: u32 = 5;
/// Red-zone bytes after each `kmalloc` and slab-cache object's size class.
pub const REDZONE: usize = 16;
/// `SLUB_RED_ACTIVE`: the red zone's pattern.
const SLUB_RED_ACTIVE: u8 = 0xcc;
/// kmemleak-style leak report: at most this many allocation sites are shown.
pub const LEAK_SITES_SHOWN: usize = 10;
/// Freed `vmalloc` areas remembered after they leave the quarantine, to explain a late fault.
const VM_HISTORY: usize = 64;

/// Where an allocation came from, and so how it is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocKind {
    Kmalloc,
    Vmalloc,
    /// `__get_free_pages` of this order.
    Pages(u32),
    /// An object of the slab cache with this handle and name.
    Cache(u64, String),
}

/// One outstanding allocation.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub addr: u64,
    /// What the caller asked for.
    pub size: usize,
    /// What it may use (`ksize`): the size class, the cache's object stride, whole pages.
    pub usable: usize,
    pub kind: AllocKind,
    /// The module whose code allocated it (`None`: the kernel itself).
    pub module: Option<String>,
    /// Identity of that module instance (its `Module`'s address; 0 for the kernel).
    owner: usize,
    /// The return address in the allocating code.
    pub caller: u64,
    pub when: Instant,
    /// `current` when it was allocated (kmemleak's `comm` and `pid`) and `jiffies` then.
    pub pid: i32,
    pub comm: String,
    pub jiffies: u64,
    /// `ksize()` was asked: the caller may use the whole size class (no kmalloc red zone).
    ksize_used: bool,
    /// The caller as `function+off/size [module]`, resolved when the init memory holding it
    /// was freed (else resolved when needed).
    caller_sym: Option<String>,
}

/// A leaked allocation reclaimed when its module was unloaded (kept for issue 6's report).
#[derive(Debug, Clone)]
pub struct Leak {
    pub alloc: Allocation,
    /// The caller as `function+offset/size [module]`, resolved before the module's symbols went.
    pub caller_symbol: String,
}

/// A sleeping allocation made in atomic context.
#[derive(Debug, Clone)]
pub struct AtomicSleep {
    pub caller: u64,
    pub caller_symbol: String,
    pub module: Option<String>,
    pub preempt_count: u32,
    pub flags: u32,
}

/// A slab cache (`struct kmem_cache`, opaque to modules: its handle is just an address).
#[derive(Debug)]
struct Cache {
    name: String,
    object_size: usize,
    /// Object stride: the size rounded up to the alignment.
    size: usize,
    align: usize,
    ctor: u64,
    owner: usize,
    objects: usize,
}

/// Freed memory waiting in the quarantine.
struct Freed {
    addr: u64,
    usable: usize,
    kind: AllocKind,
    /// Who freed it, for a double-free report.
    by: u64,
    by_task: (i32, String),
    /// What was requested, who allocated it (address, task, jiffies), which module instance, and
    /// when it was freed: for the double-free, poison and `vmalloc` reports.
    size: usize,
    alloc_caller: u64,
    alloc_task: (i32, String),
    alloc_jiffies: u64,
    freed_jiffies: u64,
    owner: usize,
    /// The sites as `function+off/size [module]`, resolved at their module's unload.
    alloc_sym: Option<String>,
    by_sym: Option<String>,
}

#[derive(Default)]
struct State {
    live: BTreeMap<u64, Allocation>,
    /// Per module instance: (allocations, requested bytes).
    per_module: HashMap<usize, (usize, usize)>,
    quarantine: VecDeque<Freed>,
    quarantine_bytes: usize,
    caches: HashMap<u64, Cache>,
    leaks: Vec<Leak>,
    /// Freed `vmalloc` areas that left the quarantine (newest last).
    vm_history: VecDeque<Freed>,
    /// Report lines made under the lock, printed by [`flush`] once it is released.
    reports: Vec<String>,
    atomic_sleeps: Vec<AtomicSleep>,
}

const QUARANTINE_ENTRIES: usize = 1024;
const QUARANTINE_BYTES: usize = 8 << 20;
const HISTORY_MAX: usize = 1024;
const POISON_FREE: u8 = 0x6b;

fn state_cell() -> &'static Mutex<State> {
    static S: OnceLock<Mutex<State>> = OnceLock::new();
    S.get_or_init(Default::default)
}

fn state() -> std::sync::MutexGuard<'static, State> {
    state_cell().lock().unwrap_or_else(|e| e.into_inner())
}

/// Releases the lock, then prints the reports made under it (`KERN_ERR`) and taints `B`.
fn flush(mut s: std::sync::MutexGuard<'static, State>) {
    if s.reports.is_empty() {
        return;
    }
    let lines = std::mem::take(&mut s.reports);
    drop(s);
    let k = kernel();
    for l in lines {
        k.printk(3, &l);
    }
    k.once("debug_locks", || {
        k.printk(4, "Disabling lock debugging due to kernel taint")
    });
    k.add_taint(TAINT_BAD_PAGE);
}

/// Whether objects of this kind get a red zone.
fn redzoned(kind: &AllocKind) -> bool {
    matches!(kind, AllocKind::Kmalloc | AllocKind::Cache(..))
}

/// SLUB's name of the cache an object lives in (`kmalloc-64`, `kmalloc-1k`, a cache's name).
fn cache_name(kind: &AllocKind, usable: usize) -> String {
    match kind {
        AllocKind::Kmalloc if usable > KMALLOC_MAX_CACHE_SIZE => "kmalloc-large".to_string(),
        AllocKind::Kmalloc if usable >= 1024 => format!("kmalloc-{}k", usable / 1024),
        AllocKind::Kmalloc => format!("kmalloc-{usable}"),
        AllocKind::Cache(_, n) => n.clone(),
        AllocKind::Vmalloc => "vmalloc".to_string(),
        AllocKind::Pages(o) => format!("pages (order {o})"),
    }
}

/// A site for a report: the name resolved at its module's unload, or resolved now.
fn site(sym: &Option<String>, addr: u64) -> String {
    match sym {
        Some(s) => s.clone(),
        None if addr == 0 => "(the module's unload)".to_string(),
        None => crate::unloaded::symbolize(addr),
    }
}

/// `hex_dump_to_buffer(…, 16, 1, …, true)` rows: `6b 6b …  kk…`.
fn hex_rows(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .map(|row| {
            let hex: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = row
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:<48} {ascii}", hex.join(" "))
        })
        .collect()
}

/// `crc32(0, data)` (the kernel's `crc32_le`, no final inversion): kmemleak's object checksum.
fn crc32_le(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Reads `[addr, addr+len)` of host memory the table owns.
fn bytes_at(addr: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    if !mem::read(addr, &mut v) {
        v.clear();
    }
    v
}

/// SLUB's `check_bytes_and_report`: the first byte of `[from, to)` that is not `want`, if any;
/// then a report in SLUB's words into `s.reports`, and the pattern restored.
#[allow(clippy::too_many_arguments)]
fn check_bytes(
    s: &mut State,
    cache: &str,
    what: &str,
    object: u64,
    from: u64,
    to: u64,
    want: u8,
    tracks: [String; 2],
) -> bool {
    if to <= from {
        return true;
    }
    let bytes = bytes_at(from, (to - from) as usize);
    let Some(first) = bytes.iter().position(|&b| b != want) else {
        return true;
    };
    let last = bytes.iter().rposition(|&b| b != want).unwrap_or(first);
    let fault = from + first as u64;
    let end = from + last as u64;
    let k = kernel();
    s.reports.extend([
        "=============================================================================".to_string(),
        format!("BUG {cache} ({}): {what} overwritten", k.tainted_string()),
        "-----------------------------------------------------------------------------".to_string(),
        format!(
            "0x{fault:016x}-0x{end:016x} @offset={}. First byte 0x{:x} instead of 0x{want:x}",
            fault - object,
            bytes[first]
        ),
    ]);
    s.reports.extend(tracks);
    let shown = (fault - object) as usize;
    let row_start = shown & !15;
    for (i, row) in hex_rows(&bytes_at(object + row_start as u64, 16))
        .into_iter()
        .enumerate()
    {
        s.reports.push(format!(
            "{}{:016x}: {row}",
            if from == object {
                "Object   "
            } else {
                "Redzone  "
            },
            object + (row_start + i * 16) as u64
        ));
    }
    s.reports.push(format!(
        "FIX {cache}: Restoring {what} 0x{from:016x}-0x{:016x}=0x{want:x}",
        to - 1
    ));
    // SAFETY: [from, to) is inside a block the table owns (live or quarantined).
    unsafe { std::ptr::write_bytes(from as *mut u8, want, (to - from) as usize) };
    false
}

/// `Allocated in … age=… cpu=0 pid=…` and `Freed in …` (SLUB's `print_tracking`).
fn tracks(
    alloc: (&Option<String>, u64, u64, i32),
    freed: (&Option<String>, u64, u64, i32),
) -> [String; 2] {
    let now = crate::services::time::jiffies();
    [
        format!(
            "Allocated in {} age={} cpu=0 pid={}",
            site(alloc.0, alloc.1),
            now.wrapping_sub(alloc.2),
            alloc.3
        ),
        format!(
            "Freed in {} age={} cpu=0 pid={}",
            site(freed.0, freed.1),
            now.wrapping_sub(freed.2),
            freed.3
        ),
    ]
}

/// Checks the red zone of a live object that is being freed by `by`.
fn check_redzone(s: &mut State, a: &Allocation, by: u64) {
    if !redzoned(&a.kind) {
        return;
    }
    let cache = cache_name(&a.kind, a.usable);
    let (pid, _) = task();
    let now = crate::services::time::jiffies();
    let t = || {
        tracks(
            (&a.caller_sym, a.caller, a.jiffies, a.pid),
            (&None, by, now, pid),
        )
    };
    if !a.ksize_used {
        check_bytes(
            s,
            &cache,
            "kmalloc Redzone",
            a.addr,
            a.addr + a.size as u64,
            a.addr + a.usable as u64,
            SLUB_RED_ACTIVE,
            t(),
        );
    }
    let end = a.addr + a.usable as u64;
    check_bytes(
        s,
        &cache,
        "Right Redzone",
        a.addr,
        end,
        end + REDZONE as u64,
        SLUB_RED_ACTIVE,
        t(),
    );
}

/// Checks that a quarantined object still holds its poison (nobody wrote to it after the free).
fn check_poison(s: &mut State, f: &Freed) {
    if f.kind == AllocKind::Vmalloc {
        return; // inaccessible while quarantined
    }
    let cache = cache_name(&f.kind, f.usable);
    let t = tracks(
        (
            &f.alloc_sym,
            f.alloc_caller,
            f.alloc_jiffies,
            f.alloc_task.0,
        ),
        (&f.by_sym, f.by, f.freed_jiffies, f.by_task.0),
    );
    check_bytes(
        s,
        &cache,
        "Poison",
        f.addr,
        f.addr,
        f.addr + f.usable as u64,
        POISON_FREE,
        t,
    );
}

/// The `kmalloc` size class of a request (`kmalloc_size_roundup`): 8 … 8192 as SLUB's caches, then
/// whole pages.
pub fn kmalloc_size_class(size: usize) -> usize {
    const CLASSES: [usize; 13] = [
        8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
    ];
    CLASSES
        .iter()
        .copied()
        .find(|&c| c >= size)
        .unwrap_or_else(|| size.div_ceil(PAGE_SIZE) * PAGE_SIZE)
}

/// The alignment SLUB gives objects of a class: the largest power of two dividing it, at most a page.
fn class_align(class: usize) -> usize {
    (1usize << class.trailing_zeros()).clamp(KMALLOC_MIN_ALIGN, PAGE_SIZE)
}

/// The module instance and name whose code is at `caller`.
fn owner_of(caller: u64) -> (usize, Option<String>) {
    match kernel().module_at(caller) {
        Some(m) => (std::sync::Arc::as_ptr(&m) as usize, Some(m.name.clone())),
        None => (0, None),
    }
}

fn task() -> (i32, String) {
    let t = sched::current();
    (t.pid(), t.comm())
}

/// `might_alloc()`: a sleeping allocation in atomic context is reported by the one
/// sleeping-in-atomic reporter ([`super::sync::might_sleep`], at `__might_resched`'s place in
/// `might_alloc`, with its rate limit) and recorded; the allocation goes on.
fn might_alloc(flags: u32, caller: u64) {
    if flags & gfp::DIRECT_RECLAIM == 0 {
        return;
    }
    let pc = sched::preempt_count();
    if !super::sync::might_sleep("include/linux/sched/mm.h", 321) {
        return;
    }
    let (_, module) = owner_of(caller);
    let event = AtomicSleep {
        caller,
        caller_symbol: symbolize(caller),
        module,
        preempt_count: pc,
        flags,
    };
    let mut s = state();
    if s.atomic_sleeps.len() < HISTORY_MAX {
        s.atomic_sleeps.push(event);
    }
}

/// A `WARN_ON_ONCE` of the allocator (huge sizes): the report, taint W.
fn warn_once(key: &'static str, file: &str, line: i32) {
    let k = kernel();
    k.once(key, || {
        crate::oops::warn_report(file, line, None, None, None);
        k.add_taint(taint::WARN);
    });
}

/// A KASAN-style report of a bad free; taints the kernel `B` (as KASAN's `end_report` does).
fn bad_free(what: &str, addr: u64, caller: u64, extra: &[String]) {
    let k = kernel();
    let (pid, comm) = task();
    let mut lines = vec![
        "==================================================================".to_string(),
        format!("BUG: KASAN: {what} in {}", symbolize(caller)),
        format!("Free of addr {addr:016x} by task {comm}/{pid}"),
    ];
    lines.extend_from_slice(extra);
    lines.push("==================================================================".to_string());
    for l in lines {
        k.printk(3, &l);
    }
    k.once("debug_locks", || {
        k.printk(4, "Disabling lock debugging due to kernel taint")
    });
    k.add_taint(TAINT_BAD_PAGE);
}

/// Host memory for `usable` bytes at `align` (heap) or a guarded mapping (vmalloc).
fn host_alloc(kind: &AllocKind, usable: usize, align: usize) -> Option<u64> {
    if *kind == AllocKind::Vmalloc {
        let len = usable + PAGE_SIZE;
        // SAFETY: a fresh anonymous private mapping; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: the last page of the mapping just made becomes the guard page.
        unsafe {
            libc::mprotect(
                p.cast::<u8>().add(usable).cast(),
                PAGE_SIZE,
                libc::PROT_NONE,
            )
        };
        return Some(p as u64);
    }
    let mut p: *mut c_void = std::ptr::null_mut();
    // SAFETY: posix_memalign writes the new block's address to `p`; `align` is a power of two and a
    // multiple of the pointer size.
    let extra = if redzoned(kind) { REDZONE } else { 0 };
    let r = unsafe {
        libc::posix_memalign(
            &mut p,
            align.max(KMALLOC_MIN_ALIGN),
            (usable + extra).max(1),
        )
    };
    (r == 0 && !p.is_null()).then_some(p as u64)
}

/// Returns quarantined memory to the host.
fn host_release(f: &Freed) {
    if f.kind == AllocKind::Vmalloc {
        // SAFETY: the mapping of `usable` bytes plus its guard page was made by host_alloc and is
        // no longer in the table.
        unsafe { libc::munmap(f.addr as *mut c_void, f.usable + PAGE_SIZE) };
    } else {
        // SAFETY: the block came from posix_memalign and left the table (and the quarantine).
        unsafe { libc::free(f.addr as *mut c_void) };
    }
}

/// Makes a new allocation and records it.
fn alloc(
    size: usize,
    usable: usize,
    align: usize,
    kind: AllocKind,
    flags: u32,
    caller: u64,
) -> u64 {
    let Some(addr) = host_alloc(&kind, usable, align) else {
        return 0;
    };
    if kind != AllocKind::Vmalloc {
        // As SLUB with red zones: __GFP_ZERO clears what was asked for; the rest of the size
        // class and the bytes after it are the red zone.
        let rz = redzoned(&kind);
        // SAFETY: [addr, addr+usable+REDZONE) (the red zone only for red-zoned kinds) is the
        // block just allocated, owned by nobody else yet.
        unsafe {
            if flags & gfp::ZERO != 0 {
                std::ptr::write_bytes(addr as *mut u8, 0, if rz { size } else { usable });
            }
            if rz {
                std::ptr::write_bytes(
                    (addr as *mut u8).add(size),
                    SLUB_RED_ACTIVE,
                    usable - size + REDZONE,
                );
            }
        }
    }
    let (owner, module) = owner_of(caller);
    let (pid, comm) = task();
    let a = Allocation {
        addr,
        size,
        usable,
        kind,
        module,
        owner,
        caller,
        when: Instant::now(),
        pid,
        comm,
        jiffies: crate::services::time::jiffies(),
        ksize_used: false,
        caller_sym: None,
    };
    let mut s = state();
    let e = s.per_module.entry(owner).or_default();
    e.0 += 1;
    e.1 += size;
    s.live.insert(addr, a);
    addr
}

/// Removes a live allocation from the table, poisons it and quarantines it.
fn release(s: &mut State, addr: u64, sensitive: bool, by: u64) -> Option<Allocation> {
    let a = s.live.remove(&addr)?;
    check_redzone(s, &a, by);
    if let Some(e) = s.per_module.get_mut(&a.owner) {
        e.0 = e.0.saturating_sub(1);
        e.1 = e.1.saturating_sub(a.size);
        if e.0 == 0 {
            s.per_module.remove(&a.owner);
        }
    }
    if let AllocKind::Cache(handle, _) = &a.kind {
        if let Some(c) = s.caches.get_mut(handle) {
            c.objects = c.objects.saturating_sub(1);
        }
    }
    if a.kind == AllocKind::Vmalloc {
        // SAFETY: the area [addr, addr+usable) is ours and leaves use: its pages are dropped and
        // it becomes inaccessible while quarantined, so a later access oopses in module code.
        unsafe {
            libc::madvise(addr as *mut c_void, a.usable, libc::MADV_DONTNEED);
            libc::mprotect(addr as *mut c_void, a.usable, libc::PROT_NONE);
        }
    } else {
        if sensitive {
            // SAFETY: the block is ours (just removed from the table); volatile so the clearing
            // of a secret is not elided.
            for i in 0..a.usable {
                unsafe { std::ptr::write_volatile((addr as *mut u8).add(i), 0) };
            }
        }
        // SAFETY: as above.
        unsafe { std::ptr::write_bytes(addr as *mut u8, POISON_FREE, a.usable) };
        s.quarantine_bytes += a.usable;
    }
    s.quarantine.push_back(Freed {
        addr,
        usable: a.usable,
        kind: a.kind.clone(),
        by,
        // Freed at unload (`by` 0): no task freed it.
        by_task: if by == 0 { (0, String::new()) } else { task() },
        size: a.size,
        alloc_caller: a.caller,
        alloc_task: (a.pid, a.comm.clone()),
        alloc_jiffies: a.jiffies,
        freed_jiffies: crate::services::time::jiffies(),
        owner: a.owner,
        alloc_sym: a.caller_sym.clone(),
        by_sym: None,
    });
    while s.quarantine.len() > QUARANTINE_ENTRIES || s.quarantine_bytes > QUARANTINE_BYTES {
        let Some(f) = s.quarantine.pop_front() else {
            break;
        };
        if f.kind != AllocKind::Vmalloc {
            s.quarantine_bytes -= f.usable;
            check_poison(s, &f);
        }
        host_release(&f);
        if f.kind == AllocKind::Vmalloc {
            if s.vm_history.len() >= VM_HISTORY {
                s.vm_history.pop_front();
            }
            s.vm_history.push_back(f);
        }
    }
    Some(a)
}

/// Frees `addr` if it is a live allocation of one of the accepted kinds; otherwise reports the bad
/// free in KASAN's words and leaves the host's memory alone. Returns whether memory was freed.
fn free_checked(addr: u64, sensitive: bool, caller: u64, accept: fn(&AllocKind) -> bool) -> bool {
    let mut s = state();
    let live = s.live.get(&addr).map(|a| (a.kind.clone(), a.usable));
    if let Some((kind, usable)) = live {
        if accept(&kind) {
            release(&mut s, addr, sensitive, caller);
            flush(s);
            return true;
        }
        drop(s);
        bad_free(
            "invalid-free",
            addr,
            caller,
            &[format!(
                "The buggy address belongs to a {usable}-byte {} region: the wrong free function",
                kind_name(&kind)
            )],
        );
        return false;
    }
    // A double free: the address is in the quarantine.
    if let Some(f) = s.quarantine.iter().rev().find(|f| f.addr == addr) {
        let (pid, comm) = f.by_task.clone();
        let (apid, acomm) = f.alloc_task.clone();
        let mut extra = vec![
            format!("Allocated by task {acomm}/{apid}:"),
            format!(" {}", site(&f.alloc_sym, f.alloc_caller)),
        ];
        if comm.is_empty() {
            extra.push("Freed earlier (at its module's unload):".to_string());
        } else {
            extra.push(format!("Freed by task {comm}/{pid}:"));
            extra.push(format!(" {}", site(&f.by_sym, f.by)));
        }
        extra.push(format!(
            "The buggy address belongs to the object at {addr:016x}"
        ));
        extra.push(format!(
            " which belongs to the cache {} of size {}",
            cache_name(&f.kind, f.usable),
            f.usable
        ));
        extra.push(format!(
            "The buggy address is located 0 bytes inside of freed {}-byte region [{addr:016x}, {:016x})",
            f.size,
            addr + f.size as u64
        ));
        drop(s);
        bad_free("double-free", addr, caller, &extra);
        return false;
    }
    // Inside a live allocation?
    let inside = s
        .live
        .range(..addr)
        .next_back()
        .filter(|(_, a)| addr < a.addr + a.usable as u64)
        .map(|(_, a)| (a.addr, a.usable, a.kind.clone()));
    drop(s);
    let extra = match inside {
        Some((base, usable, kind)) => vec![format!(
            "The buggy address is located {} bytes inside of {usable}-byte {} region [{base:016x}, {:016x})",
            addr - base,
            kind_name(&kind),
            base + usable as u64
        )],
        None => match crate::unloaded::variable_at(addr) {
            Some(var) => vec![
                "The buggy address belongs to the variable:".to_string(),
                format!(" {var}"),
            ],
            _ => vec!["The buggy address was not allocated by the kernel's allocators".to_string()],
        },
    };
    bad_free("invalid-free", addr, caller, &extra);
    false
}

fn kind_name(k: &AllocKind) -> &'static str {
    match k {
        AllocKind::Kmalloc => "kmalloc",
        AllocKind::Vmalloc => "vmalloc",
        AllocKind::Pages(_) => "page",
        AllocKind::Cache(..) => "slab cache",
    }
}

// ---------------------------------------------------------------------------------------------
// The Rust side of csrc/memory.c.

#[no_mangle]
pub extern "C" fn lkm_kmalloc(size: usize, flags: u32, caller: *const c_void) -> *mut c_void {
    let caller = caller as u64;
    might_alloc(flags, caller);
    if size == 0 {
        return ZERO_SIZE_PTR as *mut c_void;
    }
    if size > KMALLOC_MAX_SIZE {
        if flags & gfp::NOWARN == 0 {
            warn_once("kmalloc_max_order", "mm/page_alloc.c", 4733);
        }
        return std::ptr::null_mut();
    }
    let class = kmalloc_size_class(size);
    let align = if class > KMALLOC_MAX_CACHE_SIZE {
        PAGE_SIZE
    } else {
        class_align(class)
    };
    alloc(size, class, align, AllocKind::Kmalloc, flags, caller) as *mut c_void
}

fn is_kmalloc_like(k: &AllocKind) -> bool {
    matches!(k, AllocKind::Kmalloc | AllocKind::Cache(..))
}

#[no_mangle]
pub extern "C" fn lkm_kfree(p: *const c_void, sensitive: i32, caller: *const c_void) {
    let addr = p as u64;
    if addr <= ZERO_SIZE_PTR {
        return;
    }
    free_checked(addr, sensitive != 0, caller as u64, is_kmalloc_like);
}

#[no_mangle]
pub extern "C" fn lkm_ksize(p: *const c_void, _caller: *const c_void) -> usize {
    let addr = p as u64;
    if addr <= ZERO_SIZE_PTR {
        return 0;
    }
    // As ksize() promises, the caller may now use the whole size class: its kmalloc red zone
    // is no longer checked.
    state()
        .live
        .get_mut(&addr)
        .filter(|a| is_kmalloc_like(&a.kind))
        .map(|a| {
            a.ksize_used = true;
            a.usable
        })
        .unwrap_or(0)
}

#[no_mangle]
pub extern "C" fn lkm_krealloc(
    p: *const c_void,
    size: usize,
    flags: u32,
    caller: *const c_void,
) -> *mut c_void {
    let addr = p as u64;
    if addr <= ZERO_SIZE_PTR {
        return lkm_kmalloc(size, flags, caller);
    }
    if size == 0 {
        lkm_kfree(p, 0, caller);
        return ZERO_SIZE_PTR as *mut c_void;
    }
    let old = state()
        .live
        .get(&addr)
        .map(|a| (a.kind.clone(), a.usable, a.size));
    let Some((kind, usable, old_size)) = old else {
        // Not ours: report as the kernel would on freeing it, and fail.
        free_checked(addr, false, caller as u64, is_kmalloc_like);
        return std::ptr::null_mut();
    };
    if !is_kmalloc_like(&kind) {
        free_checked(addr, false, caller as u64, is_kmalloc_like);
        return std::ptr::null_mut();
    }
    if size <= usable {
        // Fits in place (as __do_krealloc keeps the object): the new size is what is accounted.
        let mut s = state();
        if let Some(a) = s.live.get_mut(&addr) {
            let owner = a.owner;
            a.size = size;
            if size < old_size && !a.ksize_used {
                // Shrunk: the bytes given back are red zone again.
                // SAFETY: [addr+size, addr+old_size) lies inside the live block.
                unsafe {
                    std::ptr::write_bytes(
                        (addr as *mut u8).add(size),
                        SLUB_RED_ACTIVE,
                        old_size - size,
                    )
                };
            }
            if let Some(e) = s.per_module.get_mut(&owner) {
                e.1 = e.1 + size - old_size;
            }
        }
        drop(s);
        if flags & gfp::ZERO != 0 && size > old_size {
            // SAFETY: [addr+old_size, addr+size) lies inside the live block of `usable` bytes.
            unsafe { std::ptr::write_bytes((addr as *mut u8).add(old_size), 0, size - old_size) };
        }
        return p as *mut c_void;
    }
    let new = lkm_kmalloc(size, flags, caller);
    if new.is_null() {
        return new;
    }
    // SAFETY: both blocks are live allocations of ours: the old one has `usable` bytes (ksize, what
    // krealloc copies) and the new one more than that.
    unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, new as *mut u8, usable) };
    lkm_kfree(p, 0, caller);
    new
}

#[no_mangle]
pub extern "C" fn lkm_kstrndup(
    s: *const c_char,
    max: usize,
    flags: u32,
    caller: *const c_void,
) -> *mut c_char {
    if s.is_null() {
        return std::ptr::null_mut();
    }
    let Ok(bytes) = mem::read_cstr(s as u64, max.min(KMALLOC_MAX_SIZE - 1)) else {
        return std::ptr::null_mut();
    };
    let p = lkm_kmalloc(bytes.len() + 1, flags, caller) as *mut u8;
    if p.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `p` is a fresh allocation of at least len + 1 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        *p.add(bytes.len()) = 0;
    }
    p as *mut c_char
}

#[no_mangle]
pub extern "C" fn lkm_kmemdup(
    src: *const c_void,
    len: usize,
    flags: u32,
    caller: *const c_void,
) -> *mut c_void {
    let p = lkm_kmalloc(len, flags, caller);
    if p as u64 <= ZERO_SIZE_PTR {
        return p;
    }
    // SAFETY: `p` is a fresh allocation of at least `len` bytes, not yet visible to anyone.
    let dst = unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) };
    if !mem::read(src as u64, dst) {
        lkm_kfree(p, 0, caller);
        return std::ptr::null_mut();
    }
    p
}

fn total_ram_pages() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if n > 0 {
        n as usize
    } else {
        usize::MAX
    }
}

#[no_mangle]
pub extern "C" fn lkm_vmalloc(size: usize, flags: u32, caller: *const c_void) -> *mut c_void {
    let caller = caller as u64;
    // vmalloc always may sleep: it allocates page tables with GFP_KERNEL.
    might_alloc(flags | gfp::DIRECT_RECLAIM, caller);
    if size == 0 {
        warn_once("vmalloc_zero", "mm/vmalloc.c", 3797);
        return std::ptr::null_mut();
    }
    if (size >> PAGE_SHIFT) > total_ram_pages() {
        if flags & gfp::NOWARN == 0 {
            let (_, comm) = task();
            kernel().printk(
                4,
                &format!(
                    "{comm}: vmalloc error: size {size}, exceeds total pages, mode:{:#x}, nodemask=(null),cpuset=/,mems_allowed=0",
                    flags
                ),
            );
        }
        return std::ptr::null_mut();
    }
    let usable = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    alloc(size, usable, PAGE_SIZE, AllocKind::Vmalloc, flags, caller) as *mut c_void
}

#[no_mangle]
pub extern "C" fn lkm_vfree(p: *const c_void, caller: *const c_void) {
    let addr = p as u64;
    if addr == 0 {
        return;
    }
    let kind = state().live.get(&addr).map(|a| a.kind.clone());
    if kind == Some(AllocKind::Vmalloc) {
        free_checked(addr, false, caller as u64, |k| *k == AllocKind::Vmalloc);
        return;
    }
    let in_quarantine = state().quarantine.iter().any(|f| f.addr == addr);
    if in_quarantine {
        free_checked(addr, false, caller as u64, |k| *k == AllocKind::Vmalloc);
        return;
    }
    // vfree() of something that is not a vmalloc area: the kernel's WARN.
    let k = kernel();
    let msg = format!("Trying to vfree() nonexistent vm area ({addr:016x})\n");
    crate::oops::warn_report("mm/vmalloc.c", 3335, Some(msg.as_bytes()), None, None);
    k.add_taint(taint::WARN);
}

#[no_mangle]
pub extern "C" fn lkm_kvmalloc(size: usize, flags: u32, caller: *const c_void) -> *mut c_void {
    // Small requests, and every request that may not sleep, are kmalloc's; large ones vmalloc's.
    if size <= KMALLOC_MAX_CACHE_SIZE || flags & gfp::DIRECT_RECLAIM == 0 {
        return lkm_kmalloc(size, flags, caller);
    }
    if size > i32::MAX as usize {
        if flags & gfp::NOWARN == 0 {
            warn_once("kvmalloc_int_max", "mm/util.c", 665);
        }
        return std::ptr::null_mut();
    }
    lkm_vmalloc(size, flags, caller)
}

#[no_mangle]
pub extern "C" fn lkm_kvfree(p: *const c_void, sensitive: i32, caller: *const c_void) {
    let addr = p as u64;
    if addr <= ZERO_SIZE_PTR {
        return;
    }
    free_checked(addr, sensitive != 0, caller as u64, |k| {
        matches!(
            k,
            AllocKind::Kmalloc | AllocKind::Cache(..) | AllocKind::Vmalloc
        )
    });
}

/// `is_vmalloc_addr(p)`: inside a live vmalloc area.
pub extern "C" fn is_vmalloc_addr(p: *const c_void) -> bool {
    let addr = p as u64;
    state()
        .live
        .range(..=addr)
        .next_back()
        .is_some_and(|(_, a)| a.kind == AllocKind::Vmalloc && addr < a.addr + a.usable as u64)
}

#[allow(clippy::too_many_arguments)]
#[no_mangle]
pub extern "C" fn lkm_kmem_cache_create(
    name: *const c_char,
    size: u32,
    align: u32,
    flags: u32,
    useroffset: u32,
    usersize: u32,
    ctor: u64,
    caller: *const c_void,
) -> *mut c_void {
    let k = kernel();
    let name_s = mem::read_cstr(name as u64, 256)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .ok();
    let size = size as usize;
    let bad = name_s.is_none()
        || !(8..=KMALLOC_MAX_SIZE).contains(&size)
        || (align != 0 && !align.is_power_of_two())
        || (usersize != 0 && useroffset as usize + usersize as usize > size);
    let name_s = name_s.unwrap_or_else(|| "(null)".to_string());
    if bad {
        k.printk(
            4,
            &format!("kmem_cache_create({name_s}) failed with error -22"),
        );
        crate::oops::dump_stack();
        if flags & SLAB_PANIC != 0 {
            k.printk(
                0,
                &format!("Kernel panic - not syncing: kmem_cache_create: Failed to create slab '{name_s}'. Error -22"),
            );
        }
        return std::ptr::null_mut();
    }
    // calculate_alignment().
    let mut align = align as usize;
    if flags & SLAB_HWCACHE_ALIGN != 0 {
        let mut ralign = CACHE_LINE;
        while size <= ralign / 2 {
            ralign /= 2;
        }
        align = align.max(ralign);
    }
    let align = align.max(KMALLOC_MIN_ALIGN).next_multiple_of(8);
    let stride = size.next_multiple_of(align);
    let handle = Box::into_raw(Box::new([0u64; 8])) as u64;
    let (owner, _) = owner_of(caller as u64);
    state().caches.insert(
        handle,
        Cache {
            name: name_s,
            object_size: size,
            size: stride,
            align,
            ctor,
            owner,
            objects: 0,
        },
    );
    handle as *mut c_void
}

/// # Safety
/// `ctor_out` is null or points at a writable `void (*)(void *)` (a local of the C entry point).
#[no_mangle]
pub unsafe extern "C" fn lkm_kmem_cache_alloc(
    cache: *mut c_void,
    flags: u32,
    ctor_out: *mut u64,
    caller: *const c_void,
) -> *mut c_void {
    let caller = caller as u64;
    might_alloc(flags, caller);
    let info = state()
        .caches
        .get(&(cache as u64))
        .map(|c| (c.name.clone(), c.object_size, c.size, c.align, c.ctor));
    let Some((name, object_size, stride, align, ctor)) = info else {
        kernel().printk(
            3,
            &format!(
                "kmem_cache_alloc: {:016x} is not a slab cache (called from {})",
                cache as u64,
                symbolize(caller)
            ),
        );
        return std::ptr::null_mut();
    };
    let p = alloc(
        object_size,
        stride,
        align,
        AllocKind::Cache(cache as u64, name),
        flags,
        caller,
    );
    if p != 0 {
        if let Some(c) = state().caches.get_mut(&(cache as u64)) {
            c.objects += 1;
        }
        if !ctor_out.is_null() {
            // SAFETY: `ctor_out` points at a local of the C entry point in csrc/memory.c.
            unsafe { *ctor_out = ctor };
        }
    }
    p as *mut c_void
}

#[no_mangle]
pub extern "C" fn lkm_kmem_cache_free(cache: *mut c_void, p: *const c_void, caller: *const c_void) {
    let addr = p as u64;
    if addr == 0 {
        return;
    }
    let (cache_name, obj_cache) = {
        let s = state();
        (
            s.caches.get(&(cache as u64)).map(|c| c.name.clone()),
            s.live.get(&addr).and_then(|a| match &a.kind {
                AllocKind::Cache(h, n) => Some((*h, n.clone())),
                AllocKind::Kmalloc => Some((0, format!("kmalloc-{}", a.usable))),
                _ => None,
            }),
        )
    };
    if let (Some(want), Some((h, from))) = (&cache_name, &obj_cache) {
        if *h != cache as u64 {
            // cache_from_obj(): the object is freed to the cache it came from, after a warning.
            let k = kernel();
            let msg =
                format!("kmem_cache_free: Wrong slab cache. {want} but object is from {from}\n");
            crate::oops::warn_report("mm/slab.h", 623, Some(msg.as_bytes()), None, None);
            k.add_taint(taint::WARN);
        }
    }
    free_checked(addr, false, caller as u64, is_kmalloc_like);
}

#[no_mangle]
pub extern "C" fn lkm_kmem_cache_destroy(cache: *mut c_void, caller: *const c_void) {
    if cache.is_null() {
        return;
    }
    let handle = cache as u64;
    let mut s = state();
    let Some(c) = s.caches.get(&handle) else {
        drop(s);
        kernel().printk(
            3,
            &format!(
                "kmem_cache_destroy: {handle:016x} is not a slab cache (called from {})",
                symbolize(caller as u64)
            ),
        );
        return;
    };
    if c.objects > 0 {
        // shutdown_cache() fails: the cache stays, with its objects (they are reclaimed with
        // their module).
        let name = c.name.clone();
        let n = c.objects;
        drop(s);
        let k = kernel();
        k.printk(
            3,
            &format!(
                "BUG {name} ({}): Objects remaining on __kmem_cache_shutdown()",
                k.tainted_string()
            ),
        );
        k.printk(3, &format!("{name}: {n} object(s) still allocated"));
        k.printk(
            4,
            &format!(
                "kmem_cache_destroy {name}: Slab cache still has objects when called from {}",
                symbolize(caller as u64)
            ),
        );
        crate::oops::warn_report("mm/slab_common.c", 513, None, None, None);
        k.add_taint(taint::WARN);
        return;
    }
    s.caches.remove(&handle);
    drop(s);
    // SAFETY: the handle was made by Box::into_raw in lkm_kmem_cache_create and has just left the
    // table, so it is released exactly once.
    drop(unsafe { Box::from_raw(handle as *mut [u64; 8]) });
}

#[no_mangle]
pub extern "C" fn lkm_get_free_pages(flags: u32, order: u32, caller: *const c_void) -> u64 {
    let caller = caller as u64;
    might_alloc(flags, caller);
    if order > MAX_PAGE_ORDER {
        if flags & gfp::NOWARN == 0 {
            warn_once("page_alloc_max_order", "mm/page_alloc.c", 4733);
        }
        return 0;
    }
    let bytes = PAGE_SIZE << order;
    alloc(
        bytes,
        bytes,
        PAGE_SIZE,
        AllocKind::Pages(order),
        flags,
        caller,
    )
}

#[no_mangle]
pub extern "C" fn lkm_free_pages(addr: u64, order: u32, caller: *const c_void) {
    if addr == 0 {
        return;
    }
    let _ = order;
    free_checked(addr, false, caller as u64, |k| {
        matches!(k, AllocKind::Pages(_))
    });
}

// ---------------------------------------------------------------------------------------------
// Random numbers.

fn random_fill(buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: getrandom writes at most the remaining length into our buffer.
        let n = unsafe { libc::getrandom(buf[done..].as_mut_ptr().cast(), buf.len() - done, 0) };
        if n <= 0 {
            break;
        }
        done += n as usize;
    }
}

pub extern "C" fn get_random_bytes(buf: *mut c_void, len: usize) {
    let mut at = buf as u64;
    let mut left = len;
    let mut chunk = [0u8; 256];
    while left > 0 {
        let n = left.min(chunk.len());
        random_fill(&mut chunk[..n]);
        if !mem::write(at, &chunk[..n]) {
            return;
        }
        at += n as u64;
        left -= n;
    }
}

pub extern "C" fn get_random_u64() -> u64 {
    let mut b = [0u8; 8];
    random_fill(&mut b);
    u64::from_le_bytes(b)
}

pub extern "C" fn get_random_u32() -> u32 {
    get_random_u64() as u32
}

pub extern "C" fn get_random_u16() -> u16 {
    get_random_u64() as u16
}

pub extern "C" fn get_random_u8() -> u8 {
    get_random_u64() as u8
}

/// `__get_random_u32_below(ceil)`: uniform in `[0, ceil)` (Lemire's method, as the kernel).
pub extern "C" fn __get_random_u32_below(ceil: u32) -> u32 {
    if ceil <= 1 {
        return 0;
    }
    loop {
        let mult = get_random_u32() as u64 * ceil as u64;
        if (mult as u32) >= ceil.wrapping_neg() % ceil {
            return (mult >> 32) as u32;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accounting API.

/// `(allocations, requested bytes)` the module holds now.
pub fn module_usage(m: &Module) -> (usize, usize) {
    state()
        .per_module
        .get(&(m as *const Module as usize))
        .copied()
        .unwrap_or((0, 0))
}

/// The allocations the module holds now, oldest first.
pub fn outstanding_for(m: &Module) -> Vec<Allocation> {
    let id = m as *const Module as usize;
    let mut v: Vec<Allocation> = state()
        .live
        .values()
        .filter(|a| a.owner == id)
        .cloned()
        .collect();
    v.sort_by_key(|a| a.when);
    v
}

/// Leaks reclaimed at unload so far (the newest [`HISTORY_MAX`]).
pub fn unload_leaks() -> Vec<Leak> {
    state().leaks.clone()
}

/// Sleeping allocations made in atomic context so far (the first [`HISTORY_MAX`]).
pub fn atomic_sleeps() -> Vec<AtomicSleep> {
    state().atomic_sleeps.clone()
}

/// `(allocations, bytes)` of the module named `name`, as `__lkm_module_memory` reports them.
fn usage_by_name(name: &str) -> Option<(usize, usize)> {
    kernel().find_module(name).map(|m| module_usage(&m))
}

/// Every outstanding allocation: `(allocations, requested bytes)`.
pub fn total_usage() -> (usize, usize) {
    let s = state();
    (s.live.len(), s.live.values().map(|a| a.size).sum())
}

/// `__lkm_module_memory(name, &count, &bytes)`: an lkm extension (`<lkm/memory.h>`) reporting
/// what a loaded module holds (an empty name: everything outstanding); 0 or `-ENOENT`.
pub extern "C" fn __lkm_module_memory(
    name: *const c_char,
    count: *mut u64,
    bytes: *mut u64,
) -> i32 {
    let Ok(n) = mem::read_cstr(name as u64, 64) else {
        return -libc::EFAULT;
    };
    let usage = if n.is_empty() {
        Some(total_usage())
    } else {
        usage_by_name(&String::from_utf8_lossy(&n))
    };
    let Some((c, b)) = usage else {
        return -libc::ENOENT;
    };
    if !mem::write(count as u64, &(c as u64).to_le_bytes())
        || !mem::write(bytes as u64, &(b as u64).to_le_bytes())
    {
        return -libc::EFAULT;
    }
    0
}

/// The allocator function a leak report shows above the module's frame.
fn allocator_name(kind: &AllocKind) -> &'static str {
    match kind {
        AllocKind::Kmalloc => "kmalloc",
        AllocKind::Vmalloc => "vmalloc",
        AllocKind::Pages(_) => "__get_free_pages",
        AllocKind::Cache(..) => "kmem_cache_alloc",
    }
}

/// kmemleak's report of what a module leaked (`print_unreferenced`), bounded: the objects are
/// grouped by allocation site (caller and allocator), and the oldest object of each of the first
/// [`LEAK_SITES_SHOWN`] sites is shown in full, with a count of the others from its site.
pub fn leak_report(leaked: &[Allocation]) -> Vec<(u8, String)> {
    let k = kernel();
    let mut sites: Vec<(u64, &'static str, Vec<&Allocation>)> = Vec::new();
    for a in leaked {
        let name = allocator_name(&a.kind);
        match sites.iter_mut().find(|s| s.0 == a.caller && s.1 == name) {
            Some(s) => s.2.push(a),
            None => sites.push((a.caller, name, vec![a])),
        }
    }
    let mut out = vec![(
        6,
        format!("kmemleak: {} new suspected memory leaks", leaked.len()),
    )];
    for (caller, alloc_fn, objs) in sites.iter().take(LEAK_SITES_SHOWN) {
        let a = objs[0];
        out.push((
            4,
            format!("unreferenced object 0x{:016x} (size {}):", a.addr, a.size),
        ));
        out.push((
            4,
            format!(
                "  comm \"{}\", pid {}, jiffies {}",
                a.comm, a.pid, a.jiffies
            ),
        ));
        let dump = bytes_at(a.addr, a.size.min(32));
        out.push((4, format!("  hex dump (first {} bytes):", dump.len())));
        for row in hex_rows(&dump) {
            out.push((4, format!("    {row}")));
        }
        let crc = crc32_le(&bytes_at(a.addr, a.size));
        out.push((4, format!("  backtrace (crc {crc:x}):")));
        if let Some(sym) = k.ksyms.get(*alloc_fn) {
            out.push((
                4,
                format!("    [<{:016x}>] {}", sym.addr, symbolize(sym.addr)),
            ));
        }
        out.push((
            4,
            format!("    [<{caller:016x}>] {}", site(&a.caller_sym, *caller)),
        ));
        if objs.len() > 1 {
            let bytes: usize = objs[1..].iter().map(|o| o.size).sum();
            out.push((
                4,
                format!(
                    "  … and {} more object(s), {bytes} bytes, from the same site",
                    objs.len() - 1
                ),
            ));
        }
    }
    if sites.len() > LEAK_SITES_SHOWN {
        let rest = &sites[LEAK_SITES_SHOWN..];
        let n: usize = rest.iter().map(|s| s.2.len()).sum();
        let bytes: usize = rest.iter().flat_map(|s| s.2.iter()).map(|o| o.size).sum();
        out.push((
            4,
            format!(
                "kmemleak: {} more allocation site(s) with {n} object(s), {bytes} bytes, not shown",
                rest.len()
            ),
        ));
    }
    out
}

/// At unload (`free_module`, while the module's symbols are still known): reports in one
/// `KERN_WARNING` line what the module still holds, then each leak in kmemleak's shape
/// ([`leak_report`]), keeps a record of each leak, and reclaims the memory (checking its red zones)
/// and the slab caches it created. The quarantined objects the module allocated or freed have
/// their poison checked, and their sites named while the module's symbols are known.
pub fn module_unloaded(m: &std::sync::Arc<Module>) {
    let id = std::sync::Arc::as_ptr(m) as usize;
    let leaked = outstanding_for(m);
    if !leaked.is_empty() {
        let bytes: usize = leaked.iter().map(|a| a.size).sum();
        let k = kernel();
        k.printk(
            4,
            &format!(
                "{}: {} allocation(s), {bytes} bytes still allocated at unload",
                m.name,
                leaked.len()
            ),
        );
        for (level, l) in leak_report(&leaked) {
            k.printk(level, &l);
        }
    }
    let records: Vec<Leak> = leaked
        .iter()
        .map(|a| Leak {
            alloc: a.clone(),
            caller_symbol: site(&a.caller_sym, a.caller),
        })
        .collect();
    let mut s = state();
    let (base, len) = m.core;
    let ours = |a: u64| a >= base && a < base + len;
    let mut q = std::mem::take(&mut s.quarantine);
    for f in q.iter_mut() {
        let mine = f.owner == id || ours(f.by);
        if f.alloc_sym.is_none() && ours(f.alloc_caller) {
            f.alloc_sym = Some(symbolize(f.alloc_caller));
        }
        if f.by_sym.is_none() && ours(f.by) {
            f.by_sym = Some(symbolize(f.by));
        }
        if mine {
            check_poison(&mut s, f);
        }
    }
    s.quarantine = q;
    for f in s.vm_history.iter_mut() {
        if f.alloc_sym.is_none() && ours(f.alloc_caller) {
            f.alloc_sym = Some(symbolize(f.alloc_caller));
        }
        if f.by_sym.is_none() && ours(f.by) {
            f.by_sym = Some(symbolize(f.by));
        }
    }
    for a in &leaked {
        release(&mut s, a.addr, false, 0);
    }
    for l in records {
        if s.leaks.len() >= HISTORY_MAX {
            s.leaks.remove(0);
        }
        s.leaks.push(l);
    }
    // Caches the module created and never destroyed: their objects are gone now (their own
    // allocations were the module's, or are released here as leaks of whoever made them).
    let orphaned: Vec<u64> = s
        .caches
        .iter()
        .filter(|(_, c)| c.owner == id && c.objects == 0)
        .map(|(&h, _)| h)
        .collect();
    for h in orphaned {
        s.caches.remove(&h);
        // SAFETY: the handle came from Box::into_raw and just left the table.
        drop(unsafe { Box::from_raw(h as *mut [u64; 8]) });
    }
    // Nothing about the unloaded instance stays keyed by its address (which may be reused).
    s.per_module.remove(&id);
    for c in s.caches.values_mut() {
        if c.owner == id {
            c.owner = 0;
        }
    }
    let st = &mut *s;
    for f in st.quarantine.iter_mut().chain(st.vm_history.iter_mut()) {
        if f.owner == id {
            f.owner = 0;
        }
    }
    flush(s);
}

/// Called by the loader before a module's init memory (and its symbols) goes: names the sites
/// in it of live and freed allocations while they can still be named.
pub fn init_memory_freeing(base: u64, len: u64) {
    let inside = |a: u64| a >= base && a < base + len;
    let mut s = state();
    let st = &mut *s;
    for a in st.live.values_mut() {
        if a.caller_sym.is_none() && inside(a.caller) {
            a.caller_sym = Some(symbolize(a.caller));
        }
    }
    for f in st.quarantine.iter_mut().chain(st.vm_history.iter_mut()) {
        if f.alloc_sym.is_none() && inside(f.alloc_caller) {
            f.alloc_sym = Some(symbolize(f.alloc_caller));
        }
        if f.by_sym.is_none() && inside(f.by) {
            f.by_sym = Some(symbolize(f.by));
        }
    }
}

/// Explains a page fault at `addr` in a `vmalloc` area's guard page or in a freed area, in KASAN's
/// words, for the oops report to print before its own lines (and taints `B`); empty for other
/// addresses. `rip` is the faulting instruction.
pub fn describe_fault(addr: u64, rip: u64, write: bool) -> Vec<String> {
    // The fault may have come while the table was locked (it never does from module code, which
    // runs without it; but never wait here).
    let Ok(s) = state_cell().try_lock() else {
        return Vec::new();
    };
    let (pid, comm) = task();
    let access = if write { "Write" } else { "Read" };
    let mut out =
        vec!["==================================================================".to_string()];
    let overrun = s
        .live
        .range(..=addr)
        .next_back()
        .map(|(_, a)| a)
        .filter(|a| {
            a.kind == AllocKind::Vmalloc
                && addr >= a.addr + a.usable as u64
                && addr < a.addr + (a.usable + PAGE_SIZE) as u64
        });
    if let Some(a) = overrun {
        let end = a.addr + a.size as u64;
        out.extend([
            format!("BUG: KASAN: vmalloc-out-of-bounds in {}", symbolize(rip)),
            format!("{access} at addr {addr:016x} by task {comm}/{pid}"),
            format!(
                "The buggy address is located {} bytes to the right of",
                addr - end
            ),
            format!(
                " allocated {}-byte region [{:016x}, {end:016x})",
                a.size, a.addr
            ),
            "The buggy address belongs to the virtual mapping at".to_string(),
            format!(
                " [{:016x}, {:016x}) created by:",
                a.addr,
                a.addr + (a.usable + PAGE_SIZE) as u64
            ),
            format!(" {}", site(&a.caller_sym, a.caller)),
        ]);
    } else {
        let freed = s
            .quarantine
            .iter()
            .rev()
            .chain(s.vm_history.iter().rev())
            .find(|f| {
                f.kind == AllocKind::Vmalloc
                    && addr >= f.addr
                    && addr < f.addr + (f.usable + PAGE_SIZE) as u64
            });
        let Some(f) = freed else {
            return Vec::new();
        };
        let (apid, acomm) = &f.alloc_task;
        let (fpid, fcomm) = &f.by_task;
        out.extend([
            format!("BUG: KASAN: use-after-free in {}", symbolize(rip)),
            format!("{access} at addr {addr:016x} by task {comm}/{pid}"),
            format!("Allocated by task {acomm}/{apid}:"),
            format!(" {}", site(&f.alloc_sym, f.alloc_caller)),
        ]);
        if fcomm.is_empty() {
            out.push("Freed earlier (at its module's unload):".to_string());
        } else {
            out.push(format!("Freed by task {fcomm}/{fpid}:"));
            out.push(format!(" {}", site(&f.by_sym, f.by)));
        }
        out.extend([
            "The buggy address belongs to the virtual mapping at".to_string(),
            format!(
                " [{:016x}, {:016x}) created by:",
                f.addr,
                f.addr + (f.usable + PAGE_SIZE) as u64
            ),
            format!(" {}", site(&f.alloc_sym, f.alloc_caller)),
            format!(
                "The buggy address is located {} bytes inside of",
                addr - f.addr
            ),
            format!(
                " freed {}-byte region [{:016x}, {:016x})",
                f.size,
                f.addr,
                f.addr + f.size as u64
            ),
        ]);
    }
    drop(s);
    out.push("==================================================================".to_string());
    kernel().add_taint(TAINT_BAD_PAGE);
    out
}

extern "C" {
    fn kmalloc(size: usize, flags: u32) -> *mut c_void;
    fn __kmalloc(size: usize, flags: u32) -> *mut c_void;
    fn kzalloc(size: usize, flags: u32) -> *mut c_void;
    fn kmalloc_array(n: usize, size: usize, flags: u32) -> *mut c_void;
    fn kcalloc(n: usize, size: usize, flags: u32) -> *mut c_void;
    fn krealloc(p: *const c_void, size: usize, flags: u32) -> *mut c_void;
    fn krealloc_array(p: *mut c_void, n: usize, size: usize, flags: u32) -> *mut c_void;
    fn kfree(p: *const c_void);
    fn kfree_sensitive(p: *const c_void);
    fn ksize(p: *const c_void) -> usize;
    fn kstrdup(s: *const c_char, flags: u32) -> *mut c_char;
    fn kstrdup_const(s: *const c_char, flags: u32) -> *const c_char;
    fn kfree_const(p: *const c_void);
    fn kstrndup(s: *const c_char, max: usize, flags: u32) -> *mut c_char;
    fn kmemdup(src: *const c_void, len: usize, flags: u32) -> *mut c_void;
    fn kasprintf(flags: u32, fmt: *const c_char, ...) -> *mut c_char;
    fn kvasprintf(flags: u32, fmt: *const c_char, ap: *mut c_void) -> *mut c_char;
    fn vmalloc(size: u64) -> *mut c_void;
    fn vzalloc(size: u64) -> *mut c_void;
    fn __vmalloc(size: u64, flags: u32) -> *mut c_void;
    fn vfree(p: *const c_void);
    fn kvmalloc(size: usize, flags: u32) -> *mut c_void;
    fn kvzalloc(size: usize, flags: u32) -> *mut c_void;
    fn kvmalloc_array(n: usize, size: usize, flags: u32) -> *mut c_void;
    fn kvcalloc(n: usize, size: usize, flags: u32) -> *mut c_void;
    fn kvfree(p: *const c_void);
    fn kvfree_sensitive(p: *const c_void, len: usize);
    fn kmem_cache_create(
        name: *const c_char,
        size: u32,
        align: u32,
        flags: u32,
        ctor: *const c_void,
    ) -> *mut c_void;
    fn kmem_cache_create_usercopy(
        name: *const c_char,
        size: u32,
        align: u32,
        flags: u32,
        useroffset: u32,
        usersize: u32,
        ctor: *const c_void,
    ) -> *mut c_void;
    fn kmem_cache_alloc(cache: *mut c_void, flags: u32) -> *mut c_void;
    fn kmem_cache_zalloc(cache: *mut c_void, flags: u32) -> *mut c_void;
    fn kmem_cache_free(cache: *mut c_void, p: *mut c_void);
    fn kmem_cache_destroy(cache: *mut c_void);
    fn __get_free_pages(flags: u32, order: u32) -> u64;
    fn get_zeroed_page(flags: u32) -> u64;
    fn free_pages(addr: u64, order: u32);
}

/// `kmem_cache_size(s)`: the object size the cache was created with.
pub extern "C" fn kmem_cache_size(cache: *mut c_void) -> u32 {
    state()
        .caches
        .get(&(cache as u64))
        .map(|c| c.object_size as u32)
        .unwrap_or(0)
}

/// `kmalloc_size_roundup(size)`.
pub extern "C" fn kmalloc_size_roundup(size: usize) -> usize {
    if size == 0 {
        0
    } else if size > KMALLOC_MAX_SIZE {
        size
    } else {
        kmalloc_size_class(size)
    }
}

macro_rules! exports {
    ($($name:ident),* $(,)?) => {
        vec![$(func_export(stringify!($name), $name as *const () as usize)),*]
    };
}

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    exports![
        kmalloc,
        __kmalloc,
        kzalloc,
        kmalloc_array,
        kcalloc,
        krealloc,
        krealloc_array,
        kfree,
        kfree_sensitive,
        ksize,
        kmalloc_size_roundup,
        kstrdup,
        kstrdup_const,
        kfree_const,
        kstrndup,
        kmemdup,
        kasprintf,
        kvasprintf,
        vmalloc,
        vzalloc,
        __vmalloc,
        vfree,
        is_vmalloc_addr,
        kvmalloc,
        kvzalloc,
        kvmalloc_array,
        kvcalloc,
        kvfree,
        kvfree_sensitive,
        kmem_cache_create,
        kmem_cache_create_usercopy,
        kmem_cache_alloc,
        kmem_cache_zalloc,
        kmem_cache_free,
        kmem_cache_destroy,
        kmem_cache_size,
        __get_free_pages,
        get_zeroed_page,
        free_pages,
        get_random_bytes,
        get_random_u8,
        get_random_u16,
        get_random_u32,
        get_random_u64,
        __get_random_u32_below,
        __lkm_module_memory,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_slubs() {
        let cases = [
            (1, 8),
            (8, 8),
            (9, 16),
            (33, 64),
            (65, 96),
            (97, 128),
            (129, 192),
            (193, 256),
            (257, 512),
            (4097, 8192),
            (8193, 12288),
        ];
        for (req, class) in cases {
            assert_eq!(kmalloc_size_class(req), class, "{req}");
        }
        assert_eq!(class_align(8), 8);
        assert_eq!(class_align(64), 64);
        assert_eq!(class_align(96), 32);
        assert_eq!(class_align(192), 64);
        assert_eq!(class_align(8192), 4096);
    }
}
