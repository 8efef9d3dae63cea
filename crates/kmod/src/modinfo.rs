//! `modinfo`: print what a module file (or an installed module found by name or alias) declares,
//! byte for byte as kmod 30 prints it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use lkm_modfile::signature::{hex_string, signature_info};
use lkm_modfile::{Module, ModuleImage};
use lkm_modindex::builtin::{BuiltinError, BuiltinModinfo};
use lkm_modindex::normalize::modname_from_path;

use crate::moddir::{make_absolute, FoundModule, LookupError, ModuleDir};
use crate::Reporter;

/// What `modinfo` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ModinfoOptions {
    /// `-F FIELD` (and the `-a -d -l -p -n` shortcuts): print only this key's values.
    pub field: Option<String>,
    /// `-0`: end records with NUL instead of newline.
    pub null: bool,
    /// `-m`: arguments are module names, never aliases or files.
    pub modname: bool,
    /// `-b DIR`.
    pub basedir: Option<PathBuf>,
    /// `-k VERSION`.
    pub kversion: Option<String>,
}

/// One module's `key=value` list as modinfo prints it (strings from `.modinfo` in file order, then the
/// signature fields).
type InfoList = Vec<(Vec<u8>, Vec<u8>)>;

/// Why a module's information could not be read; printed as `could not get modinfo from 'NAME': …`.
struct InfoError(String);

/// Runs modinfo over `args`, writing results to `out` and messages to `err` in argument order; returns
/// the exit status (0 or 1, as kmod).
///
/// Arguments are independent, so with several of them the work (mostly decompression) is spread over
/// the CPUs; output still comes out in argument order, as each argument's turn arrives.
pub fn run(
    opts: &ModinfoOptions,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
    rep: &Reporter,
) -> i32 {
    if args.is_empty() {
        let mut rep = rep.fork();
        rep.error("missing module or filename.");
        let _ = err.write_all(&rep.take());
        return 1;
    }
    let dir = if opts.basedir.is_some() || opts.kversion.is_some() {
        let root = opts.basedir.clone().unwrap_or_default();
        ModuleDir::new(Some(&root), opts.kversion.as_deref())
    } else {
        ModuleDir::new(None, None)
    };
    let printer = Printer {
        opts,
        sep: if opts.null { 0 } else { b'\n' },
    };
    let one = |arg: &String| -> ArgResult {
        let mut buf = Vec::new();
        let mut rep = rep.fork();
        let ok = if opts.modname {
            by_name(&printer, &dir, arg, &mut buf, &mut rep)
        } else if is_module_filename(arg) {
            by_path(&printer, &dir, arg, &mut buf, &mut rep)
        } else {
            by_alias(&printer, &dir, arg, &mut buf, &mut rep)
        };
        ArgResult {
            out: buf,
            err: rep.take(),
            ok,
        }
    };
    let mut failed = false;
    let mut emit = |r: ArgResult| -> bool {
        failed |= !r.ok;
        if !r.err.is_empty() {
            // Keep stdout and stderr in step on a terminal.
            let _ = out.write_all(&r.out);
            let _ = out.flush();
            let _ = err.write_all(&r.err);
            true
        } else {
            out.write_all(&r.out).is_ok()
        }
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(args.len());
    if workers <= 1 {
        for arg in args {
            if !emit(one(arg)) {
                return 1;
            }
        }
    } else {
        parallel_in_order(args, workers, &one, &mut emit);
    }
    if out.flush().is_err() {
        return 1;
    }
    i32::from(failed)
}

/// What one argument produced.
struct ArgResult {
    out: Vec<u8>,
    err: Vec<u8>,
    ok: bool,
}

/// Runs `work` over `items` on `workers` threads and hands the results to `emit` in item order, as soon
/// as each next one is ready. Stops handing out work when `emit` returns false (stdout closed).
fn parallel_in_order<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: &(dyn Fn(&T) -> R + Sync),
    emit: &mut dyn FnMut(R) -> bool,
) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let ready = Condvar::new();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let r = work(&items[i]);
                slots.lock().expect("no panics while holding the lock")[i] = Some(r);
                ready.notify_all();
            });
        }
        for i in 0..items.len() {
            let mut guard = slots.lock().expect("no panics while holding the lock");
            let r = loop {
                if let Some(r) = guard[i].take() {
                    break r;
                }
                guard = ready.wait(guard).expect("no panics while holding the lock");
            };
            drop(guard);
            if !emit(r) {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    });
}

/// kmod's test: an existing regular file whose name ends in a module extension. Unlike Debian's kmod 30
/// (built without zlib), `.ko.gz` counts too.
fn is_module_filename(arg: &str) -> bool {
    const EXTS: [&str; 4] = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];
    EXTS.iter().any(|e| arg.len() > e.len() && arg.ends_with(e))
        && std::fs::metadata(arg).map(|m| m.is_file()).unwrap_or(false)
}

