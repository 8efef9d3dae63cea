//! The work of one `modprobe -d ROOT -S REL --show-depends NAME` without the process around it:
//! `modprobe::run` called N times in one process (each call opens and maps the index files and
//! reads the configuration again, as a new process would). Used by `scripts/bench-modprobe.sh`.
//!
//! Usage: `modprobe_cost ROOT REL NAME [N]` — prints the mean and the fastest call in microseconds.

use std::time::Instant;

use lkm_kernel_api::HostKernel;
use lkm_kmod::modprobe::{self, ModprobeOptions};
use lkm_kmod::Reporter;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: modprobe_cost ROOT REL NAME [N]");
        std::process::exit(2);
    }
    let n: u32 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let opts = ModprobeOptions {
        show_depends: true,
        dirname: Some(args[1].clone().into()),
        kversion: Some(args[2].clone()),
        ..Default::default()
    };
    let names = vec![args[3].clone()];
    let kernel = HostKernel::new();
    let rep = Reporter::new("modprobe");
    let mut out = Vec::with_capacity(64 * 1024);
    let mut err = Vec::new();
    let mut best = f64::MAX;
    let start = Instant::now();
    for _ in 0..n {
        out.clear();
        err.clear();
        let t = Instant::now();
        let code = modprobe::run(&opts, &names, &kernel, &mut out, &mut err, &rep);
        best = best.min(t.elapsed().as_secs_f64());
        if code != 0 {
            eprintln!("modprobe failed: {}", String::from_utf8_lossy(&err));
            std::process::exit(1);
        }
    }
    let mean = start.elapsed().as_secs_f64() / f64::from(n);
    println!(
        "{:.1} {:.1} {}",
        mean * 1e6,
        best * 1e6,
        String::from_utf8_lossy(&out).lines().count()
    );
}
