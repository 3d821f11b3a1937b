//! Fault injection: runs killed with every signal at the edges of their long commands,
//! runs side by side, and what the next kuroko command does about what they left.
//! Windows are widened deterministically by the rehearsal's `run/isstop.delay` and
//! `run/isstart.delay` (seconds the stand-in commands sleep), never by timing luck.

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{KUROKO, Run, Site, assert_unchanged};

/// `kuroko --site SITE ARGS…` in its own process group, so a test can kill the whole of
/// it (kuroko and the commands it started) as a power loss would.
fn spawn(site: &Site, args: &[&str]) -> Child {
    Command::new(KUROKO)
        .arg("--site")
        .arg(site.site_file())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap()
}

fn script(site: &Site, name: &str, source: &str) -> String {
    let path = site.temp.path().join(name);
    fs::write(&path, source).unwrap();
    path.to_string_lossy().into_owned()
}

#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` to kuroko alone, or with `-` to its whole process group.
fn signal(child: &Child, signal: &str, group: bool) {
    let target = if group { format!("-{}", child.id()) } else { child.id().to_string() };
    let status =
        Command::new("kill").arg(format!("-{signal}")).arg("--").arg(&target).status().unwrap();
    assert!(status.success(), "kill -{signal} {target}");
}

fn finish(child: Child) -> Run {
    Run::from_output(child.wait_with_output().unwrap())
}

fn delay(site: &Site, server: &str, command: &str, seconds: u32) {
    fs::write(site.root(server).join(format!("run/{command}.delay")), seconds.to_string()).unwrap();
}

fn undelay(site: &Site, server: &str, command: &str) {
    let _ = fs::remove_file(site.root(server).join(format!("run/{command}.delay")));
    let _ = fs::remove_file(site.root(server).join(format!("run/{command}.begun")));
}

fn begun(site: &Site, server: &str, command: &str) -> bool {
    fs::read_to_string(site.root(server).join(format!("run/{command}.begun")))
        .is_ok_and(|pid| pid.ends_with('\n'))
}

/// Kills a stand-in command that a killed kuroko left running (local commands run in a
/// process group of their own), as the power loss that killed kuroko would have.
fn kill_stand_in(site: &Site, server: &str, command: &str) {
    let pid = fs::read_to_string(site.root(server).join(format!("run/{command}.begun"))).unwrap();
    let stat = fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    if let Some(group) = stat.rsplit(") ").next().and_then(|rest| rest.split(' ').nth(2)) {
        let _ = Command::new("kill").arg("-KILL").arg("--").arg(format!("-{group}")).status();
    }
}

/// A run killed (SIGKILL, to kuroko and every command it started) while `backup("ms-01")`
/// starts ms-01 again: ms-01 stays stopped, and the journal says who stopped it.
fn killed_mid_backup(site: &Site) -> String {
    site.kuroko(&["run", "backup-site"]).success();
    delay(site, "ms-01", "isstart", 60);
    let book = script(site, "one.rhai", "backup(\"ms-01\");\n");
    let child = spawn(site, &["run", &book]);
    wait_for("the start inside backup()", || begun(site, "ms-01", "isstart"));
    signal(&child, "KILL", true);
    let _ = finish(child);
    kill_stand_in(site, "ms-01", "isstart");
    undelay(site, "ms-01", "isstart");
    assert_eq!(site.state("ms-01"), "stopped");
    site.last_run()
}

#[test]
fn a_run_killed_mid_backup_is_found_by_the_next_command_and_blocks_changes() {
    let site = Site::new();
    let dead = killed_mid_backup(&site);
    // status says who stopped it, and that the run died.
    let status = site.kuroko(&["status"]);
    assert!(status.stdout.contains("DIED"), "{}", status.stdout);
    assert!(status.stdout.contains(&dead), "{}", status.stdout);
    assert!(status.stderr.contains("WARNING: `ms-01` was stopped"), "{}", status.stderr);
    assert!(status.stderr.contains("kuroko abandoned --start"), "{}", status.stderr);
    // Every changing command refuses, and changes nothing.
    let before = site.snapshot();
    site.kuroko(&["run", "backup-site"]).refused("R11").stderr_has("kuroko abandoned");
    site.kuroko(&["batch", "group:G2", "restart"]).refused("R11");
    site.script("status(\"ms-03\");", &[]).refused("R11");
    assert_unchanged(&before, &site.snapshot());
    // What changes nothing still runs.
    site.kuroko(&["batch", "all", "status"]).success();
    // `abandoned` lists it; `--start` starts it again and closes the dead run's journal.
    site.kuroko(&["abandoned"]).code(1).stdout_has(&dead).stdout_has("cut short");
    site.kuroko(&["abandoned", "--start"]).success().stdout_has("`ms-01` started again (R11)");
    assert_eq!(site.state("ms-01"), "running");
    site.kuroko(&["abandoned"]).success().stdout_has("no run that died");
    site.kuroko(&["runs"]).success().stdout_has("abandoned");
    site.kuroko(&["run", "backup-site"]).success();
}

