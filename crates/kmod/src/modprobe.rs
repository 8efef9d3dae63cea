//! `modprobe`: load or remove modules with their dependencies, soft dependencies and configuration,
//! as kmod 30 (Debian 12) does it.
//!
//! **Names** resolve in libkmod's order, stopping at the first source that has anything: `alias`
//! lines of the configuration (fnmatch), `modules.dep.bin`, `modules.symbols.bin` (`symbol:` names),
//! `install`/`remove` commands, `modules.alias.bin`, `modules.builtin.bin`,
//! `modules.builtin.alias.bin`. Modules are kept in a pool keyed by name, or by `name\alias` when
//! reached through an alias, as libkmod keeps them; per-module state (visited, options, install
//! command) lives there, which fixes the exact order and repetitions of `--show-depends`.
//!
//! **Insertion** (`kmod_module_probe_insert_module`): skip a loaded module, refuse a blacklisted
//! alias quietly, build the probe list (each dependency in reverse `modules.dep` order with its
//! soft dependencies around it, then the module with its own), then insert or run the install
//! command of each module not yet loaded. **Removal** follows `rmmod_do_module`: post-softdeps,
//! holders (`--remove-holders`), the module, its unused dependencies, pre-softdeps.
//!
//! Everything that touches the kernel (`/proc/cmdline`, `/sys/module/*`, loading, unloading) goes
//! through a [`Kernel`], so the same code serves the sandbox kernel and the host.
//!
//! Known kmod 30 quirks kept by default: only the first matching `softdep` line counts, and words
//! before `pre:`/`post:` are ignored ([`ModprobeOptions::all_softdeps`] lifts both); `modprobe -c`
//! prints a softdep as `pre: a bpost: c` (no blank before `post:`); `weakdep` is a bad line.

pub mod config;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use lkm_kernel_api::{delete_flags, init_flags, Kernel};
use lkm_modfile::decompress::Compression;
use lkm_modfile::{Error as FileError, ModuleImage};
use lkm_modindex::fnmatch::fnmatch;
use lkm_modindex::normalize::{alias_normalize, modname_from_path, modname_normalize};

use crate::insmod::{kernel_compression, strip_for_force};
use crate::loaded::{errno_of, strerror, InitState, LibkmodError, LoadedModule};
use crate::moddir::{make_absolute, AliasIndex, ModuleDir};
use crate::{syslog, Reporter};

use config::{conf_files, Config, ConfigMessage, DEFAULT_PATHS};

/// What modprobe does with its arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Action {
    /// Insert (the default); `-D`, `-R`, `-n` change how.
    #[default]
    Insert,
    /// `-r`.
    Remove,
    /// `-c`.
    ShowConfig,
    /// `--show-modversions FILE`.
    ShowModversions,
    /// `--show-exports FILE`.
    ShowExports,
}

/// syslog priorities, as kmod uses them for its verbosity.
pub mod level {
    /// `-q`: nothing is printed.
    pub const EMERG: i32 = 0;
    /// `FATAL`.
    pub const CRIT: i32 = 2;
    /// `ERROR`.
    pub const ERR: i32 = 3;
    /// `WARNING`, the default verbosity.
    pub const WARNING: i32 = 4;
}

/// modprobe's options (see `modprobe -h`).
#[derive(Debug, Clone)]
pub struct ModprobeOptions {
    pub action: Action,
    /// `-a`: every argument is a module name (no module parameters).
    pub all: bool,
    /// `--remove-holders`.
    pub remove_holders: bool,
    /// `-w MSEC`: with `-r`, retry a module in use for up to MSEC.
    pub wait_msec: u64,
    /// `--first-time`.
    pub first_time: bool,
    /// `-i`: ignore install/remove commands and softdeps.
    pub ignore_commands: bool,
    /// `-b`: apply the blacklist to module names too, not only to aliases.
    pub use_blacklist: bool,
    /// `-f`.
    pub force: bool,
    /// `--force-modversion`.
    pub force_modversion: bool,
    /// `--force-vermagic`.
    pub force_vermagic: bool,
    /// `-D`: print the load plan, insert nothing, ignore what is loaded.
    pub show_depends: bool,
    /// `-R`: print the module names an alias resolves to.
    pub resolve_alias: bool,
    /// `-n`.
    pub dry_run: bool,
    /// `-C`: configuration files or directories replacing the defaults.
    pub config_paths: Vec<PathBuf>,
    /// lkm: a root the default configuration directories are read under (`ROOT/etc/modprobe.d`, …).
    /// `None` (kmod's behaviour, even with `-d`): the host's own directories.
    pub config_root: Option<PathBuf>,
    /// `-d DIR`: root of `lib/modules`.
    pub dirname: Option<PathBuf>,
    /// `-S VERSION`.
    pub kversion: Option<String>,
    /// lkm: the module directory itself (a sandbox's own tree), overriding `-d`/`-S`.
    pub module_dir: Option<PathBuf>,
    /// `-s`.
    pub syslog: bool,
    /// The verbosity as kmod computes it: [`level::WARNING`], `-q` sets [`level::EMERG`], each `-v`
    /// adds one.
    pub verbose: i32,
    /// `$MODPROBE_OPTIONS` for install/remove commands (kmod passes `-C -q -v -s` on to them).
    pub child_options: Option<String>,
    /// lkm's fix for kmod 30's softdep handling: use every matching `softdep` line (not only the
    /// first), and load words written before any `pre:`/`post:` as pre-dependencies.
    pub all_softdeps: bool,
}

impl Default for ModprobeOptions {
    fn default() -> Self {
        ModprobeOptions {
            action: Action::Insert,
            all: false,
            remove_holders: false,
            wait_msec: 0,
            first_time: false,
            ignore_commands: false,
            use_blacklist: false,
            force: false,
            force_modversion: false,
            force_vermagic: false,
            show_depends: false,
            resolve_alias: false,
            dry_run: false,
            config_paths: Vec::new(),
            config_root: None,
            dirname: None,
            kversion: None,
            module_dir: None,
            syslog: false,
            verbose: level::WARNING,
            child_options: None,
            all_softdeps: false,
        }
    }
}

