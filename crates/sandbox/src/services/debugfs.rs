//! Kernel services: debugfs (fs/debugfs/), at `/sys/kernel/debug`.
//!
//! A module's `debugfs_create_*` calls build a host tree keyed by the `struct dentry *` they return:
//! a real dentry and inode (`d_inode`, `i_private` = the data given, `i_mode`), so a driver's
//! `file_operations` find what they expect through `file->f_path.dentry` and
//! `file_inode(file)->i_private`. Three kinds of file:
//!
//! - **Files with `file_operations`** (`debugfs_create_file*`): each open is a real open
//!   (`chardev::open_fops`: a `struct file`, the fops' owner held, the driver's `open` … `release`),
//!   through FUSE or the control protocol, as a `/dev` node is; `lkm cat`/`lkm write` do one
//!   open–read-to-EOF–close or open–write–close.
//! - **Values** (`debugfs_create_u8` … `_x64`, `_size_t`, `_atomic_t`, `_bool`, `_ulong`, `_str`)
//!   and **blobs**: read and written by the host in Linux's formats (`%llu\n`, `0x%08llx\n`, `Y\n`,
//!   …; writes parsed as `kstrtoull(…, 0)`/`kstrtobool`), from and to the module's variable.
//! - **Directories** (`debugfs_create_dir`).
//!
//! `simple_attr_*`/`debugfs_attr_*` (the `DEFINE_DEBUGFS_ATTRIBUTE` and `DEFINE_SIMPLE_ATTRIBUTE`
//! fops) are here too: the value is formatted with the module's format string by the kernel's
//! `vsnprintf` rules.
//!
//! Linux leaves entries a module forgot to remove in place (reading them after the unload
//! crashes); the sandbox removes them at unload and says so (`lkm: <m>: /sys/kernel/debug/<path>
//! still registered at unload: removed`). Files already open keep working after
//! `debugfs_remove` (Linux's proxy would answer `-EIO`): their owner module is held open anyway.

use std::collections::HashMap;
use std::ffi::c_char;
use std::sync::{Arc, Mutex, MutexGuard};

use super::chardev::{self, HostObj, Opening};
use super::entry_tree::{EntryTree, Named};
use super::{func_export, ExportEntry};
use crate::kernel::{kernel, Module};
use crate::mem;

/// Where debugfs is mounted.
pub const ROOT: &str = "/sys/kernel/debug";

const S_IFMT: u16 = 0o170000;
const S_IFREG: u16 = 0o100000;
const S_IFDIR: u16 = 0o040000;

/// A value file's type: its width, and how it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Unsigned(u8),
    Hex(u8),
    Atomic,
    Bool,
    Str,
}

#[derive(Clone, Debug)]
enum Kind {
    Dir,
    /// `debugfs_create_file*`: the fops (0: Linux's no-op fops).
    Fops(u64),
    /// A value file: the type and the variable's address.
    Value(Value, u64),
    /// `debugfs_create_blob`: the `struct debugfs_blob_wrapper`'s address.
    Blob(u64),
}

struct Entry {
    name: String,
    /// The parent's dentry (0: the debugfs root).
    parent: u64,
    kind: Kind,
    mode: u16,
    /// The module that made it.
    owner: Option<String>,
    inode: Arc<HostObj>,
    dentry: Arc<HostObj>,
}

impl Named for Entry {
    fn name(&self) -> &str {
        &self.name
    }
    fn parent(&self) -> u64 {
        self.parent
    }
    fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir)
    }
    fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }
}

struct Tree {
    entries: EntryTree<Entry>,
    next_ino: u64,
}

static TREE: Mutex<Option<Tree>> = Mutex::new(None);

fn tree() -> MutexGuard<'static, Option<Tree>> {
    let mut t = TREE.lock().unwrap_or_else(|e| e.into_inner());
    t.get_or_insert_with(|| Tree {
        entries: EntryTree::new(ROOT),
        next_ino: 0,
    });
    t
}

