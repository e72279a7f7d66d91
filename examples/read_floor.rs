//! The physical floor of a scan, for the benchmark (issue 8): every regular
//! file below DIR opened, read to its end once and closed, on as many threads
//! as the machine has cores, with nothing searched or parsed.
//!
//! ```text
//! cargo run --release --example read_floor -- DIR
//! ```
//!
//! Prints the files and bytes read. No tool that reads every file can scan a
//! tree faster than this, and how its time grows from one corpus to another
//! (4× the log bytes but 5× the files) is how any such tool's must grow at
//! the least: `bench/run.sh` times it beside oimdiag and rg.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Large reads: the logs are hundreds of MiB.
const BLOCK: usize = 256 << 10;

fn main() -> io::Result<()> {
    let dir = match std::env::args_os().nth(1) {
        Some(d) => PathBuf::from(d),
        None => {
            eprintln!("usage: read_floor DIR");
            std::process::exit(2);
        }
    };
    let mut folders = Vec::new();
    list(&dir, &mut folders)?;
    // The files of small folders first: the logs' folder holds a few big
    // files, a spooler thousands of small ones, so no big file is left to one
    // thread at the end (without asking every file its size).
    folders.sort_by_key(Vec::len);
    let files: Vec<PathBuf> = folders.into_iter().flatten().collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bytes: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut buf = vec![0u8; BLOCK];
                    let mut total = 0u64;
                    while let Some(path) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        total += read_all(path, &mut buf).unwrap_or(0);
                    }
                    total
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    println!("{} files, {bytes} bytes", files.len());
    Ok(())
}

/// The regular files below `dir`, a list for each folder; links not followed.
fn list(dir: &Path, out: &mut Vec<Vec<PathBuf>>) -> io::Result<()> {
    let mut here = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list(&entry.path(), out)?;
        } else if kind.is_file() {
            here.push(entry.path());
        }
    }
    out.push(here);
    Ok(())
}

fn read_all(path: &Path, buf: &mut [u8]) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut n = 0u64;
    loop {
        match f.read(buf)? {
            0 => return Ok(n),
            k => n += k as u64,
        }
    }
}
