//! `lkm modpost`: the SDK's makefile runs it after compiling the modules' objects (as Kbuild runs
//! `scripts/mod/modpost`). Usage: `lkm modpost [-w] [-i SYMVERS]... [-o SYMVERS] MODULE.o...`.

use std::ffi::OsString;
use std::path::PathBuf;

pub fn run(args: &[OsString]) -> i32 {
    let mut opts = lkm_modpost::Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("-w") => opts.warn_unresolved = true,
            Some(flag @ ("-i" | "-o")) => {
                let Some(value) = it.next() else {
                    eprintln!("modpost: option '{flag}' needs a file name");
                    return 1;
                };
                if flag == "-i" {
                    opts.symvers_in.push(PathBuf::from(value));
                } else {
                    opts.symvers_out = Some(PathBuf::from(value));
                }
            }
            Some("-h" | "--help") => {
                println!("usage: lkm modpost [-w] [-i SYMVERS]... [-o SYMVERS] MODULE.o...");
                println!("  -w          unresolved symbols are warnings, not errors (KBUILD_MODPOST_WARN)");
                println!("  -i SYMVERS  read exported symbols from a Module.symvers (repeatable)");
                println!("  -o SYMVERS  write the modules' exports to this Module.symvers");
                println!("Writes <m>.mod.c beside each <m>.o.");
                return 0;
            }
            Some(s) if s.starts_with('-') => {
                eprintln!("modpost: unknown option '{s}' (see 'lkm modpost --help')");
                return 1;
            }
            _ => opts.objects.push(PathBuf::from(arg)),
        }
    }
    if opts.objects.is_empty() {
        eprintln!("modpost: no module objects given (see 'lkm modpost --help')");
        return 1;
    }
    lkm_modpost::run(&opts, &mut std::io::stderr())
}
