//! Kernel services: procfs entries made by modules (fs/proc/generic.c, fs/proc/inode.c) and the
//! host side of seq_file (whose C half is `csrc/procfs.c`).
//!
//! `proc_create*`/`proc_mkdir*` register entries in a host tree keyed by an opaque handle (the
//! `struct proc_dir_entry *` the module gets: a small host allocation it never needs to read). A
//! read or write of `/proc/<path>` by a client (`lkm cat`, `lkm write`) is one open–read…–release
//! (or open–write–release) session on the client's thread: a `struct file` and the entry's
//! `struct inode` are host memory with `<linux/fs.h>`'s layout, and the module's `proc_ops` are
//! called through the guard, so a fault in them is an oops, the client gets `EFAULT`, and the
//! sandbox goes on. The reader's buffer is a user window of the chardev area
//! (`chardev::with_user_windows`); `seq_read` copies into it through [`lkm_user_copy_out`].
//!
//! Removing an entry (`proc_remove`, `remove_proc_entry`, the module's unload) waits until the
//! sessions using it on other threads end, as Linux's `proc_entry_rundown` does. Entries a module
//! leaves at unload are removed and reported (`lkm: <m>: /proc/<path> still registered at unload:
//! removed`).

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;

use super::entry_tree::{EntryTree, Named};
use super::{func_export, ExportEntry};
use crate::kernel::{kernel, Module};
use crate::mem;

// ---------------------------------------------------------------------------------------------
// User memory: the chardev area's user windows (services/chardev.rs).

/// `copy_to_user` for seq_read: copies `n` bytes from host memory `from` to the user address `to`
/// (a window of the request); returns the bytes not copied.
#[no_mangle]
pub extern "C" fn lkm_user_copy_out(to: *mut c_void, from: *const c_void, n: usize) -> usize {
    super::chardev::copy_to_user(to as u64, from as u64, n as u64) as usize
}

/// seq_read's note about a `next` that does not advance the position.
#[no_mangle]
pub extern "C" fn lkm_seq_buggy_next(next: *const c_void) {
    kernel().printk(
        6,
        &format!(
            "buggy .next function {} did not update position index",
            crate::oops::symbolize(next as u64)
        ),
    );
}

// ---------------------------------------------------------------------------------------------
// struct file and struct inode: lkm's layouts (sdk/include/linux/fs.h, services/chardev.rs).

pub const FILE_SIZE: usize = 160;
pub const F_INODE: u64 = 16;
pub const F_FLAGS: u64 = 32;
pub const F_MODE: u64 = 36;
pub const F_POS: u64 = 40;
pub const INODE_SIZE: usize = 128;
pub const FMODE_READ: u32 = 1;
pub const FMODE_WRITE: u32 = 2;

/// Zeroed host memory of `size` bytes.
pub(crate) fn host_zalloc(size: usize) -> u64 {
    // SAFETY: calloc has no preconditions; a null result is handled by the callers.
    unsafe { libc::calloc(1, size) as u64 }
}

pub(crate) fn host_free(addr: u64) {
    // SAFETY: `addr` came from host_zalloc and is freed once.
    unsafe { libc::free(addr as *mut c_void) }
}

fn put_u32(addr: u64, v: u32) {
    mem::write(addr, &v.to_le_bytes());
}

fn put_u64(addr: u64, v: u64) {
    mem::write(addr, &v.to_le_bytes());
}

// ---------------------------------------------------------------------------------------------
// Users of entries (shared with sysfs): removal waits until sessions on other threads end.

pub(crate) struct Users {
    active: Mutex<BTreeMap<u64, Vec<ThreadId>>>,
    cv: Condvar,
}