/// A `FATAL` message was printed: modprobe exits at once with status 1.
struct Fatal;

/// Where messages go, with kmod's filtering by priority.
struct Log<'a> {
    err: &'a mut dyn Write,
    prog: String,
    syslog: bool,
    /// Messages with a priority above this are not printed.
    verbose: i32,
}

fn prio_name(prio: i32) -> String {
    match prio {
        2 => "FATAL".into(),
        3 => "ERROR".into(),
        4 => "WARNING".into(),
        5 => "NOTICE".into(),
        6 => "INFO".into(),
        7 => "DEBUG".into(),
        p => format!("LOG-{p:03}"),
    }
}

impl Log<'_> {
    /// The tool's `log_printf`: true when printed.
    fn print(&mut self, prio: i32, msg: &str) -> bool {
        if prio > self.verbose {
            return false;
        }
        let text = format!("{}: {msg}\n", prio_name(prio));
        if self.syslog {
            syslog::log(prio, &text);
        } else {
            let _ = write!(self.err, "{}: {text}", self.prog);
        }
        true
    }

    /// kmod's `LOG()`: printed at `prio`; a printed `FATAL` ends the program.
    fn log(&mut self, prio: i32, msg: &str) -> Result<(), Fatal> {
        if self.print(prio, msg) && prio <= level::CRIT {
            return Err(Fatal);
        }
        Ok(())
    }

    fn error(&mut self, msg: &str) {
        self.print(level::ERR, msg);
    }

    /// A libkmod `ERR()` through modprobe's logger (`log_kmod` with Debian's source locations).
    fn libkmod(&mut self, e: LibkmodError) {
        self.print(level::ERR, &e.tool_body());
    }

    fn libkmod_err(&mut self, line: u32, func: &'static str, msg: String) {
        self.libkmod(LibkmodError { line, func, msg });
    }
}

/// One module as libkmod's `struct kmod_module` keeps it.
#[derive(Debug, Clone, Default)]
struct Mod {
    name: String,
    alias: Option<String>,
    path: Option<PathBuf>,
    dep_init: bool,
    /// Dependencies, in reverse `modules.dep` order (libkmod prepends them).
    deps: Vec<usize>,
    builtin: Option<bool>,
    install: Option<Option<Vec<u8>>>,
    remove: Option<Option<Vec<u8>>>,
    options: Option<Option<Vec<u8>>>,
    visited: bool,
    required: bool,
    ignorecmd: bool,
}

/// Insertion flags (`KMOD_PROBE_*`).
#[derive(Debug, Clone, Copy, Default)]
struct ProbeFlags {
    force_modversion: bool,
    force_vermagic: bool,
    ignore_command: bool,
    ignore_loaded: bool,
    dry_run: bool,
    show: bool,
    blacklist: bool,
    fail_on_loaded: bool,
}

/// The value `kmod_module_probe_insert_module` returns for a module refused by the blacklist.
const BLACKLISTED: i32 = 0x10000;

struct Ctx<'a> {
    opts: &'a ModprobeOptions,
    kernel: &'a dyn Kernel,
    dir: ModuleDir,
    config: Config,
    mods: Vec<Mod>,
    by_key: HashMap<String, usize>,
    out: &'a mut dyn Write,
    log: Log<'a>,
}

/// Runs modprobe over `args` on `kernel`: results to `out`, messages to `err` (or syslog with `-s`)
/// as `PROG: LEVEL: …` with `rep`'s program name. Returns the exit status, 0 or 1.
pub fn run(
    opts: &ModprobeOptions,
    args: &[String],
    kernel: &dyn Kernel,
    out: &mut dyn Write,
    err: &mut dyn Write,
    rep: &Reporter,
) -> i32 {
    if opts.syslog {
        syslog::open(rep.prog());
    }
    let code = run_inner(opts, args, kernel, out, err, rep);
    if opts.syslog {
        syslog::close();
    }
    let _ = out.flush();
    code
}

fn run_inner(
    opts: &ModprobeOptions,
    args: &[String],
    kernel: &dyn Kernel,
    out: &mut dyn Write,
    err: &mut dyn Write,
    rep: &Reporter,
) -> i32 {
    let mut log = Log {
        err,
        prog: rep.prog().to_owned(),
        syslog: opts.syslog,
        // Until the library logger is set up, kmod's tool logger shows warnings and worse.
        verbose: level::WARNING,
    };
    if opts.action != Action::ShowConfig && args.is_empty() {
        log.error("missing parameters. See -h.");
        return 1;
    }
    let dir = module_dir(opts, kernel);

    // kmod_new: the configuration is read before modprobe's logger is installed, so its messages
    // use libkmod's default logger on stderr.
    let mut config_msgs: Vec<u8> = Vec::new();
    let config = load_config(opts, kernel, dir.path(), &mut |m| {
        config_msgs.extend_from_slice(m.line_text().as_bytes())
    });
    let _ = log.err.write_all(&config_msgs);
    log.verbose = opts.verbose;

    let mut ctx = Ctx {
        opts,
        kernel,
        dir,
        config,
        mods: Vec::new(),
        by_key: HashMap::new(),
        out,
        log,
    };
    let result = match opts.action {
        Action::ShowConfig => ctx.show_config(),
        Action::ShowModversions => ctx.show_symbols(&args[0], false),
        Action::ShowExports => ctx.show_symbols(&args[0], true),
        Action::Remove => ctx.rmmod_all(args),
        Action::Insert if opts.all => ctx.insmod_all(args),
        Action::Insert => {
            let extra = options_from_args(&args[1..]);
            ctx.insmod(&args[0], extra.as_deref())
        }
    };
    let _ = ctx.out.flush();
    match result {
        Ok(err) if err >= 0 => 0,
        _ => 1,
    }
}

