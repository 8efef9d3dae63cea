//! The module directory (`/lib/modules/<release>`) and kmod's name/alias resolution over its indexes,
//! as libkmod's context does it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lkm_modindex::normalize::{alias_normalize, modname_normalize};
use lkm_modindex::trie::{Index, IndexError};

/// A module found by a lookup: its name, and either its file or the fact that it is built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundModule {
    pub name: String,
    /// Absolute path from `modules.dep`; `None` for built-in modules (or an alias whose module has no
    /// `modules.dep` entry, which kmod also treats as built-in for display).
    pub path: Option<PathBuf>,
    /// Found through `modules.builtin*`.
    pub builtin: bool,
}

/// Why a lookup could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// The name is not a valid alias (an unmatched `]` or unterminated `[`).
    InvalidAlias,
    /// An index file exists but is corrupt.
    Index(String),
}

type IndexCell = OnceLock<Option<Index>>;

/// The indexes whose keys are patterns (`modules.symbols.bin` keys are `symbol:NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasIndex {
    /// `modules.symbols.bin`.
    Symbols,
    /// `modules.alias.bin`.
    Aliases,
    /// `modules.builtin.alias.bin`.
    BuiltinAliases,
}

/// `/lib/modules/<release>` (or a `-b`/`-k` variant) with its index files opened on first use.
pub struct ModuleDir {
    dir: PathBuf,
    dep: IndexCell,
    alias: IndexCell,
    symbols: IndexCell,
    builtin: IndexCell,
    builtin_alias: IndexCell,
}

/// `cwd + "/" + path` for relative paths, as kmod's `path_make_absolute_cwd` (no normalisation; the
/// cwd comes from `$PWD` when it names the current directory, as `get_current_dir_name` does).
pub fn make_absolute(path: &str) -> PathBuf {
    if path.starts_with('/') {
        return PathBuf::from(path);
    }
    let cwd = current_dir_name();
    let mut s = cwd.into_os_string();
    s.push("/");
    s.push(path);
    PathBuf::from(s)
}

fn current_dir_name() -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    if let Some(pwd) = std::env::var_os("PWD") {
        let pwd = PathBuf::from(pwd);
        if pwd.is_absolute() {
            if let (Ok(a), Ok(b)) = (std::fs::metadata(&pwd), std::fs::metadata(".")) {
                if a.dev() == b.dev() && a.ino() == b.ino() {
                    return pwd;
                }
            }
        }
    }
    std::env::current_dir().unwrap_or_default()
}

/// The running kernel's release (`uname -r`).
pub fn kernel_release() -> String {
    // SAFETY: `uname` fills the zeroed struct we own; the fields are NUL-terminated C strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    let release: Vec<u8> = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&release).into_owned()
}

impl ModuleDir {
    /// The directory kmod uses: `<root>/lib/modules/<release>`; the running kernel's release when
    /// `release` is `None`; `/lib/modules/<uname -r>` when both are `None`.
    pub fn new(root: Option<&Path>, release: Option<&str>) -> Self {
        let release = release.map(str::to_owned).unwrap_or_else(kernel_release);
        let root = root
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_default();
        // kmod: snprintf("%s/lib/modules/%s"), then made absolute against the cwd, not normalised.
        Self::at(make_absolute(&format!("{root}/lib/modules/{release}")))
    }