#[test]
fn resuming_a_run_killed_mid_backup_starts_the_server_first_then_backs_it_up() {
    let site = Site::new();
    let dead = killed_mid_backup(&site);
    let before = site.backups().len();
    let resumed = site.kuroko(&["resume", &dead]).success();
    assert!(resumed.stdout.contains("starting it again first"), "{}", resumed.stdout);
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.backups().len(), before + 1);
    // The dead run's journal is closed by its resumption: nothing is left over.
    site.kuroko(&["abandoned"]).success();
    site.kuroko(&["resume", &dead]).code(2).stderr_has("resumed already");
}

#[test]
fn a_stop_the_runbook_made_is_taken_over_by_the_resumed_run_or_acknowledged() {
    let site = Site::new();
    let book = script(
        &site,
        "maint.rhai",
        "stop_interstage(\"ms-01\");\npause(3);\nwrite_file(\"ms-01\", \"var/tmp/maint\", \"done\");\nstart_interstage(\"ms-01\");\n",
    );
    let child = spawn(&site, &["run", &book]);
    wait_for("ms-01 to stop", || site.state("ms-01") == "stopped");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "KILL", true);
    let _ = finish(child);
    let dead = site.last_run();
    site.kuroko(&["abandoned"]).code(1).stdout_has("by a stop_interstage step");
    // R4 counts the adopted stop: the resumed run owns ms-01's outage.
    let resumed = site.kuroko(&["resume", &dead]).success();
    assert!(resumed.stdout.contains("takes over its stop"), "{}", resumed.stdout);
    assert_eq!(site.read("ms-01", "var/tmp/maint"), "done");
    assert_eq!(site.state("ms-01"), "running");

    // Killed again the same way, then acknowledged: ms-01 stays stopped, runs go on.
    let child = spawn(&site, &["run", &book]);
    wait_for("ms-01 to stop", || site.state("ms-01") == "stopped");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "KILL", true);
    let _ = finish(child);
    site.kuroko(&["abandoned", "--acknowledge"]).success().stdout_has("acknowledged");
    assert_eq!(site.state("ms-01"), "stopped");
    site.script("start_interstage(\"ms-01\");", &[]).success();
}

#[test]
fn sigint_sigterm_and_sighup_in_the_middle_of_a_backup_start_the_server_again() {
    for sig in ["INT", "TERM", "HUP"] {
        let site = Site::new();
        delay(&site, "ms-01", "isstop", 2);
        let book = script(&site, "two.rhai", "backup(\"ms-01\");\nbackup(\"ms-03\");\n");
        let child = spawn(&site, &["run", &book]);
        wait_for("the stop inside backup()", || begun(&site, "ms-01", "isstop"));
        // To kuroko alone: the stop command it started finishes, then R11 runs.
        signal(&child, sig, false);
        let run = finish(child);
        assert_eq!(run.code, 130, "SIG{sig}: {}", run.stderr);
        assert_eq!(site.state("ms-01"), "running", "SIG{sig}: {}", run.stderr);
        // It stopped after the step it was in: ms-03 was not backed up.
        assert!(site.backups().iter().all(|b| !b.ends_with("/ms-03")), "SIG{sig}");
        site.kuroko(&["abandoned"]).success();
        undelay(&site, "ms-01", "isstop");
    }
}

