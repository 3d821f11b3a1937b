//! The site's lock on the admin server, beside the one in the store: two controllers with
//! separate stores (or two site files naming the same servers) still pass through the
//! admin server, so they exclude each other too.
//!
//! It is a folder in kuroko's own folder on the admin server, `var/opt/kuroko/site-lock`,
//! holding one line that names the holder. It is built under a temporary name with its
//! holder inside and renamed into place (atomic, and never without a holder). A holder on
//! this machine (same machine id) whose process is certainly gone is found stale, said so
//! loudly, and replaced, by one breaker at a time (`site-lock.break`, made with `mkdir`),
//! and only if the holder is still the one judged stale. A holder on another machine is
//! never broken by kuroko: the refusal says how to remove it after checking.

use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::shell::Script;
use crate::site::KUROKO_DIR;

/// The lock folder on the admin server, relative to its root.
pub const REMOTE_LOCK: &str = "var/opt/kuroko/site-lock";

/// Shell functions of the lock scripts: `holder` prints the holder line of a lock folder
/// (a regular file, never through a link, at most 512 bytes, never blocking on a FIFO).
const HOLDER: &str = "holder() { [ -f \"$1/holder\" ] && [ ! -L \"$1/holder\" ] && head -c 512 -- \"$1/holder\"; }\n";

/// Builds the lock under a temporary name and renames it into place; prints TAKEN, or
/// HELD and the holder.
const TAKE: &str = "ownd \"$d\" || exit 90\nnolink \"$l\" || exit 90\n\
    t=\"$l.new.$$\"\nrm -rf -- \"$t\"\nmkdir -- \"$t\" || exit 1\nprintf '%s\\n' \"$h\" > \"$t/holder\" || { rm -rf -- \"$t\"; exit 1; }\n\
    if mv -T -- \"$t\" \"$l\" 2>/dev/null; then echo TAKEN; exit 0; fi\nrm -rf -- \"$t\"\necho HELD\nholder \"$l\"\nexit 0\n";

/// Replaces a stale lock: one breaker at a time, and only if its holder is still `$s`.
const BREAK: &str = "ownd \"$d\" || exit 90\nnolink \"$l\" || exit 90\nb=\"$l.break\"\n\
    if ! mkdir -- \"$b\" 2>/dev/null; then\n\
      # A breaker that died leaves its folder: after a minute it is cleared.\n\
      if [ -n \"$(find \"$b\" -maxdepth 0 -mmin +1 2>/dev/null)\" ]; then rm -rf -- \"$b\"; fi\n\
      echo HELD; holder \"$l\"; exit 0\n\
    fi\n\
    if [ \"$(holder \"$l\")\" = \"$s\" ]; then\n\
      rm -rf -- \"$l\"\n\
      t=\"$l.new.$$\"; rm -rf -- \"$t\"; mkdir -- \"$t\" && printf '%s\\n' \"$h\" > \"$t/holder\" && mv -T -- \"$t\" \"$l\" 2>/dev/null && { rmdir -- \"$b\"; echo TAKEN; exit 0; }\n\
      rm -rf -- \"$t\"\n\
    fi\n\
    rmdir -- \"$b\"\necho HELD\nholder \"$l\"\nexit 0\n";

/// Takes the admin server's lock with `holder` as its description. Returns the holder
/// line of a stale lock it replaced, if it replaced one.
pub fn take(rt: &Runtime, holder: &str) -> Result<Option<String>> {
    let admin = rt.site.admin().name.clone();
    let script = |body: &'static str, stale: &str| {
        Script::guarded()
            .set("d", KUROKO_DIR)
            .set("l", REMOTE_LOCK)
            .set("h", holder)
            .set("s", stale)
            .text(HOLDER)
            .text(body)
    };
    let out = rt.run(&admin, &crate::msg!("transport-lock-taking"), &script(TAKE, ""), None)?;
    if out.starts_with("TAKEN") {
        return Ok(None);
    }
    let other = out.trim_start_matches("HELD").trim().to_string();
    if !other.is_empty() && stale(&other) {
        let shown = crate::error::sanitize(&other);
        let out =
            rt.run(&admin, &crate::msg!("transport-lock-replacing"), &script(BREAK, &other), None)?;
        if out.starts_with("TAKEN") {
            crate::tell!(
                "{}\n  {}",
                crate::msg!("transport-lock-stale-replaced", admin = admin, holder = shown),
                crate::msg!("transport-lock-stale-replaced-after")
            );
            return Ok(Some(other));
        }
    }
    let shown = crate::error::sanitize(&other);
    let holder = if shown.is_empty() { crate::msg!("transport-lock-no-holder") } else { shown };
    Err(Error::Busy(format!(
        "{}\n  {}\n  {}",
        crate::msg!("transport-lock-busy", admin = admin, holder = holder),
        crate::msg!("transport-lock-busy-wait"),
        crate::msg!("transport-lock-busy-remove", lock = REMOTE_LOCK, admin = admin)
    )))
}

