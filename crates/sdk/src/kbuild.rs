//! `lkm build [DIR]`: builds a module directory as `make -C $(lkm sdk) M=DIR modules` does, without
//! make. It reads the directory's `Kbuild` file (else its `Makefile`) for the Kbuild variables an
//! out-of-tree module sets — `obj-m`, `<m>-objs`, `<m>-y`, `ccflags-y`, `EXTRA_CFLAGS`,
//! `CFLAGS_<file>.o`, `asflags-y` — taking the `KERNELRELEASE`-defined branch of conditionals, and
//! then runs the same steps with the same flags (`scripts/cflags`) as the SDK's makefile: compile,
//! link composites, modpost, compile `<m>.mod.c`, link `<m>.ko`, write `modules.order`.
//!
//! Anything beyond those variables (functions, other conditionals, targets of its own) needs make;
//! the error says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a module directory's makefile says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KbuildFile {
    pub vars: HashMap<String, String>,
}

impl KbuildFile {
    fn get(&self, name: &str) -> Vec<String> {
        self.vars
            .get(name)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

fn expand(value: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() && (b[i + 1] == b'(' || b[i + 1] == b'{') {
            let close = if b[i + 1] == b'(' { ')' } else { '}' };
            if let Some(end) = value[i + 2..].find(close) {
                let name = &value[i + 2..i + 2 + end];
                out.push_str(vars.get(name).map(String::as_str).unwrap_or(""));
                i += end + 3;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Parses the subset of make that out-of-tree module makefiles use to declare modules.
pub fn parse(text: &str) -> KbuildFile {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("KERNELRELEASE".into(), "6.12.0-lkm".into());
    // Conditional stack: whether each level's current branch is taken.
    let mut stack: Vec<bool> = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        if raw.starts_with('\t') {
            continue; // recipe lines
        }
        let line = raw.split('#').next().unwrap_or("");
        if let Some(cont) = line.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let l = std::mem::take(&mut logical);
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        let word = t.split_whitespace().next().unwrap_or("");
        let active = stack.iter().all(|&b| b);
        match word {
            "ifneq" | "ifeq" => {
                let args = t[word.len()..].trim();
                let taken = if args.contains("KERNELRELEASE") {
                    let kr_empty = false;
                    // ifneq ($(KERNELRELEASE),) is true when it is defined.
                    let compares_to_empty = args.replace(' ', "").contains(",)");
                    if word == "ifneq" {
                        compares_to_empty != kr_empty
                    } else {
                        compares_to_empty == kr_empty
                    }
                } else {
                    true
                };
                stack.push(taken);
            }
            "ifdef" | "ifndef" => {
                let name = t[word.len()..].trim();
                let defined = vars.get(name).is_some_and(|v| !v.is_empty());
                stack.push(if word == "ifdef" { defined } else { !defined });
            }
            "else" => {
                if let Some(top) = stack.last_mut() {
                    *top = !*top;
                }
            }
            "endif" => {
                stack.pop();
            }
            _ if active => {
                for op in [":=", "+=", "?=", "::=", "="] {
                    if let Some(pos) = t.find(op) {
                        let name = t[..pos].trim();
                        if name.is_empty() || name.contains(' ') || name.contains(':') {
                            break;
                        }
                        let name = expand(name, &vars);
                        let value = expand(t[pos + op.len()..].trim(), &vars);
                        match op {
                            "+=" => {
                                let e = vars.entry(name).or_default();
                                if !e.is_empty() {
                                    e.push(' ');
                                }
                                e.push_str(&value);
                            }
                            "?=" => {
                                vars.entry(name).or_insert(value);
                            }
                            _ => {
                                vars.insert(name, value);
                            }
                        }
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    KbuildFile { vars }
}

/// Options of one `lkm build`.
pub struct BuildOptions<'a> {
    pub sdk: &'a Path,
    pub dir: &'a Path,
    pub extra_symbols: Vec<PathBuf>,
    pub modpost_warn: bool,
    pub verbose: bool,
}

fn run(cmd: &mut Command, quiet: &str, verbose: bool) -> Result<(), String> {
    if verbose {
        eprintln!("{cmd:?}");
    } else {
        println!("  {quiet}");
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if !status.success() {
        return Err(format!("{quiet}: failed ({status})"));
    }
    Ok(())
}

/// Builds every module the directory declares. Errors name the step that failed.
pub fn build(o: &BuildOptions<'_>) -> Result<(), String> {
    let dir = o
        .dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", o.dir.display()))?;
    let kfile = [dir.join("Kbuild"), dir.join("Makefile")]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{} has neither a Kbuild file nor a Makefile", dir.display()))?;
    let text = std::fs::read_to_string(&kfile).map_err(|e| format!("{}: {e}", kfile.display()))?;
    let kb = parse(&text);
    let obj_m = kb.get("obj-m");
    if obj_m.is_empty() {
        return Err(format!(
            "obj-m is empty in {}: nothing to build (lkm build understands obj-m, <m>-objs, <m>-y, \
             ccflags-y, EXTRA_CFLAGS, CFLAGS_<file>.o; for anything else use: make -C $(lkm sdk) M=$PWD modules)",
            kfile.display()
        ));
    }
    let sdk = o.sdk;
    let cflags_text = std::fs::read_to_string(sdk.join("scripts/cflags")).map_err(|e| {
        format!(
            "{}: {e} (run 'lkm sdk' to reinstall the SDK)",
            sdk.join("scripts/cflags").display()
        )
    })?;
    let gcc_include = Command::new("gcc")
        .arg("-print-file-name=include")
        .output()
        .map_err(|e| format!("cannot run gcc: {e} (install build-essential)"))?;
    let gcc_include = String::from_utf8_lossy(&gcc_include.stdout)
        .trim()
        .to_string();
    let inc = |p: &str| format!("-I{}", sdk.join(p).display());
    let base: Vec<String> = [
        "-nostdinc".to_string(),
        "-isystem".into(),
        gcc_include,
        inc("include"),
        inc("arch/x86/include"),
        inc("arch/x86/include/uapi"),
        inc("include/uapi"),
        "-include".into(),
        sdk.join("include/linux/kconfig.h").display().to_string(),
        "-include".into(),
        sdk.join("include/linux/compiler_types.h")
            .display()
            .to_string(),
        "-D__KERNEL__".into(),
    ]
    .into_iter()
    .chain(cflags_text.split_whitespace().map(str::to_string))
    .collect();
    let mut ccflags = kb.get("ccflags-y");
    ccflags.extend(kb.get("EXTRA_CFLAGS"));

    let mut module_objs = Vec::new();
    for m_o in &obj_m {
        let Some(m) = m_o.strip_suffix(".o") else {
            return Err(format!("obj-m must list .o files (found {m_o})"));
        };
        let modname = m.replace('-', "_");
        let mut parts = kb.get(&format!("{m}-objs"));
        parts.extend(kb.get(&format!("{m}-y")));
        let composite = !parts.is_empty();
        if !composite {
            parts.push(m_o.clone());
        }
        for part in &parts {
            let stem = part
                .strip_suffix(".o")
                .ok_or_else(|| format!("part {part} of module {m} is not a .o file"))?;
            let basename = Path::new(stem)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .replace('-', "_");
            let out = dir.join(part);
            let (src, quiet) = if dir.join(format!("{stem}.c")).exists() {
                (dir.join(format!("{stem}.c")), "CC [M] ")
            } else if dir.join(format!("{stem}.S")).exists() {
                (dir.join(format!("{stem}.S")), "AS [M] ")
            } else {
                return Err(format!(
                    "no source for {}: neither {stem}.c nor {stem}.S",
                    out.display()
                ));
            };
            let mut cmd = Command::new("gcc");
            cmd.args(&base);
            if quiet.starts_with("AS") {
                cmd.args(["-D__ASSEMBLY__", "-Wa,--noexecstack"]);
                cmd.args(kb.get("asflags-y"));
            } else {
                cmd.args(&ccflags);
                cmd.args(kb.get(&format!("CFLAGS_{part}")));
            }
            cmd.arg("-DMODULE")
                .arg(format!("-DKBUILD_BASENAME=\"{basename}\""))
                .arg(format!("-DKBUILD_MODNAME=\"{modname}\""))
                .arg(format!("-D__KBUILD_MODNAME=kmod_{modname}"))
                .arg("-c")
                .arg("-o")
                .arg(&out)
                .arg(&src);
            run(&mut cmd, &format!("{quiet} {}", out.display()), o.verbose)?;
        }
        let mod_o = dir.join(format!("{m}.o"));
        if composite {
            let mut cmd = Command::new("ld");
            cmd.args(["-m", "elf_x86_64", "-r", "-o"]).arg(&mod_o);
            cmd.args(parts.iter().map(|p| dir.join(p)));
            run(&mut cmd, &format!("LD [M]  {}", mod_o.display()), o.verbose)?;
        }
        let list: String = parts
            .iter()
            .map(|p| format!("{}\n", dir.join(p).display()))
            .collect();
        std::fs::write(dir.join(format!("{m}.mod")), list).map_err(|e| e.to_string())?;
        module_objs.push((m.to_string(), modname, mod_o));
    }
    let order: String = module_objs
        .iter()
        .map(|(_, _, o)| format!("{}\n", o.display()))
        .collect();
    std::fs::write(dir.join("modules.order"), order).map_err(|e| e.to_string())?;

    let symvers_out = dir.join("Module.symvers");
    println!("  MODPOST {}", symvers_out.display());
    let mut mp = lkm_modpost::Options {
        symvers_in: vec![sdk.join("Module.symvers")],
        symvers_out: Some(symvers_out),
        warn_unresolved: o.modpost_warn,
        objects: module_objs.iter().map(|(_, _, o)| o.clone()).collect(),
    };
    mp.symvers_in.extend(o.extra_symbols.iter().cloned());
    if lkm_modpost::run(&mp, &mut std::io::stderr()) != 0 {
        return Err("modpost failed".into());
    }

    for (m, modname, mod_o) in &module_objs {
        let mod_c = dir.join(format!("{m}.mod.c"));
        let mod_mo = dir.join(format!("{m}.mod.o"));
        let mut cmd = Command::new("gcc");
        cmd.args(&base)
            .arg("-DMODULE")
            .arg(format!("-DKBUILD_BASENAME=\"{m}.mod\""))
            .arg(format!("-DKBUILD_MODNAME=\"{modname}\""))
            .arg(format!("-D__KBUILD_MODNAME=kmod_{modname}"))
            .arg("-c")
            .arg("-o")
            .arg(&mod_mo)
            .arg(&mod_c);
        run(
            &mut cmd,
            &format!("CC [M]  {}", mod_mo.display()),
            o.verbose,
        )?;
        let ko = dir.join(format!("{m}.ko"));
        let mut cmd = Command::new("ld");
        cmd.args(["-r", "-m", "elf_x86_64", "--build-id=sha1", "-T"])
            .arg(sdk.join("scripts/module.lds"))
            .arg("-o")
            .arg(&ko)
            .arg(mod_o)
            .arg(&mod_mo);
        run(&mut cmd, &format!("LD [M]  {}", ko.display()), o.verbose)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_makefile() {
        let kb = parse(
            "ifneq ($(KERNELRELEASE),)\nobj-m := hello.o\nelse\nKDIR := /path/to/kernel/sources\nall:\n\t$(MAKE) -C $(KDIR) M=`pwd` modules\nendif\n",
        );
        assert_eq!(kb.get("obj-m"), vec!["hello.o"]);
        assert!(!kb.vars.contains_key("KDIR"));
    }

    #[test]
    fn multi_file_modules_and_flags() {
        let kb = parse("obj-m += foo.o bar.o\nfoo-objs := a.o \\\n  b.o\nbar-y += c.o\nccflags-y := -DX=1 # note\nccflags-y += -I$(src)\n");
        assert_eq!(kb.get("obj-m"), vec!["foo.o", "bar.o"]);
        assert_eq!(kb.get("foo-objs"), vec!["a.o", "b.o"]);
        assert_eq!(kb.get("bar-y"), vec!["c.o"]);
        assert_eq!(kb.get("ccflags-y"), vec!["-DX=1", "-I"]);
    }

    #[test]
    fn variables_expand() {
        let kb = parse("NAME := m\nobj-m := $(NAME).o\n$(NAME)-y := x.o\n");
        assert_eq!(kb.get("obj-m"), vec!["m.o"]);
        assert_eq!(kb.get("m-y"), vec!["x.o"]);
    }
}
