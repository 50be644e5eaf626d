//! What the signaling and audio workloads need from the operating system: enough file
//! descriptors for thousands of sockets, the server's memory and CPU time, read from
//! `/proc/<pid>` (Linux) when the server runs on the same machine, and the machine's load.

use std::path::PathBuf;

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Raises this process's soft limit on open files to its hard limit; answers the new soft limit.
/// Fails when even the hard limit is below `needed` (raise it with `ulimit -Hn` or `prlimit`).
pub fn raise_nofile(needed: u64) -> Result<u64, String> {
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current.unwrap_or(u64::MAX);
    if soft >= needed {
        return Ok(soft);
    }
    let target = limit.maximum.unwrap_or(needed.max(65_536));
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        },
    )
    .map_err(|e| format!("cannot raise the open-file limit to {target}: {e}"))?;
    if target < needed {
        return Err(format!(
            "{needed} open files needed, but the hard limit is {target} (raise it: \
             `prlimit --nofile={needed}:{needed} --pid $$` as root, or /etc/security/limits.conf)"
        ));
    }
    Ok(target)
}

/// Grows this process's file-descriptor table to hold `fds` descriptors now, before anything
/// is measured. Linux grows the table as descriptor numbers cross powers of two, and in a
/// multi-threaded process each growth waits for an RCU grace period (`expand_fdtable`), which
/// blocks the thread that opens the socket for 10-20 ms; the table never shrinks, so growing it
/// once here keeps that stall out of the generator's measurements.
pub fn grow_fd_table(fds: u64) -> Result<(), String> {
    let anchor = std::fs::File::open("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
    let highest = i32::try_from(fds.saturating_sub(1)).unwrap_or(i32::MAX);
    rustix::io::fcntl_dupfd_cloexec(&anchor, highest)
        .map(drop)
        .map_err(|e| format!("cannot grow the descriptor table to {fds}: {e}"))
}

/// The server's memory and CPU time, from `/proc/<pid>`.
#[derive(Debug, Clone, Copy)]
pub struct Proc {
    pub pid: u32,
}

/// Memory of a process, KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the highest RSS so far.
    pub hwm_kib: u64,
}

impl Proc {
    fn path(&self, file: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{file}", self.pid))
    }

    /// `VmRSS` and `VmHWM` of `/proc/<pid>/status`.
    pub fn memory(&self) -> Result<Memory, String> {
        let path = self.path("status");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        parse_memory(&text).ok_or_else(|| format!("no VmRSS/VmHWM in {}", path.display()))
    }

    /// User plus system CPU time, seconds, all threads (`/proc/<pid>/stat` fields 14 and 15).
    pub fn cpu_seconds(&self) -> Result<f64, String> {
        let path = self.path("stat");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let ticks = parse_cpu_ticks(&text).ok_or_else(|| format!("bad {}", path.display()))?;
        Ok(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
    }
}

impl Proc {
    /// Time the process's threads have spent runnable but waiting for a CPU, seconds: the sum
    /// of the second field of `/proc/<pid>/task/*/schedstat` over the threads alive now. On a
    /// machine shared with other work this is the delay the scheduler added to everything the
    /// process did.
    pub fn run_queue_wait_seconds(&self) -> Result<f64, String> {
        let dir = self.path("task");
        let tasks =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut ns = 0u64;
        for task in tasks.flatten() {
            let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
                // The thread has just exited.
                continue;
            };
            ns += text
                .split_whitespace()
                .nth(1)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
        Ok(ns as f64 / 1e9)
    }
}

/// The machine's load average over 1, 5 and 15 minutes (`/proc/loadavg`); zeros when it cannot
/// be read (not Linux).
pub fn load_average() -> [f64; 3] {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| parse_load_average(&text))
        .unwrap_or_default()
}

fn parse_load_average(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

fn parse_memory(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// utime + stime: the 14th and 15th fields, counted after the command's closing parenthesis
/// (the command may contain spaces).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ")" the fields start at the 3rd (state), so the 14th is index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse() {
        let status = "Name:\tcarillon\nVmHWM:\t   43210 kB\nVmRSS:\t   40000 kB\nThreads:\t5\n";
        assert_eq!(
            parse_memory(status),
            Some(Memory {
                rss_kib: 40000,
                hwm_kib: 43210
            })
        );
        assert_eq!(parse_memory("Name: x\n"), None);
        let stat = "1234 (carillon (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 5 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(
            parse_load_average("1.50 0.75 0.25 2/180 4242\n"),
            Some([1.5, 0.75, 0.25])
        );
        assert_eq!(parse_load_average("1.5 x"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let me = Proc {
            pid: std::process::id(),
        };
        assert!(me.memory().unwrap().rss_kib > 0);
        assert!(me.cpu_seconds().unwrap() >= 0.0);
        assert!(me.run_queue_wait_seconds().unwrap() >= 0.0);
        assert!(raise_nofile(64).unwrap() >= 64);
        grow_fd_table(64).unwrap();
    }
}