fn is_err(p: u64) -> bool {
    p >= (-4095i64) as u64
}

fn err_ptr(e: i32) -> u64 {
    (-(e as i64)) as u64
}

fn name_of(name: *const c_char) -> Option<String> {
    let b = mem::read_cstr(name as u64, 4096).ok()?;
    Some(String::from_utf8_lossy(&b).into_owned())
}

/// `start_creating` + `end_creating`: a new entry under `parent` (NULL: the root). Returns the
/// dentry, or an `ERR_PTR`: the parent's own error, `-EEXIST` (with Linux's message), `-ENOENT`
/// for a parent that is not a debugfs directory, `-ENOMEM`.
fn create(name: *const c_char, mode: u16, parent: u64, kind: Kind, data: u64) -> u64 {
    if is_err(parent) {
        return parent;
    }
    let name_addr = name as u64;
    let Some(name) = name_of(name) else {
        return err_ptr(libc::EFAULT);
    };
    let k = kernel();
    let value = match kind {
        Kind::Fops(f) => f,
        Kind::Value(_, v) | Kind::Blob(v) => v,
        Kind::Dir => 0,
    };
    let owner = crate::oops::calling_module(&[name_addr, data, value]);
    let mut g = tree();
    let t = g.as_mut().expect("initialised");
    if parent != 0 && !t.entries.entries.get(&parent).is_some_and(Named::is_dir) {
        return err_ptr(libc::ENOENT);
    }
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return err_ptr(libc::EINVAL);
    }
    if t.entries.child(parent, &name).is_some() {
        let dir = match t.entries.entries.get(&parent) {
            Some(e) => e.name.clone(),
            None => "debug".to_string(),
        };
        drop(g);
        k.printk(3, &format!("debugfs: '{name}' already exists in '{dir}'"));
        return err_ptr(libc::EEXIST);
    }
    t.next_ino += 1;
    let mode = match kind {
        Kind::Dir => S_IFDIR | 0o755,
        _ if mode & S_IFMT == 0 => S_IFREG | (mode & 0o7777),
        _ => mode,
    };
    let Some((inode, dentry)) = chardev::inode_and_dentry(&name, mode, t.next_ino, 0, data) else {
        return err_ptr(libc::ENOMEM);
    };
    let h = dentry.0;
    t.entries.entries.insert(
        h,
        Entry {
            name,
            parent,
            kind,
            mode,
            owner,
            inode: Arc::new(inode),
            dentry: Arc::new(dentry),
        },
    );
    h
}

// ---------------------------------------------------------------------------------------------
// The exports (fs/debugfs/inode.c, fs/debugfs/file.c; EXPORT_SYMBOL_GPL there).

pub extern "C" fn debugfs_create_dir(name: *const c_char, parent: u64) -> u64 {
    create(name, 0, parent, Kind::Dir, 0)
}

pub extern "C" fn debugfs_create_file(
    name: *const c_char,
    mode: u32,
    parent: u64,
    data: u64,
    fops: u64,
) -> u64 {
    create(name, mode as u16, parent, Kind::Fops(fops), data)
}

pub extern "C" fn debugfs_create_file_size(
    name: *const c_char,
    mode: u32,
    parent: u64,
    data: u64,
    fops: u64,
    size: i64,
) {
    let d = create(name, mode as u16, parent, Kind::Fops(fops), data);
    if let Some(e) = tree().as_ref().and_then(|t| t.entries.entries.get(&d)) {
        chardev::set_inode_size(&e.inode, size);
    }
}

macro_rules! value_creators {
    ($($name:ident => $v:expr),* $(,)?) => {$(
        pub extern "C" fn $name(name: *const c_char, mode: u32, parent: u64, value: u64) {
            create(name, mode as u16, parent, Kind::Value($v, value), value);
        }
    )*};
}

