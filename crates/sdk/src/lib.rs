//! The module SDK that `make -C $(lkm sdk) M=$PWD modules` builds against: C headers presenting
//! Linux 6.12, a Kbuild-compatible makefile and the module linker script (the repository's `sdk/`,
//! embedded at build time), plus two generated files:
//! - `Module.symvers`: the sandbox kernel's export table, which modpost checks modules against;
//! - `lkm.mk`: `LKM := <path of this lkm binary>`, which the makefile runs as modpost.
//!
//! [`install`] writes the tree once per distinct content into a cache directory and returns it.

pub mod kbuild;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));

/// Where SDK trees are installed: `$LKM_SDK_CACHE`, else `$XDG_CACHE_HOME/lkm`, else
/// `$HOME/.cache/lkm`, else `/tmp/lkm-sdk-$UID`.
pub fn cache_root() -> PathBuf {
    let var = |n: &str| {
        std::env::var_os(n)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = var("LKM_SDK_CACHE") {
        return p;
    }
    if let Some(p) = var("XDG_CACHE_HOME") {
        return p.join("lkm");
    }
    if let Some(p) = var("HOME") {
        return p.join(".cache/lkm");
    }
    std::env::temp_dir().join(format!("lkm-sdk-{}", std::process::id()))
}

/// Installs the SDK with the given kernel `symvers` text and `lkm` binary path (if not installed
/// already) and returns its directory.
pub fn install(symvers: &str, lkm_exe: &Path) -> io::Result<PathBuf> {
    let lkm_mk = format!(
        "# Written by 'lkm sdk': the lkm binary this SDK runs as modpost.\nLKM := {}\n",
        lkm_exe.display()
    );
    let mut h = DefaultHasher::new();
    for (path, data) in FILES {
        path.hash(&mut h);
        data.hash(&mut h);
    }
    symvers.hash(&mut h);
    lkm_mk.hash(&mut h);
    let dir = cache_root().join(format!(
        "sdk-{}-{:016x}",
        env!("CARGO_PKG_VERSION"),
        h.finish()
    ));
    if dir.join(".complete").exists() {
        return Ok(dir);
    }
    // Write into a private directory, then rename: concurrent installs never see a partial tree.
    let parent = dir.parent().expect("cache dir has a parent");
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(".tmp-{}-{}", std::process::id(), h.finish()));
    let _ = std::fs::remove_dir_all(&tmp);
    for (path, data) in FILES {
        let p = tmp.join(path);
        std::fs::create_dir_all(p.parent().expect("file has a parent"))?;
        std::fs::write(&p, data)?;
    }
    std::fs::write(tmp.join("Module.symvers"), symvers)?;
    std::fs::write(tmp.join("lkm.mk"), lkm_mk)?;
    std::fs::write(tmp.join(".complete"), "")?;
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        Err(_) if dir.join(".complete").exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => Err(e),
    }
}
