//! Character devices (issue 4): device numbers, `cdev`, misc devices, classes and `/dev` nodes, open
//! files and their file operations, and user memory.
//!
//! The kernel side is Linux's `fs/char_dev.c`, `drivers/char/misc.c` and the parts of the driver
//! core and VFS a character driver meets; the layouts modules see are lkm's, with Linux's field
//! names (docs/SDK-ABI.md, "Character devices"). Everything the host keeps is here:
//!
//! * device-number regions (`/proc/devices`), the `cdev` map (`cdev_add`), misc minors (`/proc/misc`);
//! * the sandbox's `/dev` namespace: nodes made by `device_create`, `misc_register` or `lkm mknod`;
//! * open files. A file belongs to the client connection that opened it and lives on that
//!   connection's thread (the client's process context) until it is closed or the connection ends
//!   ([`release_all`]). While it is open, the modules owning its `cdev` and `file_operations` are
//!   held (`try_module_get`), so `rmmod` says the module is in use.
//! * user memory: a user pointer a driver gets refers only to the buffers of the request being
//!   served ("user windows": a read's destination, a write's source, an ioctl's argument). They sit
//!   at addresses in a reserved `PROT_NONE` range at [`USER_BASE`], so a driver that dereferences a
//!   user pointer directly oopses (as with SMAP), and `copy_to_user` & co. copy between the window's
//!   host buffer and kernel memory through the checked `crate::mem` copies. An access outside the
//!   windows copies nothing (`-EFAULT`, bytes not copied), as a fault in user space would.
//!
//! The entry points a later FUSE mount reuses are [`open`], [`FileOps`] (`read`, `write`, `ioctl`,
//! `llseek`, `poll`, `close` on an [`OpenFile`]), [`node`] and [`dev_names`].

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::c_char;
use std::sync::{Arc, Mutex, OnceLock};

use crate::kernel::kernel;
use crate::mem;
use crate::protocol::Request;
use crate::services::{func_export, ExportEntry};

const EFAULT: i32 = libc::EFAULT;
const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const ENXIO: i32 = libc::ENXIO;
const EBUSY: i32 = libc::EBUSY;
const EEXIST: i32 = libc::EEXIST;
const EBADF: i32 = libc::EBADF;
const ENOMEM: i32 = libc::ENOMEM;

pub const MINORBITS: u32 = 20;
pub const MINORMASK: u32 = (1 << MINORBITS) - 1;

pub fn mkdev(major: u32, minor: u32) -> u32 {
    (major << MINORBITS) | (minor & MINORMASK)
}
pub fn major(dev: u32) -> u32 {
    dev >> MINORBITS
}
pub fn minor(dev: u32) -> u32 {
    dev & MINORMASK
}

/// `CHRDEV_MAJOR_MAX`, `CHRDEV_MAJOR_HASH_SIZE`, the dynamic ranges of fs/char_dev.c (6.12).
const CHRDEV_MAJOR_MAX: u32 = 512;
const CHRDEV_MAJOR_HASH_SIZE: u32 = 255;
const CHRDEV_MAJOR_DYN_END: u32 = 234;
const CHRDEV_MAJOR_DYN_EXT_START: u32 = 511;
const CHRDEV_MAJOR_DYN_EXT_END: u32 = 384;
pub const MISC_MAJOR: u32 = 10;
const MISC_DYNAMIC_MINOR: u32 = 255;
const DYNAMIC_MINORS: u32 = 128;

// Layouts (docs/SDK-ABI.md).
/// `struct file_operations` offsets (Linux 6.12's member order).
mod fop {
    pub const OWNER: u64 = 0;
    pub const LLSEEK: u64 = 16;
    pub const READ: u64 = 24;
    pub const WRITE: u64 = 32;
    pub const POLL: u64 = 72;
    pub const UNLOCKED_IOCTL: u64 = 80;
    pub const OPEN: u64 = 104;
    pub const RELEASE: u64 = 120;
}
/// `struct file`, 128 bytes (host scratch after it).
mod file {
    pub const F_PATH_DENTRY: u64 = 8;
    pub const F_INODE: u64 = 16;
    pub const F_OP: u64 = 24;
    pub const F_FLAGS: u64 = 32;
    pub const F_MODE: u64 = 36;
    pub const F_POS: u64 = 40;
    pub const PRIVATE_DATA: u64 = 48;
    /// Host scratch: the `loff_t` a read or write updates, and a `poll_table`.
    pub const SCRATCH_POS: u64 = 128;
    pub const SCRATCH_PT: u64 = 136;
    pub const ALLOC: usize = 160;
}
/// `struct inode`, 128 bytes.
mod inode {
    pub const I_MODE: u64 = 0;
    pub const I_INO: u64 = 8;
    pub const I_RDEV: u64 = 16;
    pub const I_SIZE: u64 = 24;
    pub const I_CDEV: u64 = 32;
    pub const I_PRIVATE: u64 = 40;
    pub const ALLOC: usize = 128;
}
/// `struct dentry`, 128 bytes.
mod dentry {
    pub const D_NAME_LEN: u64 = 20;
    pub const D_NAME_NAME: u64 = 24;
    pub const D_INODE: u64 = 32;
    pub const D_INAME: u64 = 40;
    pub const ALLOC: usize = 128;
}
/// `struct cdev`, 104 bytes.
mod cdev {
    pub const OWNER: u64 = 64;
    pub const OPS: u64 = 72;
    pub const LIST: u64 = 80;
    pub const DEV: u64 = 96;
    pub const COUNT: u64 = 100;
    pub const SIZE: usize = 104;
}
/// `struct miscdevice`.
mod misc {
    pub const MINOR: u64 = 0;
    pub const NAME: u64 = 8;
    pub const FOPS: u64 = 16;
    pub const THIS_DEVICE: u64 = 48;
    pub const NODENAME: u64 = 64;
    pub const MODE: u64 = 72;
}
/// `struct class` (6.4+): `name` 0, `devnode` 32.
const CLASS_DEVNODE: u64 = 32;
const CLASS_SIZE: usize = 104;
/// `struct device`, 128 bytes.
mod device {
    pub const PARENT: u64 = 0;
    pub const INIT_NAME: u64 = 8;
    pub const CLASS: u64 = 16;
    pub const DEVT: u64 = 24;
    pub const DRIVER_DATA: u64 = 32;
    pub const NAME_BUF: u64 = 64;
    pub const ALLOC: usize = 128;
}

pub const FMODE_READ: u32 = 1 << 0;
pub const FMODE_WRITE: u32 = 1 << 1;
pub const FMODE_LSEEK: u32 = 1 << 2;
pub const FMODE_PREAD: u32 = 1 << 3;
pub const FMODE_PWRITE: u32 = 1 << 4;
pub const FMODE_CAN_READ: u32 = 1 << 17;
pub const FMODE_CAN_WRITE: u32 = 1 << 18;
pub const FMODE_OPENED: u32 = 1 << 19;
pub const FMODE_STREAM: u32 = 1 << 21;

const S_IFCHR: u16 = 0o020000;
const DEFAULT_POLLMASK: u32 = 0x1 | 0x4 | 0x40 | 0x100;

/// Where user windows live: a reserved, inaccessible range that looks like user space.
pub const USER_BASE: u64 = 0x7e00_0000_0000;
/// Each window of a request starts at `USER_BASE + i * WINDOW_STRIDE + 0x1000`.
const WINDOW_STRIDE: u64 = 1 << 32;
const USER_RESERVED: u64 = 16 * WINDOW_STRIDE;
/// `TASK_SIZE_MAX` on x86-64 with 4-level paging.
pub const TASK_SIZE_MAX: u64 = (1 << 47) - 4096;

/// A zeroed host allocation module code may read and write (`struct file`, an inode, a class…).
pub(crate) struct HostObj(pub(crate) u64);

impl HostObj {
    pub(crate) fn new(size: usize) -> Option<HostObj> {
        // SAFETY: calloc returns zeroed memory or NULL.
        let p = unsafe { libc::calloc(1, size) } as u64;
        (p != 0).then_some(HostObj(p))
    }
}

impl Drop for HostObj {
    fn drop(&mut self) {
        // SAFETY: the pointer came from calloc and is freed once, here.
        unsafe { libc::free(self.0 as *mut libc::c_void) };
    }
}

fn w64(addr: u64, v: u64) -> bool {
    mem::write(addr, &v.to_le_bytes())
}
fn w32(addr: u64, v: u32) -> bool {
    mem::write(addr, &v.to_le_bytes())
}
fn r64(addr: u64) -> u64 {
    mem::read_u64(addr).unwrap_or(0)
}
fn r32(addr: u64) -> u32 {
    mem::read_u32(addr).unwrap_or(0)
}
fn cstr(addr: u64, max: usize) -> String {
    if addr == 0 {
        return String::new();
    }
    String::from_utf8_lossy(&mem::read_cstr(addr, max).unwrap_or_default()).into_owned()
}
fn err_ptr(e: i32) -> u64 {
    (-(e as i64)) as u64
}

/// A registered range of device numbers (`struct char_device_struct`).
struct Region {
    major: u32,
    baseminor: u32,
    count: u32,
    name: String,
    /// The module address that names its owner (the name string, or the fops).
    owner_hint: u64,
    /// The `cdev` `__register_chrdev` made for it.
    own_cdev: Option<HostObj>,
}

/// A `cdev_add`ed range.
struct CdevMap {
    cdev: u64,
    dev: u32,
    count: u32,
}

/// What made a `/dev` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOrigin {
    /// `device_create` (the `struct device`'s address) or `misc_register`.
    Device(u64),
    /// `lkm mknod`.
    Mknod,
}