value_creators! {
    debugfs_create_u8 => Value::Unsigned(1),
    debugfs_create_u16 => Value::Unsigned(2),
    debugfs_create_u32 => Value::Unsigned(4),
    debugfs_create_u64 => Value::Unsigned(8),
    debugfs_create_ulong => Value::Unsigned(8),
    debugfs_create_size_t => Value::Unsigned(8),
    debugfs_create_x8 => Value::Hex(1),
    debugfs_create_x16 => Value::Hex(2),
    debugfs_create_x32 => Value::Hex(4),
    debugfs_create_x64 => Value::Hex(8),
    debugfs_create_atomic_t => Value::Atomic,
    debugfs_create_bool => Value::Bool,
    debugfs_create_str => Value::Str,
}

pub extern "C" fn debugfs_create_blob(
    name: *const c_char,
    mode: u32,
    parent: u64,
    blob: u64,
) -> u64 {
    create(name, mode as u16, parent, Kind::Blob(blob), blob)
}

/// Removes the subtrees rooted at `roots`.
fn remove_subtrees(roots: &[u64]) {
    let mut g = tree();
    let t = g.as_mut().expect("initialised");
    let ids: Vec<u64> = roots.iter().flat_map(|&r| t.entries.subtree(r)).collect();
    // Open files hold their inode and dentry (Arc), so they outlive the entry.
    for h in ids {
        t.entries.entries.remove(&h);
    }
}

/// `debugfs_remove` (and `debugfs_remove_recursive`, the same function since 5.x): the entry and
/// everything under it; NULL and `ERR_PTR`s are ignored.
pub extern "C" fn debugfs_remove(dentry: u64) {
    if dentry == 0 || is_err(dentry) {
        return;
    }
    remove_subtrees(&[dentry]);
}

/// `debugfs_lookup`: the dentry of `name` under `parent`, or NULL.
pub extern "C" fn debugfs_lookup(name: *const c_char, parent: u64) -> u64 {
    let Some(name) = name_of(name) else { return 0 };
    if is_err(parent) {
        return 0;
    }
    let g = tree();
    let t = g.as_ref().expect("initialised");
    t.entries.child(parent, &name).unwrap_or(0)
}

pub extern "C" fn debugfs_lookup_and_remove(name: *const c_char, parent: u64) {
    let d = debugfs_lookup(name, parent);
    debugfs_remove(d);
}

pub extern "C" fn debugfs_initialized() -> bool {
    true
}

/// Called by the loader when a module goes: its entries are removed and reported.
pub fn module_unloading(m: &Module) {
    let roots = match tree().as_ref() {
        Some(t) => t.entries.left_at_unload(&m.name),
        None => return,
    };
    if !roots.is_empty() {
        remove_subtrees(&roots);
    }
}

// ---------------------------------------------------------------------------------------------
// simple_attr (fs/libfs.c) and debugfs_attr: DEFINE_SIMPLE_ATTRIBUTE, DEFINE_DEBUGFS_ATTRIBUTE.

/// The state `simple_attr_open` keeps in `file->private_data`.
struct SimpleAttr {
    get: u64,
    set: u64,
    fmt: Vec<u8>,
    data: u64,
    /// The text being read: formatted at offset 0, then served from here.
    text: Mutex<Vec<u8>>,
}

const F_PRIVATE_DATA: u64 = 48;
const I_PRIVATE: u64 = 40;

fn r64(addr: u64) -> u64 {
    mem::read_u64(addr).unwrap_or(0)
}

use chardev::call;

/// The open attribute files: `struct file` address → state. (Linux keeps the state in
/// `file->private_data`; kept here, a module that hands another file to `simple_attr_read` gets
/// `-EINVAL`, not the kernel reading its data as the state.)
static ATTRS: Mutex<Option<HashMap<u64, Arc<SimpleAttr>>>> = Mutex::new(None);

fn attrs<R>(f: impl FnOnce(&mut HashMap<u64, Arc<SimpleAttr>>) -> R) -> R {
    let mut g = ATTRS.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(HashMap::new))
}