fn by_path(p: &Printer, dir: &ModuleDir, arg: &str, out: &mut Vec<u8>, rep: &mut Reporter) -> bool {
    let abspath = make_absolute(arg);
    let Some(name) = modname_from_path(arg) else {
        rep.error(&format!("Module file {arg} not found."));
        return false;
    };
    let m = FoundModule {
        name: String::from_utf8_lossy(&name).into_owned(),
        path: Some(abspath),
        builtin: false,
    };
    p.module(dir, &m, out, rep)
}

fn by_name(p: &Printer, dir: &ModuleDir, arg: &str, out: &mut Vec<u8>, rep: &mut Reporter) -> bool {
    match dir.lookup_name(arg) {
        Ok(Some(m)) => p.module(dir, &m, out, rep),
        Ok(None) => {
            rep.error(&format!("Module name {arg} not found."));
            false
        }
        Err(e) => {
            report_lookup_error(rep, arg, e);
            false
        }
    }
}

fn by_alias(
    p: &Printer,
    dir: &ModuleDir,
    arg: &str,
    out: &mut Vec<u8>,
    rep: &mut Reporter,
) -> bool {
    match dir.lookup(arg) {
        Ok(found) if found.is_empty() => {
            rep.error(&format!("Module {arg} not found."));
            false
        }
        Ok(found) => {
            let mut ok = true;
            for m in &found {
                ok &= p.module(dir, m, out, rep);
            }
            ok
        }
        Err(e) => {
            report_lookup_error(rep, arg, e);
            false
        }
    }
}

fn report_lookup_error(rep: &mut Reporter, arg: &str, e: LookupError) {
    match e {
        LookupError::InvalidAlias => rep.error(&format!("Module alias {arg} not found.")),
        LookupError::Index(msg) => rep.error(&format!("could not look up {arg}: {msg}")),
    }
}

struct Printer<'o> {
    opts: &'o ModinfoOptions,
    sep: u8,
}

/// A `parm`/`parmtype` pair collected for one parameter name.
struct Param<'a> {
    name: &'a [u8],
    desc: Option<&'a [u8]>,
    ptype: Option<&'a [u8]>,
}

/// The bytes `printf("%s")` would print: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

impl Printer<'_> {
    fn module(
        &self,
        dir: &ModuleDir,
        m: &FoundModule,
        out: &mut dyn Write,
        rep: &mut Reporter,
    ) -> bool {
        // Writing into memory cannot fail; treat it as a failed argument if it ever does.
        self.module_inner(dir, m, out, rep).unwrap_or_default()
    }

    fn padded(&self, out: &mut dyn Write, label: &str, value: &[u8]) -> io::Result<()> {
        write!(out, "{label:<16}")?;
        out.write_all(value)?;
        out.write_all(&[self.sep])
    }

    fn module_inner(
        &self,
        dir: &ModuleDir,
        m: &FoundModule,
        out: &mut dyn Write,
        rep: &mut Reporter,
    ) -> io::Result<bool> {
        let field = self.opts.field.as_deref();
        let filename: Vec<u8> = match &m.path {
            Some(p) => p.as_os_str().as_encoded_bytes().to_vec(),
            None => {
                match field {
                    None => self.padded(out, "name:", m.name.as_bytes())?,
                    Some("name") => {
                        out.write_all(m.name.as_bytes())?;
                        out.write_all(&[self.sep])?;
                    }
                    Some(_) => {}
                }
                b"(builtin)".to_vec()
            }
        };
        match field {
            Some("filename") => {
                out.write_all(&filename)?;
                out.write_all(&[self.sep])?;
                return Ok(true);
            }
            None => self.padded(out, "filename:", &filename)?,
            Some(_) => {}
        }

        let image;
        let list: InfoList = match &m.path {
            Some(path) => {
                image = match ModuleImage::open(path) {
                    Ok(i) => i,
                    Err(e) => return self.fail(out, rep, &m.name, InfoError(e.to_string())),
                };
                match file_info(&image) {
                    Ok(l) => l,
                    Err(e) => return self.fail(out, rep, &m.name, e),
                }
            }
            None => match builtin_info(dir.path(), &m.name) {
                Ok(Some(l)) => l,
                // No modules.builtin.modinfo: an old kernel; kmod prints nothing more.
                Ok(None) => return Ok(true),
                Err(e) => return self.fail(out, rep, &m.name, e),
            },
        };

        if field == Some("parm") {
            for p in collect_params(&list, rep) {
                out.write_all(p.name)?;
                match (p.desc, p.ptype) {
                    (None, t) => {
                        out.write_all(b": (")?;
                        out.write_all(t.unwrap_or_default())?;
                        out.write_all(b")")?;
                    }
                    (Some(d), Some(t)) => {
                        out.write_all(b":")?;
                        out.write_all(d)?;
                        out.write_all(b" (")?;
                        out.write_all(t)?;
                        out.write_all(b")")?;
                    }
                    (Some(d), None) => {
                        out.write_all(b":")?;
                        out.write_all(d)?;
                    }
                }
                out.write_all(&[self.sep])?;
            }
            return Ok(true);
        }

        let mut params_seen = false;
        for (key, value) in &list {
            let value = c_str(value);
            if let Some(f) = field {
                if f.as_bytes() == key.as_slice() {
                    out.write_all(value)?;
                    out.write_all(&[self.sep])?;
                }
                continue;
            }
            if key == b"parm" || key == b"parmtype" {
                params_seen = true;
                continue;
            }
            if self.sep == 0 {
                out.write_all(key)?;
                out.write_all(b"=")?;
                out.write_all(value)?;
                out.write_all(&[0])?;
                continue;
            }
            // kmod: printf("%s:%-*s%s\n", key, 15 - keylen, "", value). A negative width means
            // left-justify, so keys longer than 15 get (len - 15) spaces.
            let pad = (15isize - key.len() as isize).unsigned_abs();
            out.write_all(key)?;
            out.write_all(b":")?;
            write!(out, "{:pad$}", "")?;
            out.write_all(value)?;
            out.write_all(b"\n")?;
        }
        if field.is_some() || !params_seen {
            return Ok(true);
        }
        for p in collect_params(&list, rep) {
            write!(out, "{:<16}", "parm:")?;
            out.write_all(p.name)?;
            out.write_all(b":")?;
            match (p.desc, p.ptype) {
                (None, t) => out.write_all(t.unwrap_or_default())?,
                (Some(d), Some(t)) => {
                    out.write_all(d)?;
                    out.write_all(b" (")?;
                    out.write_all(t)?;
                    out.write_all(b")")?;
                }
                (Some(d), None) => out.write_all(d)?,
            }
            out.write_all(&[self.sep])?;
        }
        Ok(true)
    }

    fn fail(
        &self,
        out: &mut dyn Write,
        rep: &mut Reporter,
        name: &str,
        e: InfoError,
    ) -> io::Result<bool> {
        out.flush()?;
        rep.error(&format!("could not get modinfo from '{name}': {}", e.0));
        Ok(false)
    }
}