#[test]
fn a_second_run_is_refused_while_the_first_holds_the_site_and_can_wait_for_it() {
    let site = Site::new();
    let book = script(
        &site,
        "hold.rhai",
        "stop_interstage(\"ms-01\");\npause(5);\nstart_interstage(\"ms-01\");\n",
    );
    let first = spawn(&site, &["run", &book]);
    wait_for("ms-01 to stop", || site.state("ms-01") == "stopped");
    let before = site.snapshot();
    let second = site.script("backup(\"ms-02\");", &[]).code(75);
    assert!(
        second.stderr.contains("another kuroko run is working on this site"),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("run 2"), "the holder's run id: {}", second.stderr);
    assert!(second.stderr.contains("pid"), "{}", second.stderr);
    assert_unchanged(&before, &site.snapshot());
    // The first run's stop shows in status as the live run's.
    site.kuroko(&["status"]).success().stdout_has("which is running now");
    // Queued behind it, the second goes once the first has ended.
    site.script("backup(\"ms-02\");", &["--wait", "30s"]).success();
    finish(first).success();
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.state("ms-02"), "running");
    site.kuroko(&["run", "x", "--wait", "soon"]).code(2).stderr_has("--wait soon");
}

#[test]
fn three_runs_at_once_never_stop_two_members_of_a_group() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    for member in ["ms-01", "ms-02"] {
        delay(&site, member, "isstop", 1);
    }
    let books: Vec<String> = ["ms-01", "ms-02", "ms-01"]
        .iter()
        .enumerate()
        .map(|(i, m)| script(&site, &format!("b{i}.rhai"), &format!("backup(\"{m}\");\n")))
        .collect();
    let children: Vec<Child> =
        books.iter().map(|b| spawn(&site, &["run", b, "--wait", "60s"])).collect();
    let mut both_down = false;
    let mut running: Vec<Child> = children;
    let mut done = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !running.is_empty() {
        assert!(Instant::now() < deadline, "the runs did not end");
        both_down |= site.state("ms-01") == "stopped" && site.state("ms-02") == "stopped";
        let mut still = Vec::new();
        for mut child in running {
            if child.try_wait().unwrap().is_some() {
                done.push(finish(child));
            } else {
                still.push(child);
            }
        }
        running = still;
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!both_down, "both members of G1 were stopped at once");
    for run in done {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.state("ms-02"), "running");
}

#[test]
fn a_runbook_that_would_be_refused_touches_nothing_first() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let before = site.snapshot();
    // ms-02 is a healthy member of G1: recovering it into G2 is refused (R1) before
    // anything is stopped.
    site.kuroko(&["run", "recover", "-p", "server=ms-02", "-p", "group=G2", "--yes"])
        .refused("R1")
        .stderr_has("nothing was touched");
    assert_unchanged(&before, &site.snapshot());
    let run = site.last_run();
    let journal = fs::read_to_string(site.store().join(format!("journal/{run}.jsonl"))).unwrap();
    assert!(journal.contains("\"status\":\"refused\""), "{journal}");
    assert!(!journal.contains("\"kind\":\"outage\""), "{journal}");
}

#[test]
fn the_journal_records_a_stop_before_the_stop_command_runs() {
    let site = Site::new();
    delay(&site, "ms-01", "isstop", 30);
    let book = script(&site, "one.rhai", "backup(\"ms-01\");\n");
    let child = spawn(&site, &["run", &book]);
    wait_for("the stop command", || begun(&site, "ms-01", "isstop"));
    let run = site.last_run();
    let journal = fs::read_to_string(site.store().join(format!("journal/{run}.jsonl"))).unwrap();
    signal(&child, "KILL", true);
    let _ = finish(child);
    kill_stand_in(&site, "ms-01", "isstop");
    assert!(
        journal.contains("\"kind\":\"outage\",\"server\":\"ms-01\",\"event\":\"stopping\""),
        "{journal}"
    );
    undelay(&site, "ms-01", "isstop");
    // The stop command was killed with kuroko: ms-01 may run, and `abandoned` knows.
    site.kuroko(&["abandoned", "--start"]).success();
    assert_eq!(site.state("ms-01"), "running");
    site.kuroko(&["run", "backup-site"]).success();
}

#[test]
fn a_memory_bomb_under_a_memory_cap_fails_cleanly_and_starts_what_it_stopped() {
    let site = Site::new();
    // Every value stays inside the per-value limits; together they grow without end.
    let book = script(
        &site,
        "bomb.rhai",
        "stop_interstage(\"ms-01\");\nlet s = \"x\";\ns.pad(900000, \"y\");\nlet m = #{};\nlet i = 0;\nloop { m[i.to_string()] = s + \"z\"; i += 1; }\n",
    );
    let output = Command::new("prlimit")
        .arg("--as=1000000000")
        .arg("--")
        .arg(KUROKO)
        .arg("--site")
        .arg(site.site_file())
        .args(["run", &book])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run::from_output(output);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("more memory than its budget"), "{}", run.stderr);
    assert!(run.stderr.contains("`ms-01` started again (R11)"), "{}", run.stderr);
    assert_eq!(site.state("ms-01"), "running");
    site.kuroko(&["abandoned"]).success();
}

