//! The site's lock on the admin server, beside the one in the store: two controllers with
//! separate stores (or two site files naming the same servers) still pass through the
//! admin server, so they exclude each other too.
//!
//! It is a folder made with `mkdir` (atomic on every file system) in kuroko's own folder on
//! the admin server, `var/opt/kuroko/site-lock`, holding one line that names the holder.
//! A holder on this machine whose process is gone is found stale, said so loudly, and
//! replaced; a holder on another machine is never broken by kuroko (it cannot know that
//! the other controller is gone): the refusal says how to remove it after checking.

use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::shell::Script;
use crate::site::KUROKO_DIR;

/// The lock folder on the admin server, relative to its root.
pub const REMOTE_LOCK: &str = "var/opt/kuroko/site-lock";

/// Takes the admin server's lock for run `run`, with `holder` as its description.
pub fn take(rt: &Runtime, run: &str, holder: &str) -> Result<()> {
    let admin = rt.site.admin().name.clone();
    let attempt = |replace: bool| -> Result<String> {
        let command = Script::guarded().set("d", KUROKO_DIR).set("l", REMOTE_LOCK).set("h", holder).text(
            if replace {
                "ownd \"$d\" || exit 90\nnolink \"$l\" || exit 90\nrm -rf -- \"$l\"\n\
                 mkdir -- \"$l\" 2>/dev/null || { echo HELD; exit 0; }\n\
                 printf '%s\\n' \"$h\" > \"$l/holder\" && echo TAKEN\n"
            } else {
                "ownd \"$d\" || exit 90\n\
                 if mkdir -- \"$l\" 2>/dev/null; then printf '%s\\n' \"$h\" > \"$l/holder\" && echo TAKEN; exit 0; fi\n\
                 nolink \"$l\" || exit 90\necho HELD\nhead -c 512 -- \"$l/holder\" 2>/dev/null\n"
            },
        );
        rt.run(&admin, "taking the site's lock on the admin server", &command, None)
    };
    let out = attempt(false)?;
    if out.starts_with("TAKEN") {
        return Ok(());
    }
    let other = crate::error::sanitize(out.trim_start_matches("HELD").trim());
    if stale(&other) {
        crate::tell!(
            "warning: the admin server `{admin}` holds a site lock of a kuroko on this machine that is gone: {other}\n  \
             taking it over (what that run left stopped is found from its journal)"
        );
        if attempt(true)?.starts_with("TAKEN") {
            return Ok(());
        }
    }
    let _ = run;
    Err(Error::Busy(format!(
        "another kuroko is working on this site (its lock on the admin server `{admin}`): {}\n  \
         two runs at once could each stop a member of one group (R4); wait for it to end (`--wait DURATION` queues behind it).\n  \
         If that controller is gone, check, then remove `{REMOTE_LOCK}` on `{admin}`",
        if other.is_empty() { "(no holder recorded)".to_string() } else { other }
    )))
}

/// Lets go of the admin server's lock if run `run` holds it (best effort: a lock left
/// behind is found stale by the next kuroko on this machine).
pub fn release(rt: &Runtime, run: &str) {
    let admin = rt.site.admin().name.clone();
    let command = Script::guarded()
        .set("l", REMOTE_LOCK)
        .set("d", KUROKO_DIR)
        .set("r", &format!("run {run}:"))
        // kuroko's folder goes too if the lock was all it held: a run leaves the admin
        // server as it found it.
        .text("nolink \"$l\" || exit 90\n[ -d \"$l\" ] || exit 0\ncase \"$(head -c 512 -- \"$l/holder\" 2>/dev/null)\" in \"$r\"*) rm -rf -- \"$l\"; rmdir -- \"$d\" 2>/dev/null ;; esac\nexit 0\n");
    if let Err(e) = rt.run(&admin, "releasing the site's lock on the admin server", &command, None)
    {
        crate::tell!(
            "warning: could not release the site's lock on the admin server `{admin}`: {e}"
        );
    }
}

/// Whether a holder line names a kuroko process on this machine that is gone.
fn stale(holder: &str) -> bool {
    // `run R: WHAT by USER on HOST, pid N, since T (site id X)`, read from the right.
    let Some((left, right)) = holder.rsplit_once(", pid ") else { return false };
    let Some((_, host)) = left.rsplit_once(" on ") else { return false };
    let pid = right.split(',').next().unwrap_or("").trim();
    if host != crate::commands::host_name() {
        return false;
    }
    let Ok(pid) = pid.parse::<u32>() else { return false };
    if pid == std::process::id() {
        return false;
    }
    // Alive only if that pid is a kuroko now (a pid is reused).
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => !String::from_utf8_lossy(&cmdline).contains("kuroko"),
        Err(_) => true,
    }
}