/// Parameters in kmod's order: each new name is put in front, so the list is in reverse order of first
/// appearance; a later `parm`/`parmtype` for a known name replaces that half.
fn collect_params<'a>(list: &'a InfoList, rep: &mut Reporter) -> Vec<Param<'a>> {
    let mut params: Vec<Param<'a>> = Vec::new();
    for (key, value) in list {
        let is_parm = key == b"parm";
        if !is_parm && key != b"parmtype" {
            continue;
        }
        let value = c_str(value);
        let Some(colon) = value.iter().position(|&b| b == b':') else {
            rep.error(&format!(
                "Found invalid \"{}={}\": missing ':'",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(value)
            ));
            continue;
        };
        let (name, rest) = (&value[..colon], &value[colon + 1..]);
        let idx = match params.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                params.push(Param {
                    name,
                    desc: None,
                    ptype: None,
                });
                params.len() - 1
            }
        };
        if is_parm {
            params[idx].desc = Some(rest);
        } else {
            params[idx].ptype = Some(rest);
        }
    }
    params.reverse();
    params
}

/// `.modinfo` strings of a module file, then its signature fields.
fn file_info(image: &ModuleImage) -> Result<InfoList, InfoError> {
    let module = Module::parse(image).map_err(|e| InfoError(e.to_string()))?;
    let modinfo = module
        .modinfo()
        .map_err(|e| InfoError(e.to_string()))?
        .ok_or_else(|| {
            InfoError("No such file or directory (the module has no .modinfo section)".into())
        })?;
    let mut list: InfoList = modinfo
        .map(|e| (e.key.to_vec(), e.value.to_vec()))
        .collect();
    if let Some(sig) = &module.signature {
        let info = signature_info(sig).map_err(|e| InfoError(e.to_string()))?;
        list.push((b"sig_id".to_vec(), info.id_type.as_bytes().to_vec()));
        list.push((b"signer".to_vec(), info.signer));
        list.push((b"sig_key".to_vec(), hex_string(&info.key_id).into_bytes()));
        list.push((b"sig_hashalgo".to_vec(), info.hash_algo.as_bytes().to_vec()));
        list.push((
            b"signature".to_vec(),
            hex_string(&info.signature).into_bytes(),
        ));
    }
    Ok(list)
}

/// The records of a built-in module from `modules.builtin.modinfo`. `Ok(None)` when that file does not
/// exist (kernels before 5.2 have none).
fn builtin_info(dir: &Path, name: &str) -> Result<Option<InfoList>, InfoError> {
    let file = match BuiltinModinfo::open(dir) {
        Ok(f) => f,
        Err(BuiltinError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(BuiltinError::Io { source, .. }) => {
            return Err(InfoError(lkm_modfile::strerror(&source)))
        }
        Err(e) => return Err(InfoError(e.to_string())),
    };
    match file.get(name.as_bytes()) {
        Ok(Some(records)) => Ok(Some(
            records
                .into_iter()
                .map(|r| {
                    let e = lkm_modfile::ModInfoEntry::parse(r);
                    (e.key.to_vec(), e.value.to_vec())
                })
                .collect(),
        )),
        // Listed in modules.builtin but without records: kmod reports ENOSYS.
        Ok(None) => Err(InfoError("Function not implemented".into())),
        Err(e) => Err(InfoError(e.to_string())),
    }
}