/// The module directory kmod uses: `ROOT/lib/modules/VERSION` with `-d`/`-S`, else
/// `/lib/modules/<release>`; the kernel's release when `-S` is not given.
fn module_dir(opts: &ModprobeOptions, kernel: &dyn Kernel) -> ModuleDir {
    if let Some(d) = &opts.module_dir {
        return ModuleDir::at(make_absolute(&d.to_string_lossy()));
    }
    let release = || {
        kernel
            .release()
            .unwrap_or_else(|_| crate::moddir::kernel_release())
    };
    let kversion = opts.kversion.clone().unwrap_or_else(release);
    match &opts.dirname {
        Some(root) => ModuleDir::new(Some(root), Some(&kversion)),
        None => ModuleDir::new(Some(Path::new("")), Some(&kversion)),
    }
}

/// The configuration: files from `-C` (or the default directories), `modules.softdep`, then the
/// kernel command line (read through `kernel`).
pub fn load_config(
    opts: &ModprobeOptions,
    kernel: &dyn Kernel,
    module_dir: &Path,
    log: &mut dyn FnMut(ConfigMessage),
) -> Config {
    let paths: Vec<PathBuf> = if !opts.config_paths.is_empty() {
        opts.config_paths.clone()
    } else {
        DEFAULT_PATHS
            .iter()
            .map(|p| match &opts.config_root {
                Some(root) => {
                    let mut s = root.clone().into_os_string();
                    s.push(p);
                    PathBuf::from(s)
                }
                None => PathBuf::from(p),
            })
            .collect()
    };
    let mut config = Config::default();
    for file in conf_files(&paths, module_dir, log) {
        if let Ok(data) = std::fs::read(&file) {
            config.parse(&data, &file.to_string_lossy(), log);
        }
    }
    match kernel.read_file("/proc/cmdline") {
        Ok(cmdline) => config.parse_kcmdline(&cmdline, log),
        Err(e) => {
            let errno = errno_of(&e);
            // An open failure is silent; a read failure is reported.
            if matches!(errno, libc::EISDIR | libc::EIO | libc::EINVAL) {
                log(ConfigMessage {
                    line: 521,
                    func: "kmod_config_parse_kcmdline",
                    msg: format!("could not read from '/proc/cmdline': {}", strerror(errno)),
                });
            }
        }
    }
    config
}