/// The most members of G1 down at once, replaying a journal's outage records.
fn most_down_at_once(journal: &str) -> usize {
    let mut down = std::collections::BTreeSet::new();
    let mut most = 0;
    for line in journal.lines().filter(|l| l.contains("\"kind\":\"outage\"")) {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        let server = entry["server"].as_str().unwrap().to_string();
        if !["ms-01", "ms-02"].contains(&server.as_str()) {
            continue;
        }
        match entry["event"].as_str().unwrap() {
            "stopping" | "adopted" => {
                down.insert(server);
            }
            _ => {
                down.remove(&server);
            }
        }
        most = most.max(down.len());
    }
    most
}

#[test]
fn a_stop_that_fails_after_stopping_counts_as_a_stop_for_r4_and_r11() {
    let site = Site::new();
    fs::write(site.root("ms-01").join("run/isstop.fail-after"), "").unwrap();
    for _ in 0..3 {
        let run = site.kuroko(&[
            "batch",
            "group:G1",
            "restart",
            "--forks",
            "2",
            "--on-failure",
            "continue",
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        // ms-01 stopped although its stop "failed": R11 started it again, and ms-02 was
        // never down beside it.
        assert_eq!(site.state("ms-01"), "running", "{}", run.stderr);
        assert_eq!(site.state("ms-02"), "running", "{}", run.stderr);
        let journal =
            fs::read_to_string(site.store().join(format!("journal/{}.jsonl", site.last_run())))
                .unwrap();
        assert_eq!(most_down_at_once(&journal), 1, "{journal}");
        site.kuroko(&["abandoned"]).success();
    }
}

#[test]
fn r4_asks_the_other_members_now_not_what_the_run_saw_earlier() {
    let site = Site::new();
    let book =
        script(&site, "late.rhai", "status(\"ms-01\");\npause(2);\nstop_interstage(\"ms-02\");\n");
    let child = spawn(&site, &["run", &book]);
    std::thread::sleep(Duration::from_millis(700));
    // ms-01 goes down behind the run's back (another operator, a failure).
    fs::write(site.root("ms-01").join("run/interstage.state"), "stopped\n").unwrap();
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("last running member"), "{}", run.stderr);
    assert_eq!(site.state("ms-02"), "running");
}

#[test]
fn secrets_and_damaged_lines_never_hide_a_stop_from_the_next_command() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    delay(&site, "ms-01", "isstart", 60);
    let book = script(&site, "one.rhai", "//! param api_token: a secret\nbackup(\"ms-01\");\n");
    // A secret parameter whose value is part of a server's name.
    let child = spawn(&site, &["run", &book, "-p", "api_token=01"]);
    wait_for("the start inside backup()", || begun(&site, "ms-01", "isstart"));
    signal(&child, "KILL", true);
    let _ = finish(child);
    kill_stand_in(&site, "ms-01", "isstart");
    undelay(&site, "ms-01", "isstart");
    let dead = site.last_run();
    let path = site.store().join(format!("journal/{dead}.jsonl"));
    let mut text = fs::read_to_string(&path).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "{not json at all\n");
    text.push_str("{\"kind\":\"step\",\"seq\":9"); // torn last line
    fs::write(&path, text).unwrap();
    site.kuroko(&["abandoned"]).code(1).stdout_has("ms-01 ");
    site.kuroko(&["run", "backup-site"]).refused("R11").stderr_has("`ms-01`");
    site.kuroko(&["abandoned", "--start"]).success().stdout_has("`ms-01` started again");
    assert_eq!(site.state("ms-01"), "running");
    site.kuroko(&["run", "backup-site"]).success();
}

