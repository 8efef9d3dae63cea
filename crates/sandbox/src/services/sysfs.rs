//! Kernel services: kobjects and sysfs attributes (lib/kobject.c, fs/sysfs/).
//!
//! `kobject_create_and_add(name, parent)` makes a host-allocated `struct kobject` (Linux 6.12's
//! layout, 64 bytes: `name` 0, `entry` 8, `parent` 24, `kset` 32, `ktype` 40, `sd` 48, `kref` 56)
//! and a directory `/sys/<parent path>/<name>`; the built-in kobjects `kernel_kobj`
//! (`/sys/kernel`), `mm_kobj` (`/sys/kernel/mm`), `fs_kobj`, `firmware_kobj`, `power_kobj` and
//! `hypervisor_kobj` are data exports holding their pointers. The reference count lives on the
//! host (mirrored into `kref`); the last `kobject_put` removes the directory with its attributes.
//!
//! Attributes are `struct kobj_attribute` (`attr.name` 0, `attr.mode` 8, `show` 16, `store` 24),
//! as `kobj_sysfs_ops` uses them: a read calls `show(kobj, attr, buf)` with a zeroed,
//! page-aligned `PAGE_SIZE` buffer (a count of `PAGE_SIZE` or more is reported and cut to
//! `PAGE_SIZE - 1`), a write calls `store(kobj, attr, buf, count)` with a NUL-terminated copy of at
//! most `PAGE_SIZE` bytes (`E2BIG` beyond). Reading needs a read bit of the mode, writing a write
//! bit (`EACCES`), as for parameters; a missing `show`/`store` is `EIO`. Calls go through the
//! guard on the client's thread: a fault is an oops and the client gets `EFAULT`.
//!
//! Kobjects a module created and still holds at unload, and attributes it added to other
//! kobjects, are removed and reported (`lkm: <m>: /sys/kernel/<name> still registered at unload:
//! removed`).

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::procfs::{host_free, host_zalloc, Users};
use super::{data_export, func_export, ExportEntry};
use crate::kernel::{kernel, Module};
use crate::mem;

const PAGE_SIZE: usize = 4096;
const KOBJ_SIZE: usize = 64;
const K_NAME: u64 = 0;
const K_ENTRY: u64 = 8;
const K_PARENT: u64 = 24;
const K_KREF: u64 = 56;
const K_STATE: u64 = 60;

const A_NAME: u64 = 0;
const A_MODE: u64 = 8;
const KA_SHOW: u64 = 16;
const KA_STORE: u64 = 24;

const G_NAME: u64 = 0;
const G_IS_VISIBLE: u64 = 8;
const G_ATTRS: u64 = 24;

#[derive(Debug)]
struct Attr {
    attr: u64,
    name: String,
    mode: u32,
    /// The group (its `struct attribute_group` address) that added it, and the group's
    /// directory name.
    group: Option<(u64, Option<String>)>,
    owner: Option<String>,
}

#[derive(Debug)]
struct KObj {
    name: String,
    parent: u64,
    refs: i64,
    owner: Option<String>,
    builtin: bool,
    name_buf: u64,
    attrs: Vec<Attr>,
    /// Named groups' directories (and groups without a name, merged into this directory).
    groups: Vec<(u64, Option<String>)>,
}

static OBJS: Mutex<Option<HashMap<u64, KObj>>> = Mutex::new(None);
static USERS: Users = Users::new();

fn objs() -> MutexGuard<'static, Option<HashMap<u64, KObj>>> {
    let mut g = OBJS.lock().unwrap_or_else(|e| e.into_inner());
    if g.is_none() {
        *g = Some(HashMap::new());
    }
    g
}