/// kmod's `options_from_array`: the module parameters after the name, joined by blanks; a value
/// with a blank that is not quoted gets double quotes. `None` when there are none.
pub fn options_from_args(params: &[String]) -> Option<String> {
    if params.is_empty() {
        return None;
    }
    let mut opts = String::new();
    for (i, a) in params.iter().enumerate() {
        if i > 0 {
            opts.push(' ');
        }
        match a.find('=') {
            Some(eq) if !a[eq + 1..].starts_with(['"', '\'']) && a[eq + 1..].contains(' ') => {
                opts.push_str(&a[..=eq]);
                opts.push('"');
                opts.push_str(&a[eq + 1..]);
                opts.push('"');
            }
            _ => opts.push_str(a),
        }
    }
    Some(opts)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Ctx<'_> {
    // ---- the module pool -------------------------------------------------------------------

    fn pool_get(&mut self, key: &str, name: &str, alias: Option<&str>) -> usize {
        if let Some(&i) = self.by_key.get(key) {
            return i;
        }
        self.mods.push(Mod {
            name: name.to_owned(),
            alias: alias.map(str::to_owned),
            ..Default::default()
        });
        let i = self.mods.len() - 1;
        self.by_key.insert(key.to_owned(), i);
        i
    }

    fn new_from_name(&mut self, name: &str) -> usize {
        let n = lossy(&modname_normalize(name.as_bytes()));
        self.pool_get(&n.clone(), &n, None)
    }

    fn new_from_alias(&mut self, alias: &str, name: &str) -> usize {
        self.pool_get(&format!("{name}\\{alias}"), name, Some(alias))
    }

    /// `kmod_module_new_from_path`; `Err(errno)` when the file does not exist or names no module.
    fn new_from_path(&mut self, path: &str) -> Result<usize, i32> {
        let abspath = make_absolute(path);
        std::fs::metadata(&abspath).map_err(|e| errno_of(&e))?;
        let name = modname_from_path(path).ok_or(libc::ENOENT)?;
        let name = lossy(&name);
        let i = self.pool_get(&name.clone(), &name, None);
        match &self.mods[i].path {
            None => self.mods[i].path = Some(abspath),
            Some(old) if *old == abspath => {}
            Some(old) => {
                let old = old.display().to_string();
                self.log.libkmod_err(
                    428,
                    "kmod_module_new_from_path",
                    format!(
                        "kmod_module '{name}' already exists with different path: new-path='{}' old-path='{old}'",
                        abspath.display()
                    ),
                );
                return Err(libc::EEXIST);
            }
        }
        self.mods[i].builtin = Some(false);
        Ok(i)
    }

    /// `kmod_module_parse_depline`.
    fn parse_depline(&mut self, i: usize, line: &str) {
        if self.mods[i].dep_init {
            return;
        }
        self.mods[i].dep_init = true;
        let Some((path, deps)) = line.split_once(':') else {
            return;
        };
        let dirname = self.dir.path().to_string_lossy().into_owned();
        let join = |p: &str| -> String {
            if p.starts_with('/') {
                p.to_owned()
            } else {
                format!("{dirname}/{p}")
            }
        };
        if self.mods[i].path.is_none() {
            self.mods[i].path = Some(PathBuf::from(join(path)));
        }
        let mut list = Vec::new();
        for d in deps.split([' ', '\t']).filter(|d| !d.is_empty()) {
            let p = join(d);
            match self.new_from_path(&p) {
                Ok(m) => list.insert(0, m),
                Err(errno) => {
                    self.log.libkmod_err(
                        191,
                        "kmod_module_parse_depline",
                        format!("ctx=(ctx) path={p} error={}", strerror(errno)),
                    );
                    self.mods[i].dep_init = false;
                    return;
                }
            }
        }
        self.mods[i].deps = list;
    }

    fn dep_line(&self, name: &str) -> Option<String> {
        self.dir.dep_line(name).ok().flatten()
    }

    fn dependencies(&mut self, i: usize) -> Vec<usize> {
        if !self.mods[i].dep_init {
            let name = self.mods[i].name.clone();
            if let Some(line) = self.dep_line(&name) {
                self.parse_depline(i, &line);
            }
        }
        self.mods[i].deps.clone()
    }

    fn path(&mut self, i: usize) -> Option<PathBuf> {
        if self.mods[i].path.is_some() || self.mods[i].dep_init {
            return self.mods[i].path.clone();
        }
        let name = self.mods[i].name.clone();
        if let Some(line) = self.dep_line(&name) {
            self.parse_depline(i, &line);
        }
        self.mods[i].path.clone()
    }

    fn is_builtin(&mut self, i: usize) -> bool {
        if self.mods[i].builtin.is_none() {
            let b = self.dir.is_builtin(&self.mods[i].name).unwrap_or(false);
            self.mods[i].builtin = Some(b);
        }
        self.mods[i].builtin == Some(true)
    }

    fn initstate(&mut self, i: usize) -> Result<InitState, i32> {
        if self.is_builtin(i) {
            return Ok(InitState::Builtin);
        }
        let name = self.mods[i].name.clone();
        let m = LoadedModule {
            kernel: self.kernel,
            name: &name,
        };
        let log = &mut self.log;
        m.initstate(&mut |e| log.libkmod(e))
    }

    fn is_inkernel(&mut self, i: usize) -> bool {
        matches!(self.initstate(i), Ok(InitState::Live | InitState::Builtin))
    }

    fn refcnt(&mut self, i: usize) -> i32 {
        let name = self.mods[i].name.clone();
        let m = LoadedModule {
            kernel: self.kernel,
            name: &name,
        };
        let log = &mut self.log;
        m.refcnt(&mut |e| log.libkmod(e))
    }

    // ---- configuration per module ----------------------------------------------------------

    fn options(&mut self, i: usize) -> Option<Vec<u8>> {
        if let Some(o) = &self.mods[i].options {
            return o.clone();
        }
        let (name, alias) = (self.mods[i].name.as_bytes(), self.mods[i].alias.as_deref());
        let mut opts: Option<Vec<u8>> = None;
        for (modname, o) in &self.config.options {
            if !(modname == name || alias.is_some_and(|a| a.as_bytes() == modname.as_slice())) {
                continue;
            }
            if o.is_empty() {
                continue;
            }
            match &mut opts {
                Some(v) => {
                    v.push(b' ');
                    v.extend_from_slice(o);
                }
                None => opts = Some(o.clone()),
            }
        }
        self.mods[i].options = Some(opts.clone());
        opts
    }

    fn first_command(list: &[(Vec<u8>, Vec<u8>)], name: &str) -> Option<Vec<u8>> {
        list.iter()
            .find(|(pat, _)| fnmatch(pat, name.as_bytes()))
            .map(|(_, c)| c.clone())
    }

    /// The module's install (or remove) command: the first line whose pattern matches its name,
    /// unless the lookup already set one.
    fn command(&mut self, i: usize, remove: bool) -> Option<Vec<u8>> {
        let cached = if remove {
            &self.mods[i].remove
        } else {
            &self.mods[i].install
        };
        if let Some(c) = cached {
            return c.clone();
        }
        let list = if remove {
            &self.config.remove
        } else {
            &self.config.install
        };
        let c = Self::first_command(list, &self.mods[i].name);
        let m = &mut self.mods[i];
        *(if remove {
            &mut m.remove
        } else {
            &mut m.install
        }) = Some(c.clone());
        c
    }

    /// `kmod_module_get_softdeps`: the modules of the first matching `softdep` line (of every
    /// matching line, with words before `pre:`/`post:` as pre, under `all_softdeps`).
    fn softdeps(&mut self, i: usize) -> (Vec<usize>, Vec<usize>) {
        let name = self.mods[i].name.clone();
        let mut pre_names: Vec<Vec<u8>> = Vec::new();
        let mut post_names: Vec<Vec<u8>> = Vec::new();
        for dep in &self.config.softdeps {
            if !fnmatch(&dep.name, name.as_bytes()) {
                continue;
            }
            if self.opts.all_softdeps {
                pre_names.extend(dep.unmarked.iter().cloned());
            }
            pre_names.extend(dep.pre.iter().cloned());
            post_names.extend(dep.post.iter().cloned());
            if !self.opts.all_softdeps {
                break;
            }
        }
        let pre = self.lookup_softdep(&pre_names);
        let post = self.lookup_softdep(&post_names);
        (pre, post)
    }

    fn lookup_softdep(&mut self, names: &[Vec<u8>]) -> Vec<usize> {
        let mut out = Vec::new();
        for n in names {
            let n = lossy(n);
            match self.lookup(&n) {
                Ok(found) => out.extend(found),
                Err(_) => self.log.libkmod_err(
                    1567,
                    "lookup_softdep",
                    format!("failed to lookup soft dependency '{n}', continuing anyway."),
                ),
            }
        }
        out
    }

    fn is_blacklisted(&self, i: usize) -> bool {
        let name = self.mods[i].name.as_bytes();
        self.config.blacklists.iter().any(|b| b == name)
    }

    // ---- lookup --------------------------------------------------------------------------

    /// `kmod_module_new_from_lookup`: `Err(EINVAL)` for a malformed alias.
    fn lookup(&mut self, given: &str) -> Result<Vec<usize>, i32> {
        let name = lossy(&alias_normalize(given.as_bytes()).map_err(|_| libc::EINVAL)?);
        // 1. aliases from the configuration.
        let matches: Vec<(String, String)> = self
            .config
            .aliases
            .iter()
            .filter(|(pat, _)| fnmatch(pat, name.as_bytes()))
            .map(|(p, m)| (lossy(p), lossy(m)))
            .collect();
        if !matches.is_empty() {
            return Ok(matches
                .iter()
                .map(|(p, m)| self.new_from_alias(p, m))
                .collect());
        }
        // 2. module names in modules.dep.
        if !name.contains(':') {
            if let Some(line) = self.dep_line(&name) {
                let i = self.new_from_name(&name);
                self.parse_depline(i, &line);
                return Ok(vec![i]);
            }
        }
        // 3. symbols.
        if name.starts_with("symbol:") {
            let found = self.wild(AliasIndex::Symbols, &name, false);
            if !found.is_empty() {
                return Ok(found);
            }
        }
        // 4. install, then remove commands naming exactly this module (the first such line).
        for remove in [false, true] {
            let list = if remove {
                &self.config.remove
            } else {
                &self.config.install
            };
            if let Some((m, cmd)) = list.iter().find(|(m, _)| *m == name.as_bytes()).cloned() {
                let i = self.new_from_name(&lossy(&m));
                let m = &mut self.mods[i];
                *(if remove {
                    &mut m.remove
                } else {
                    &mut m.install
                }) = Some(Some(cmd));
                return Ok(vec![i]);
            }
        }
        // 5. modules.alias.
        let found = self.wild(AliasIndex::Aliases, &name, false);
        if !found.is_empty() {
            return Ok(found);
        }
        // 6. built-in module names.
        if self.dir.is_builtin(&name).unwrap_or(false) {
            let i = self.new_from_name(&name);
            self.mods[i].builtin = Some(true);
            return Ok(vec![i]);
        }
        // 7. built-in aliases.
        Ok(self.wild(AliasIndex::BuiltinAliases, &name, true))
    }

    fn wild(&mut self, which: AliasIndex, name: &str, builtin: bool) -> Vec<usize> {
        let names = self.dir.lookup_wild_names(which, name).unwrap_or_default();
        names
            .iter()
            .map(|m| {
                let i = self.new_from_alias(name, m);
                if builtin {
                    self.mods[i].builtin = Some(true);
                }
                i
            })
            .collect()
    }

    // ---- insertion -----------------------------------------------------------------------

    fn show(&self) -> bool {
        self.opts.show_depends || self.opts.verbose > level::WARNING
    }

    fn insmod_all(&mut self, args: &[String]) -> Result<i32, Fatal> {
        let mut err = 0;
        for a in args {
            let r = self.insmod(a, None)?;
            if r < 0 {
                err = r;
            }
        }
        Ok(err)
    }

    /// The priority of modprobe's `LOG()`: FATAL, or WARNING with `-a`.
    fn log_priority(&self) -> i32 {
        if self.opts.all {
            level::WARNING
        } else {
            level::CRIT
        }
    }

    fn insmod(&mut self, alias: &str, extra: Option<&str>) -> Result<i32, Fatal> {
        let list = match self.lookup(alias) {
            Ok(l) if !l.is_empty() => l,
            _ => {
                let msg = format!(
                    "Module {alias} not found in directory {}",
                    self.dir.path().display()
                );
                self.log.log(self.log_priority(), &msg)?;
                return Ok(-libc::ENOENT);
            }
        };
        let o = self.opts;
        let flags = ProbeFlags {
            force_modversion: o.force_modversion || o.force,
            force_vermagic: o.force_vermagic || o.force,
            ignore_command: o.ignore_commands,
            ignore_loaded: o.show_depends,
            dry_run: o.dry_run || o.show_depends,
            show: self.show(),
            blacklist: o.use_blacklist,
            fail_on_loaded: o.first_time,
        };
        let mut err = 0;
        for i in list {
            if self.opts.resolve_alias {
                let _ = writeln!(self.out, "{}", self.mods[i].name);
                err = 0;
                continue;
            }
            err = self.probe_insert(i, flags, extra);
            if err >= 0 {
                err = 0;
                continue;
            }
            let name = &self.mods[i].name;
            let msg = match -err {
                libc::EEXIST => format!("could not insert '{name}': Module already in kernel"),
                libc::ENOENT => format!(
                    "could not insert '{name}': Unknown symbol in module, or unknown parameter (see dmesg)"
                ),
                e => format!("could not insert '{name}': {}", strerror(e)),
            };
            self.log.error(&msg);
        }
        Ok(err)
    }

    fn set_all(&mut self, f: impl Fn(&mut Mod)) {
        for m in &mut self.mods {
            f(m);
        }
    }

    /// `kmod_module_get_probe_list`.
    fn probe_list(&mut self, i: usize, ignorecmd: bool) -> Vec<usize> {
        self.set_all(|m| {
            m.visited = false;
            m.required = false;
        });
        let mut list = Vec::new();
        self.probe_list_inner(i, true, ignorecmd, &mut list);
        list
    }

    fn probe_list_inner(
        &mut self,
        i: usize,
        required: bool,
        ignorecmd: bool,
        list: &mut Vec<usize>,
    ) {
        if self.mods[i].visited {
            return;
        }
        // With the softdep fix, one module reached through several aliases is loaded once.
        if self.opts.all_softdeps && list.iter().any(|&m| self.mods[m].name == self.mods[i].name) {
            return;
        }
        self.mods[i].visited = true;
        let deps = self.dependencies(i);
        if required {
            self.mods[i].required = true;
            for &d in &deps {
                self.mods[d].required = true;
            }
        }
        for &d in &deps {
            self.fill_softdep(d, list);
        }
        if ignorecmd {
            list.push(i);
            self.mods[i].ignorecmd = true;
        } else {
            self.fill_softdep(i, list);
        }
    }

    fn fill_softdep(&mut self, i: usize, list: &mut Vec<usize>) {
        let (pre, post) = self.softdeps(i);
        for &m in &pre {
            self.probe_list_inner(m, false, false, list);
        }
        list.push(i);
        self.mods[i].ignorecmd = !pre.is_empty() || !post.is_empty();
        for &m in &post {
            self.probe_list_inner(m, false, false, list);
        }
    }

    /// `kmod_module_probe_insert_module`: 0, [`BLACKLISTED`], or a negative errno.
    fn probe_insert(&mut self, i: usize, flags: ProbeFlags, extra: Option<&str>) -> i32 {
        if !flags.ignore_loaded && self.is_inkernel(i) {
            return if flags.fail_on_loaded {
                -libc::EEXIST
            } else {
                0
            };
        }
        if (self.mods[i].alias.is_some() || flags.blacklist) && self.is_blacklisted(i) {
            return BLACKLISTED;
        }
        let list = self.probe_list(i, flags.ignore_command);
        let mut err = 0;
        for m in list {
            let cmd = self.command(m, false);
            if !flags.ignore_loaded && self.is_inkernel(m) {
                err = -libc::EEXIST;
            } else {
                let moptions = self.options(m);
                let options =
                    options_concat(moptions.as_deref(), if m == i { extra } else { None });
                match cmd {
                    Some(cmd) if !self.mods[m].ignorecmd => {
                        if flags.show {
                            let _ = self.out.write_all(b"install ");
                            let _ = self.out.write_all(&cmd);
                            let _ = self.out.write_all(b" ");
                            let _ = self.out.write_all(&options);
                            let _ = self.out.write_all(b"\n");
                        }
                        if !flags.dry_run {
                            err = self.install_commands(m, &cmd, &options);
                        }
                    }
                    _ => {
                        if flags.show {
                            self.print_insmod(m, &options);
                        }
                        if !flags.dry_run {
                            err = self.insert_module(m, flags, &options);
                        }
                    }
                }
            }
            if err == -libc::EEXIST && m == i && flags.fail_on_loaded {
                break;
            }
            if err == -libc::EEXIST || !self.mods[m].required {
                err = 0;
            } else if err < 0 {
                break;
            }
        }
        err
    }

    fn print_insmod(&mut self, m: usize, options: &[u8]) {
        match self.path(m) {
            None => {
                // A built-in module, or an alias naming a module that is not installed.
                if self.initstate(m) == Ok(InitState::Builtin) {
                    let _ = writeln!(self.out, "builtin {}", self.mods[m].name);
                }
            }
            Some(p) => {
                let _ = self.out.write_all(b"insmod ");
                let _ = self.out.write_all(p.as_os_str().as_encoded_bytes());
                let _ = self.out.write_all(b" ");
                let _ = self.out.write_all(options);
                let _ = self.out.write_all(b"\n");
            }
        }
    }

    /// libkmod's install command: `$CMDLINE_OPTS` replaced, run by the shell.
    fn install_commands(&mut self, m: usize, cmd: &[u8], options: &[u8]) -> i32 {
        let cmd = replace_cmdline_opts(cmd, options);
        let name = self.mods[m].name.clone();
        match self.system(&cmd, &name) {
            Err(e) => {
                self.log.libkmod_err(
                    1041,
                    "command_do",
                    format!(
                        "Could not run install command '{}' for module {name}: {}",
                        lossy(&cmd),
                        strerror(errno_of(&e))
                    ),
                );
                -libc::EINVAL
            }
            Ok(0) => 0,
            Ok(code) => {
                self.log.libkmod_err(
                    1047,
                    "command_do",
                    format!(
                        "Error running install command '{}' for module {name}: retcode {code}",
                        lossy(&cmd)
                    ),
                );
                -libc::EINVAL
            }
        }
    }

    /// `system(cmd)` with `MODPROBE_MODULE` set: the exit status (`WEXITSTATUS`).
    fn system(&mut self, cmd: &[u8], module: &str) -> std::io::Result<i32> {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::process::ExitStatusExt;
        let _ = self.out.flush();
        let mut c = std::process::Command::new("/bin/sh");
        c.arg("-c")
            .arg(std::ffi::OsStr::from_bytes(cmd))
            .env("MODPROBE_MODULE", module);
        if let Some(o) = &self.opts.child_options {
            c.env("MODPROBE_OPTIONS", o);
        }
        let status = c.status()?;
        Ok(status
            .code()
            .unwrap_or_else(|| status.into_raw() >> 8 & 0xff))
    }

    /// `kmod_module_insert_module`.
    fn insert_module(&mut self, m: usize, flags: ProbeFlags, options: &[u8]) -> i32 {
        let Some(path) = self.path(m) else {
            let name = self.mods[m].name.clone();
            self.log.libkmod_err(
                895,
                "kmod_module_insert_module",
                format!("could not find module by name='{name}'"),
            );
            return -libc::ENOENT;
        };
        let params = lossy(options);
        match insert_file(self.kernel, &path, &params, flags) {
            Ok(()) => 0,
            Err(errno) => -errno,
        }
    }

    // ---- removal -------------------------------------------------------------------------

    fn rmmod_all(&mut self, args: &[String]) -> Result<i32, Fatal> {
        let mut err = 0;
        for a in args {
            let r = self.rmmod(a)?;
            if r < 0 {
                err = r;
            }
        }
        Ok(err)
    }

    fn rmmod(&mut self, alias: &str) -> Result<i32, Fatal> {
        let list = match self.lookup(alias) {
            Ok(l) => l,
            Err(e) => return Ok(-e),
        };
        let mut err = 0;
        if list.is_empty() {
            self.log
                .log(self.log_priority(), &format!("Module {alias} not found."))?;
            err = -libc::ENOENT;
        }
        for i in list {
            err = self.rmmod_do_module(i, self.opts.remove_holders, false)?;
            if err < 0 {
                break;
            }
        }
        Ok(err)
    }

    fn rmmod_do_modlist(&mut self, list: &[usize], stop_on_errors: bool) -> Result<i32, Fatal> {
        for &m in list.iter().rev() {
            let r = self.rmmod_do_module(m, false, true)?;
            if r < 0 && stop_on_errors {
                return Ok(r);
            }
        }
        Ok(0)
    }

    fn rmmod_do_module(
        &mut self,
        i: usize,
        remove_holders: bool,
        ignore_builtin: bool,
    ) -> Result<i32, Fatal> {
        let name = self.mods[i].name.clone();
        let ignore_loaded = self.opts.show_depends;
        let (pre, post, cmd) = if !self.opts.ignore_commands {
            let (pre, post) = self.softdeps(i);
            (pre, post, self.command(i, true))
        } else {
            (Vec::new(), Vec::new(), None)
        };
        let prio = self.log_priority();
        if cmd.is_none() && !ignore_loaded {
            match self.initstate(i) {
                Err(_) => {
                    if self.opts.first_time {
                        self.log
                            .log(prio, &format!("Module {name} is not in kernel."))?;
                        return Ok(-libc::ENOENT);
                    }
                    return Ok(0);
                }
                Ok(InitState::Builtin) => {
                    if ignore_builtin {
                        return Ok(0);
                    }
                    self.log.log(prio, &format!("Module {name} is builtin."))?;
                    return Ok(-libc::ENOENT);
                }
                Ok(_) => {}
            }
        }
        self.rmmod_do_modlist(&post, false)?;
        if remove_holders {
            let holder_names = {
                let m = LoadedModule {
                    kernel: self.kernel,
                    name: &name,
                };
                let log = &mut self.log;
                m.holders(&mut |e| log.libkmod(e))
            };
            let holders: Vec<usize> = holder_names.iter().map(|h| self.new_from_name(h)).collect();
            let r = self.rmmod_do_modlist(&holders, true)?;
            if r < 0 {
                return Ok(r);
            }
        }
        if cmd.is_none() && !ignore_loaded && self.opts.wait_msec == 0 && self.refcnt(i) > 0 {
            self.log.log(prio, &format!("Module {name} is in use."))?;
            return Ok(-libc::EBUSY);
        }
        let err = match &cmd {
            None => self.rmmod_do_remove_module(i)?,
            Some(c) => self.command_do_remove(i, c)?,
        };
        if err < 0 {
            return Ok(err);
        }
        if cmd.is_none() {
            for d in self.dependencies(i) {
                if self.refcnt(d) == 0 {
                    self.rmmod_do_remove_module(d)?;
                }
            }
        }
        self.rmmod_do_modlist(&pre, false)?;
        Ok(err)
    }

    /// modprobe's `command_do` for a remove command.
    fn command_do_remove(&mut self, i: usize, cmd: &[u8]) -> Result<i32, Fatal> {
        let name = self.mods[i].name.clone();
        let cmd = replace_cmdline_opts(cmd, b"");
        if self.show() {
            let _ = self.out.write_all(b"remove ");
            let _ = self.out.write_all(&cmd);
            let _ = self.out.write_all(b"\n");
            let _ = self.out.flush();
        }
        if self.opts.dry_run || self.opts.show_depends {
            return Ok(0);
        }
        match self.system(&cmd, &name) {
            Ok(0) => Ok(0),
            r => {
                self.log.log(
                    self.log_priority(),
                    &format!("Error running remove command for {name}"),
                )?;
                Ok(match r {
                    Ok(code) => -code,
                    Err(_) => -1,
                })
            }
        }
    }

    fn rmmod_do_remove_module(&mut self, i: usize) -> Result<i32, Fatal> {
        let name = self.mods[i].name.clone();
        if self.show() {
            let _ = writeln!(self.out, "rmmod {name}");
            let _ = self.out.flush();
        }
        if self.opts.dry_run || self.opts.show_depends {
            return Ok(0);
        }
        let mut flags = delete_flags::NONBLOCK;
        if self.opts.force {
            flags |= delete_flags::TRUNC;
        }
        let wait = self.opts.wait_msec;
        let start = std::time::Instant::now();
        let mut interval: u64 = 0;
        let mut err;
        loop {
            err = match self.kernel.delete_module(&name, flags) {
                Ok(()) => 0,
                Err(e) => {
                    let errno = errno_of(&e);
                    if wait == 0 {
                        self.log.libkmod_err(
                            856,
                            "kmod_module_remove_module",
                            format!("could not remove '{name}': {}", strerror(errno)),
                        );
                    }
                    -errno
                }
            };
            if err == -libc::EEXIST {
                if !self.opts.first_time {
                    err = 0;
                } else {
                    self.log.log(
                        self.log_priority(),
                        &format!("Module {name} is not in kernel."),
                    )?;
                }
                break;
            } else if err == -libc::EAGAIN && wait > 0 {
                // kmod's backoff: doubling sleeps that never pass the deadline; when it is reached
                // the loop ends with the last sleep's result, as in kmod 30.
                let elapsed = start.elapsed().as_millis() as u64;
                interval = if interval == 0 { 1 } else { interval << 1 };
                while interval > 0 && elapsed + interval > wait {
                    interval >>= 1;
                }
                if interval == 0 && wait > elapsed {
                    interval = wait - elapsed;
                }
                std::thread::sleep(std::time::Duration::from_millis(interval));
                err = 0;
                if interval == 0 {
                    break;
                }
            } else {
                break;
            }
        }
        if err < 0 && wait > 0 {
            self.log
                .error(&format!("could not remove '{name}': {}", strerror(-err)));
        }
        Ok(err)
    }

    // ---- queries -------------------------------------------------------------------------

    fn show_config(&mut self) -> Result<i32, Fatal> {
        let mut buf: Vec<u8> = Vec::new();
        let pair = |buf: &mut Vec<u8>, kind: &str, key: &[u8], value: &[u8]| {
            buf.extend_from_slice(kind.as_bytes());
            buf.push(b' ');
            buf.extend_from_slice(key);
            buf.push(b' ');
            buf.extend_from_slice(value);
            buf.push(b'\n');
        };
        let c = &self.config;
        for b in &c.blacklists {
            buf.extend_from_slice(b"blacklist ");
            buf.extend_from_slice(b);
            buf.push(b'\n');
        }
        for (k, v) in &c.install {
            pair(&mut buf, "install", k, v);
        }
        for (k, v) in &c.remove {
            pair(&mut buf, "remove", k, v);
        }
        for (k, v) in &c.aliases {
            pair(&mut buf, "alias", k, v);
        }
        for (k, v) in &c.options {
            pair(&mut buf, "options", k, v);
        }
        for d in &c.softdeps {
            pair(&mut buf, "softdep", &d.name, &d.display_value());
        }
        buf.extend_from_slice(b"\n# End of configuration files. Dumping indexes now:\n\n");
        if self.out.write_all(&buf).is_err() {
            return Ok(-libc::EIO);
        }
        for which in [AliasIndex::Aliases, AliasIndex::Symbols] {
            let Ok(Some(idx)) = self.dir.alias_index(which) else {
                continue;
            };
            let mut line = Vec::with_capacity(128);
            for item in idx.dump() {
                let Ok((key, value)) = item else { break };
                line.clear();
                line.extend_from_slice(b"alias ");
                line.extend_from_slice(&key);
                line.push(b' ');
                line.extend_from_slice(value.value);
                line.push(b'\n');
                if self.out.write_all(&line).is_err() {
                    return Ok(-libc::EIO);
                }
            }
        }
        Ok(0)
    }

    /// `--show-modversions FILE` (the `__versions` CRCs) or `--show-exports FILE` (exported symbols).
    fn show_symbols(&mut self, filename: &str, exports: bool) -> Result<i32, Fatal> {
        let abspath = make_absolute(filename);
        if std::fs::metadata(&abspath).is_err() || modname_from_path(filename).is_none() {
            self.log
                .log(level::CRIT, &format!("Module {filename} not found."))?;
            return Ok(-libc::ENOENT);
        }
        let what = if exports { "symbols" } else { "modversions" };
        let list: Result<Vec<(Vec<u8>, u64)>, i32> = if exports {
            let scanned = crate::depmod::scan::scan(&abspath);
            match scanned.symbols_errno {
                Some(e) => Err(e),
                None => Ok(scanned.exports),
            }
        } else {
            modversions(&abspath)
        };
        match list {
            Ok(list) => {
                for (sym, crc) in list {
                    let _ = write!(self.out, "0x{crc:08x}\t");
                    let _ = self.out.write_all(&sym);
                    let _ = self.out.write_all(b"\n");
                }
                Ok(0)
            }
            Err(errno) => {
                self.log.log(
                    level::CRIT,
                    &format!("could not get {what} of {filename}: {}", strerror(errno)),
                )?;
                Ok(-errno)
            }
        }
    }
}

