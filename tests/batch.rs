//! Batch operations: selectors, bounded parallelism, group capacity, rolling batches,
//! failure policies, the summary and the exit code.

use std::time::Instant;

use crate::support::Site;

/// The order in which lines appeared, as the indices of lines containing each needle.
fn line_of(stdout: &str, needle: &str) -> usize {
    stdout
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{stdout}"))
}

#[test]
fn status_of_every_server_reports_each_one_in_a_summary() {
    let site = Site::new();
    let run = site.kuroko(&["batch", "all", "status"]).success();
    for server in ["adm", "ms-01", "ms-04", "rs-01", "sa-01", "ss-01"] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(server) && l.contains("succeeded")),
            "{server}:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("8 servers: 8 succeeded, 0 failed, 0 not started"));
    // The batch is journalled, a step per server.
    let runs = site.kuroko(&["runs"]).success().stdout;
    let id = runs
        .lines()
        .find(|l| l.contains("batch status"))
        .expect("journalled")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let report = site.kuroko(&["report", &id]).success().stdout;
    assert_eq!(report.matches("batch status(").count(), 8, "{report}");
}

#[test]
fn an_unreachable_server_counts_as_failed_and_sets_the_exit_code() {
    let site = Site::new();
    std::fs::rename(site.root("ms-04"), site.temp.path().join("gone")).unwrap();
    let run = site.kuroko(&["batch", "group:G2", "status", "--on-failure", "continue"]).code(1);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("ms-04")
            && l.contains("failed")
            && l.contains("does not exist")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 servers: 1 succeeded, 1 failed, 0 not started"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_batch_never_stops_two_members_of_a_group_at_once() {
    let site = Site::new();
    let run = site.kuroko(&["batch", "role:member", "backup", "--forks", "4"]).success();
    for (first, second) in [("ms-01", "ms-02"), ("ms-03", "ms-04")] {
        let a_started = line_of(&run.stdout, &format!("[{first}] start Interstage again"));
        let b_stopped = line_of(&run.stdout, &format!("[{second}] stop Interstage"));
        let b_started = line_of(&run.stdout, &format!("[{second}] start Interstage again"));
        let a_stopped = line_of(&run.stdout, &format!("[{first}] stop Interstage"));
        assert!(
            a_started < b_stopped || b_started < a_stopped,
            "{first} and {second} were down together:\n{}",
            run.stdout
        );
    }
    // The two groups did run side by side: the first of each group stopped before either restarted.
    let g1 = line_of(&run.stdout, "stop Interstage for the backup");
    assert!(g1 < line_of(&run.stdout, "start Interstage again"));
    assert_eq!(site.backups().len(), 4);
    let generations: std::collections::BTreeSet<String> =
        site.backups().iter().map(|id| id.split('/').next().unwrap().to_string()).collect();
    assert_eq!(generations.len(), 1, "one generation for the whole batch");
    for server in ["ms-01", "ms-02", "ms-03", "ms-04"] {
        assert_eq!(site.state(server), "running");
    }
}

#[test]
fn the_batch_stops_at_the_first_failure_by_default() {
    let site = Site::new();
    std::fs::write(site.root("ms-01").join("run/isstop.fail"), "").unwrap();
    let run = site.kuroko(&["batch", "ms-01,ms-03,ms-04", "restart", "--forks", "1"]).code(1);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("ms-01") && l.contains("failed") && l.contains("IS10001")),
        "{}",
        run.stdout
    );
    for server in ["ms-03", "ms-04"] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(server)
                && l.contains("not started")
                && l.contains("first failure")),
            "{server}:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("[ms-03] stop"), "ms-03 was not touched");
}