/// A new kobject in host memory, named `name`, under `parent` (0: `/sys`).
fn new_kobj(
    map: &mut HashMap<u64, KObj>,
    name: &str,
    parent: u64,
    owner: Option<String>,
    builtin: bool,
) -> u64 {
    let k = host_zalloc(KOBJ_SIZE);
    let nb = host_zalloc(name.len() + 1);
    if k == 0 || nb == 0 {
        return 0;
    }
    mem::write(nb, name.as_bytes());
    mem::write(k + K_NAME, &nb.to_le_bytes());
    // An initialised, empty list_head, as kobject_init leaves it.
    mem::write(k + K_ENTRY, &(k + K_ENTRY).to_le_bytes());
    mem::write(k + K_ENTRY + 8, &(k + K_ENTRY).to_le_bytes());
    mem::write(k + K_PARENT, &parent.to_le_bytes());
    mem::write(k + K_KREF, &1u32.to_le_bytes());
    // state_initialized, state_in_sysfs.
    mem::write(k + K_STATE, &3u32.to_le_bytes());
    map.insert(
        k,
        KObj {
            name: name.to_string(),
            parent,
            refs: 1,
            owner,
            builtin,
            name_buf: nb,
            attrs: Vec::new(),
            groups: Vec::new(),
        },
    );
    if let Some(p) = map.get_mut(&parent) {
        p.refs += 1;
    }
    k
}

/// The built-in kobjects (created at first use, which is the export table's placement at boot).
fn builtin(name: &str) -> u64 {
    static B: OnceLock<HashMap<&'static str, u64>> = OnceLock::new();
    let b = B.get_or_init(|| {
        let mut g = objs();
        let map = g.as_mut().expect("initialised");
        let mut b = HashMap::new();
        let kernel_kobj = new_kobj(map, "kernel", 0, None, true);
        b.insert("kernel", kernel_kobj);
        b.insert("mm", new_kobj(map, "mm", kernel_kobj, None, true));
        // debugfs's mount point (`sysfs_create_mount_point(kernel_kobj, "debug")`); what is under
        // it is debugfs's (services/debugfs.rs, which views.rs asks first).
        b.insert("debug", new_kobj(map, "debug", kernel_kobj, None, true));
        for n in ["fs", "firmware", "power", "hypervisor"] {
            b.insert(n, new_kobj(map, n, 0, None, true));
        }
        b
    });
    b.get(name).copied().unwrap_or(0)
}

fn path_of(map: &HashMap<u64, KObj>, mut k: u64) -> String {
    let mut parts = Vec::new();
    while let Some(o) = map.get(&k) {
        parts.push(o.name.clone());
        k = o.parent;
    }
    parts.reverse();
    format!("/sys/{}", parts.join("/"))
}

fn warn(msg: &str, caller: u64) {
    let k = kernel();
    let rip = k.module_at(caller).is_some().then_some(caller);
    crate::oops::warn_report(
        "fs/sysfs/file.c",
        0,
        Some(format!("{msg}\n").as_bytes()),
        rip,
        None,
    );
    k.add_taint(crate::kernel::taint::WARN);
}

fn owner_of(caller: *const c_void) -> Option<String> {
    kernel().module_at(caller as u64).map(|m| m.name.clone())
}

/// `kobject_create_and_add(name, parent)` (csrc/procfs.c): the new kobject, or NULL.
#[no_mangle]
pub extern "C" fn lkm_kobject_create_and_add(
    name: *const c_char,
    parent: u64,
    caller: *const c_void,
) -> u64 {
    builtin("kernel");
    let Ok(n) = mem::read_cstr(name as u64, 4096) else {
        return 0;
    };
    let n = String::from_utf8_lossy(&n).into_owned();
    // The caller, or (when the module tail-called the export) the module holding the name.
    let owner = owner_of(caller).or_else(|| owner_of(name as *const c_void));
    let mut g = objs();
    let map = g.as_mut().expect("initialised");
    if parent != 0 && !map.contains_key(&parent) {
        drop(g);
        warn(&format!("kobject_add: bad parent for '{n}'"), caller as u64);
        return 0;
    }
    let taken = n.is_empty()
        || n.contains('/')
        || (parent == 0 && n == "module")
        || map.values().any(|o| o.parent == parent && o.name == n)
        || map
            .get(&parent)
            .is_some_and(|p| p.attrs.iter().any(|a| a.group.is_none() && a.name == n));
    if taken {
        let path = format!(
            "{}/{n}",
            if parent == 0 {
                "/sys".to_string()
            } else {
                path_of(map, parent)
            }
        );
        drop(g);
        let k = kernel();
        k.printk(
            3,
            &format!("sysfs: cannot create duplicate filename '{path}'"),
        );
        crate::oops::dump_stack();
        k.printk(
            3,
            &format!("kobject_add_internal failed for {n} with -EEXIST, don't try to register things with the same name in the same directory."),
        );
        return 0;
    }
    new_kobj(map, &n, parent, owner, false)
}