/// The `__versions` entries of a module file, or an errno.
fn modversions(path: &Path) -> Result<Vec<(Vec<u8>, u64)>, i32> {
    let image = ModuleImage::open(path).map_err(|e| match e {
        FileError::Io { source, .. } => errno_of(&source),
        _ => libc::ENOEXEC,
    })?;
    let module = lkm_modfile::Module::parse(&image).map_err(|_| libc::ENOEXEC)?;
    let versions = module.versions().map_err(|_| libc::EINVAL)?;
    Ok(versions
        .into_iter()
        .map(|v| (v.name.to_vec(), v.crc))
        .collect())
}

/// libkmod's `module_options_concat`: config options, a blank, command-line options.
fn options_concat(opt: Option<&[u8]>, xopt: Option<&str>) -> Vec<u8> {
    let mut r = Vec::new();
    if let Some(o) = opt {
        r.extend_from_slice(o);
        r.push(b' ');
    }
    if let Some(x) = xopt {
        r.extend_from_slice(x.as_bytes());
    }
    r
}

/// Every `$CMDLINE_OPTS` in `cmd` replaced by `options`.
fn replace_cmdline_opts(cmd: &[u8], options: &[u8]) -> Vec<u8> {
    const VAR: &[u8] = b"$CMDLINE_OPTS";
    let mut out = Vec::with_capacity(cmd.len());
    let mut i = 0;
    while i < cmd.len() {
        if cmd[i..].starts_with(VAR) {
            out.extend_from_slice(options);
            i += VAR.len();
        } else {
            out.push(cmd[i]);
            i += 1;
        }
    }
    out
}

