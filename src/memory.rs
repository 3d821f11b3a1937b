//! The memory a run's scripts may use, in total: every allocation of the process is
//! counted, and the script engine checks the count at every operation, so a runbook that
//! builds up too much fails with a clear error (and R11 runs) long before the kernel or a
//! memory cap kills kuroko with servers stopped. Per-value limits (string, array and map
//! sizes) bound what one operation can add between two checks.

/// The system allocator, counting the bytes in use (the `cap` crate: a small, well-kept
/// wrapper, so kuroko itself keeps `unsafe_code = "forbid"`).
pub type Counting = cap::Cap<std::alloc::System>;

/// Bytes the process has allocated and not freed.
pub fn in_use() -> usize {
    crate::ALLOCATOR.allocated()
}

/// The default of `[limits] memory_bytes`.
pub const DEFAULT_BUDGET: u64 = 1 << 30;

/// What scripts may use in all: the site's budget, lowered to half of what a cap on the
/// process (`ulimit -v`/`-d`, `prlimit`, a cgroup's `memory.max`) leaves, so that kuroko
/// stops a runbook itself, cleanly, before the cap kills it.
pub fn budget(configured: u64) -> u64 {
    let mut budget = configured;
    for resource in
        [nix::sys::resource::Resource::RLIMIT_AS, nix::sys::resource::Resource::RLIMIT_DATA]
    {
        if let Ok((soft, _)) = nix::sys::resource::getrlimit(resource)
            && soft != nix::sys::resource::RLIM_INFINITY
        {
            // The address space already mapped (code, thread stacks) counts against it.
            let mapped = if resource == nix::sys::resource::Resource::RLIMIT_AS {
                mapped_bytes()
            } else {
                in_use() as u64
            };
            budget = budget.min(soft.saturating_sub(mapped) / 2);
        }
    }
    if let Some(max) = cgroup_max() {
        budget = budget.min(max.saturating_sub(resident_bytes()) / 2);
    }
    budget
}

/// The process's mapped address space (VmSize), in bytes.
fn mapped_bytes() -> u64 {
    status_field("VmSize:")
}

/// The process's resident memory (VmRSS), in bytes.
fn resident_bytes() -> u64 {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The memory cap of this process's cgroup (v2), if it has one.
fn cgroup_max() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let max = std::fs::read_to_string(format!("/sys/fs/cgroup{}/memory.max", path.trim())).ok()?;
    max.trim().parse().ok()
}