#[test]
fn continue_and_percentage_policies_decide_when_to_stop() {
    let site = Site::new();
    for server in ["ms-01", "ms-03"] {
        std::fs::write(site.root(server).join("run/isstop.fail"), "").unwrap();
    }
    let run = site
        .kuroko(&[
            "batch",
            "ms-01,ms-03,ms-02,ms-04",
            "restart",
            "--forks",
            "1",
            "--on-failure",
            "continue",
        ])
        .code(1);
    assert!(
        run.stdout.contains("4 servers: 2 succeeded, 2 failed, 0 not started"),
        "{}",
        run.stdout
    );
    // Two failures of four is 50%: past 30% the batch stops, so ms-02 and ms-04 are not started.
    let run = site
        .kuroko(&[
            "batch",
            "ms-01,ms-03,ms-02,ms-04",
            "restart",
            "--forks",
            "1",
            "--on-failure",
            "30%",
        ])
        .code(1);
    assert!(
        run.stdout.contains("4 servers: 0 succeeded, 2 failed, 2 not started"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("more than 30% of the servers failed"));
    // Under 60%, the batch goes on.
    let run = site
        .kuroko(&[
            "batch",
            "ms-01,ms-03,ms-02,ms-04",
            "restart",
            "--forks",
            "1",
            "--on-failure",
            "60%",
        ])
        .code(1);
    assert!(
        run.stdout.contains("4 servers: 2 succeeded, 2 failed, 0 not started"),
        "{}",
        run.stdout
    );
}

#[test]
fn rolling_batches_wait_between_batches() {
    let site = Site::new();
    let started = Instant::now();
    let run =
        site.kuroko(&["batch", "ms-*", "restart", "--batch", "50%", "--pause", "1"]).success();
    assert_eq!(run.stdout.matches("waiting 1s before the next batch").count(), 1, "{}", run.stdout);
    assert!(started.elapsed().as_secs_f32() >= 1.0);
    let pause = line_of(&run.stdout, "waiting 1s");
    assert!(line_of(&run.stdout, "[ms-02] start Interstage") < pause, "{}", run.stdout);
    assert!(line_of(&run.stdout, "[ms-03] stop Interstage") > pause, "{}", run.stdout);
}

#[test]
fn bad_batch_arguments_are_refused_clearly() {
    let site = Site::new();
    site.kuroko(&["batch", "group:G9", "status"]).code(2).stderr_has("unknown group `G9`");
    site.kuroko(&["batch", "role:membr", "status"]).code(2).stderr_has("did you mean `member`?");
    site.kuroko(&["batch", "zz-*", "status"]).code(2).stderr_has("selects no server");
    site.kuroko(&["batch", "all", "status", "--batch", "0"]).code(2).stderr_has("batch size");
    site.kuroko(&["batch", "all", "status", "--on-failure", "sometimes"])
        .code(2)
        .stderr_has("failure policy");
    site.kuroko(&["batch", "all", "run"]).code(2).stderr_has("needs a runbook");
    site.kuroko(&["batch", "all", "run", "backup-site"])
        .code(2)
        .stderr_has("takes no `server` parameter");
}

#[test]
fn a_runbook_runs_once_per_server() {
    let site = Site::new();
    let book = site.temp.path().join("per-server.rhai");
    std::fs::write(&book, "//! Restart one server.\n//! param server <server>: the server\nlet s = param(\"server\");\nstop_interstage(s);\nstart_interstage(s);\nprint(`done ${s}`);\n").unwrap();
    let run = site.kuroko(&["batch", "group:G1", "run", book.to_str().unwrap()]).success();
    assert!(
        run.stdout.contains("[ms-01] done ms-01") && run.stdout.contains("[ms-02] done ms-02"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("2 servers: 2 succeeded"));
}

#[test]
fn a_rhai_batch_runs_a_closure_and_reports_failures() {
    let site = Site::new();
    let run = site
        .script(
            r#"
            let r = batch("group:G1", #{ forks: 2 }, |s| backup(s));
            print(`backed up ${r.succeeded.len()}`);
            let bad = batch(["ms-03", "ms-04"], #{ on_failure: "continue" }, |s| { if s == "ms-04" { throw "no good"; } status(s) });
            print(`failed: ${bad.failed.keys()}`);
            "#,
            &[],
        )
        .code(1);
    assert!(run.stdout.contains("backed up 2"), "{}", run.stdout);
    assert!(run.stdout.contains("failed: [\"ms-04\"]"), "{}", run.stdout);
    assert!(run.stdout.contains("no good"), "{}", run.stdout);
}

#[test]
fn lines_of_parallel_servers_carry_their_names_and_never_mix() {
    let site = Site::new();
    let run = site.kuroko(&["batch", "all", "restart", "--forks", "8"]).success();
    let servers = ["adm", "ms-01", "ms-02", "ms-03", "ms-04", "rs-01", "sa-01", "ss-01"];
    let mut seen = 0;
    for line in run.stdout.lines().filter(|l| l.contains("Interstage")) {
        let server = line.strip_prefix('[').and_then(|l| l.split_once(']')).map(|(s, _)| s);
        assert!(server.is_some_and(|s| servers.contains(&s)), "line without its server: {line:?}");
        let rest = &line[line.find(']').unwrap() + 1..];
        assert!(
            servers.iter().all(|s| !rest.contains(&format!("[{s}]"))),
            "two servers in one line: {line:?}"
        );
        seen += 1;
    }
    assert!(seen >= 14, "{}", run.stdout);
}

#[test]
fn on_a_terminal_a_batch_shows_progress_and_then_the_summary() {
    let site = Site::new();
    let command = format!(
        "{} --site {} batch group:G1 backup --batch 1 --pause 1",
        crate::support::KUROKO,
        site.site_file().display()
    );
    // `script` gives the command a pseudo-terminal.
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("servers done"), "no overall bar:\n{text}");
    assert!(text.contains("\u{1b}["), "no terminal drawing:\n{text}");
    assert!(text.contains("2 servers: 2 succeeded, 0 failed, 0 not started"), "{text}");
}
