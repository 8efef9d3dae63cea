//! Load/unload cycles of one module, timed: the numbers behind `scripts/bench-sandbox.sh`.
//!
//! ```text
//! sandbox_bench inproc MODULE.ko [CYCLES]        boot the kernel in this process, then
//!                                                loader::load_module + delete_module per cycle
//! sandbox_bench client STATE MODULE.ko [CYCLES]  the same through the control socket of the
//!                                                kernel running for STATE (SandboxKernel)
//! ```
//!
//! Prints markdown table rows (`| measure | n | median | p99 | min | max |`, microseconds) on
//! stdout. Every cycle's outcome is checked; the first failure ends the run with status 1. The
//! module's console lines go to stderr in `inproc` mode (as the kernel process's go to its log) and
//! are dropped in `client` mode.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use lkm_kernel_api::Kernel;
use lkm_sandbox::{kernel, loader, SandboxKernel};

const WARMUP: usize = 20;

fn usage() -> ExitCode {
    eprintln!("usage: sandbox_bench inproc MODULE.ko [CYCLES] | client STATE MODULE.ko [CYCLES]");
    ExitCode::from(2)
}

/// Microseconds with one decimal.
fn us(d: Duration) -> String {
    format!("{:.1}", d.as_nanos() as f64 / 1000.0)
}

fn row(measure: &str, samples: &mut [Duration]) {
    if samples.is_empty() {
        return;
    }
    samples.sort();
    let n = samples.len();
    let pct = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    println!(
        "| {measure} | {n} | {} | {} | {} | {} |",
        us(pct(0.5)),
        us(pct(0.99)),
        us(samples[0]),
        us(samples[n - 1])
    );
}

fn header() {
    println!("| measure (µs) | n | median | p99 | min | max |");
    println!("|---|---|---|---|---|---|");
}

/// The module's name as the kernel will know it: `.modinfo`'s `name=`.
fn module_name(image: &[u8]) -> Result<String, String> {
    let m = lkm_modfile::Module::parse(image).map_err(|e| e.to_string())?;
    let info = m
        .modinfo()
        .map_err(|e| e.to_string())?
        .ok_or("no .modinfo section")?;
    info.into_iter()
        .find(|e| e.key == b"name")
        .map(|e| String::from_utf8_lossy(e.value).into_owned())
        .ok_or_else(|| "no name= in .modinfo".to_string())
}

#[derive(Default)]
struct Samples {
    load: Vec<Duration>,
    unload: Vec<Duration>,
    cycle: Vec<Duration>,
    in_kernel: Vec<Duration>,
    init: Vec<Duration>,
}

impl Samples {
    fn print(&mut self, how: &str) {
        row(&format!("{how}: load (init_module)"), &mut self.load);
        row(
            &format!("{how}: in-kernel load, receipt → init return"),
            &mut self.in_kernel,
        );
        row(&format!("{how}: in-kernel init alone"), &mut self.init);
        row(&format!("{how}: unload (delete_module)"), &mut self.unload);
        row(&format!("{how}: load + unload cycle"), &mut self.cycle);
    }
}

fn inproc(path: &Path, cycles: usize) -> Result<(), String> {
    // The arena must be reserved before anything else maps memory: boot first.
    let t = Instant::now();
    kernel::boot()?;
    let boot = t.elapsed();
    let image = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = module_name(&image)?;
    let mut s = Samples::default();
    for i in 0..WARMUP + cycles {
        let t0 = Instant::now();
        loader::load_module(&image, "", 0).map_err(|e| format!("cycle {i}: load: errno {e}"))?;
        let t1 = Instant::now();
        loader::delete_module(&name, 0).map_err(|e| format!("cycle {i}: unload: errno {e}"))?;
        let t2 = Instant::now();
        let timing = loader::last_load().ok_or("no load timing recorded")?;
        if timing.name != name {
            return Err(format!("last load is {}, not {name}", timing.name));
        }
        if i >= WARMUP {
            s.load.push(t1 - t0);
            s.unload.push(t2 - t1);
            s.cycle.push(t2 - t0);
            s.in_kernel.push(timing.total);
            s.init.push(timing.init);
        }
    }
    if !kernel::kernel().modules().is_empty() {
        return Err("modules left loaded after the run".into());
    }
    header();
    row("in-process: kernel::boot()", &mut [boot]);
    s.print("in-process");
    Ok(())
}

fn status_field(status: &str, key: &str) -> Option<String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ').map(str::to_string))
}

fn client(state: PathBuf, path: &Path, cycles: usize) -> Result<(), String> {
    let k = SandboxKernel::new(state).with_console(|_| {});
    if !k.running() {
        return Err(format!(
            "no sandbox kernel runs for {}",
            k.state().display()
        ));
    }
    let image = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = module_name(&image)?;
    let mut s = Samples::default();
    for i in 0..WARMUP + cycles {
        let t0 = Instant::now();
        k.init_module(&image, "")
            .map_err(|e| format!("cycle {i}: load: {e}"))?;
        let t1 = Instant::now();
        k.delete_module(&name, 0)
            .map_err(|e| format!("cycle {i}: unload: {e}"))?;
        let t2 = Instant::now();
        // Outside the timed part: the kernel's own measurement of the load.
        let status = k.status().map_err(|e| format!("status: {e}"))?;
        let last = status_field(&status, "last_load").ok_or("status has no last_load")?;
        let f: Vec<&str> = last.split(' ').collect();
        let (Some(n), Some(total), Some(init)) = (
            f.first(),
            f.get(1).and_then(|v| v.parse::<u64>().ok()),
            f.get(2).and_then(|v| v.parse::<u64>().ok()),
        ) else {
            return Err(format!("cannot parse last_load {last:?}"));
        };
        if *n != name {
            return Err(format!("last load is {n}, not {name}"));
        }
        if i >= WARMUP {
            s.load.push(t1 - t0);
            s.unload.push(t2 - t1);
            s.cycle.push(t2 - t0);
            s.in_kernel.push(Duration::from_micros(total));
            s.init.push(Duration::from_micros(init));
        }
    }
    header();
    s.print("client API");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cycles = |a: Option<&String>| a.map_or(Ok(1000), |c| c.parse::<usize>());
    let r = match args.first().map(String::as_str) {
        Some("inproc") if (2..=3).contains(&args.len()) => match cycles(args.get(2)) {
            Ok(n) => inproc(Path::new(&args[1]), n),
            Err(_) => return usage(),
        },
        Some("client") if (3..=4).contains(&args.len()) => match cycles(args.get(3)) {
            Ok(n) => client(PathBuf::from(&args[1]), Path::new(&args[2]), n),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sandbox_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