#[test]
fn another_sites_backups_and_runs_are_refused_even_in_a_shared_store() {
    let a = Site::new();
    a.kuroko(&["run", "backup-site"]).success();
    a.script("stop_interstage(\"ms-01\"); throw \"stop here\";", &[]).code(1);
    let failed = a.last_run();
    // Site B has the same name and servers, and shares A's store: a shared store needs
    // each site's own `site_id` (without one, the store's first user pins the identity
    // for the name).
    let b = Site::new();
    let text = fs::read_to_string(b.site_file()).unwrap();
    let store = a.store().to_string_lossy().into_owned();
    let text =
        text.replace("store = \"backups\"", &format!("site_id = \"site-b\"\nstore = {store:?}"));
    fs::write(b.site_file(), text).unwrap();
    let id = a.backup_of("ms-01");
    let before = b.snapshot();
    b.script(&format!("import_backup(\"{id}\", \"rs-01\");"), &[])
        .refused("R8")
        .stderr_has("belongs to another site");
    assert_unchanged(&before, &b.snapshot());
    b.kuroko(&["resume", &failed]).code(2).stderr_has("another site");
    // A's runs are A's business: B's changing runs are not held up by them.
    b.kuroko(&["abandoned"]).success();
}

/// A second site file beside the first: the same servers, another store (a second
/// controller of the same site).
fn second_controller(site: &Site) -> String {
    let path = site.dir().join("other.toml");
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(&path, text.replace("store = \"backups\"", "store = \"backups-2\"")).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn two_controllers_with_separate_stores_exclude_each_other_through_the_admin_server() {
    let site = Site::new();
    let other = second_controller(&site);
    let book = script(
        &site,
        "hold.rhai",
        "stop_interstage(\"ms-01\");\npause(4);\nstart_interstage(\"ms-01\");\n",
    );
    let first = spawn(&site, &["run", &book]);
    wait_for("ms-01 to stop", || site.state("ms-01") == "stopped");
    let before = site.snapshot();
    let second = Run::from_output(
        Command::new(KUROKO)
            .args(["--site", &other, "run", &script(&site, "b.rhai", "backup(\"ms-02\");\n")])
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(second.code, 75, "{}", second.stderr);
    assert!(second.stderr.contains("lock on the admin server"), "{}", second.stderr);
    assert!(second.stderr.contains("run 2"), "{}", second.stderr);
    // Only the second store's own lock files are new.
    let mut after = site.snapshot();
    after.retain(|path, _| !path.starts_with("backups-2/"));
    assert_unchanged(&before, &after);
    assert_eq!(site.state("ms-02"), "running");
    finish(first).success();
    assert!(!site.root("adm").join("var/opt/kuroko/site-lock").exists(), "released");
    // Killed, the first controller leaves its lock on the admin server: a kuroko on this
    // machine finds it stale (its process is gone), says so and takes it over.
    let first = spawn(&site, &["run", &book]);
    wait_for("ms-01 to stop", || site.state("ms-01") == "stopped");
    signal(&first, "KILL", true);
    let _ = finish(first);
    assert!(site.root("adm").join("var/opt/kuroko/site-lock").exists());
    let run = Run::from_output(
        Command::new(KUROKO)
            .args(["--site", &site.site_file().to_string_lossy(), "abandoned", "--start"])
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("that is gone"), "{}", run.stderr);
    assert_eq!(site.state("ms-01"), "running");
    assert!(!site.root("adm").join("var/opt/kuroko/site-lock").exists(), "released");
}

#[test]
fn over_ssh_a_run_killed_mid_backup_is_found_and_repaired_by_the_next_command() {
    let ssh = crate::sshd::SshSite::new("");
    let site = &ssh.site;
    delay(site, "ms-01", "isstart", 60);
    let book = script(site, "one.rhai", "backup(\"ms-01\");\n");
    let child = spawn(site, &["run", &book]);
    wait_for("the start inside backup()", || begun(site, "ms-01", "isstart"));
    signal(&child, "KILL", true);
    let _ = finish(child);
    kill_stand_in(site, "ms-01", "isstart");
    undelay(site, "ms-01", "isstart");
    assert_eq!(site.state("ms-01"), "stopped");
    site.kuroko(&["status"]).success().stdout_has("DIED");
    let before = site.snapshot();
    site.kuroko(&["run", "backup-site"]).refused("R11");
    assert_unchanged(&before, &site.snapshot());
    site.kuroko(&["abandoned", "--start"]).success().stdout_has("`ms-01` started again (R11)");
    assert_eq!(site.state("ms-01"), "running");
    site.kuroko(&["run", "backup-site"]).success();
}

#[test]
fn a_batch_of_a_runbook_is_planned_first_and_touches_nothing_when_refused() {
    let site = Site::new();
    let book = script(
        &site,
        "both.rhai",
        "//! param server <server>: a member\nlet server = param(\"server\");\nstop_interstage(server);\nfor m in members(\"G1\") { if m != server { stop_interstage(m); } }\n",
    );
    let before = site.snapshot();
    site.kuroko(&["batch", "group:G1", "run", &book])
        .refused("R4")
        .stderr_has("nothing was touched");
    assert_unchanged(&before, &site.snapshot());
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.state("ms-02"), "running");
}

#[test]
fn r5_believes_the_resources_when_kuroko_s_record_is_gone() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let id = site.backup_of("ms-01");
    site.script(&format!("import_backup(\"{id}\", \"rs-01\");"), &[]).success();
    // The record is lost (deleted, damaged, or a kill before it was written).
    fs::remove_file(site.root("rs-01").join("var/opt/kuroko/provenance.json")).unwrap();
    let before = site.snapshot();
    site.script("start_interstage(\"rs-01\");", &[])
        .refused("R5")
        .stderr_has("`ms-01`'s address or host name")
        .stderr_has("whatever kuroko's record says");
    site.script("backup(\"rs-01\");", &[]).refused("R5");
    assert_unchanged(&before, &site.snapshot());
    // set_ip finds what to change from the resources themselves.
    site.script("set_ip(\"rs-01\"); start_interstage(\"rs-01\");", &[])
        .success()
        .stdout_has("though kuroko has no record of it");
    assert_eq!(site.state("rs-01"), "running");
}

