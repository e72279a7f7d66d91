//! Starting the oimdiag binary from a test, shared by `common` and
//! `report_support`.

use std::process::{Child, Command, Output};

/// Windows' ERROR_INTERNAL_ERROR. Wine's CreateProcess returns it now and then
/// when its server is busy (seen once in a CI run of the whole suite under
/// Wine, with every test binary spawning oimdiag at once); the same spawn
/// succeeds when tried again. It says nothing about oimdiag, which has not
/// started yet, so the harness retries it instead of failing the test.
const TRANSIENT_SPAWN_ERROR: i32 = 1359;

/// Starts `cmd`, trying again (up to five times, 200 ms apart) only when the
/// OS fails to create the process with [`TRANSIENT_SPAWN_ERROR`].
pub fn spawn(cmd: &mut Command) -> Child {
    retry_transient(|| cmd.spawn())
}

/// [`spawn`] for `Command::output`.
pub fn output(cmd: &mut Command) -> Output {
    retry_transient(|| cmd.output())
}

fn retry_transient<T>(mut start: impl FnMut() -> std::io::Result<T>) -> T {
    let mut tries = 0;
    loop {
        match start() {
            Ok(v) => return v,
            Err(e) if e.raw_os_error() == Some(TRANSIENT_SPAWN_ERROR) && tries < 5 => {
                tries += 1;
                eprintln!("spawning oimdiag failed ({e}); trying again ({tries}/5)");
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => panic!("oimdiag runs: {e:?}"),
        }
    }
}