/// A node of the sandbox's `/dev`.
pub struct Node {
    pub dev: u32,
    pub mode: u16,
    pub origin: NodeOrigin,
    inode: Arc<HostObj>,
    dentry: Arc<HostObj>,
}

struct Class {
    addr: u64,
    name: String,
    /// Allocated by `class_create` (freed by `class_destroy`).
    _owned: Option<HostObj>,
}

struct Device {
    obj: HostObj,
    class: u64,
    devt: u32,
    node: Option<String>,
}

struct Misc {
    addr: u64,
    minor: u32,
    device: u64,
}

#[derive(Default)]
struct State {
    regions: Vec<Region>,
    cdevs: Vec<CdevMap>,
    /// `cdev_alloc`ed structures.
    allocated_cdevs: HashMap<u64, HostObj>,
    nodes: BTreeMap<String, Node>,
    classes: Vec<Class>,
    devices: Vec<Device>,
    misc: Vec<Misc>,
    misc_minors: BTreeSet<u32>,
    next_ino: u64,
}

fn state() -> std::sync::MutexGuard<'static, State> {
    static S: OnceLock<Mutex<State>> = OnceLock::new();
    S.get_or_init(|| {
        Mutex::new(State {
            next_ino: 1000,
            ..Default::default()
        })
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Device numbers.

/// fs/char_dev.c's `find_dynamic_major`.
fn find_dynamic_major(s: &State) -> Option<u32> {
    let slot_used = |i: u32| {
        s.regions
            .iter()
            .any(|r| r.major % CHRDEV_MAJOR_HASH_SIZE == i)
    };
    for i in (CHRDEV_MAJOR_DYN_END..CHRDEV_MAJOR_HASH_SIZE).rev() {
        if !slot_used(i) && i != MISC_MAJOR {
            return Some(i);
        }
    }
    (CHRDEV_MAJOR_DYN_EXT_END..=CHRDEV_MAJOR_DYN_EXT_START)
        .rev()
        .find(|&i| !s.regions.iter().any(|r| r.major == i))
}

/// `__register_chrdev_region`: the major (allocated when 0) or an errno.
fn register_region(
    s: &mut State,
    major: u32,
    baseminor: u32,
    count: u32,
    name: &str,
) -> Result<u32, i32> {
    if major >= CHRDEV_MAJOR_MAX {
        kernel().printk(
            3,
            &format!(
                "CHRDEV \"{name}\" major requested ({major}) is greater than the maximum ({})",
                CHRDEV_MAJOR_MAX - 1
            ),
        );
        return Err(EINVAL);
    }
    if count == 0
        || baseminor
            .checked_add(count)
            .is_none_or(|e| e - 1 > MINORMASK)
    {
        kernel().printk(
            3,
            &format!("CHRDEV \"{name}\" minor range requested ({baseminor}-{}) is out of range of maximum range (0-{MINORMASK}) for a single major", baseminor as u64 + count as u64 - 1),
        );
        return Err(EINVAL);
    }
    let major = if major == 0 {
        match find_dynamic_major(s) {
            Some(m) => m,
            None => {
                kernel().printk(
                    3,
                    &format!("CHRDEV \"{name}\" dynamic allocation region is full"),
                );
                return Err(EBUSY);
            }
        }
    } else {
        major
    };
    let end = baseminor + count;
    if s.regions
        .iter()
        .any(|r| r.major == major && r.baseminor < end && baseminor < r.baseminor + r.count)
        || (major == MISC_MAJOR)
    {
        return Err(EBUSY);
    }
    s.regions.push(Region {
        major,
        baseminor,
        count,
        name: name.chars().take(63).collect(),
        owner_hint: 0,
        own_cdev: None,
    });
    Ok(major)
}

/// Records the module address that tells whose a region is.
fn set_hint(s: &mut State, major: u32, baseminor: u32, hint: u64) {
    if let Some(r) = s
        .regions
        .iter_mut()
        .find(|r| r.major == major && r.baseminor == baseminor)
    {
        r.owner_hint = hint;
    }
}

/// `register_chrdev_region(from, count, name)`.
pub extern "C" fn register_chrdev_region(from: u32, count: u32, name: *const c_char) -> i32 {
    let hint = name as u64;
    let name = cstr(hint, 64);
    let mut s = state();
    // Split over majors as Linux does.
    let to = from as u64 + count as u64;
    let mut n = from as u64;
    let mut done = Vec::new();
    while n < to {
        let next = (mkdev(major(n as u32) + 1, 0) as u64).min(to);
        if let Err(e) = register_region(
            &mut s,
            major(n as u32),
            minor(n as u32),
            (next - n) as u32,
            &name,
        ) {
            for (ma, mi) in done {
                s.regions
                    .retain(|r: &Region| !(r.major == ma && r.baseminor == mi));
            }
            return -e;
        }
        set_hint(&mut s, major(n as u32), minor(n as u32), hint);
        done.push((major(n as u32), minor(n as u32)));
        n = next;
    }
    0
}

/// `alloc_chrdev_region(dev_t *dev, baseminor, count, name)`.
pub extern "C" fn alloc_chrdev_region(
    dev: u64,
    baseminor: u32,
    count: u32,
    name: *const c_char,
) -> i32 {
    let hint = name as u64;
    let name = cstr(hint, 64);
    let mut s = state();
    match register_region(&mut s, 0, baseminor, count, &name) {
        Ok(major) => {
            set_hint(&mut s, major, baseminor, hint);
            if !w32(dev, mkdev(major, baseminor)) {
                s.regions
                    .retain(|r| !(r.major == major && r.baseminor == baseminor));
                return -EFAULT;
            }
            0
        }
        Err(e) => -e,
    }
}

/// `unregister_chrdev_region(from, count)`.
pub extern "C" fn unregister_chrdev_region(from: u32, count: u32) {
    let mut s = state();
    let to = from as u64 + count as u64;
    let mut n = from as u64;
    while n < to {
        let next = (mkdev(major(n as u32) + 1, 0) as u64).min(to);
        let (ma, mi, ct) = (major(n as u32), minor(n as u32), (next - n) as u32);
        if let Some(i) = s
            .regions
            .iter()
            .position(|r| r.major == ma && r.baseminor == mi && r.count == ct)
        {
            s.regions.remove(i);
        }
        n = next;
    }
}

/// `__register_chrdev(major, baseminor, count, name, fops)`: a region and a `cdev` of its own.
pub extern "C" fn __register_chrdev(
    major_: u32,
    baseminor: u32,
    count: u32,
    name: *const c_char,
    fops: u64,
) -> i32 {
    let name = cstr(name as u64, 64);
    let mut s = state();
    let m = match register_region(&mut s, major_, baseminor, count, &name) {
        Ok(m) => m,
        Err(e) => return -e,
    };
    set_hint(&mut s, m, baseminor, fops);
    let Some(c) = HostObj::new(cdev::SIZE) else {
        s.regions
            .retain(|r| !(r.major == m && r.baseminor == baseminor));
        return -ENOMEM;
    };
    w64(c.0 + cdev::OWNER, r64(fops + fop::OWNER));
    w64(c.0 + cdev::OPS, fops);
    w64(c.0 + cdev::LIST, c.0 + cdev::LIST);
    w64(c.0 + cdev::LIST + 8, c.0 + cdev::LIST);
    w32(c.0 + cdev::DEV, mkdev(m, baseminor));
    w32(c.0 + cdev::COUNT, count);
    s.cdevs.push(CdevMap {
        cdev: c.0,
        dev: mkdev(m, baseminor),
        count,
    });
    if let Some(r) = s
        .regions
        .iter_mut()
        .find(|r| r.major == m && r.baseminor == baseminor)
    {
        r.own_cdev = Some(c);
    }
    if major_ == 0 {
        m as i32
    } else {
        0
    }
}

/// `__unregister_chrdev(major, baseminor, count, name)`.
pub extern "C" fn __unregister_chrdev(
    major_: u32,
    baseminor: u32,
    count: u32,
    _name: *const c_char,
) {
    let mut s = state();
    if let Some(i) = s
        .regions
        .iter()
        .position(|r| r.major == major_ && r.baseminor == baseminor && r.count == count)
    {
        let r = s.regions.remove(i);
        if let Some(c) = r.own_cdev {
            s.cdevs.retain(|m| m.cdev != c.0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cdev.

/// `cdev_init(cdev, fops)`.
pub extern "C" fn cdev_init(c: u64, fops: u64) {
    if !mem::write(c, &[0u8; cdev::SIZE]) {
        return;
    }
    w64(c + cdev::LIST, c + cdev::LIST);
    w64(c + cdev::LIST + 8, c + cdev::LIST);
    w64(c + cdev::OPS, fops);
}

/// `cdev_alloc()`.
pub extern "C" fn cdev_alloc() -> u64 {
    let Some(c) = HostObj::new(cdev::SIZE) else {
        return 0;
    };
    let a = c.0;
    w64(a + cdev::LIST, a + cdev::LIST);
    w64(a + cdev::LIST + 8, a + cdev::LIST);
    state().allocated_cdevs.insert(a, c);
    a
}

/// `cdev_add(cdev, dev, count)`.
pub extern "C" fn cdev_add(c: u64, dev: u32, count: u32) -> i32 {
    if !w32(c + cdev::DEV, dev) || !w32(c + cdev::COUNT, count) {
        return -EFAULT;
    }
    if count == 0 {
        return -EINVAL;
    }
    state().cdevs.push(CdevMap {
        cdev: c,
        dev,
        count,
    });
    0
}

/// `cdev_del(cdev)`.
pub extern "C" fn cdev_del(c: u64) {
    let mut s = state();
    s.cdevs.retain(|m| m.cdev != c);
    for n in s.nodes.values() {
        if r64(n.inode.0 + inode::I_CDEV) == c {
            w64(n.inode.0 + inode::I_CDEV, 0);
        }
    }
    s.allocated_cdevs.remove(&c);
}

/// The cdev serving `dev` (the latest `cdev_add` wins, as in kobj_map).
fn cdev_for(s: &State, dev: u32) -> Option<u64> {
    s.cdevs
        .iter()
        .rev()
        .find(|m| dev >= m.dev && (dev - m.dev) < m.count)
        .map(|m| m.cdev)
}

// ---------------------------------------------------------------------------------------------
// /dev nodes.

fn make_node(
    s: &mut State,
    name: &str,
    dev: u32,
    mode: u16,
    origin: NodeOrigin,
) -> Result<(), i32> {
    if name.is_empty() || s.nodes.contains_key(name) || name == "kmsg" {
        return Err(EEXIST);
    }
    s.next_ino += 1;
    let full_mode = S_IFCHR | (mode & 0o7777);
    let (ino, den) = inode_and_dentry(name, full_mode, s.next_ino, dev, 0).ok_or(ENOMEM)?;
    s.nodes.insert(
        name.to_string(),
        Node {
            dev,
            mode: mode & 0o7777,
            origin,
            inode: Arc::new(ino),
            dentry: Arc::new(den),
        },
    );
    Ok(())
}

/// A `struct inode` (`mode` with its type bits, inode number, device number, `i_private`) and the
/// `struct dentry` naming it (the last component of `name`).
pub(crate) fn inode_and_dentry(
    name: &str,
    mode: u16,
    ino_nr: u64,
    dev: u32,
    private: u64,
) -> Option<(HostObj, HostObj)> {
    let ino = HostObj::new(inode::ALLOC)?;
    let den = HostObj::new(dentry::ALLOC)?;
    mem::write(ino.0 + inode::I_MODE, &mode.to_le_bytes());
    w64(ino.0 + inode::I_INO, ino_nr);
    w32(ino.0 + inode::I_RDEV, dev);
    w64(ino.0 + inode::I_PRIVATE, private);
    let base = name.rsplit('/').next().unwrap_or(name);
    let b = &base.as_bytes()[..base.len().min(31)];
    mem::write(den.0 + dentry::D_INAME, b);
    w32(den.0 + dentry::D_NAME_LEN, b.len() as u32);
    w64(den.0 + dentry::D_NAME_NAME, den.0 + dentry::D_INAME);
    w64(den.0 + dentry::D_INODE, ino.0);
    Some((ino, den))
}

/// Sets an inode's `i_size`.
pub(crate) fn set_inode_size(ino: &HostObj, size: i64) {
    w64(ino.0 + inode::I_SIZE, size as u64);
}

/// The node of a `/dev` path: `(dev, mode)`.
pub fn node(path: &str) -> Option<(u32, u16)> {
    let name = path.strip_prefix("/dev/")?;
    state().nodes.get(name).map(|n| (n.dev, n.mode))
}

/// The names under `/dev` (nodes in subdirectories by their first component).
pub fn dev_names() -> Vec<String> {
    let s = state();
    let mut v: Vec<String> = s
        .nodes
        .keys()
        .map(|k| k.split('/').next().unwrap_or(k).to_string())
        .collect();
    v.dedup();
    v
}

/// `mknod PATH c MAJOR MINOR` in the sandbox's `/dev`.
pub fn mknod(path: &str, mode: u32, dev: u32) -> Result<(), i32> {
    let Some(name) = path.strip_prefix("/dev/") else {
        return Err(libc::EROFS);
    };
    if mode & 0o170000 != S_IFCHR as u32 {
        return Err(EINVAL);
    }
    make_node(
        &mut state(),
        name,
        dev,
        (mode & 0o7777) as u16,
        NodeOrigin::Mknod,
    )
}

/// `rm PATH` of a node made by mknod.
pub fn unlink(path: &str) -> Result<(), i32> {
    let name = path.strip_prefix("/dev/").ok_or(ENOENT)?;
    let mut s = state();
    match s.nodes.get(name) {
        Some(n) if n.origin == NodeOrigin::Mknod => {
            s.nodes.remove(name);
            Ok(())
        }
        Some(_) => Err(libc::EPERM),
        None => Err(ENOENT),
    }
}

// ---------------------------------------------------------------------------------------------
// Classes and devices.

/// `class_create(name)` (6.4+).
pub extern "C" fn class_create(name: *const c_char) -> u64 {
    let Some(c) = HostObj::new(CLASS_SIZE) else {
        return err_ptr(ENOMEM);
    };
    let n = cstr(name as u64, 64);
    if state().classes.iter().any(|x| x.name == n) {
        return err_ptr(EEXIST);
    }
    w64(c.0, name as u64);
    let addr = c.0;
    state().classes.push(Class {
        addr,
        name: n,
        _owned: Some(c),
    });
    addr
}

/// `class_register(cls)`: a class structure of the module's.
pub extern "C" fn class_register(cls: u64) -> i32 {
    let n = cstr(r64(cls), 64);
    let mut s = state();
    if s.classes.iter().any(|x| x.name == n || x.addr == cls) {
        return -EEXIST;
    }
    s.classes.push(Class {
        addr: cls,
        name: n,
        _owned: None,
    });
    0
}

fn drop_class(cls: u64) {
    if cls == 0 || cls >= err_ptr(4095) {
        return;
    }
    let devs: Vec<u64> = state()
        .devices
        .iter()
        .filter(|d| d.class == cls)
        .map(|d| d.obj.0)
        .collect();
    for d in devs {
        device_unregister(d);
    }
    state().classes.retain(|c| c.addr != cls);
}

/// `class_destroy(cls)`.
pub extern "C" fn class_destroy(cls: u64) {
    drop_class(cls);
}

/// `class_unregister(cls)`.
pub extern "C" fn class_unregister(cls: u64) {
    drop_class(cls);
}

/// The Rust side of `device_create`: the name is already formatted.
#[no_mangle]
pub extern "C" fn lkm_device_create(
    class: u64,
    parent: u64,
    devt: u32,
    drvdata: u64,
    name: *const c_char,
) -> u64 {
    let name = cstr(name as u64, 63);
    let Some(obj) = HostObj::new(device::ALLOC) else {
        return err_ptr(ENOMEM);
    };
    let d = obj.0;
    mem::write(d + device::NAME_BUF, name.as_bytes());
    w64(d + device::PARENT, parent);
    w64(d + device::INIT_NAME, d + device::NAME_BUF);
    w64(d + device::CLASS, class);
    w32(d + device::DEVT, devt);
    w64(d + device::DRIVER_DATA, drvdata);
    if state()
        .devices
        .iter()
        .any(|x| x.class == class && cstr(x.obj.0 + device::NAME_BUF, 64) == name)
    {
        kernel().printk(
            3,
            &format!(
                "sysfs: cannot create duplicate filename '/devices/virtual/{}/{name}'",
                class_name(class)
            ),
        );
        return err_ptr(EEXIST);
    }
    // The node's name and mode: the class's devnode() may set both (devtmpfs default 0600).
    let mut node_name = name.clone();
    let mut mode: u16 = 0;
    let devnode = if class != 0 {
        r64(class + CLASS_DEVNODE)
    } else {
        0
    };
    if major(devt) != 0 && devnode != 0 {
        let mut m = Box::new(0u16);
        let mp = &mut *m as *mut u16 as u64;
        // SAFETY: `devnode` is the class's `char *(*devnode)(const struct device *, umode_t *)`,
        // called under the guard with the device and a host umode_t.
        match unsafe { crate::guard::call(devnode, &[d, mp]) } {
            Ok(p) => {
                mode = *m;
                if p != 0 {
                    node_name = cstr(p, 255);
                    crate::services::memory::lkm_kfree(
                        p as *const libc::c_void,
                        0,
                        devnode as *const libc::c_void,
                    );
                }
            }
            Err(fault) => crate::oops::report(&fault, "device_create"),
        }
    }
    if mode == 0 {
        mode = 0o600;
    }
    let mut s = state();
    let node = if major(devt) != 0 {
        match make_node(&mut s, &node_name, devt, mode, NodeOrigin::Device(d)) {
            Ok(()) => Some(node_name),
            Err(_) => None,
        }
    } else {
        None
    };
    s.devices.push(Device {
        obj,
        class,
        devt,
        node,
    });
    d
}

fn class_name(class: u64) -> String {
    state()
        .classes
        .iter()
        .find(|c| c.addr == class)
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

/// `device_unregister(dev)`: removes its node and frees it.
pub extern "C" fn device_unregister(dev: u64) {
    let mut s = state();
    if let Some(i) = s.devices.iter().position(|d| d.obj.0 == dev) {
        let d = s.devices.remove(i);
        if let Some(n) = d.node {
            if s.nodes
                .get(&n)
                .is_some_and(|x| x.origin == NodeOrigin::Device(dev))
            {
                s.nodes.remove(&n);
            }
        }
    }
}

/// `device_destroy(class, devt)`.
pub extern "C" fn device_destroy(class: u64, devt: u32) {
    let d = state()
        .devices
        .iter()
        .find(|d| d.class == class && d.devt == devt)
        .map(|d| d.obj.0);
    if let Some(d) = d {
        device_unregister(d);
    }
}

// ---------------------------------------------------------------------------------------------
// Misc devices.

/// `misc_register(misc)`.
pub extern "C" fn misc_register(m: u64) -> i32 {
    let Some(minor_req) = mem::read_i32(m + misc::MINOR) else {
        return -EFAULT;
    };
    let name = cstr(r64(m + misc::NAME), 64);
    let nodename = cstr(r64(m + misc::NODENAME), 255);
    let mut mode_b = [0u8; 2];
    mem::read(m + misc::MODE, &mut mode_b);
    let mode = u16::from_le_bytes(mode_b);
    let minor_ = {
        let mut s = state();
        let minor_ = if minor_req as u32 == MISC_DYNAMIC_MINOR {
            let Some(i) =
                (0..DYNAMIC_MINORS).find(|i| !s.misc_minors.contains(&(DYNAMIC_MINORS - i - 1)))
            else {
                return -EBUSY;
            };
            let mi = DYNAMIC_MINORS - i - 1;
            w32(m + misc::MINOR, mi);
            mi
        } else {
            if minor_req < 0 || s.misc_minors.contains(&(minor_req as u32)) {
                return -EBUSY;
            }
            minor_req as u32
        };
        s.misc_minors.insert(minor_);
        minor_
    };
    let misc_class = misc_class();
    let cname = std::ffi::CString::new(name.clone()).unwrap_or_default();
    let d = lkm_device_create(misc_class, 0, mkdev(MISC_MAJOR, minor_), m, cname.as_ptr());
    if d >= err_ptr(4095) {
        state().misc_minors.remove(&minor_);
        return d as i64 as i32;
    }
    {
        let mut s = state();
        if !nodename.is_empty() {
            // The node is named nodename, with the misc device's mode.
            let old = s
                .devices
                .iter_mut()
                .find(|x| x.obj.0 == d)
                .and_then(|x| x.node.take());
            if let Some(o) = old {
                s.nodes.remove(&o);
            }
            if make_node(
                &mut s,
                &nodename,
                mkdev(MISC_MAJOR, minor_),
                if mode == 0 { 0o600 } else { mode },
                NodeOrigin::Device(d),
            )
            .is_ok()
            {
                if let Some(x) = s.devices.iter_mut().find(|x| x.obj.0 == d) {
                    x.node = Some(nodename.clone());
                }
            }
        } else if mode != 0 {
            if let Some(n) = s.nodes.get_mut(&name) {
                n.mode = mode & 0o7777;
                let full = S_IFCHR | n.mode;
                mem::write(n.inode.0 + inode::I_MODE, &full.to_le_bytes());
            }
        }
        s.misc.push(Misc {
            addr: m,
            minor: minor_,
            device: d,
        });
    }
    w64(m + misc::THIS_DEVICE, d);
    0
}

/// `misc_deregister(misc)`.
pub extern "C" fn misc_deregister(m: u64) {
    let found = {
        let mut s = state();
        match s.misc.iter().position(|x| x.addr == m) {
            Some(i) => {
                let x = s.misc.remove(i);
                s.misc_minors.remove(&x.minor);
                Some(x)
            }
            None => None,
        }
    };
    if let Some(x) = found {
        device_unregister(x.device);
        if x.minor > MISC_DYNAMIC_MINOR {
            w32(m + misc::MINOR, MISC_DYNAMIC_MINOR);
        }
    }
}

/// The built-in `misc` class.
fn misc_class() -> u64 {
    static CLASS: OnceLock<u64> = OnceLock::new();
    *CLASS.get_or_init(|| {
        static NAME: &[u8] = b"misc\0";
        class_create(NAME.as_ptr() as *const c_char)
    })
}

// ---------------------------------------------------------------------------------------------
// A module unloaded with registrations left.

/// Called as a module is freed: what it left registered would point into freed memory (Linux
/// crashes later, at the next open or `/proc/devices` read); the sandbox reports each and removes
/// it: misc devices, classes (with their devices and nodes), cdevs, device-number regions.
pub fn module_unloading(m: &crate::kernel::Module) {
    let mine = |a: u64| a != 0 && m.contains(a);
    let mut notes = Vec::new();
    let misc: Vec<(u64, String)> = state()
        .misc
        .iter()
        .filter(|x| mine(x.addr) || mine(r64(x.addr + misc::FOPS)))
        .map(|x| (x.addr, cstr(r64(x.addr + misc::NAME), 64)))
        .collect();
    for (addr, name) in misc {
        notes.push(format!(
            "misc device {name} still registered at unload: deregistered"
        ));
        misc_deregister(addr);
    }
    let classes: Vec<(u64, String)> = state()
        .classes
        .iter()
        .filter(|c| mine(c.addr) || mine(r64(c.addr)))
        .map(|c| (c.addr, c.name.clone()))
        .collect();
    for (addr, name) in classes {
        let devs: Vec<String> = state()
            .devices
            .iter()
            .filter(|d| d.class == addr)
            .map(|d| cstr(d.obj.0 + device::NAME_BUF, 64))
            .collect();
        for d in devs {
            notes.push(format!(
                "device {d} of class {name} still present at unload: destroyed"
            ));
        }
        notes.push(format!(
            "class {name} still registered at unload: destroyed"
        ));
        drop_class(addr);
    }
    let mut s = state();
    let mut kept = Vec::new();
    for c in std::mem::take(&mut s.cdevs) {
        if mine(c.cdev) || mine(r64(c.cdev + cdev::OPS)) {
            let own = s
                .regions
                .iter()
                .any(|r| r.own_cdev.as_ref().is_some_and(|o| o.0 == c.cdev));
            if !own {
                notes.push(format!(
                    "cdev {}:{} still added at unload: deleted",
                    major(c.dev),
                    minor(c.dev)
                ));
            }
            s.allocated_cdevs.remove(&c.cdev);
        } else {
            kept.push(c);
        }
    }
    s.cdevs = kept;
    let mut kept = Vec::new();
    for r in std::mem::take(&mut s.regions) {
        if mine(r.owner_hint) {
            notes.push(format!(
                "char device region {}:{} ({} minor(s), \"{}\") still registered at unload: unregistered",
                r.major, r.baseminor, r.count, r.name
            ));
        } else {
            kept.push(r);
        }
    }
    s.regions = kept;
    drop(s);
    let k = kernel();
    for n in notes {
        k.printk(4, &format!("lkm: {}: {n}", m.name));
    }
}

// ---------------------------------------------------------------------------------------------
// /proc/devices, /proc/misc.

/// `/proc/devices` in the kernel's format (fs/proc/devices.c, `chrdev_show`).
pub fn proc_devices() -> String {
    let s = state();
    let mut rows: Vec<(u32, u32, String)> =
        vec![(1, 0, "mem".into()), (MISC_MAJOR, 0, "misc".into())];
    rows.extend(
        s.regions
            .iter()
            .map(|r| (r.major, r.baseminor, r.name.clone())),
    );
    rows.sort_by_key(|r| (r.0, r.1));
    let mut out = String::from("Character devices:\n");
    for (m, _, n) in rows {
        out.push_str(&format!("{m:3} {n}\n"));
    }
    out.push_str("\nBlock devices:\n");
    out
}

/// The devices of `/sys/class/<class>`: `(name, devt, node)`. `misc` lists the misc devices.
fn class_devices(s: &State, class: &str) -> Option<Vec<(String, u32, Option<String>)>> {
    if class == "misc" {
        return Some(
            s.misc
                .iter()
                .map(|m| {
                    let name = cstr(r64(m.addr + misc::NAME), 64);
                    let node = s
                        .nodes
                        .iter()
                        .find(|(_, n)| n.dev == mkdev(MISC_MAJOR, m.minor))
                        .map(|(p, _)| p.clone());
                    (name, mkdev(MISC_MAJOR, m.minor), node)
                })
                .collect(),
        );
    }
    let c = s.classes.iter().find(|c| c.name == class)?;
    Some(
        s.devices
            .iter()
            .filter(|d| d.class == c.addr)
            .map(|d| (cstr(d.obj.0 + device::NAME_BUF, 64), d.devt, d.node.clone()))
            .collect(),
    )
}

/// `/sys/class`: the classes (and `misc`), their devices, and each device's `dev`
/// (`MAJOR:MINOR`) and `uevent` files, as udev reads them. `None` for other paths.
pub fn sys_class_read_dir(path: &str) -> Option<Result<Vec<String>, i32>> {
    let rest = path.strip_prefix("/sys/class")?;
    let s = state();
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    Some(match parts[..] {
        [] => {
            let mut v: Vec<String> = s.classes.iter().map(|c| c.name.clone()).collect();
            v.push("misc".into());
            v.sort();
            v.dedup();
            Ok(v)
        }
        [class] => class_devices(&s, class)
            .map(|d| d.into_iter().map(|(n, ..)| n).collect())
            .ok_or(ENOENT),
        [class, dev] => match class_devices(&s, class) {
            Some(d) if d.iter().any(|(n, ..)| n == dev) => Ok(vec!["dev".into(), "uevent".into()]),
            _ => Err(ENOENT),
        },
        _ => Err(ENOENT),
    })
}

/// Reads `/sys/class/<class>/<device>/{dev,uevent}`.
pub fn sys_class_read(path: &str) -> Option<Result<Vec<u8>, i32>> {
    let rest = path.strip_prefix("/sys/class/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [class, dev, file] = parts[..] else {
        return sys_class_read_dir(path).map(|r| r.and(Err(libc::EISDIR)));
    };
    let s = state();
    let Some((name, devt, node)) =
        class_devices(&s, class).and_then(|d| d.into_iter().find(|(n, ..)| n == dev))
    else {
        return Some(Err(ENOENT));
    };
    Some(match file {
        "dev" => Ok(format!("{}:{}\n", major(devt), minor(devt)).into_bytes()),
        "uevent" => Ok(format!(
            "MAJOR={}\nMINOR={}\nDEVNAME={}\n",
            major(devt),
            minor(devt),
            node.as_deref()
                .map(|n| n.trim_start_matches("/dev/"))
                .unwrap_or(&name)
        )
        .into_bytes()),
        _ => Err(ENOENT),
    })
}

/// `/proc/misc`: `minor name`, newest first as Linux's list is.
pub fn proc_misc() -> String {
    let s = state();
    let mut out = String::new();
    for m in s.misc.iter().rev() {
        let name = cstr(r64(m.addr + misc::NAME), 64);
        out.push_str(&format!("{:3} {name}\n", m.minor));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// User memory.

struct Window {
    base: u64,
    buf: Vec<u8>,
}

thread_local! {
    static WINDOWS: RefCell<Vec<Window>> = const { RefCell::new(Vec::new()) };
}

fn reserve_user_range() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // SAFETY: a fresh PROT_NONE reservation at a fixed address that must not replace anything
        // (MAP_FIXED_NOREPLACE); failure only means the range is not guaranteed to fault.
        unsafe {
            libc::mmap(
                USER_BASE as *mut libc::c_void,
                USER_RESERVED as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE
                    | libc::MAP_ANONYMOUS
                    | libc::MAP_NORESERVE
                    | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            );
        }
    });
}

/// Runs `f` with `bufs` as this request's user windows; `f` gets their user addresses. Returns
/// `f`'s result and the buffers as the driver left them.
pub fn with_user_windows<R>(bufs: Vec<Vec<u8>>, f: impl FnOnce(&[u64]) -> R) -> (R, Vec<Vec<u8>>) {
    reserve_user_range();
    let addrs: Vec<u64> = (0..bufs.len() as u64)
        .map(|i| USER_BASE + i * WINDOW_STRIDE + 0x1000)
        .collect();
    let saved = WINDOWS.with(|w| {
        std::mem::replace(
            &mut *w.borrow_mut(),
            bufs.into_iter()
                .zip(&addrs)
                .map(|(buf, &base)| Window { base, buf })
                .collect(),
        )
    });
    let r = f(&addrs);
    let out = WINDOWS.with(|w| std::mem::replace(&mut *w.borrow_mut(), saved));
    (r, out.into_iter().map(|w| w.buf).collect())
}

/// The part of `[addr, addr+n)` inside a window, from `addr` on: `(window index, offset, len)`.
fn window_span(addr: u64, n: u64) -> Option<(usize, usize, usize)> {
    WINDOWS.with(|w| {
        w.borrow().iter().enumerate().find_map(|(i, win)| {
            let end = win.base + win.buf.len() as u64;
            (addr >= win.base && addr < end).then(|| {
                let off = (addr - win.base) as usize;
                (i, off, (n.min(end - addr)) as usize)
            })
        })
    })
}

/// Whether this thread serves a process's system call, the only context with user memory. In a
/// kthread, a work item, a timer or a tasklet, Linux lets a user access reach whatever process
/// the CPU happens to be in (or fault); the sandbox reports it (`WARN`-style, once per call site,
/// taint W) and fails it as a bad pointer.
fn user_context(what: &str, addr: u64, n: u64) -> bool {
    let t = crate::sched::current();
    let ctx = if crate::sched::in_interrupt() {
        "in interrupt context (a timer or tasklet)"
    } else {
        match t.kind {
            crate::sched::TaskKind::Client => return true,
            crate::sched::TaskKind::Kthread => "in a kthread",
            crate::sched::TaskKind::Worker => "in a work item",
            crate::sched::TaskKind::Softirq => "in softirq context",
        }
    };
    let site = crate::oops::module_caller();
    static REPORTED: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());
    if !REPORTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(site.unwrap_or(0))
    {
        return false;
    }
    let msg = format!(
        "{what}() outside a system call, {ctx}: there is no user memory here (user address {addr:#018x}, {n} bytes); the access fails\n"
    );
    crate::oops::warn_report("", 0, Some(msg.as_bytes()), site, None);
    kernel().add_taint(crate::kernel::taint::WARN);
    false
}

/// Copies kernel memory to user memory; returns the bytes not copied.
pub fn copy_to_user(to: u64, from: u64, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    if !user_context("copy_to_user", to, n) {
        return n;
    }
    let Some((i, off, len)) = window_span(to, n) else {
        return n;
    };
    let mut tmp = vec![0u8; len];
    if !mem::read(from, &mut tmp) {
        return n;
    }
    WINDOWS.with(|w| w.borrow_mut()[i].buf[off..off + len].copy_from_slice(&tmp));
    n - len as u64
}

/// Copies user memory to kernel memory; returns the bytes not copied (the rest of the destination
/// is zeroed, as `_copy_from_user` does).
pub fn copy_from_user(to: u64, from: u64, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    if !user_context("copy_from_user", from, n) {
        mem::write(to, &vec![0u8; n.min(1 << 30) as usize]);
        return n;
    }
    let got = window_span(from, n)
        .map(|(i, off, len)| WINDOWS.with(|w| w.borrow()[i].buf[off..off + len].to_vec()))
        .unwrap_or_default();
    if !mem::write(to, &got) {
        return n;
    }
    let rest = (n - got.len() as u64).min(1 << 30) as usize;
    if rest > 0 {
        mem::write(to + got.len() as u64, &vec![0u8; rest]);
    }
    rest as u64
}

pub extern "C" fn _copy_to_user(to: u64, from: u64, n: u64) -> u64 {
    copy_to_user(to, from, n)
}

pub extern "C" fn _copy_from_user(to: u64, from: u64, n: u64) -> u64 {
    copy_from_user(to, from, n)
}

/// `__lkm_get_user(kernel_dst, user_src, size)`: 0 or `-EFAULT` (the destination is zeroed).
pub extern "C" fn __lkm_get_user(dst: u64, src: u64, size: u64) -> i32 {
    if !user_context("get_user", src, size) {
        mem::write(dst, &vec![0u8; size.min(8) as usize]);
        return -EFAULT;
    }
    if copy_from_user(dst, src, size) == 0 {
        0
    } else {
        -EFAULT
    }
}

/// `__lkm_put_user(kernel_src, user_dst, size)`: 0 or `-EFAULT`.
pub extern "C" fn __lkm_put_user(src: u64, dst: u64, size: u64) -> i32 {
    if user_context("put_user", dst, size)
        && window_span(dst, size).is_some_and(|(_, _, l)| l as u64 == size)
        && copy_to_user(dst, src, size) == 0
    {
        0
    } else {
        -EFAULT
    }
}

/// `clear_user(to, n)`: bytes not cleared.
pub extern "C" fn clear_user(to: u64, n: u64) -> u64 {
    if n == 0 || !user_context("clear_user", to, n) {
        return n;
    }
    let Some((i, off, len)) = window_span(to, n) else {
        return n;
    };
    WINDOWS.with(|w| w.borrow_mut()[i].buf[off..off + len].fill(0));
    n - len as u64
}

/// `strncpy_from_user(dst, src, count)`: the string's length, `count` if it did not end within
/// `count` bytes, `-EFAULT` when unreadable.
pub extern "C" fn strncpy_from_user(dst: u64, src: u64, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    if !user_context("strncpy_from_user", src, count as u64) {
        return -(EFAULT as i64);
    }
    let Some((i, off, len)) = window_span(src, count as u64) else {
        return -(EFAULT as i64);
    };
    let bytes = WINDOWS.with(|w| w.borrow()[i].buf[off..off + len].to_vec());
    let (copy, ret) = match bytes.iter().position(|&b| b == 0) {
        Some(p) => (p + 1, p as i64),
        None if (len as i64) < count => return -(EFAULT as i64),
        None => (len, count),
    };
    if !mem::write(dst, &bytes[..copy]) {
        return -(EFAULT as i64);
    }
    ret
}

/// `strnlen_user(src, n)`: length including the NUL, 0 on a fault, `n + 1` if longer.
pub extern "C" fn strnlen_user(src: u64, n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    let Some((i, off, len)) = window_span(src, n as u64) else {
        return 0;
    };
    let bytes = WINDOWS.with(|w| w.borrow()[i].buf[off..off + len].to_vec());
    match bytes.iter().position(|&b| b == 0) {
        Some(p) => p as i64 + 1,
        None if (len as i64) < n => 0,
        None => n + 1,
    }
}

// ---------------------------------------------------------------------------------------------
// llseek helpers (fs/read_write.c).

const SEEK_SET: i32 = 0;
const SEEK_CUR: i32 = 1;
const SEEK_END: i32 = 2;

fn file_size(f: u64) -> i64 {
    r64(r64(f + file::F_INODE) + inode::I_SIZE) as i64
}

fn set_pos(f: u64, offset: i64, whence: i32, size: i64, maxsize: i64) -> i64 {
    let pos = r64(f + file::F_POS) as i64;
    let new = match whence {
        SEEK_SET => offset,
        SEEK_CUR => {
            if offset == 0 {
                return pos;
            }
            pos.saturating_add(offset)
        }
        SEEK_END => size.saturating_add(offset),
        3 /* SEEK_DATA */ => {
            if offset < 0 || offset >= size {
                return -(ENXIO as i64);
            }
            offset
        }
        4 /* SEEK_HOLE */ => {
            if offset < 0 || offset >= size {
                return -(ENXIO as i64);
            }
            size
        }
        _ => return -(EINVAL as i64),
    };
    if new < 0 || new > maxsize {
        return -(EINVAL as i64);
    }
    if new != pos {
        w64(f + file::F_POS, new as u64);
    }
    new
}

pub extern "C" fn default_llseek(f: u64, offset: i64, whence: i32) -> i64 {
    set_pos(f, offset, whence, file_size(f), i64::MAX)
}

pub extern "C" fn generic_file_llseek(f: u64, offset: i64, whence: i32) -> i64 {
    set_pos(f, offset, whence, file_size(f), i64::MAX)
}

pub extern "C" fn generic_file_llseek_size(
    f: u64,
    offset: i64,
    whence: i32,
    maxsize: i64,
    eof: i64,
) -> i64 {
    set_pos(f, offset, whence, eof, maxsize)
}

pub extern "C" fn fixed_size_llseek(f: u64, offset: i64, whence: i32, size: i64) -> i64 {
    match whence {
        SEEK_SET | SEEK_CUR | SEEK_END => set_pos(f, offset, whence, size, size),
        _ => -(EINVAL as i64),
    }
}

pub extern "C" fn no_seek_end_llseek(f: u64, offset: i64, whence: i32) -> i64 {
    match whence {
        SEEK_SET | SEEK_CUR => set_pos(f, offset, whence, 0, i64::MAX),
        _ => -(EINVAL as i64),
    }
}

pub extern "C" fn noop_llseek(f: u64, _offset: i64, _whence: i32) -> i64 {
    r64(f + file::F_POS) as i64
}

fn clear_fmode(f: u64, bits: u32, set: u32) {
    let m = r32(f + file::F_MODE);
    w32(f + file::F_MODE, (m & !bits) | set);
}

/// `nonseekable_open(inode, filp)`.
pub extern "C" fn nonseekable_open(_inode: u64, f: u64) -> i32 {
    clear_fmode(f, FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE, 0);
    0
}

/// `stream_open(inode, filp)`.
pub extern "C" fn stream_open(_inode: u64, f: u64) -> i32 {
    clear_fmode(f, FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE, FMODE_STREAM);
    0
}

/// `simple_open(inode, file)`: `private_data = inode->i_private` (i_private is at 40).
pub extern "C" fn simple_open(ino: u64, f: u64) -> i32 {
    let p = r64(ino + 40);
    if p != 0 {
        w64(f + file::PRIVATE_DATA, p);
    }
    0
}

/// `simple_read_from_buffer(to, count, ppos, from, available)`.
pub extern "C" fn simple_read_from_buffer(
    to: u64,
    count: u64,
    ppos: u64,
    from: u64,
    available: u64,
) -> i64 {
    let Some(pos) = mem::read_u64(ppos).map(|p| p as i64) else {
        return -(EFAULT as i64);
    };
    if pos < 0 {
        return -(EINVAL as i64);
    }
    let pos = pos as u64;
    if pos >= available || count == 0 {
        return 0;
    }
    let n = count.min(available - pos);
    let left = copy_to_user(to, from + pos, n);
    if left == n {
        return -(EFAULT as i64);
    }
    let done = n - left;
    w64(ppos, pos + done);
    done as i64
}

/// `simple_write_to_buffer(to, available, ppos, from, count)`.
pub extern "C" fn simple_write_to_buffer(
    to: u64,
    available: u64,
    ppos: u64,
    from: u64,
    count: u64,
) -> i64 {
    let Some(pos) = mem::read_u64(ppos).map(|p| p as i64) else {
        return -(EFAULT as i64);
    };
    if pos < 0 {
        return -(EINVAL as i64);
    }
    let pos = pos as u64;
    if pos >= available || count == 0 {
        return 0;
    }
    let n = count.min(available - pos);
    let left = copy_from_user(to + pos, from, n);
    if left == n {
        return -(EFAULT as i64);
    }
    let done = n - left;
    w64(ppos, pos + done);
    done as i64
}

// ---------------------------------------------------------------------------------------------
// Open files.

/// An open file: `struct file` and what the host holds for it.
pub struct OpenFile {
    file: HostObj,
    inode: Arc<HostObj>,
    _dentry: Arc<HostObj>,
    fops: u64,
    /// Modules held while the file is open (`struct module` addresses).
    held: Vec<u64>,
    pub path: String,
    /// The poll waiter armed by the last [`OpenFile::poll_notify`] that found no event.
    poller: Mutex<Option<PollWaiter>>,
}

impl OpenFile {
    /// The `struct file` module code sees.
    pub fn file_addr(&self) -> u64 {
        self.file.0
    }
    fn op(&self, off: u64) -> u64 {
        r64(self.fops + off)
    }
    fn mode(&self) -> u32 {
        r32(self.file.0 + file::F_MODE)
    }
}

/// Calls module code; a fault is an oops, and `EFAULT` for the caller. (Also the call of sysfs
/// attributes' show/store and of debugfs attributes' get/set.)
pub(crate) fn call(f: u64, args: &[u64], context: &str) -> Result<u64, i32> {
    // SAFETY: `f` is a function pointer a module gave the kernel for one purpose (a
    // file_operations or class member, a kobj_attribute's show/store, simple_attr's get/set),
    // called with the kernel's signature for it, under the guard; its module is held (an open
    // file) or waited for (sysfs removal) while the call runs.
    match unsafe { crate::guard::call(f, args) } {
        Ok(v) => Ok(v),
        Err(fault) => {
            crate::oops::report(&fault, context);
            Err(EFAULT)
        }
    }
}

fn errno_of(ret: i64) -> Option<i32> {
    (-4095..0).contains(&ret).then_some(-ret as i32)
}

/// Opens a `/dev` node (`chrdev_open`), or a debugfs file; `flags` are `open(2)`'s.
pub fn open(path: &str, flags: i32) -> Result<OpenFile, i32> {
    if let Some(r) = super::debugfs::open(path, flags) {
        return r;
    }
    let name = path.strip_prefix("/dev/").ok_or(ENOENT)?;
    let (ino, den, cdev_addr, misc_dev) = {
        let s = state();
        let n = s.nodes.get(name).ok_or(ENOENT)?;
        let misc_dev = if major(n.dev) == MISC_MAJOR {
            s.misc
                .iter()
                .find(|m| m.minor == minor(n.dev))
                .map(|m| m.addr)
        } else {
            None
        };
        let c = cdev_for(&s, n.dev);
        (n.inode.clone(), n.dentry.clone(), c, misc_dev)
    };
    let (fops, cdev_owner) = match (misc_dev, cdev_addr) {
        (Some(m), _) => (r64(m + misc::FOPS), 0),
        (None, Some(c)) => {
            w64(ino.0 + inode::I_CDEV, c);
            (r64(c + cdev::OPS), r64(c + cdev::OWNER))
        }
        (None, None) => return Err(ENXIO),
    };
    if fops == 0 {
        return Err(ENXIO);
    }
    open_fops(
        path,
        flags,
        Opening {
            fops,
            inode: ino,
            dentry: den,
            owner: cdev_owner,
            private: misc_dev.unwrap_or(0),
            context: "chrdev_open",
        },
    )
}

/// What [`open_fops`] opens.
pub(crate) struct Opening {
    pub fops: u64,
    pub inode: Arc<HostObj>,
    pub dentry: Arc<HostObj>,
    /// A module held besides the fops' owner (a cdev's), or 0.
    pub owner: u64,
    /// The first `private_data` (a misc device's `struct miscdevice`), or 0.
    pub private: u64,
    /// The caller named in a report if the driver's open faults.
    pub context: &'static str,
}

/// `do_dentry_open`: a `struct file` for `o.fops` on `o.inode`, the owners held, the driver's
/// `open` called.
pub(crate) fn open_fops(path: &str, flags: i32, o: Opening) -> Result<OpenFile, i32> {
    let Opening {
        fops,
        inode: ino,
        dentry: den,
        owner: cdev_owner,
        private,
        context,
    } = o;
    let mut held = Vec::new();
    for owner in [cdev_owner, r64(fops + fop::OWNER)] {
        if owner == 0 {
            continue;
        }
        if !crate::services_impl::try_module_get(owner) {
            for h in held {
                crate::services_impl::module_put(h);
            }
            return Err(ENXIO);
        }
        held.push(owner);
    }
    let Some(fobj) = HostObj::new(file::ALLOC) else {
        for h in held {
            crate::services_impl::module_put(h);
        }
        return Err(ENOMEM);
    };
    let f = fobj.0;
    let acc = flags & libc::O_ACCMODE;
    let mut fmode = FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_OPENED;
    if acc == libc::O_RDONLY || acc == libc::O_RDWR {
        fmode |= FMODE_READ;
    }
    if acc == libc::O_WRONLY || acc == libc::O_RDWR {
        fmode |= FMODE_WRITE;
    }
    if r64(fops + fop::READ) != 0 {
        fmode |= FMODE_CAN_READ;
    }
    if r64(fops + fop::WRITE) != 0 {
        fmode |= FMODE_CAN_WRITE;
    }
    w64(f + file::F_PATH_DENTRY, den.0);
    w64(f + file::F_INODE, ino.0);
    w64(f + file::F_OP, fops);
    w32(
        f + file::F_FLAGS,
        (flags & !(libc::O_CREAT | libc::O_EXCL | libc::O_NOCTTY | libc::O_TRUNC)) as u32
            | libc::O_LARGEFILE as u32,
    );
    w32(f + file::F_MODE, fmode);
    if private != 0 {
        w64(f + file::PRIVATE_DATA, private);
    }
    let of = OpenFile {
        file: fobj,
        inode: ino,
        _dentry: den,
        fops,
        held,
        path: path.to_string(),
        poller: Mutex::new(None),
    };
    let open_fn = of.op(fop::OPEN);
    if open_fn != 0 {
        let r = call(open_fn, &[of.inode.0, f], context);
        let err = match r {
            Ok(v) => errno_of(v as i32 as i64),
            Err(e) => Some(e),
        };
        if let Some(e) = err {
            for &h in &of.held {
                crate::services_impl::module_put(h);
            }
            return Err(e);
        }
    }
    // 6.12's do_dentry_open: no llseek, no seeking.
    if of.op(fop::LLSEEK) == 0 {
        clear_fmode(f, FMODE_LSEEK, 0);
    }
    Ok(of)
}

/// The file operations on an open file (`vfs_read`, `vfs_write`, …). User buffers are the
/// request's windows.
pub trait FileOps {
    fn read(&self, count: usize) -> Result<Vec<u8>, i32>;
    fn write(&self, data: &[u8]) -> Result<usize, i32>;
    fn ioctl(&self, cmd: u32, arg: IoctlArg) -> Result<(i64, Vec<u8>), i32>;
    fn llseek(&self, offset: i64, whence: i32) -> Result<i64, i32>;
    fn poll(&self, events: u32) -> Result<u32, i32>;
}

/// An ioctl's argument: a plain integer, or bytes placed in a user window (the argument is then
/// its address, and the bytes come back as the driver left them).
#[derive(Debug, Clone)]
pub enum IoctlArg {
    Value(u64),
    Buffer(Vec<u8>),
}

impl OpenFile {
    /// The `loff_t *` a read or write gets: a copy of `f_pos`, or NULL for stream files.
    fn ppos(&self) -> u64 {
        if self.mode() & FMODE_STREAM != 0 {
            return 0;
        }
        let p = self.file.0 + file::SCRATCH_POS;
        w64(p, r64(self.file.0 + file::F_POS));
        p
    }
    fn update_pos(&self, ppos: u64) {
        if ppos != 0 {
            w64(self.file.0 + file::F_POS, r64(ppos));
        }
    }
}

/// Largest single read or write request.
pub const MAX_RW: usize = 64 << 20;

impl FileOps for OpenFile {
    fn read(&self, count: usize) -> Result<Vec<u8>, i32> {
        let m = self.mode();
        if m & FMODE_READ == 0 {
            return Err(EBADF);
        }
        let read_fn = self.op(fop::READ);
        if m & FMODE_CAN_READ == 0 || read_fn == 0 {
            return Err(EINVAL);
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        let count = count.min(MAX_RW);
        let ppos = self.ppos();
        let f = self.file.0;
        let (r, mut bufs) = with_user_windows(vec![vec![0u8; count]], |a| {
            call(read_fn, &[f, a[0], count as u64, ppos], "vfs_read")
        });
        let ret = r? as i64;
        if let Some(e) = errno_of(ret) {
            return Err(e);
        }
        self.update_pos(ppos);
        let mut buf = bufs.pop().unwrap_or_default();
        buf.truncate((ret.max(0) as usize).min(count));
        Ok(buf)
    }

    fn write(&self, data: &[u8]) -> Result<usize, i32> {
        let m = self.mode();
        if m & FMODE_WRITE == 0 {
            return Err(EBADF);
        }
        let write_fn = self.op(fop::WRITE);
        if m & FMODE_CAN_WRITE == 0 || write_fn == 0 {
            return Err(EINVAL);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let n = data.len().min(MAX_RW);
        let ppos = self.ppos();
        let f = self.file.0;
        let (r, _) = with_user_windows(vec![data[..n].to_vec()], |a| {
            call(write_fn, &[f, a[0], n as u64, ppos], "vfs_write")
        });
        let ret = r? as i64;
        if let Some(e) = errno_of(ret) {
            return Err(e);
        }
        self.update_pos(ppos);
        Ok((ret.max(0) as usize).min(n))
    }

    fn ioctl(&self, cmd: u32, arg: IoctlArg) -> Result<(i64, Vec<u8>), i32> {
        let ioctl_fn = self.op(fop::UNLOCKED_IOCTL);
        if ioctl_fn == 0 {
            return Err(libc::ENOTTY);
        }
        let f = self.file.0;
        let (r, mut bufs) = match arg {
            IoctlArg::Value(v) => (call(ioctl_fn, &[f, cmd as u64, v], "vfs_ioctl"), Vec::new()),
            IoctlArg::Buffer(b) => with_user_windows(vec![b], |a| {
                call(ioctl_fn, &[f, cmd as u64, a[0]], "vfs_ioctl")
            }),
        };
        let ret = r? as i64;
        if let Some(e) = errno_of(ret) {
            return Err(e);
        }
        Ok((ret, bufs.pop().unwrap_or_default()))
    }

    fn llseek(&self, offset: i64, whence: i32) -> Result<i64, i32> {
        if self.mode() & FMODE_LSEEK == 0 {
            return Err(libc::ESPIPE);
        }
        let f = self.op(fop::LLSEEK);
        if f == 0 {
            return Err(libc::ESPIPE);
        }
        let ret = call(
            f,
            &[self.file.0, offset as u64, whence as u64],
            "vfs_llseek",
        )? as i64;
        match errno_of(ret) {
            Some(e) => Err(e),
            None => Ok(ret),
        }
    }

    fn poll(&self, events: u32) -> Result<u32, i32> {
        let f = self.op(fop::POLL);
        if f == 0 {
            return Ok(DEFAULT_POLLMASK);
        }
        // A poll_table without a queueing procedure: poll_wait() does nothing.
        let pt = self.file.0 + file::SCRATCH_PT;
        w64(pt, 0);
        w32(pt + 8, events | 0x8 | 0x10);
        Ok(call(f, &[self.file.0, pt], "do_sys_poll")? as u32)
    }
}

// ---------------------------------------------------------------------------------------------
// Poll waiters: `poll_wait()` queues on the driver's wait queues, and a wake-up calls back.

/// Wait queue heads one poll can wait on (Linux's `poll_table_page` holds many more; drivers name
/// one or two).
const POLL_ENTRIES: u64 = 8;
/// A waiter's layout: `poll_table` (`_qproc` 0, `_key` 8), the waiter id 16, the count of queued
/// entries 24, then per entry the `wait_queue_head *` and a 40-byte `wait_queue_entry`.
mod pw {
    pub const QPROC: u64 = 0;
    pub const KEY: u64 = 8;
    pub const ID: u64 = 16;
    pub const COUNT: u64 = 24;
    pub const ENTRIES: u64 = 32;
    pub const ENTRY_SIZE: u64 = 48;
    /// In an entry: the head, then the `wait_queue_entry` (`flags` 0, `private` 8, `func` 16).
    pub const WQE: u64 = 8;
}

/// A `poll_table` whose `poll_wait()`s add entries to the driver's wait queues.
struct PollWaiter {
    obj: HostObj,
    id: u64,
}

type PollWake = Box<dyn FnOnce() + Send>;

/// What to do when an armed waiter's wait queue is woken, by waiter id (each runs once).
fn poll_wakers() -> &'static Mutex<HashMap<u64, PollWake>> {
    static W: OnceLock<Mutex<HashMap<u64, PollWake>>> = OnceLock::new();
    W.get_or_init(Default::default)
}

extern "C" {
    fn add_wait_queue(head: u64, entry: u64);
    fn remove_wait_queue(head: u64, entry: u64);
}

/// `poll_table->_qproc` (`__pollwait`): queue an entry of the waiter `pt` on `head`.
extern "C" fn lkm_poll_queue_proc(_file: u64, head: u64, pt: u64) {
    let n = r32(pt + pw::COUNT) as u64;
    if n >= POLL_ENTRIES || head == 0 {
        return;
    }
    let e = pt + pw::ENTRIES + n * pw::ENTRY_SIZE;
    w64(e, head);
    w32(e + pw::WQE, 0);
    w64(e + pw::WQE + 8, pt);
    w64(e + pw::WQE + 16, lkm_poll_wake as *const () as u64);
    w32(pt + pw::COUNT, n as u32 + 1);
    // SAFETY: `head` is the wait_queue_head the driver passed to poll_wait (live while its file is
    // open), and the entry lives in the waiter until `poll_disarm` removes it.
    unsafe { add_wait_queue(head, e + pw::WQE) };
}

/// The entries' wake function (`pollwake`): a wake-up whose key names none of the polled events
/// is ignored; otherwise the waiter's callback runs, once. Runs under the wait queue's lock, so
/// the callback must not block.
extern "C" fn lkm_poll_wake(entry: u64, _mode: u32, _sync: i32, key: u64) -> i32 {
    let pt = r64(entry + 8);
    let events = r32(pt + pw::KEY) | 0x8 | 0x10;
    if key != 0 && (key as u32) & events == 0 {
        return 0;
    }
    let id = r64(pt + pw::ID);
    let cb = poll_wakers()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    if let Some(cb) = cb {
        cb();
    }
    1
}

impl OpenFile {
    /// `vfs_poll` that stays armed: when the driver reports none of `events` (nor an error or
    /// hang-up), `on_wake` runs once the next time a wait queue it named in `poll_wait()` is
    /// woken, and the caller polls again. Returns the driver's mask.
    pub fn poll_notify(&self, events: u32, on_wake: PollWake) -> Result<u32, i32> {
        self.poll_disarm();
        let f = self.op(fop::POLL);
        if f == 0 {
            return Ok(DEFAULT_POLLMASK);
        }
        let obj = HostObj::new((pw::ENTRIES + POLL_ENTRIES * pw::ENTRY_SIZE) as usize)
            .ok_or(libc::ENOMEM)?;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pt = obj.0;
        w64(pt + pw::QPROC, lkm_poll_queue_proc as *const () as u64);
        w32(pt + pw::KEY, events | 0x8 | 0x10);
        w64(pt + pw::ID, id);
        poll_wakers()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, on_wake);
        let waiter = PollWaiter { obj, id };
        let mask = match call(f, &[self.file.0, pt], "do_sys_poll") {
            Ok(m) => m as u32,
            Err(e) => {
                disarm(waiter);
                return Err(e);
            }
        };
        if mask & (events | 0x8 | 0x10) != 0 {
            disarm(waiter);
        } else {
            *self.poller.lock().unwrap_or_else(|e| e.into_inner()) = Some(waiter);
        }
        Ok(mask)
    }

    /// Takes the armed waiter off the driver's wait queues.
    pub fn poll_disarm(&self) {
        let w = self.poller.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = w {
            disarm(w);
        }
    }
}

fn disarm(w: PollWaiter) {
    let pt = w.obj.0;
    for i in 0..(r32(pt + pw::COUNT) as u64).min(POLL_ENTRIES) {
        let e = pt + pw::ENTRIES + i * pw::ENTRY_SIZE;
        // SAFETY: the entry was added to this head by lkm_poll_queue_proc; the head lives as long as
        // the file is open (the file holds its module), and removal takes the head's lock, so no
        // wake-up runs on the entry afterwards.
        unsafe { remove_wait_queue(r64(e), e + pw::WQE) };
    }
    poll_wakers()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&w.id);
}

impl OpenFile {
    /// `__fput`: the driver's release, then the module references.
    pub fn close(self) {
        self.poll_disarm();
        let rel = self.op(fop::RELEASE);
        if rel != 0 {
            let _ = call(rel, &[self.inode.0, self.file.0], "__fput");
        }
        for &h in &self.held {
            crate::services_impl::module_put(h);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The control protocol's file sessions: files open on a connection live on its thread.

thread_local! {
    static FILES: RefCell<BTreeMap<u64, OpenFile>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_HANDLE: Cell<u64> = const { Cell::new(3) };
}

fn with_file<R>(h: u64, f: impl FnOnce(&OpenFile) -> R) -> Result<R, i32> {
    // The file is taken out while the driver runs (the driver may not re-enter this table).
    let of = FILES.with(|t| t.borrow_mut().remove(&h)).ok_or(EBADF)?;
    let r = f(&of);
    FILES.with(|t| t.borrow_mut().insert(h, of));
    Ok(r)
}

/// Releases every file the connection served on this thread still has open (the client closed
/// its connection, or died).
pub fn release_all() {
    let files = FILES.with(|t| std::mem::take(&mut *t.borrow_mut()));
    for (_, f) in files {
        f.close();
    }
}

/// Serves a file-session request of the control protocol.
pub fn handle_request(req: Request) -> Result<Vec<u8>, i32> {
    match req {
        Request::Open { path, flags } => {
            let of = open(&path, flags)?;
            let h = NEXT_HANDLE.with(|n| {
                let h = n.get();
                n.set(h + 1);
                h
            });
            FILES.with(|t| t.borrow_mut().insert(h, of));
            Ok(h.to_le_bytes().to_vec())
        }
        Request::Read { handle, count } => with_file(handle, |f| f.read(count as usize))?,
        Request::Write { handle, data } => {
            with_file(handle, |f| f.write(&data))?.map(|n| (n as u64).to_le_bytes().to_vec())
        }
        Request::Ioctl {
            handle,
            cmd,
            arg,
            buf,
        } => {
            let a = match buf {
                Some(b) => IoctlArg::Buffer(b),
                None => IoctlArg::Value(arg),
            };
            with_file(handle, |f| f.ioctl(cmd, a))?.map(|(ret, b)| {
                let mut v = ret.to_le_bytes().to_vec();
                v.extend_from_slice(&b);
                v
            })
        }
        Request::Llseek {
            handle,
            offset,
            whence,
        } => with_file(handle, |f| f.llseek(offset, whence as i32))?
            .map(|p| p.to_le_bytes().to_vec()),
        Request::Poll {
            handle,
            events,
            timeout_ms,
        } => {
            let deadline =
                std::time::Instant::now() + std::time::Duration::from_millis(timeout_ms as u64);
            let me = crate::sched::current();
            loop {
                let waker = me.clone();
                let mask = with_file(handle, |f| {
                    f.poll_notify(
                        events,
                        Box::new(move || {
                            waker.wake();
                        }),
                    )
                })??;
                let wanted = mask & (events | 0x8 | 0x10);
                let now = std::time::Instant::now();
                if wanted != 0
                    || now >= deadline
                    || me.sigpending.load(std::sync::atomic::Ordering::Acquire)
                {
                    let _ = with_file(handle, |f| f.poll_disarm());
                    return Ok(wanted.to_le_bytes().to_vec());
                }
                // A wake-up between the poll and here leaves the task marked woken, so this
                // returns at once (`poll_schedule_timeout`).
                me.set_state(crate::sched::TASK_INTERRUPTIBLE);
                me.sleep(Some(deadline - now));
            }
        }
        Request::Close { handle } => {
            let of = FILES
                .with(|t| t.borrow_mut().remove(&handle))
                .ok_or(EBADF)?;
            of.close();
            Ok(Vec::new())
        }
        Request::Mknod { path, mode, dev } => mknod(&path, mode, dev).map(|_| Vec::new()),
        Request::Unlink { path } => unlink(&path).map(|_| Vec::new()),
        _ => Err(EINVAL),
    }
}

/// Largest whole-file read through `ReadFile` (`lkm cat` on a device that never reports EOF).
const CAT_LIMIT: usize = 1 << 20;

/// The views' hook: `/proc/devices`, `/proc/misc` and `/dev/<node>` (one open, reads until EOF,
/// close). `None` for other paths.
pub fn read_path(path: &str) -> Option<Result<Vec<u8>, i32>> {
    match path {
        "/proc/devices" => return Some(Ok(proc_devices().into_bytes())),
        "/proc/misc" => return Some(Ok(proc_misc().into_bytes())),
        _ => {}
    }
    node(path)?;
    Some(read_all(path))
}

/// One open of `path`, reads until EOF (or [`CAT_LIMIT`]), close.
pub(crate) fn read_all(path: &str) -> Result<Vec<u8>, i32> {
    let f = open(path, libc::O_RDONLY)?;
    let mut out = Vec::new();
    let r = loop {
        match f.read(65536) {
            Ok(b) if b.is_empty() => break Ok(()),
            Ok(b) => {
                out.extend_from_slice(&b);
                if out.len() >= CAT_LIMIT {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    f.close();
    r.map(|_| out)
}

/// The views' hook for writes: `/dev/<node>` (one open, write all, close).
pub fn write_path(path: &str, data: &[u8]) -> Option<Result<(), i32>> {
    node(path)?;
    Some(write_all(path, data))
}

/// One open of `path`, writes all of `data`, close.
pub(crate) fn write_all(path: &str, data: &[u8]) -> Result<(), i32> {
    let f = open(path, libc::O_WRONLY)?;
    let mut at = 0;
    let r = loop {
        if at >= data.len() {
            break Ok(());
        }
        match f.write(&data[at..]) {
            Ok(0) => break Err(libc::ENOSPC),
            Ok(n) => at += n,
            Err(e) => break Err(e),
        }
    };
    f.close();
    r
}

extern "C" {
    fn device_create(
        class: u64,
        parent: u64,
        devt: u32,
        drvdata: u64,
        fmt: *const c_char,
        ...
    ) -> u64;
}

macro_rules! ex {
    ($($name:ident),* $(,)?) => {
        vec![$(func_export(stringify!($name), $name as *const () as usize)),*]
    };
}

pub fn exports() -> Vec<ExportEntry> {
    ex![
        register_chrdev_region,
        alloc_chrdev_region,
        unregister_chrdev_region,
        __register_chrdev,
        __unregister_chrdev,
        cdev_init,
        cdev_alloc,
        cdev_add,
        cdev_del,
        class_create,
        class_register,
        class_destroy,
        class_unregister,
        device_create,
        device_destroy,
        device_unregister,
        misc_register,
        misc_deregister,
        _copy_to_user,
        _copy_from_user,
        __lkm_get_user,
        __lkm_put_user,
        clear_user,
        strncpy_from_user,
        strnlen_user,
        default_llseek,
        generic_file_llseek,
        generic_file_llseek_size,
        fixed_size_llseek,
        no_seek_end_llseek,
        noop_llseek,
        nonseekable_open,
        stream_open,
        simple_open,
        simple_read_from_buffer,
        simple_write_to_buffer,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_majors_follow_linux() {
        let mut s = State::default();
        let mut got = Vec::new();
        for _ in 0..22 {
            let m = register_region(&mut s, 0, 0, 1, "x").unwrap();
            got.push(m);
        }
        // 254 down to 234 (21 majors), then the extended range from 511.
        assert_eq!(got[0], 254);
        assert_eq!(got[20], 234);
        assert_eq!(got[21], 511);
        assert_eq!(register_region(&mut s, 254, 0, 1, "y"), Err(EBUSY));
        assert_eq!(register_region(&mut s, 100, 0, 1, "y"), Ok(100));
        assert_eq!(register_region(&mut s, 100, 1, 1, "z"), Ok(100));
    }

    #[test]
    fn user_windows_bound_every_copy() {
        let src = *b"0123456789abcdef";
        let mut dst = [0u8; 16];
        let s = src.as_ptr() as u64;
        let d = dst.as_mut_ptr() as u64;
        let (r, bufs) = with_user_windows(vec![vec![0u8; 8], b"xyz\0rest".to_vec()], |a| {
            let whole = copy_to_user(a[0], s, 8);
            let partial = copy_to_user(a[0] + 4, s, 8);
            let outside = copy_to_user(a[0] + 8, s, 1);
            let kernel_ptr = copy_to_user(s, s, 4);
            let from = copy_from_user(d, a[1] + 4, 8);
            let len = strncpy_from_user(d + 8, a[1], 8);
            (whole, partial, outside, kernel_ptr, from, len)
        });
        assert_eq!(r, (0, 4, 1, 4, 4, 3));
        assert_eq!(bufs[0], b"01230123");
        assert_eq!(&dst[..8], b"rest\0\0\0\0");
        assert_eq!(&dst[8..12], b"xyz\0");
        // Outside a request there are no windows.
        assert_eq!(copy_to_user(USER_BASE + 0x1000, s, 1), 1);
    }
}