/// `simple_attr_open(inode, file, get, set, fmt)`: 0.
pub extern "C" fn simple_attr_open(inode: u64, file: u64, get: u64, set: u64, fmt: u64) -> i32 {
    let attr = Arc::new(SimpleAttr {
        get,
        set,
        fmt: mem::read_cstr(fmt, 256).unwrap_or_default(),
        data: r64(inode + I_PRIVATE),
        text: Mutex::new(Vec::new()),
    });
    attrs(|m| m.insert(file, attr));
    // The kernel's: a token, as Linux's is its own state.
    mem::write(file + F_PRIVATE_DATA, &file.to_le_bytes());
    // nonseekable_open: reads start at 0 and never seek.
    0
}

/// The state of a file `simple_attr_open` opened.
fn attr_of(file: u64) -> Option<Arc<SimpleAttr>> {
    attrs(|m| m.get(&file).cloned())
}

pub extern "C" fn simple_attr_release(_inode: u64, file: u64) -> i32 {
    attrs(|m| m.remove(&file));
    mem::write(file + F_PRIVATE_DATA, &0u64.to_le_bytes());
    0
}

/// `simple_attr_read`: `get` at offset 0, formatted with the module's format; the text served.
pub extern "C" fn simple_attr_read(file: u64, buf: u64, len: usize, ppos: u64) -> i64 {
    let Some(a) = attr_of(file) else {
        return -(libc::EINVAL as i64);
    };
    if a.get == 0 {
        return -(libc::EACCES as i64);
    }
    let pos = r64(ppos);
    let mut text = a.text.lock().unwrap_or_else(|e| e.into_inner());
    if pos == 0 {
        let mut v: u64 = 0;
        let val = &mut v as *mut u64 as u64;
        let r = match call(a.get, &[a.data, val], "simple_attr_read") {
            Ok(r) => r as i32,
            Err(e) => return -(e as i64),
        };
        if r != 0 {
            return r as i64;
        }
        let mut once = Some(v);
        let mut next = || once.take().unwrap_or(0);
        let (t, _) =
            lkm_printk::vsprintf::vsnprintf(&a.fmt, &mut next, &crate::printk::SandboxEnv, 24);
        *text = t;
    }
    chardev::simple_read_from_buffer(
        buf,
        len as u64,
        ppos,
        text.as_ptr() as u64,
        text.len() as u64,
    )
}

fn attr_write(file: u64, buf: u64, len: usize, signed: bool) -> i64 {
    let Some(a) = attr_of(file) else {
        return -(libc::EINVAL as i64);
    };
    if a.set == 0 {
        return -(libc::EACCES as i64);
    }
    // Linux copies at most sizeof(set_buf) - 1 = 23 bytes.
    let size = len.min(23);
    let mut text = vec![0u8; size];
    if chardev::copy_from_user(text.as_mut_ptr() as u64, buf, size as u64) != 0 {
        return -(libc::EFAULT as i64);
    }
    let parsed = if signed {
        crate::services_impl::kstrtoll_bytes(&text, 0).map(|v| v as u64)
    } else {
        crate::services_impl::kstrtoull_bytes(&text, 0)
    };
    let v = match parsed {
        Ok(v) => v,
        Err(e) => return -(e as i64),
    };
    match call(a.set, &[a.data, v], "simple_attr_write") {
        Ok(r) if r as i32 != 0 => r as i32 as i64,
        Ok(_) => len as i64,
        Err(e) => -(e as i64),
    }
}

pub extern "C" fn simple_attr_write(file: u64, buf: u64, len: usize, _ppos: u64) -> i64 {
    attr_write(file, buf, len, false)
}

pub extern "C" fn simple_attr_write_signed(file: u64, buf: u64, len: usize, _ppos: u64) -> i64 {
    attr_write(file, buf, len, true)
}

// ---------------------------------------------------------------------------------------------
// Clients: FUSE, `lkm cat`, `lkm write`.

fn rel(path: &str) -> Option<&str> {
    if path == ROOT {
        return Some("");
    }
    path.strip_prefix(ROOT)?.strip_prefix('/')
}

