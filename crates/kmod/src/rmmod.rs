//! `rmmod`: remove modules from a kernel, as kmod 30 does.
//!
//! Each argument that names an existing file (`stat` succeeds) is taken as a module file and reduced
//! to its module name (`dir/snd-hda-intel.ko.xz` → `snd_hda_intel`); anything else is a module name,
//! normalised the same way (`-` → `_`, cut at the first `.`). Without `-f` each module is checked
//! first, in kmod's order: built in (by name only, from `modules.builtin.bin`) → "is builtin.",
//! no `/sys/module/NAME` → "is not currently loaded", holders → "is in use by: …", refcnt > 0 → "is in
//! use" (no `refcnt` file → "Module unloading is not supported"). Then `delete_module(NAME,
//! O_NONBLOCK | (force ? O_TRUNC : 0))`. With `-w` (lkm: kmod 30 rejects it) a module in use is
//! waited for instead (its holders gone and its count at zero), then removed.

use std::io::Write;
use std::path::PathBuf;

use lkm_kernel_api::{delete_flags, Kernel};
use lkm_modindex::normalize::modname_from_path;

use crate::loaded::{errno_of, normalize, strerror, InitState, LibkmodError, LoadedModule};
use crate::moddir::ModuleDir;
use crate::{syslog, Reporter};

/// What `rmmod` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RmmodOptions {
    /// `-f`: skip the checks and pass `O_TRUNC` (forced removal).
    pub force: bool,
    /// `-s`: messages to syslog instead of stderr.
    pub syslog: bool,
    /// `-v` count. kmod raises its log level with it; at the levels reachable without debug output
    /// (`-v`, `-vv`) nothing more is printed. lkm does not print libkmod's INFO/DEBUG chatter.
    pub verbose: u32,
    /// Where `modules.builtin.bin` is looked up; `None` for `/lib/modules/<kernel release>`.
    pub module_dir: Option<PathBuf>,
    /// `-w`/`--wait` (lkm; kmod 30 lists `-w` but rejects it): a module in use is not refused but
    /// waited for, then removed, as `rmmod -w` did before Linux 3.13 dropped waiting in the kernel.
    pub wait: bool,
}

/// How often `--wait` retries a module still in use.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Where messages go: stderr in kmod's `prog: LEVEL: msg` form, or syslog.
struct Log<'a> {
    err: &'a mut dyn Write,
    rep: Reporter,
    syslog: bool,
}

impl Log<'_> {
    fn error(&mut self, msg: &str) {
        if self.syslog {
            syslog::log(syslog::LOG_ERR, &format!("ERROR: {msg}\n"));
        } else {
            self.rep.error(msg);
            let _ = self.err.write_all(&self.rep.take());
        }
    }

    fn libkmod(&mut self, e: LibkmodError) {
        self.error(&e.tool_body());
    }

    /// `ERR("Module %s is in use by:")` followed by `fprintf(stderr, " %s")` per holder and a newline:
    /// with `-s` the first part goes to syslog and the names still to stderr, as in kmod.
    fn in_use_by(&mut self, name: &str, holders: &[String]) {
        let names: String = holders.iter().map(|h| format!(" {h}")).collect();
        if self.syslog {
            syslog::log(
                syslog::LOG_ERR,
                &format!("ERROR: Module {name} is in use by:"),
            );
            let _ = writeln!(self.err, "{names}");
        } else {
            self.error(&format!("Module {name} is in use by:{names}"));
        }
    }
}

/// Runs rmmod over `args` (module names or files) on `kernel`. Messages go to `err` (or syslog with
/// `-s`) through `rep`'s program name. Returns the exit status: 1 if any module failed.
pub fn run(
    opts: &RmmodOptions,
    args: &[String],
    kernel: &dyn Kernel,
    err: &mut dyn Write,
    rep: &Reporter,
) -> i32 {
    if opts.syslog {
        syslog::open(rep.prog());
    }
    let mut log = Log {
        err,
        rep: rep.fork(),
        syslog: opts.syslog,
    };
    let code = rmmod(opts, args, kernel, &mut log);
    if opts.syslog {
        syslog::close();
    }
    code
}

fn rmmod(opts: &RmmodOptions, args: &[String], kernel: &dyn Kernel, log: &mut Log) -> i32 {
    if args.is_empty() {
        log.error("missing module name.");
        return 1;
    }
    let module_dir = match &opts.module_dir {
        Some(d) => Some(ModuleDir::at(d.clone())),
        None => kernel
            .release()
            .ok()
            .map(|r| ModuleDir::new(None, Some(&r))),
    };
    let mut failed = 0;
    for arg in args {
        // kmod_module_new_from_path for an existing file (never built in), else _new_from_name.
        let (name, maybe_builtin) = if std::fs::metadata(arg).is_ok() {
            match modname_from_path(arg.as_str()) {
                Some(n) => (String::from_utf8_lossy(&n).into_owned(), false),
                None => {
                    // kmod stops here, without counting the failure.
                    log.error(&format!(
                        "could not use module {arg}: {}",
                        strerror(libc::ENOENT)
                    ));
                    break;
                }
            }
        } else {
            (normalize(arg), true)
        };

        if opts.wait && !opts.force {
            wait_until_unused(kernel, &name);
        }
        if !opts.force && !check_not_in_use(kernel, &name, maybe_builtin, &module_dir, log) {
            failed += 1;
            continue;
        }

        let mut flags = delete_flags::NONBLOCK;
        if opts.force {
            flags |= delete_flags::TRUNC;
        }
        let mut r = kernel.delete_module(&name, flags);
        // A new user between the check and the call: wait again.
        while opts.wait
            && r.as_ref()
                .is_err_and(|e| e.raw_os_error() == Some(libc::EWOULDBLOCK))
        {
            std::thread::sleep(WAIT_POLL);
            wait_until_unused(kernel, &name);
            r = kernel.delete_module(&name, flags);
        }
        if let Err(e) = r {
            let why = strerror(errno_of(&e));
            log.libkmod(LibkmodError {
                line: 856,
                func: "kmod_module_remove_module",
                msg: format!("could not remove '{name}': {why}"),
            });
            log.error(&format!("could not remove module {arg}: {why}"));
            failed += 1;
        }
    }
    i32::from(failed != 0)
}