    /// A module directory at an explicit path.
    pub fn at(dir: PathBuf) -> Self {
        ModuleDir {
            dir,
            dep: OnceLock::new(),
            alias: OnceLock::new(),
            symbols: OnceLock::new(),
            builtin: OnceLock::new(),
            builtin_alias: OnceLock::new(),
        }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn index<'a>(&self, cell: &'a IndexCell, file: &str) -> Result<Option<&'a Index>, LookupError> {
        if let Some(idx) = cell.get() {
            return Ok(idx.as_ref());
        }
        let path = self.dir.join(file);
        let idx = match Index::open(&path) {
            Ok(idx) => Some(idx),
            // A missing index means "this source has nothing", as kmod treats it.
            Err(IndexError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                None
            }
            Err(e) => return Err(LookupError::Index(format!("{}: {e}", path.display()))),
        };
        Ok(cell.get_or_init(|| idx).as_ref())
    }

    /// The `modules.dep` line of module `name`, if any.
    pub fn dep_line(&self, name: &str) -> Result<Option<String>, LookupError> {
        let Some(idx) = self.index(&self.dep, "modules.dep.bin")? else {
            return Ok(None);
        };
        let v = idx
            .lookup(name.as_bytes())
            .map_err(|e| LookupError::Index(e.to_string()))?;
        Ok(v.map(|v| String::from_utf8_lossy(v).into_owned()))
    }

    /// The module file named by a `modules.dep` line (relative paths are relative to this directory).
    pub fn path_from_dep_line(&self, line: &str) -> Option<PathBuf> {
        let path = line.split(':').next()?;
        if path.is_empty() {
            return None;
        }
        if path.starts_with('/') {
            return Some(PathBuf::from(path));
        }
        // kmod joins with a plain "/", keeping whatever the directory string looks like.
        let mut s = self.dir.clone().into_os_string();
        s.push("/");
        s.push(path);
        Some(PathBuf::from(s))
    }

    fn module_by_name(&self, name: &str) -> Result<FoundModule, LookupError> {
        let path = self
            .dep_line(name)?
            .and_then(|l| self.path_from_dep_line(&l));
        Ok(FoundModule {
            name: name.to_owned(),
            path,
            builtin: false,
        })
    }

    /// One of the wildcard (alias) indexes, opened on first use; `None` when its file is missing.
    pub fn alias_index(&self, which: AliasIndex) -> Result<Option<&Index>, LookupError> {
        match which {
            AliasIndex::Symbols => self.index(&self.symbols, "modules.symbols.bin"),
            AliasIndex::Aliases => self.index(&self.alias, "modules.alias.bin"),
            AliasIndex::BuiltinAliases => {
                self.index(&self.builtin_alias, "modules.builtin.alias.bin")
            }
        }
    }

    /// The module names a wildcard lookup of `key` finds in one alias index, in kmod's order.
    pub fn lookup_wild_names(
        &self,
        which: AliasIndex,
        key: &str,
    ) -> Result<Vec<String>, LookupError> {
        let Some(idx) = self.alias_index(which)? else {
            return Ok(Vec::new());
        };
        let values = idx
            .lookup_wild(key.as_bytes())
            .map_err(|e| LookupError::Index(e.to_string()))?;
        Ok(values
            .into_iter()
            .map(|v| String::from_utf8_lossy(v.value).into_owned())
            .collect())
    }

    fn wild(&self, which: AliasIndex, key: &str) -> Result<Vec<FoundModule>, LookupError> {
        let builtin = matches!(which, AliasIndex::BuiltinAliases);
        self.lookup_wild_names(which, key)?
            .into_iter()
            .map(|name| {
                if builtin {
                    Ok(FoundModule {
                        name,
                        path: None,
                        builtin: true,
                    })
                } else {
                    self.module_by_name(&name)
                }
            })
            .collect()
    }

    /// Whether `name` (already normalised) is in `modules.builtin.bin`, as kmod's
    /// `kmod_lookup_alias_is_builtin`; false when the index is missing.
    pub fn is_builtin(&self, name: &str) -> Result<bool, LookupError> {
        let Some(idx) = self.index(&self.builtin, "modules.builtin.bin")? else {
            return Ok(false);
        };
        Ok(idx
            .lookup(name.as_bytes())
            .map_err(|e| LookupError::Index(e.to_string()))?
            .is_some())
    }

    fn find_in_dep(&self, name: &str) -> Result<Option<FoundModule>, LookupError> {
        // Module names never contain ':'.
        if name.contains(':') {
            return Ok(None);
        }
        Ok(self.dep_line(name)?.map(|line| FoundModule {
            name: name.to_owned(),
            path: self.path_from_dep_line(&line),
            builtin: false,
        }))
    }

    fn find_builtin(&self, name: &str) -> Result<Option<FoundModule>, LookupError> {
        Ok(self.is_builtin(name)?.then(|| FoundModule {
            name: name.to_owned(),
            path: None,
            builtin: true,
        }))
    }

    /// kmod's full lookup (`kmod_module_new_from_lookup` without configuration): module names in
    /// `modules.dep.bin`, then `symbol:` aliases, then `modules.alias.bin` (wildcards), then
    /// `modules.builtin.bin`, then `modules.builtin.alias.bin`. The first source with a match wins.
    pub fn lookup(&self, given: &str) -> Result<Vec<FoundModule>, LookupError> {
        let normalized =
            alias_normalize(given.as_bytes()).map_err(|_| LookupError::InvalidAlias)?;
        let name = String::from_utf8_lossy(&normalized).into_owned();
        if let Some(m) = self.find_in_dep(&name)? {
            return Ok(vec![m]);
        }
        if name.starts_with("symbol:") {
            let found = self.wild(AliasIndex::Symbols, &name)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        let found = self.wild(AliasIndex::Aliases, &name)?;
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(m) = self.find_builtin(&name)? {
            return Ok(vec![m]);
        }
        self.wild(AliasIndex::BuiltinAliases, &name)
    }

    /// kmod's lookup by module name only (`kmod_module_new_from_name_lookup`): `modules.dep.bin`, then
    /// `modules.builtin.bin`, then `modules.builtin.alias.bin`; at most one module.
    pub fn lookup_name(&self, given: &str) -> Result<Option<FoundModule>, LookupError> {
        let name = String::from_utf8_lossy(&modname_normalize(given.as_bytes())).into_owned();
        if let Some(m) = self.find_in_dep(&name)? {
            return Ok(Some(m));
        }
        if let Some(m) = self.find_builtin(&name)? {
            return Ok(Some(m));
        }
        Ok(self
            .wild(AliasIndex::BuiltinAliases, &name)?
            .into_iter()
            .next())
    }
}