/// What a client finds at a debugfs path.
enum Found {
    Dir(Vec<String>),
    Fops {
        fops: u64,
        inode: Arc<HostObj>,
        dentry: Arc<HostObj>,
    },
    Value(Value, u64, u16),
    Blob(u64, u16),
}

fn find(path: &str) -> Option<Found> {
    let rel = rel(path)?;
    let g = tree();
    let t = g.as_ref()?;
    let h = t.entries.resolve(rel)?;
    if h == 0 {
        return Some(Found::Dir(t.entries.names(0)));
    }
    let e = t.entries.entries.get(&h)?;
    Some(match e.kind {
        Kind::Dir => Found::Dir(t.entries.names(h)),
        Kind::Fops(fops) => Found::Fops {
            fops,
            inode: e.inode.clone(),
            dentry: e.dentry.clone(),
        },
        Kind::Value(v, addr) => Found::Value(v, addr, e.mode),
        Kind::Blob(b) => Found::Blob(b, e.mode),
    })
}

/// Whether `path` is a debugfs file a client opens as a device (one with `file_operations`).
pub fn is_fops_file(path: &str) -> bool {
    matches!(find(path), Some(Found::Fops { fops, .. }) if fops != 0)
}

/// Opens a debugfs file with `file_operations` (`debugfs_open_proxy`'s job, minus the proxy).
/// `None` for other paths.
pub fn open(path: &str, flags: i32) -> Option<Result<chardev::OpenFile, i32>> {
    match find(path)? {
        Found::Fops {
            fops,
            inode,
            dentry,
        } if fops != 0 => Some(chardev::open_fops(
            path,
            flags,
            Opening {
                fops,
                inode,
                dentry,
                owner: 0,
                private: 0,
                context: "full_proxy_open",
            },
        )),
        Found::Dir(_) => Some(Err(libc::EISDIR)),
        _ => Some(Err(libc::ENXIO)),
    }
}

pub fn read_dir(path: &str) -> Option<Result<Vec<String>, i32>> {
    rel(path)?;
    Some(match find(path) {
        Some(Found::Dir(names)) => Ok(names),
        Some(_) => Err(libc::ENOTDIR),
        None => Err(libc::ENOENT),
    })
}

fn read_value(v: Value, addr: u64) -> Result<Vec<u8>, i32> {
    let int = |width: u8| -> Result<u64, i32> {
        let mut b = [0u8; 8];
        if !mem::read(addr, &mut b[..width as usize]) {
            return Err(libc::EFAULT);
        }
        Ok(u64::from_le_bytes(b))
    };
    Ok(match v {
        Value::Unsigned(w) => format!("{}\n", int(w)?).into_bytes(),
        Value::Hex(w) => format!("0x{:0width$x}\n", int(w)?, width = 2 * w as usize).into_bytes(),
        Value::Atomic => format!("{}\n", int(4)? as u32 as i32).into_bytes(),
        Value::Bool => if int(1)? != 0 { b"Y\n" } else { b"N\n" }.to_vec(),
        Value::Str => {
            let s = r64(addr);
            let mut text = if s == 0 {
                Vec::new()
            } else {
                mem::read_cstr(s, 1 << 20).map_err(|_| libc::EFAULT)?
            };
            text.push(b'\n');
            text
        }
    })
}

fn write_value(v: Value, addr: u64, data: &[u8]) -> Result<(), i32> {
    let put = |bytes: &[u8]| {
        if mem::write(addr, bytes) {
            Ok(())
        } else {
            Err(libc::EFAULT)
        }
    };
    match v {
        Value::Unsigned(w) | Value::Hex(w) => {
            let text = &data[..data.len().min(23)];
            let n = crate::services_impl::kstrtoull_bytes(text, 0)?;
            put(&n.to_le_bytes()[..w as usize])
        }
        Value::Atomic => {
            let text = &data[..data.len().min(23)];
            let n = crate::services_impl::kstrtoll_bytes(text, 0)?;
            put(&(n as i32).to_le_bytes())
        }
        Value::Bool => {
            let b = crate::services_impl::kstrtobool_bytes(&data[..data.len().min(31)])?;
            put(&[u8::from(b)])
        }
        // Linux 6.12 writes strings only through an `_str` file the module made writable, and
        // replaces the pointer with a kernel copy: not offered here.
        Value::Str => Err(libc::EPERM),
    }
}