/// `--wait`: returns once the loaded module `name` has no holders and a zero reference count (at
/// once when it is not loaded, or its count cannot be read: the checks then say why).
fn wait_until_unused(kernel: &dyn Kernel, name: &str) {
    loop {
        let refcnt = kernel.read_file(&format!("/sys/module/{name}/refcnt"));
        let holders = kernel
            .read_dir(&format!("/sys/module/{name}/holders"))
            .unwrap_or_default();
        match refcnt {
            Ok(c) if String::from_utf8_lossy(&c).trim() != "0" || !holders.is_empty() => {
                std::thread::sleep(WAIT_POLL)
            }
            _ => return,
        }
    }
}

/// kmod's `check_module_inuse`; true when removal may go ahead.
fn check_not_in_use(
    kernel: &dyn Kernel,
    name: &str,
    maybe_builtin: bool,
    module_dir: &Option<ModuleDir>,
    log: &mut Log,
) -> bool {
    let m = LoadedModule { kernel, name };
    let builtin = maybe_builtin
        && module_dir
            .as_ref()
            .is_some_and(|d| d.is_builtin(name).unwrap_or(false));
    let state = if builtin {
        Ok(InitState::Builtin)
    } else {
        m.initstate(&mut |e| log.libkmod(e))
    };
    match state {
        Ok(InitState::Builtin) => {
            log.error(&format!("Module {name} is builtin."));
            return false;
        }
        Err(_) => {
            log.error(&format!("Module {name} is not currently loaded"));
            return false;
        }
        Ok(_) => {}
    }
    let holders = m.holders(&mut |e| log.libkmod(e));
    if !holders.is_empty() {
        log.in_use_by(name, &holders);
        return false;
    }
    let refcnt = m.refcnt(&mut |e| log.libkmod(e));
    if refcnt > 0 {
        log.error(&format!("Module {name} is in use"));
        return false;
    }
    if refcnt == -libc::ENOENT {
        log.error("Module unloading is not supported");
    }
    refcnt >= 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Argument-handling tests only: records the `delete_module` calls rmmod makes with `-f` (which
    /// skips every check). It is not a kernel and nothing here claims kernel behaviour.
    #[derive(Default)]
    struct Recorder {
        calls: RefCell<Vec<(String, u32)>>,
    }

    impl Kernel for Recorder {
        fn release(&self) -> std::io::Result<String> {
            Ok("test".into())
        }
        fn init_module(&self, _: &[u8], _: &str) -> std::io::Result<()> {
            panic!("not used by rmmod")
        }
        fn finit_module(&self, _: &std::fs::File, _: &str, _: u32) -> std::io::Result<()> {
            panic!("not used by rmmod")
        }
        fn delete_module(&self, name: &str, flags: u32) -> std::io::Result<()> {
            self.calls.borrow_mut().push((name.to_owned(), flags));
            Ok(())
        }
        fn read_file(&self, _: &str) -> std::io::Result<Vec<u8>> {
            panic!("-f reads nothing")
        }
        fn write_file(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
            panic!("not used by rmmod")
        }
        fn read_dir(&self, _: &str) -> std::io::Result<Vec<String>> {
            panic!("-f reads nothing")
        }
    }

    #[test]
    fn argument_handling_names_and_forced_flags() {
        let k = Recorder::default();
        let opts = RmmodOptions {
            force: true,
            module_dir: Some(PathBuf::from("/nonexistent")),
            ..Default::default()
        };
        let file = std::env::temp_dir().join(format!("snd-hda-{}.ko.xz", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let args: Vec<String> = vec![
            "snd-hda-intel".into(),
            "a-b.ko".into(),
            file.to_string_lossy().into_owned(),
        ];
        let mut err = Vec::new();
        let code = run(&opts, &args, &k, &mut err, &Reporter::new("rmmod"));
        std::fs::remove_file(&file).unwrap();
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        let flags = delete_flags::NONBLOCK | delete_flags::TRUNC;
        assert_eq!(
            *k.calls.borrow(),
            [
                ("snd_hda_intel".to_owned(), flags),
                ("a_b".to_owned(), flags),
                (format!("snd_hda_{}", std::process::id()), flags),
            ]
        );
    }
}