#[test]
fn what_a_dead_controller_left_is_found_through_the_admin_servers_lock() {
    let site = Site::new();
    let other = second_controller(&site);
    let book = script(
        &site,
        "hold.rhai",
        "stop_interstage(\"ms-01\");\npause(60);\nstart_interstage(\"ms-01\");\n",
    );
    let child = Command::new(KUROKO)
        .args(["--site", &other, "run", &book])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    wait_for("ms-01 to stop", || site.state("ms-01") == "stopped");
    signal(&child, "KILL", true);
    let _ = finish(child);
    // This controller's store knows nothing of that run; the admin server's lock does.
    let before = site.snapshot();
    site.kuroko(&["batch", "group:G2", "restart"])
        .refused("R11")
        .stderr_has("`ms-01`")
        .stderr_has("other.toml");
    let mut after = site.snapshot();
    after.retain(|path, _| !path.starts_with("backups-2/"));
    let mut before = before;
    before.retain(|path, _| !path.starts_with("backups-2/") && !path.contains("site-lock"));
    after.retain(|path, _| !path.contains("site-lock"));
    assert_unchanged(&before, &after);
    let fixed = Run::from_output(
        Command::new(KUROKO)
            .args(["--site", &other, "abandoned", "--start"])
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert_eq!(site.state("ms-01"), "running");
    site.kuroko(&["batch", "group:G2", "restart"]).success();
}

#[test]
fn a_sites_identity_survives_a_change_of_its_admin_servers_address() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    assert!(site.store().join(".kuroko-site-id").exists(), "pinned by the first backup");
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(
        site.site_file(),
        text.replace("address = \"192.0.2.10\"", "address = \"192.0.2.99\""),
    )
    .unwrap();
    let id = site.backup_of("ms-01");
    site.script(&format!("import_backup(\"{id}\", \"rs-01\"); set_ip(\"rs-01\");"), &[]).success();
}

#[test]
fn a_server_started_again_by_hand_no_longer_holds_runs_up() {
    let site = Site::new();
    let dead = killed_mid_backup(&site);
    // The operator starts ms-01 with Interstage's own command, not with kuroko.
    let isstart = site.root("ms-01").join("opt/FJSVisas/bin/isstart");
    assert!(Command::new(&isstart).status().unwrap().success());
    assert_eq!(site.state("ms-01"), "running");
    let status = site.kuroko(&["status"]).success();
    assert!(!status.stdout.contains("DIED"), "{}", status.stdout);
    assert!(!status.stderr.contains("WARNING"), "{}", status.stderr);
    // The next changing run finds it running, says so in the dead run's journal, and goes.
    site.kuroko(&["run", "backup-site"]).success();
    let journal = fs::read_to_string(site.store().join(format!("journal/{dead}.jsonl"))).unwrap();
    assert!(journal.lines().last().unwrap().contains("\"status\":\"abandoned\""), "{journal}");
}