/// `kobject_get(kobj)`.
pub extern "C" fn kobject_get(kobj: u64) -> u64 {
    if let Some(o) = objs().as_mut().and_then(|m| m.get_mut(&kobj)) {
        o.refs += 1;
        mem::write(kobj + K_KREF, &(o.refs as u32).to_le_bytes());
    }
    kobj
}

/// Takes `kobj` and its descendants out of sysfs and frees them; drops the parent's reference.
fn remove_kobj(map: &mut HashMap<u64, KObj>, kobj: u64) -> Vec<u64> {
    let mut gone = vec![kobj];
    let mut i = 0;
    while i < gone.len() {
        let at = gone[i];
        gone.extend(map.iter().filter(|(_, o)| o.parent == at).map(|(&k, _)| k));
        i += 1;
    }
    let parent = map.get(&kobj).map(|o| o.parent).unwrap_or(0);
    for k in &gone {
        if let Some(o) = map.remove(k) {
            host_free(o.name_buf);
            host_free(*k);
        }
    }
    if let Some(p) = map.get_mut(&parent) {
        p.refs -= 1;
    }
    gone
}

/// `kobject_put(kobj)`: the last reference removes the directory and frees the kobject.
pub extern "C" fn kobject_put(kobj: u64) {
    if kobj == 0 {
        return;
    }
    let last = {
        let mut g = objs();
        let map = g.as_mut().expect("initialised");
        let Some(o) = map.get_mut(&kobj) else {
            return;
        };
        if o.builtin {
            return;
        }
        o.refs -= 1;
        mem::write(kobj + K_KREF, &(o.refs.max(0) as u32).to_le_bytes());
        o.refs <= 0
    };
    if last {
        USERS.drain(&[kobj]);
        let mut g = objs();
        remove_kobj(g.as_mut().expect("initialised"), kobj);
    }
}

/// `kobject_del(kobj)`: out of sysfs now (the memory goes with the last reference, which here is
/// the same moment for a kobject nobody else holds).
pub extern "C" fn kobject_del(kobj: u64) {
    kobject_put(kobj);
}