/// Inserts one module file as libkmod does (see [`crate::insmod`] for the load path): `finit_module`
/// for a file the kernel can read itself, else the decompressed image through `init_module` (with
/// `__versions` and `vermagic` stripped when forcing). `Err(errno)`.
fn insert_file(
    kernel: &dyn Kernel,
    path: &Path,
    params: &str,
    flags: ProbeFlags,
) -> Result<(), i32> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| errno_of(&e))?;
    let mut magic = [0u8; 6];
    let n = file.read(&mut magic).map_err(|e| errno_of(&e))?;
    drop(file);
    let compression = Compression::detect(&magic[..n]);
    if compression == Compression::None || compression == kernel_compression(kernel) {
        let mut kflags = 0;
        if compression != Compression::None {
            kflags |= init_flags::COMPRESSED_FILE;
        }
        if flags.force_vermagic {
            kflags |= init_flags::IGNORE_VERMAGIC;
        }
        if flags.force_modversion {
            kflags |= init_flags::IGNORE_MODVERSIONS;
        }
        let file = std::fs::File::open(path).map_err(|e| errno_of(&e))?;
        match kernel.finit_module(&file, params, kflags) {
            Err(e) if errno_of(&e) == libc::ENOSYS => {}
            other => return other.map_err(|e| errno_of(&e)),
        }
    }
    let image = ModuleImage::open(path).map_err(|e| match e {
        FileError::Io { source, .. } => errno_of(&source),
        _ => libc::ENOEXEC,
    })?;
    let result = if flags.force_vermagic || flags.force_modversion {
        // lkm strips both for either flag on this (rare) path: the kernel checks neither then.
        let mut copy = image.to_vec();
        strip_for_force(&mut copy)?;
        kernel.init_module(&copy, params)
    } else {
        kernel.init_module(&image, params)
    };
    result.map_err(|e| errno_of(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_options_are_quoted_like_kmod() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(options_from_args(&[]), None);
        assert_eq!(
            options_from_args(&a(&["a=1", "b=x y", "c='p q'", "d"])).unwrap(),
            "a=1 b=\"x y\" c='p q' d"
        );
    }

    #[test]
    fn options_concat_spacing() {
        assert_eq!(options_concat(None, None), b"");
        assert_eq!(options_concat(Some(b"a=1"), None), b"a=1 ");
        assert_eq!(options_concat(None, Some("b=2")), b"b=2");
        assert_eq!(options_concat(Some(b"a=1"), Some("b=2")), b"a=1 b=2");
    }

    #[test]
    fn cmdline_opts_are_substituted() {
        assert_eq!(
            replace_cmdline_opts(b"echo $CMDLINE_OPTS;x $CMDLINE_OPTS", b"a=1"),
            b"echo a=1;x a=1"
        );
    }
}