impl Users {
    pub(crate) const fn new() -> Users {
        Users {
            active: Mutex::new(BTreeMap::new()),
            cv: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Vec<ThreadId>>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn enter(&self, key: u64) {
        self.lock()
            .entry(key)
            .or_default()
            .push(std::thread::current().id());
    }

    pub(crate) fn leave(&self, key: u64) {
        let me = std::thread::current().id();
        let mut a = self.lock();
        if let Some(v) = a.get_mut(&key) {
            if let Some(i) = v.iter().position(|t| *t == me) {
                v.remove(i);
            }
            if v.is_empty() {
                a.remove(&key);
            }
        }
        self.cv.notify_all();
    }

    /// Waits until no thread but this one uses any of `keys`; returns whether this thread does.
    pub(crate) fn drain(&self, keys: &[u64]) -> bool {
        let me = std::thread::current().id();
        let mut a = self.lock();
        loop {
            let others = keys
                .iter()
                .any(|k| a.get(k).is_some_and(|v| v.iter().any(|t| *t != me)));
            if !others {
                return keys
                    .iter()
                    .any(|k| a.get(k).is_some_and(|v| v.contains(&me)));
            }
            a = self.cv.wait(a).unwrap_or_else(|e| e.into_inner());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tree.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    /// `proc_create_single_data`: `ops` is the show function.
    Single,
    /// `proc_create_seq_private`: `ops` is the seq_operations, `extra` the private state size.
    Seq,
}

#[derive(Debug)]
struct Entry {
    name: String,
    parent: u64,
    kind: Kind,
    mode: u32,
    ops: u64,
    data: u64,
    extra: u64,
    owner: Option<String>,
    inode: u64,
    size: i64,
    uid: u32,
    gid: u32,
}

type Tree = EntryTree<Entry>;

static TREE: Mutex<Option<Tree>> = Mutex::new(None);
static USERS: Users = Users::new();

fn tree() -> MutexGuard<'static, Option<Tree>> {
    let mut t = TREE.lock().unwrap_or_else(|e| e.into_inner());
    t.get_or_insert_with(|| Tree::new("/proc"));
    t
}

/// Names of `/proc` the sandbox itself shows (views.rs, chardev's `/proc/devices`).
const BUILTIN_ROOT: [&str; 7] = [
    "devices", "kallsyms", "misc", "modules", "sys", "version", "self",
];

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

impl Named for Entry {
    fn name(&self) -> &str {
        &self.name
    }
    fn parent(&self) -> u64 {
        self.parent
    }
    fn is_dir(&self) -> bool {
        self.kind == Kind::Dir
    }
    fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }
}

fn warn(msg: &str, caller: u64) {
    let k = kernel();
    let rip = k.module_at(caller).is_some().then_some(caller);
    crate::oops::warn_report(
        "fs/proc/generic.c",
        0,
        Some(format!("{msg}\n").as_bytes()),
        rip,
        None,
    );
    k.add_taint(crate::kernel::taint::WARN);
}

/// `proc_create*` and `proc_mkdir*` (csrc/procfs.c): kind 0 a file with `proc_ops`, 1 a
/// directory, 2 `proc_create_single_data`, 3 `proc_create_seq_private`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn lkm_proc_create(
    name: *const c_char,
    mode: u32,
    parent: u64,
    ops: u64,
    data: u64,
    kind: i32,
    extra: u64,
    caller: *const c_void,
) -> u64 {
    let caller = caller as u64;
    let name_addr = name as u64;
    let Ok(name) = mem::read_cstr(name as u64, 4096) else {
        return 0;
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    let kind = match kind {
        0 => Kind::File,
        1 => Kind::Dir,
        2 => Kind::Single,
        _ => Kind::Seq,
    };
    let mut mode = mode & 0o7777 | mode & S_IFMT;
    if kind == Kind::Dir {
        if mode & 0o7777 == 0 {
            mode |= 0o555;
        }
        mode = mode & !S_IFMT | S_IFDIR;
    } else {
        if mode & S_IFMT == 0 {
            mode |= S_IFREG;
        }
        if mode & 0o777 == 0 {
            mode |= 0o444;
        }
        if mode & S_IFMT != S_IFREG {
            warn("proc_create: not a regular file mode", caller);
            return 0;
        }
    }
    // The caller, or (when the module tail-called the export) the module holding the ops or name.
    let k = kernel();
    let owner = [caller, ops, name_addr]
        .iter()
        .find_map(|&a| k.module_at(a))
        .map(|m| m.name.clone());
    let mut g = tree();
    let t = g.as_mut().expect("initialised");
    // __xlate_proc_name: every component but the last names an existing directory.
    let mut at = parent;
    if at != 0 && !t.entries.get(&at).is_some_and(|e| e.kind == Kind::Dir) {
        drop(g);
        warn(&format!("proc_create: bad parent for '{name}'"), caller);
        return 0;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let last = parts.pop().unwrap_or("");
    for p in parts {
        match t.child(at, p) {
            Some(h) if t.entries[&h].kind == Kind::Dir => at = h,
            _ => {
                drop(g);
                kernel().printk(3, &format!("proc: name '{name}': no such directory"));
                return 0;
            }
        }
    }
    if last.is_empty() || last.len() >= 256 {
        drop(g);
        warn(&format!("name len {}", last.len()), caller);
        return 0;
    }
    if last == "." || last == ".." {
        drop(g);
        warn(&format!("name '{last}'"), caller);
        return 0;
    }
    if at == 0 && last.parse::<u32>().is_ok() {
        drop(g);
        warn(&format!("create '/proc/{last}' by hand"), caller);
        return 0;
    }
    if t.child(at, last).is_some() || at == 0 && BUILTIN_ROOT.contains(&last) {
        let dir = if at == 0 {
            "/proc".to_string()
        } else {
            t.entries[&at].name.clone()
        };
        drop(g);
        warn(
            &format!("proc_dir_entry '{dir}/{last}' already registered"),
            caller,
        );
        return 0;
    }
    let handle = host_zalloc(64);
    let inode = host_zalloc(INODE_SIZE);
    if handle == 0 || inode == 0 {
        return 0;
    }
    // i_mode is the inode's first field.
    mem::write(inode, &(mode as u16).to_le_bytes());
    // i_private, which Linux's pde_data() reads.
    mem::write(inode + 40, &data.to_le_bytes());
    t.entries.insert(
        handle,
        Entry {
            name: last.to_string(),
            parent: at,
            kind,
            mode,
            ops,
            data,
            extra,
            owner,
            inode,
            size: 0,
            uid: 0,
            gid: 0,
        },
    );
    handle
}

/// `pde_data(inode)`: the data given at creation.
pub extern "C" fn pde_data(inode: u64) -> u64 {
    let g = tree();
    let t = g.as_ref().expect("initialised");
    t.entries
        .values()
        .find(|e| e.inode == inode)
        .map(|e| e.data)
        .unwrap_or(0)
}

pub extern "C" fn proc_set_size(de: u64, size: i64) {
    if let Some(e) = tree().as_mut().and_then(|t| t.entries.get_mut(&de)) {
        e.size = size;
    }
}

pub extern "C" fn proc_set_user(de: u64, uid: u32, gid: u32) {
    if let Some(e) = tree().as_mut().and_then(|t| t.entries.get_mut(&de)) {
        e.uid = uid;
        e.gid = gid;
    }
}

/// Removes the subtrees rooted at `roots`, after the sessions on other threads using them end.
fn remove_subtrees(roots: &[u64]) {
    let ids: Vec<u64> = {
        let g = tree();
        let t = g.as_ref().expect("initialised");
        let mut v = Vec::new();
        for &r in roots {
            v.extend(t.subtree(r));
        }
        v
    };
    // Unreachable from now on: taken out of the tree, then waited for.
    let taken: Vec<(u64, Entry)> = {
        let mut g = tree();
        let t = g.as_mut().expect("initialised");
        ids.iter()
            .filter_map(|h| t.entries.remove(h).map(|e| (*h, e)))
            .collect()
    };
    let self_using = USERS.drain(&ids);
    for (h, e) in taken {
        // An entry removed by its own handler keeps its memory (the session still uses it).
        if !self_using {
            host_free(e.inode);
            host_free(h);
        }
    }
}

/// `proc_remove(de)`: removes the entry and everything under it.
pub extern "C" fn proc_remove(de: u64) {
    if de == 0 {
        return;
    }
    let known = tree().as_ref().is_some_and(|t| t.entries.contains_key(&de));
    if known {
        remove_subtrees(&[de]);
    }
}

fn lookup_rel(name: *const c_char, parent: u64) -> Option<(u64, String)> {
    let name = mem::read_cstr(name as u64, 4096).ok()?;
    let name = String::from_utf8_lossy(&name).into_owned();
    let g = tree();
    let t = g.as_ref().expect("initialised");
    let mut at = parent;
    for p in name.split('/') {
        at = t.child(at, p)?;
    }
    Some((at, name))
}

/// `remove_proc_entry(name, parent)`.
pub extern "C" fn remove_proc_entry(name: *const c_char, parent: u64) {
    match lookup_rel(name, parent) {
        Some((h, n)) => {
            let non_empty = {
                let g = tree();
                let t = g.as_ref().expect("initialised");
                t.children(h)
                    .first()
                    .map(|c| (t.path(h), t.entries[c].name.clone()))
            };
            if let Some((path, first)) = non_empty {
                warn(
                    &format!(
                        "remove_proc_entry: removing non-empty directory '{path}', leaking at least '{first}'"
                    ),
                    0,
                );
            }
            let _ = n;
            remove_subtrees(&[h]);
        }
        None => {
            let n = mem::read_cstr(name as u64, 4096).unwrap_or_default();
            warn(
                &format!(
                    "removing non-existent proc entry '{}'",
                    String::from_utf8_lossy(&n)
                ),
                0,
            );
        }
    }
}

/// `remove_proc_subtree(name, parent)`: 0, or `-ENOENT`.
pub extern "C" fn remove_proc_subtree(name: *const c_char, parent: u64) -> i32 {
    match lookup_rel(name, parent) {
        Some((h, _)) => {
            remove_subtrees(&[h]);
            0
        }
        None => -libc::ENOENT,
    }
}

/// Called by the loader when a module goes: its entries are removed and reported.
pub fn module_unloading(m: &Module) {
    let roots = match tree().as_ref() {
        Some(t) => t.left_at_unload(&m.name),
        None => return,
    };
    if !roots.is_empty() {
        remove_subtrees(&roots);
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions: a client's read or write of an entry.

extern "C" {
    fn seq_read(file: u64, buf: u64, size: usize, ppos: u64) -> i64;
    fn seq_lseek(file: u64, offset: i64, whence: i32) -> i64;
    fn seq_release(inode: u64, file: u64) -> i32;
    fn seq_open(file: u64, op: u64) -> i32;
    fn seq_vprintf(m: u64, fmt: u64, ap: u64);
    fn seq_printf(m: u64, fmt: u64, ...);
    fn seq_puts(m: u64, s: u64);
    fn seq_putc(m: u64, c: i32);
    fn seq_write(m: u64, data: u64, len: usize) -> i32;
    fn seq_put_decimal_ull(m: u64, d: u64, n: u64);
    fn seq_put_decimal_ll(m: u64, d: u64, n: i64);
    fn single_open(file: u64, show: u64, data: u64) -> i32;
    fn single_open_size(file: u64, show: u64, data: u64, size: usize) -> i32;
    fn single_release(inode: u64, file: u64) -> i32;
    fn __seq_open_private(file: u64, ops: u64, psize: i32) -> u64;
    fn seq_open_private(file: u64, ops: u64, psize: i32) -> i32;
    fn seq_release_private(inode: u64, file: u64) -> i32;
    fn seq_list_start(head: u64, pos: i64) -> u64;
    fn seq_list_start_head(head: u64, pos: i64) -> u64;
    fn seq_list_next(v: u64, head: u64, ppos: u64) -> u64;
    fn lkm_proc_single_open(inode: u64, file: u64, show: u64, data: u64) -> i32;
    fn lkm_proc_seq_open(inode: u64, file: u64, ops: u64, state: u32, data: u64) -> i32;
    fn proc_create_data(name: u64, mode: u16, parent: u64, ops: u64, data: u64) -> u64;
    fn proc_create(name: u64, mode: u16, parent: u64, ops: u64) -> u64;
    fn proc_create_single_data(name: u64, mode: u16, parent: u64, show: u64, data: u64) -> u64;
    fn proc_create_seq_private(
        name: u64,
        mode: u16,
        parent: u64,
        ops: u64,
        state: u32,
        data: u64,
    ) -> u64;
    fn proc_mkdir(name: u64, parent: u64) -> u64;
    fn proc_mkdir_mode(name: u64, mode: u16, parent: u64) -> u64;
    fn proc_mkdir_data(name: u64, mode: u16, parent: u64, data: u64) -> u64;
}

/// The functions a session calls, with the extra arguments of the host's own opens.
struct Fops {
    open: u64,
    open_args: Vec<u64>,
    read: u64,
    write: u64,
    release: u64,
}

fn fops(e: &Entry) -> Result<Fops, i32> {
    Ok(match e.kind {
        Kind::Dir => return Err(libc::EISDIR),
        Kind::File => {
            if e.ops == 0 {
                return Ok(Fops {
                    open: 0,
                    open_args: vec![],
                    read: 0,
                    write: 0,
                    release: 0,
                });
            }
            let mut b = [0u8; 56];
            if !mem::read(e.ops, &mut b) {
                return Err(libc::EFAULT);
            }
            let f = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
            Fops {
                open: f(8),
                open_args: vec![],
                read: f(16),
                write: f(32),
                release: f(48),
            }
        }
        Kind::Single => Fops {
            open: lkm_proc_single_open as *const () as u64,
            open_args: vec![e.ops, e.data],
            read: seq_read as *const () as u64,
            write: 0,
            release: single_release as *const () as u64,
        },
        Kind::Seq => Fops {
            open: lkm_proc_seq_open as *const () as u64,
            open_args: vec![e.ops, e.extra, e.data],
            read: seq_read as *const () as u64,
            write: 0,
            release: if e.extra != 0 {
                seq_release_private as *const () as u64
            } else {
                seq_release as *const () as u64
            },
        },
    })
}

/// Calls module (or seq_file) code under the guard; a fault is an oops in `context` and `EFAULT`.
fn guarded(addr: u64, args: &[u64], context: &str) -> Result<u64, i32> {
    // SAFETY: `addr` is a proc_ops/seq_file function of a registered entry (its module stays
    // loaded while the session holds the entry) or a host C function, called with its signature.
    match unsafe { crate::guard::call(addr, args) } {
        Ok(v) => Ok(v),
        Err(fault) => {
            crate::oops::report(&fault, context);
            Err(libc::EFAULT)
        }
    }
}

/// The largest file a read session returns (a module whose read never ends).
const READ_MAX: usize = 64 << 20;
const READ_CHUNK: usize = 64 << 10;

enum Op<'a> {
    Read,
    Write(&'a [u8]),
}

fn session(handle: u64, op: Op<'_>) -> Result<Vec<u8>, i32> {
    let want = match op {
        Op::Read => 0o444,
        Op::Write(_) => 0o222,
    };
    let (f, inode) = {
        let g = tree();
        let t = g.as_ref().expect("initialised");
        let e = t.entries.get(&handle).ok_or(libc::ENOENT)?;
        let f = fops(e)?;
        if e.mode & want == 0 {
            return Err(libc::EACCES);
        }
        // Entered under the tree's lock: a removal either sees this session or it never starts.
        USERS.enter(handle);
        (f, e.inode)
    };
    let r = session_in(&f, inode, op);
    USERS.leave(handle);
    r
}

fn session_in(f: &Fops, inode: u64, op: Op<'_>) -> Result<Vec<u8>, i32> {
    let file = host_zalloc(FILE_SIZE);
    if file == 0 {
        return Err(libc::ENOMEM);
    }
    let (fmode, flags) = match op {
        Op::Read => (FMODE_READ, libc::O_RDONLY as u32),
        Op::Write(_) => (FMODE_WRITE, libc::O_WRONLY as u32),
    };
    put_u32(file + F_MODE, fmode);
    put_u32(file + F_FLAGS, flags);
    put_u64(file + F_INODE, inode);
    let r = (|| {
        if f.open != 0 {
            let mut args = vec![inode, file];
            args.extend_from_slice(&f.open_args);
            let ret = guarded(f.open, &args, "proc_reg_open")? as i32;
            if ret < 0 {
                return Err(-ret);
            }
        }
        let r = match op {
            Op::Read => read_all(f, file),
            Op::Write(data) => write_all(f, file, data).map(|_| Vec::new()),
        };
        if f.release != 0 {
            // Linux's fput runs release even after an oops in read (the task's files close).
            let _ = guarded(f.release, &[inode, file], "proc_reg_release");
        }
        r
    })();
    host_free(file);
    r
}

fn read_all(f: &Fops, file: u64) -> Result<Vec<u8>, i32> {
    if f.read == 0 {
        return Err(libc::EIO);
    }
    let mut out = Vec::new();
    while out.len() < READ_MAX {
        let (n, bufs) = super::chardev::with_user_windows(vec![vec![0u8; READ_CHUNK]], |a| {
            guarded(
                f.read,
                &[file, a[0], READ_CHUNK as u64, file + F_POS],
                "proc_reg_read",
            )
        });
        let n = n? as i64;
        if n < 0 {
            return Err(-n as i32);
        }
        if n == 0 {
            break;
        }
        out.extend_from_slice(&bufs[0][..(n as usize).min(READ_CHUNK)]);
    }
    Ok(out)
}

fn write_all(f: &Fops, file: u64, data: &[u8]) -> Result<(), i32> {
    if f.write == 0 {
        return Err(libc::EIO);
    }
    let mut done = 0;
    while done < data.len() {
        let len = data.len() - done;
        let (n, _) = super::chardev::with_user_windows(vec![data[done..].to_vec()], |a| {
            guarded(
                f.write,
                &[file, a[0], len as u64, file + F_POS],
                "proc_reg_write",
            )
        });
        let n = n? as i64;
        if n < 0 {
            return Err(-n as i32);
        }
        if n == 0 {
            break;
        }
        done += (n as usize).min(len);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// views.rs hooks.

fn resolve_path(path: &str) -> Option<u64> {
    let rel = path.strip_prefix("/proc/")?;
    let g = tree();
    let t = g.as_ref().expect("initialised");
    t.resolve(rel.trim_end_matches('/')).filter(|&h| h != 0)
}

/// `read_file` of a module's `/proc` entry (None: not one).
pub fn read_file(path: &str) -> Option<Result<Vec<u8>, i32>> {
    let h = resolve_path(path)?;
    Some(session(h, Op::Read))
}

/// `write_file` of a module's `/proc` entry (None: not one).
pub fn write_file(path: &str, data: &[u8]) -> Option<Result<(), i32>> {
    let h = resolve_path(path)?;
    Some(session(h, Op::Write(data)).map(|_| ()))
}

/// Lists a module-made `/proc` directory (None: not one).
pub fn read_dir(path: &str) -> Option<Result<Vec<String>, i32>> {
    let h = resolve_path(path)?;
    let g = tree();
    let t = g.as_ref().expect("initialised");
    if t.entries[&h].kind != Kind::Dir {
        return Some(Err(libc::ENOTDIR));
    }
    Some(Ok(t.names(h)))
}

/// Entries modules added to `/proc` itself (listed with the built-in ones).
pub fn root_names(path: &str) -> Vec<String> {
    if path.trim_end_matches('/') != "/proc" {
        return Vec::new();
    }
    let g = tree();
    let t = g.as_ref().expect("initialised");
    t.children(0)
        .iter()
        .map(|c| t.entries[c].name.clone())
        .collect()
}

pub fn exports() -> Vec<ExportEntry> {
    vec![
        func_export("proc_create", proc_create as *const () as usize),
        func_export("proc_create_data", proc_create_data as *const () as usize),
        func_export(
            "proc_create_single_data",
            proc_create_single_data as *const () as usize,
        ),
        func_export(
            "proc_create_seq_private",
            proc_create_seq_private as *const () as usize,
        ),
        func_export("proc_mkdir", proc_mkdir as *const () as usize),
        func_export("proc_mkdir_mode", proc_mkdir_mode as *const () as usize),
        func_export("proc_mkdir_data", proc_mkdir_data as *const () as usize),
        func_export("proc_remove", proc_remove as *const () as usize),
        func_export("remove_proc_entry", remove_proc_entry as *const () as usize),
        func_export(
            "remove_proc_subtree",
            remove_proc_subtree as *const () as usize,
        ),
        func_export("pde_data", pde_data as *const () as usize),
        func_export("proc_set_size", proc_set_size as *const () as usize),
        func_export("proc_set_user", proc_set_user as *const () as usize),
        func_export("seq_open", seq_open as *const () as usize),
        func_export("seq_read", seq_read as *const () as usize),
        func_export("seq_lseek", seq_lseek as *const () as usize),
        func_export("seq_release", seq_release as *const () as usize),
        func_export("seq_printf", seq_printf as *const () as usize),
        func_export("seq_vprintf", seq_vprintf as *const () as usize),
        func_export("seq_puts", seq_puts as *const () as usize),
        func_export("seq_putc", seq_putc as *const () as usize),
        func_export("seq_write", seq_write as *const () as usize),
        func_export(
            "seq_put_decimal_ull",
            seq_put_decimal_ull as *const () as usize,
        ),
        func_export(
            "seq_put_decimal_ll",
            seq_put_decimal_ll as *const () as usize,
        ),
        func_export("single_open", single_open as *const () as usize),
        func_export("single_open_size", single_open_size as *const () as usize),
        func_export("single_release", single_release as *const () as usize),
        func_export(
            "__seq_open_private",
            __seq_open_private as *const () as usize,
        ),
        func_export("seq_open_private", seq_open_private as *const () as usize),
        func_export(
            "seq_release_private",
            seq_release_private as *const () as usize,
        ),
        func_export("seq_list_start", seq_list_start as *const () as usize),
        func_export(
            "seq_list_start_head",
            seq_list_start_head as *const () as usize,
        ),
        func_export("seq_list_next", seq_list_next as *const () as usize),
    ]
}