fn add_attr(
    kobj: u64,
    attr: u64,
    mode_override: Option<u32>,
    group: Option<(u64, Option<String>)>,
    owner: Option<String>,
    caller: u64,
) -> i32 {
    let Ok(name) = mem::read_cstr(mem::read_u64(attr + A_NAME).unwrap_or(0), 256) else {
        return -libc::EFAULT;
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    let mut mode = match mode_override {
        Some(m) => m,
        None => {
            let mut b = [0u8; 2];
            if !mem::read(attr + A_MODE, &mut b) {
                return -libc::EFAULT;
            }
            u16::from_le_bytes(b) as u32
        }
    };
    if mode & !0o664 & 0o7777 != 0 {
        warn(
            &format!("Attribute {name}: Invalid permissions 0{:o}", mode & 0o7777),
            caller,
        );
    }
    mode &= 0o664;
    let mut g = objs();
    let map = g.as_mut().expect("initialised");
    let dir = group.as_ref().and_then(|g| g.1.clone());
    let path = format!(
        "{}/{}{name}",
        path_of(map, kobj),
        dir.as_ref().map(|d| format!("{d}/")).unwrap_or_default()
    );
    let Some(o) = map.get_mut(&kobj) else {
        return -libc::EINVAL;
    };
    let dup = o
        .attrs
        .iter()
        .any(|a| a.name == name && a.group.as_ref().and_then(|g| g.1.clone()) == dir);
    if dup {
        drop(g);
        kernel().printk(
            3,
            &format!("sysfs: cannot create duplicate filename '{path}'"),
        );
        crate::oops::dump_stack();
        return -libc::EEXIST;
    }
    o.attrs.push(Attr {
        attr,
        name,
        mode,
        group,
        owner,
    });
    0
}

/// `sysfs_create_file_ns(kobj, attr, ns)` (csrc/procfs.c).
#[no_mangle]
pub extern "C" fn lkm_sysfs_create_file(kobj: u64, attr: u64, caller: *const c_void) -> i32 {
    builtin("kernel");
    let known = objs().as_ref().is_some_and(|m| m.contains_key(&kobj));
    if !known || attr == 0 {
        warn(
            "sysfs_create_file_ns: no kobject or attribute",
            caller as u64,
        );
        return -libc::EINVAL;
    }
    let owner = owner_of(caller).or_else(|| owner_of(attr as *const c_void));
    add_attr(kobj, attr, None, None, owner, caller as u64)
}

/// `sysfs_remove_file_ns(kobj, attr, ns)`.
pub extern "C" fn sysfs_remove_file_ns(kobj: u64, attr: u64, _ns: u64) {
    USERS.drain(&[kobj]);
    if let Some(o) = objs().as_mut().and_then(|m| m.get_mut(&kobj)) {
        o.attrs.retain(|a| !(a.attr == attr && a.group.is_none()));
    }
}

/// `sysfs_remove_files(kobj, attrs)`.
pub extern "C" fn sysfs_remove_files(kobj: u64, attrs: u64) {
    let mut i = 0;
    while let Some(a) = mem::read_u64(attrs + i * 8).filter(|&a| a != 0) {
        sysfs_remove_file_ns(kobj, a, 0);
        i += 1;
    }
}

/// `sysfs_create_group(kobj, grp)` (csrc/procfs.c).
#[no_mangle]
pub extern "C" fn lkm_sysfs_create_group(kobj: u64, grp: u64, caller: *const c_void) -> i32 {
    builtin("kernel");
    let caller = caller as u64;
    let known = objs().as_ref().is_some_and(|m| m.contains_key(&kobj));
    if !known || grp == 0 {
        warn("sysfs_create_group: no kobject or group", caller);
        return -libc::EINVAL;
    }
    let mut b = [0u8; 40];
    if !mem::read(grp, &mut b) {
        return -libc::EFAULT;
    }
    let f = |o: u64| u64::from_le_bytes(b[o as usize..o as usize + 8].try_into().expect("8"));
    let name = match f(G_NAME) {
        0 => None,
        p => {
            Some(String::from_utf8_lossy(&mem::read_cstr(p, 256).unwrap_or_default()).into_owned())
        }
    };
    let is_visible = f(G_IS_VISIBLE);
    let attrs = f(G_ATTRS);
    {
        let mut g = objs();
        let map = g.as_mut().expect("initialised");
        let o = map.get_mut(&kobj).expect("checked");
        if name.is_some() && o.groups.iter().any(|x| x.1 == name) {
            let path = format!(
                "{}/{}",
                path_of(map, kobj),
                name.clone().unwrap_or_default()
            );
            drop(g);
            kernel().printk(
                3,
                &format!("sysfs: cannot create duplicate filename '{path}'"),
            );
            return -libc::EEXIST;
        }
        o.groups.push((grp, name.clone()));
    }
    let owner = owner_of(caller as *const c_void).or_else(|| owner_of(grp as *const c_void));
    let mut i = 0u64;
    while attrs != 0 && i < 1 << 20 {
        let Some(a) = mem::read_u64(attrs + i * 8) else {
            return -libc::EFAULT;
        };
        if a == 0 {
            break;
        }
        let mut mode = None;
        if is_visible != 0 {
            // SAFETY: the group's is_visible(kobj, attr, n), under the guard.
            match unsafe { crate::guard::call(is_visible, &[kobj, a, i]) } {
                Ok(m) => {
                    let m = (m as u32) & 0xffff & !0x1000;
                    if m == 0 {
                        i += 1;
                        continue;
                    }
                    mode = Some(m);
                }
                Err(fault) => {
                    crate::oops::report(&fault, "internal_create_group");
                    sysfs_remove_group(kobj, grp);
                    return -libc::EFAULT;
                }
            }
        }
        let r = add_attr(
            kobj,
            a,
            mode,
            Some((grp, name.clone())),
            owner.clone(),
            caller,
        );
        if r != 0 {
            sysfs_remove_group(kobj, grp);
            return r;
        }
        i += 1;
    }
    0
}

/// `sysfs_remove_group(kobj, grp)`.
pub extern "C" fn sysfs_remove_group(kobj: u64, grp: u64) {
    USERS.drain(&[kobj]);
    let mut g = objs();
    let Some(o) = g.as_mut().and_then(|m| m.get_mut(&kobj)) else {
        return;
    };
    if !o.groups.iter().any(|x| x.0 == grp) {
        let name = o.name.clone();
        drop(g);
        warn(
            &format!("sysfs group {grp:#x} not found for kobject '{name}'"),
            0,
        );
        return;
    }
    o.groups.retain(|x| x.0 != grp);
    o.attrs
        .retain(|a| a.group.as_ref().map(|x| x.0) != Some(grp));
}

/// `sysfs_create_groups(kobj, groups)`.
pub extern "C" fn sysfs_create_groups(kobj: u64, groups: u64) -> i32 {
    let mut i = 0;
    while let Some(g) = mem::read_u64(groups + i * 8).filter(|&g| g != 0) {
        let r = lkm_sysfs_create_group(kobj, g, std::ptr::null());
        if r != 0 {
            for j in 0..i {
                if let Some(g) = mem::read_u64(groups + j * 8) {
                    sysfs_remove_group(kobj, g);
                }
            }
            return r;
        }
        i += 1;
    }
    0
}

/// `sysfs_remove_groups(kobj, groups)`.
pub extern "C" fn sysfs_remove_groups(kobj: u64, groups: u64) {
    let mut i = 0;
    while let Some(g) = mem::read_u64(groups + i * 8).filter(|&g| g != 0) {
        sysfs_remove_group(kobj, g);
        i += 1;
    }
}

/// Called by the loader when a module goes: its kobjects and attributes are removed and reported.
pub fn module_unloading(m: &Module) {
    let mut lines = Vec::new();
    let (kobjs, keys) = {
        let g = objs();
        let Some(map) = g.as_ref() else {
            return;
        };
        let mine = |k: &u64| map[k].owner.as_deref() == Some(m.name.as_str());
        let mut kobjs: Vec<u64> = map
            .keys()
            .filter(|k| mine(k) && !(map[k].parent != 0 && mine(&map[k].parent)))
            .copied()
            .collect();
        kobjs.sort_by_key(|k| path_of(map, *k));
        for k in &kobjs {
            lines.push(format!(
                "lkm: {}: {} still registered at unload: removed",
                m.name,
                path_of(map, *k)
            ));
        }
        for (k, o) in map.iter() {
            if mine(k) {
                continue;
            }
            for a in &o.attrs {
                if a.owner.as_deref() == Some(m.name.as_str()) || m.contains(a.attr) {
                    let dir = a.group.as_ref().and_then(|g| g.1.clone());
                    lines.push(format!(
                        "lkm: {}: {}/{}{} still registered at unload: removed",
                        m.name,
                        path_of(map, *k),
                        dir.map(|d| format!("{d}/")).unwrap_or_default(),
                        a.name
                    ));
                }
            }
        }
        let keys: Vec<u64> = map.keys().copied().collect();
        (kobjs, keys)
    };
    if lines.is_empty() {
        return;
    }
    let k = kernel();
    for l in &lines {
        k.printk(3, l);
    }
    USERS.drain(&keys);
    let mut g = objs();
    let map = g.as_mut().expect("initialised");
    for kobj in kobjs {
        remove_kobj(map, kobj);
    }
    for o in map.values_mut() {
        o.attrs
            .retain(|a| a.owner.as_deref() != Some(m.name.as_str()) && !m.contains(a.attr));
        let groups: Vec<u64> = o.groups.iter().map(|x| x.0).collect();
        for grp in groups {
            if m.contains(grp) {
                o.groups.retain(|x| x.0 != grp);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// views.rs hooks.

enum Node {
    Dir(u64, Option<String>),
    File(u64, u64, u32),
}

/// Resolves a `/sys` path among the kobjects (None: not one of them).
fn resolve(path: &str) -> Option<Node> {
    let rel = path.strip_prefix("/sys/")?.trim_end_matches('/');
    builtin("kernel");
    let g = objs();
    let map = g.as_ref().expect("initialised");
    let mut at = 0u64;
    let mut parts = rel.split('/').filter(|p| !p.is_empty()).peekable();
    while let Some(p) = parts.next() {
        if let Some((&k, _)) = map.iter().find(|(_, o)| o.parent == at && o.name == p) {
            at = k;
            continue;
        }
        if at == 0 {
            return None;
        }
        let o = &map[&at];
        if let Some(a) = o
            .attrs
            .iter()
            .find(|a| a.group.as_ref().and_then(|g| g.1.as_deref()).is_none() && a.name == p)
        {
            return parts
                .next()
                .is_none()
                .then_some(Node::File(at, a.attr, a.mode));
        }
        if o.groups.iter().any(|g| g.1.as_deref() == Some(p)) {
            let f = parts.next();
            if parts.next().is_some() {
                return None;
            }
            let Some(f) = f else {
                return Some(Node::Dir(at, Some(p.to_string())));
            };
            let a = o.attrs.iter().find(|a| {
                a.group.as_ref().and_then(|g| g.1.as_deref()) == Some(p) && a.name == f
            })?;
            return Some(Node::File(at, a.attr, a.mode));
        }
        return None;
    }
    (at != 0).then_some(Node::Dir(at, None))
}

/// A zeroed, page-aligned host page (sysfs_emit insists on page alignment).
struct Page(u64);

impl Page {
    fn new() -> Option<Page> {
        let mut p: *mut c_void = std::ptr::null_mut();
        // SAFETY: posix_memalign writes an aligned allocation of 2 pages (store gets a NUL after
        // PAGE_SIZE bytes) into `p`, or fails.
        if unsafe { libc::posix_memalign(&mut p, PAGE_SIZE, 2 * PAGE_SIZE) } != 0 {
            return None;
        }
        // SAFETY: `p` has 2 pages.
        unsafe { std::ptr::write_bytes(p as *mut u8, 0, 2 * PAGE_SIZE) };
        Some(Page(p as u64))
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        host_free(self.0);
    }
}

use super::chardev::call;

fn show(kobj: u64, attr: u64, mode: u32) -> Result<Vec<u8>, i32> {
    if mode & 0o444 == 0 {
        return Err(libc::EACCES);
    }
    let f = mem::read_u64(attr + KA_SHOW).ok_or(libc::EFAULT)?;
    if f == 0 {
        return Err(libc::EIO);
    }
    let page = Page::new().ok_or(libc::ENOMEM)?;
    let n = call(f, &[kobj, attr, page.0], "sysfs_kf_seq_show")? as i64;
    if n < 0 {
        return Err(-n as i32);
    }
    let mut n = n as usize;
    if n >= PAGE_SIZE {
        kernel().printk(
            4,
            &format!(
                "fill_read_buffer: {} returned bad count",
                crate::oops::symbolize(f)
            ),
        );
        n = PAGE_SIZE - 1;
    }
    let mut out = vec![0u8; n];
    mem::read(page.0, &mut out);
    Ok(out)
}

fn store(kobj: u64, attr: u64, mode: u32, data: &[u8]) -> Result<(), i32> {
    if mode & 0o222 == 0 {
        return Err(libc::EACCES);
    }
    if data.len() > PAGE_SIZE {
        return Err(libc::E2BIG);
    }
    let f = mem::read_u64(attr + KA_STORE).ok_or(libc::EFAULT)?;
    if f == 0 {
        return Err(libc::EIO);
    }
    let mut done = 0;
    while done < data.len() {
        let page = Page::new().ok_or(libc::ENOMEM)?;
        let rest = &data[done..];
        mem::write(page.0, rest);
        let n = call(
            f,
            &[kobj, attr, page.0, rest.len() as u64],
            "sysfs_kf_write",
        )? as i64;
        if n < 0 {
            return Err(-n as i32);
        }
        if n == 0 {
            break;
        }
        done += (n as usize).min(rest.len());
    }
    Ok(())
}

/// Enters a use of `kobj` if it is still registered (under the registry's lock, so a removal
/// either sees the use or happens before it).
fn enter_if_known(kobj: u64) -> bool {
    let g = objs();
    let known = g.as_ref().is_some_and(|m| m.contains_key(&kobj));
    if known {
        USERS.enter(kobj);
    }
    known
}

/// `read_file` of a kobject's attribute (None: not a kobject path).
pub fn read_file(path: &str) -> Option<Result<Vec<u8>, i32>> {
    Some(match resolve(path)? {
        Node::Dir(..) => Err(libc::EISDIR),
        Node::File(k, a, mode) => {
            if !enter_if_known(k) {
                return Some(Err(libc::ENOENT));
            }
            let r = show(k, a, mode);
            USERS.leave(k);
            r
        }
    })
}

/// `write_file` of a kobject's attribute (None: not a kobject path).
pub fn write_file(path: &str, data: &[u8]) -> Option<Result<(), i32>> {
    Some(match resolve(path)? {
        Node::Dir(..) => Err(libc::EISDIR),
        Node::File(k, a, mode) => {
            if !enter_if_known(k) {
                return Some(Err(libc::ENOENT));
            }
            let r = store(k, a, mode, data);
            USERS.leave(k);
            r
        }
    })
}

/// Lists a kobject's directory (None: not a kobject path).
pub fn read_dir(path: &str) -> Option<Result<Vec<String>, i32>> {
    let node = resolve(path)?;
    let g = objs();
    let map = g.as_ref().expect("initialised");
    Some(match node {
        Node::File(..) => Err(libc::ENOTDIR),
        Node::Dir(k, group) => {
            let o = &map[&k];
            let mut v: Vec<String> = Vec::new();
            if group.is_none() {
                v.extend(
                    map.values()
                        .filter(|c| c.parent == k)
                        .map(|c| c.name.clone()),
                );
                v.extend(o.groups.iter().filter_map(|g| g.1.clone()));
            }
            v.extend(
                o.attrs
                    .iter()
                    .filter(|a| a.group.as_ref().and_then(|g| g.1.clone()) == group)
                    .map(|a| a.name.clone()),
            );
            v.sort();
            v.dedup();
            Ok(v)
        }
    })
}

/// Top-level kobjects, listed in `/sys` with the built-in directories.
pub fn root_names(path: &str) -> Vec<String> {
    if path.trim_end_matches('/') != "/sys" {
        return Vec::new();
    }
    builtin("kernel");
    let g = objs();
    let map = g.as_ref().expect("initialised");
    map.values()
        .filter(|o| o.parent == 0)
        .map(|o| o.name.clone())
        .collect()
}

extern "C" {
    fn kobject_create_and_add(name: u64, parent: u64) -> u64;
    fn sysfs_create_file_ns(kobj: u64, attr: u64, ns: u64) -> i32;
    fn sysfs_create_files(kobj: u64, attrs: u64) -> i32;
    fn sysfs_create_group(kobj: u64, grp: u64) -> i32;
    fn sysfs_emit(buf: u64, fmt: u64, ...) -> i32;
    fn sysfs_emit_at(buf: u64, at: i32, fmt: u64, ...) -> i32;
}

fn put_builtin(b: &mut [u8], name: &str) {
    b.copy_from_slice(&builtin(name).to_le_bytes());
}

pub fn exports() -> Vec<ExportEntry> {
    vec![
        func_export(
            "kobject_create_and_add",
            kobject_create_and_add as *const () as usize,
        ),
        func_export("kobject_get", kobject_get as *const () as usize),
        func_export("kobject_put", kobject_put as *const () as usize),
        func_export("kobject_del", kobject_del as *const () as usize),
        func_export(
            "sysfs_create_file_ns",
            sysfs_create_file_ns as *const () as usize,
        ),
        func_export(
            "sysfs_create_files",
            sysfs_create_files as *const () as usize,
        ),
        func_export(
            "sysfs_remove_file_ns",
            sysfs_remove_file_ns as *const () as usize,
        ),
        func_export(
            "sysfs_remove_files",
            sysfs_remove_files as *const () as usize,
        ),
        func_export(
            "sysfs_create_group",
            sysfs_create_group as *const () as usize,
        ),
        func_export(
            "sysfs_remove_group",
            sysfs_remove_group as *const () as usize,
        ),
        func_export(
            "sysfs_create_groups",
            sysfs_create_groups as *const () as usize,
        ),
        func_export(
            "sysfs_remove_groups",
            sysfs_remove_groups as *const () as usize,
        ),
        func_export("sysfs_emit", sysfs_emit as *const () as usize),
        func_export("sysfs_emit_at", sysfs_emit_at as *const () as usize),
        data_export("kernel_kobj", 8, |_, b| put_builtin(b, "kernel")),
        data_export("mm_kobj", 8, |_, b| put_builtin(b, "mm")),
        data_export("fs_kobj", 8, |_, b| put_builtin(b, "fs")),
        data_export("firmware_kobj", 8, |_, b| put_builtin(b, "firmware")),
        data_export("power_kobj", 8, |_, b| put_builtin(b, "power")),
        data_export("hypervisor_kobj", 8, |_, b| put_builtin(b, "hypervisor")),
    ]
}