/// `lkm cat` and FUSE's snapshot of a value or blob file; a fops file is one open, read to EOF,
/// close.
pub fn read_file(path: &str) -> Option<Result<Vec<u8>, i32>> {
    rel(path)?;
    Some(match find(path) {
        None => Err(libc::ENOENT),
        Some(Found::Dir(_)) => Err(libc::EISDIR),
        Some(Found::Fops { fops: 0, .. }) => Ok(Vec::new()),
        Some(Found::Fops { .. }) => chardev::read_all(path),
        Some(Found::Value(_, _, mode)) | Some(Found::Blob(_, mode)) if mode & 0o444 == 0 => {
            Err(libc::EACCES)
        }
        Some(Found::Value(v, addr, _)) => read_value(v, addr),
        Some(Found::Blob(b, _)) => {
            let (data, size) = (r64(b), r64(b + 8) as usize);
            let mut out = vec![0u8; size.min(1 << 24)];
            if mem::read(data, &mut out) {
                Ok(out)
            } else {
                Err(libc::EFAULT)
            }
        }
    })
}

/// `lkm write` and FUSE's writes.
pub fn write_file(path: &str, data: &[u8]) -> Option<Result<(), i32>> {
    rel(path)?;
    Some(match find(path) {
        None => Err(libc::ENOENT),
        Some(Found::Dir(_)) => Err(libc::EISDIR),
        Some(Found::Fops { fops: 0, .. }) => Ok(()),
        Some(Found::Fops { .. }) => chardev::write_all(path, data),
        Some(Found::Value(_, _, mode)) | Some(Found::Blob(_, mode)) if mode & 0o222 == 0 => {
            Err(libc::EACCES)
        }
        Some(Found::Value(v, addr, _)) => write_value(v, addr, data),
        Some(Found::Blob(..)) => Err(libc::EACCES),
    })
}

macro_rules! ex {
    ($($name:ident),* $(,)?) => {
        vec![$(func_export(stringify!($name), $name as *const () as usize).gpl()),*]
    };
}

pub fn exports() -> Vec<ExportEntry> {
    let mut v = ex![
        debugfs_create_dir,
        debugfs_create_file,
        debugfs_create_file_size,
        debugfs_create_u8,
        debugfs_create_u16,
        debugfs_create_u32,
        debugfs_create_u64,
        debugfs_create_ulong,
        debugfs_create_size_t,
        debugfs_create_x8,
        debugfs_create_x16,
        debugfs_create_x32,
        debugfs_create_x64,
        debugfs_create_atomic_t,
        debugfs_create_bool,
        debugfs_create_str,
        debugfs_create_blob,
        debugfs_remove,
        debugfs_lookup,
        debugfs_lookup_and_remove,
        debugfs_initialized,
        simple_attr_open,
        simple_attr_release,
        simple_attr_read,
        simple_attr_write,
        simple_attr_write_signed,
    ];
    for (name, f) in [
        // Linux's removal protection around a file's operations is what tells these apart; an
        // open file here holds its owner module instead.
        (
            "debugfs_create_file_unsafe",
            debugfs_create_file as *const () as usize,
        ),
        ("debugfs_attr_read", simple_attr_read as *const () as usize),
        (
            "debugfs_attr_write",
            simple_attr_write as *const () as usize,
        ),
        (
            "debugfs_attr_write_signed",
            simple_attr_write_signed as *const () as usize,
        ),
    ] {
        v.push(func_export(name, f).gpl());
    }
    v
}