/// The plans that ran on this site, on the admin server: every controller and every copy
/// of the site file passes through it, so a plan runs once whichever store is used.
pub const REMOTE_PLANS: &str = "var/opt/kuroko/plans";

/// Marks the approved plan `sha256` as run on the admin server (`mkdir`, atomic); a plan
/// marked already is refused.
pub fn use_plan(rt: &Runtime, sha256: &str, run: &str) -> Result<()> {
    let admin = rt.site.admin().name.clone();
    let script = Script::guarded()
        .set("d", KUROKO_DIR)
        .set("p", REMOTE_PLANS)
        .set("s", sha256)
        .set("r", run)
        .text(
            "ownd \"$d\" || exit 90\nownd \"$p\" || exit 90\nnolink \"$p/$s\" || exit 90\n\
             if mkdir -- \"$p/$s\" 2>/dev/null; then printf '%s\\n' \"$r\" > \"$p/$s/run\"; echo FIRST; exit 0; fi\n\
             echo RAN\n[ -f \"$p/$s/run\" ] && [ ! -L \"$p/$s/run\" ] && head -c 100 -- \"$p/$s/run\"\nexit 0\n",
        );
    let out = rt.run(&admin, &crate::msg!("transport-plan-marking"), &script, None)?;
    if out.trim() == "FIRST" {
        return Ok(());
    }
    let by = crate::error::sanitize(out.trim_start_matches("RAN").trim());
    Err(Error::Usage(crate::msg!(
        "cmd-store-plan-ran",
        sha256 = sha256.get(..16).unwrap_or(sha256),
        run = if by.is_empty() { "?".to_string() } else { by }
    )))
}

/// Lets go of the admin server's lock if run `run` holds it (best effort: a lock left
/// behind is found stale by the next kuroko on this machine).
pub fn release(rt: &Runtime, run: &str) {
    let admin = rt.site.admin().name.clone();
    let command = Script::guarded()
        .set("d", KUROKO_DIR)
        .set("l", REMOTE_LOCK)
        .set("r", &format!("run {run}:"))
        .text(HOLDER)
        // kuroko's folder goes too if the lock was all it held: a run leaves the admin
        // server as it found it.
        .text("nolink \"$l\" || exit 90\n[ -d \"$l\" ] || exit 0\ncase \"$(holder \"$l\")\" in \"$r\"*) rm -rf -- \"$l\"; rmdir -- \"$d\" 2>/dev/null ;; esac\nexit 0\n");
    if let Err(e) = rt.run(&admin, &crate::msg!("transport-lock-releasing"), &command, None) {
        crate::tell!("{}", crate::msg!("transport-lock-not-released", admin = admin, error = e));
    }
}

/// This machine and boot, and a process's start, as a lock's holder line records them:
/// `machine M boot B start S`.
pub fn whereabouts(pid: u32) -> String {
    format!(
        "machine {} boot {} start {}",
        machine_id(),
        boot_id(),
        start_time(pid).unwrap_or_default()
    )
}

fn machine_id() -> String {
    std::fs::read_to_string("/etc/machine-id").map(|s| s.trim().to_string()).unwrap_or_default()
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A process's start time (clock ticks after boot), field 22 of /proc/PID/stat.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.split(' ').nth(19).map(str::to_string)
}

/// Whether a holder line names a process that is certainly gone: recorded on this very
/// machine (its machine id), and either the machine booted since, or no process has that
/// pid now, or the one that has it started at another time. Anything unsure is alive.
fn stale(holder: &str) -> bool {
    let word = |key: &str| {
        holder
            .split_once(&format!(" {key} "))
            .map(|(_, rest)| rest.split([' ', ',', ')']).next().unwrap_or("").to_string())
    };
    let (Some(machine), Some(boot), Some(start), Some(pid)) =
        (word("machine"), word("boot"), word("start"), word("pid"))
    else {
        return false;
    };
    let here = machine_id();
    if here.is_empty() || machine != here {
        return false;
    }
    if boot != boot_id() {
        return true;
    }
    let Ok(pid) = pid.parse::<u32>() else { return false };
    if pid == std::process::id() {
        return false;
    }
    match std::fs::metadata(format!("/proc/{pid}")) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(_) => false,
        Ok(_) => start_time(pid).is_some_and(|now| !start.is_empty() && now != start),
    }
}
