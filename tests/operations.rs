//! Issue 10: kuroko on a real production site — runs from anywhere, retention.

use std::fs;
use std::process::{Command, Stdio};

use crate::support::{KUROKO, Run, Site};

fn kuroko_in(site: &Site, dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from_output(
        Command::new(KUROKO)
            .current_dir(dir)
            .arg("--site")
            .arg(site.site_file())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn resume_works_from_any_folder_and_a_changed_module_is_a_changed_runbook() {
    let site = Site::new();
    let books = site.temp.path().join("books");
    fs::create_dir_all(&books).unwrap();
    fs::write(books.join("lib.rhai"), "fn fail_now() { throw \"stop here\"; }\n").unwrap();
    fs::write(
        books.join("book.rhai"),
        "import \"lib\" as lib;\nwrite_file(\"ms-01\", \"var/tmp/a\", \"1\");\nlib::fail_now();\n",
    )
    .unwrap();
    // Started by a relative path, from the runbook's folder.
    let failed = kuroko_in(&site, &books, &["run", "book.rhai"]).code(1);
    let run = failed.stderr.split("kuroko resume ").nth(1).unwrap().split('`').next().unwrap();
    let elsewhere = site.temp.path();
    // A changed module changes the runbook: resuming would mix two scripts.
    fs::write(books.join("lib.rhai"), "fn fail_now() { }\n").unwrap();
    kuroko_in(&site, elsewhere, &["resume", run])
        .code(2)
        .stderr_has("or a module it imports changed");
    // As it was, it resumes from another folder (and meets its `throw` again).
    fs::write(books.join("lib.rhai"), "fn fail_now() { throw \"stop here\"; }\n").unwrap();
    kuroko_in(&site, elsewhere, &["resume", run])
        .code(1)
        .stderr_has("stop here")
        .stdout_has("write_file: already done by the resumed run");
}

/// The generation of each backup id in the store, grouped.
fn generations(site: &Site) -> Vec<String> {
    let mut gens: Vec<String> =
        site.backups().iter().map(|id| id.split('/').next().unwrap().to_string()).collect();
    gens.dedup();
    gens
}

#[test]
fn prune_keeps_the_newest_complete_generation_what_r7_needs_and_what_servers_came_from() {
    let site = Site::new();
    for _ in 0..3 {
        site.kuroko(&["run", "backup-site"]).success();
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let complete = generations(&site);
    assert_eq!(complete.len(), 3);
    // Backups taken one by one, and a backup-site that fails part way (G2 has no running
    // member: it stops after the admin server and G1).
    site.kuroko(&["batch", "group:G2", "backup"]).success();
    let batch_generation = generations(&site)
        .into_iter()
        .find(|g| !complete.contains(g))
        .expect("the batch's generation");
    site.script("stop_interstage(\"ms-04\"); mark_down(\"ms-04\");", &["--force", "R4"]).success();
    site.script("stop_interstage(\"ms-03\"); mark_down(\"ms-03\");", &["--force", "R4"]).success();
    site.kuroko(&["run", "backup-site"]).code(1);
    site.script("start_interstage(\"ms-03\"); start_interstage(\"ms-04\");", &[]).success();
    let list = site.kuroko(&["backups", "list"]).success();
    assert_eq!(list.stdout.matches("INCOMPLETE").count(), 2, "{}", list.stdout);
    // latest_backup never offers the incomplete generation's G1 backup.
    let latest = site.script("print(latest_backup(\"G1\"));", &[]).success();
    assert!(latest.stdout.contains(&complete[2]), "{}", latest.stdout);
    // rs-01's resources come from the oldest generation.
    let oldest = format!("{}/ms-01", complete[0]);
    assert!(site.backups().contains(&oldest));
    site.script(&format!("import_backup(\"{oldest}\", \"rs-01\"); set_ip(\"rs-01\");"), &[])
        .success();

    let before = site.backups();
    let plan = site.kuroko(&["backups", "prune", "--keep-generations", "1", "--dry-run"]).success();
    assert!(plan.stdout.contains("would remove"), "{}", plan.stdout);
    assert_eq!(site.backups(), before, "a dry run removes nothing");

    let pruned = site.kuroko(&["backups", "prune", "--keep-generations", "1"]).success();
    let after = site.backups();
    for id in &before {
        let generation = id.split('/').next().unwrap();
        let kept = after.contains(id);
        if generation == complete[2] || *id == oldest {
            assert!(kept, "{id} must be kept:\n{}", pruned.stdout);
        } else if generation != batch_generation {
            assert!(!kept, "{id} should have gone:\n{}", pruned.stdout);
        }
    }
    // Of the backups taken one by one, the newest of G2 stays whatever the policy.
    assert_eq!(
        after.iter().filter(|id| id.starts_with(&batch_generation)).count(),
        1,
        "{}",
        pruned.stdout
    );
    assert!(pruned.stdout.contains("the newest backup of group `G2`"), "{}", pruned.stdout);
    assert!(pruned.stdout.contains("`rs-01`'s resources came from it"), "{}", pruned.stdout);
    // What is left is whole, and the removals are journalled.
    site.kuroko(&["backups", "verify"]).success();
    site.kuroko(&["runs"]).success().stdout_has("backups prune");
    // Nothing is ever pruned below the newest complete generation.
    site.kuroko(&["backups", "prune", "--keep-days", "0"]).success();
    assert!(site.backups().iter().any(|id| id.starts_with(&complete[2])));
    site.kuroko(&["backups", "prune"]).code(2).stderr_has("needs a policy");
    // A ledger that cannot be read: prune removes nothing, and a backup-site fails cleanly
    // (a FIFO never blocks it).
    let ledger = site.store().join(".kuroko-generations");
    fs::remove_file(&ledger).unwrap();
    assert!(Command::new("mkfifo").arg(&ledger).status().unwrap().success());
    let before = site.backups();
    site.kuroko(&["backups", "prune", "--keep-generations", "1"]).code(2).stderr_has("ledger");
    assert_eq!(site.backups(), before);
    site.kuroko(&["run", "backup-site"]).code(1).stderr_has(".kuroko-generations");
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn prune_refuses_when_no_complete_generation_exists() {
    let site = Site::new();
    site.kuroko(&["batch", "group:G1", "backup"]).success();
    let before = site.backups();
    site.kuroko(&["backups", "prune", "--keep-generations", "3"])
        .code(2)
        .stderr_has("no complete generation");
    assert_eq!(site.backups(), before);
}

const NIGHTLY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/nightly-backup.sh");
const UNITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/systemd");

fn nightly(site: &Site, wait: &str) -> Run {
    let bin = std::path::Path::new(KUROKO).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Run::from_output(
        Command::new("setsid")
            .arg(NIGHTLY)
            .env("PATH", path)
            .env("KUROKO_SITE", site.site_file())
            .env("KUROKO_WAIT", wait)
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn the_nightly_backup_runs_without_a_terminal_and_says_one_line() {
    let site = Site::new();
    let run = nightly(&site, "30s").success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].starts_with("kuroko backup-site: ok, run 2"), "{}", lines[0]);
    assert!(lines[0].contains(", generation 2") && !lines[0].contains('`'), "{}", lines[0]);
    let id = lines[0].split("run ").nth(1).unwrap().split(',').next().unwrap();
    // The journal is the log.
    site.kuroko(&["report", id]).success().stdout_has("completed");
    // Another run holding the site past the wait: exit 75, one line that says so.
    let book = site.temp.path().join("hold.rhai");
    fs::write(&book, "stop_interstage(\"ms-01\");\npause(5);\nstart_interstage(\"ms-01\");\n")
        .unwrap();
    let mut holder = Command::new(KUROKO)
        .arg("--site")
        .arg(site.site_file())
        .args(["run", book.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while site.state("ms-01") != "stopped" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let busy = nightly(&site, "1s").code(75);
    assert_eq!(busy.stdout.lines().count(), 1, "{}", busy.stdout);
    assert!(busy.stdout.starts_with("kuroko backup-site: BUSY (exit 75)"), "{}", busy.stdout);
    assert!(holder.wait().unwrap().success());
    // Waiting long enough, it goes once the other run has ended.
    nightly(&site, "30s").success();
}

#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        panic!("systemd-analyze is missing: .ci/run installs the `systemd` package");
    }
    let dir = tempfile::tempdir().unwrap();
    // As installed: the script where ExecStart names it.
    let exec = dir.path().join("kuroko-nightly-backup");
    fs::copy(NIGHTLY, &exec).unwrap();
    for unit in ["kuroko-backup-site.service", "kuroko-backup-site.timer"] {
        let text = fs::read_to_string(format!("{UNITS}/{unit}")).unwrap();
        let text = text.replace("/usr/local/bin/kuroko-nightly-backup", &exec.to_string_lossy());
        fs::write(dir.path().join(unit), text).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("kuroko-backup-site.timer"))
        .arg(dir.path().join("kuroko-backup-site.service"))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("kuroko-backup-site")).collect();
    assert!(ours.is_empty(), "{stderr}");
}

#[test]
fn the_live_group_list_wins_over_a_stale_site_file_and_site_check_lists_the_differences() {
    let site = Site::new();
    site.kuroko(&["site", "check"]).success().stdout_has("matches the live site");
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--yes"]).success();
    // The site file still says rs-01 is a reserve server.
    let check = site.kuroko(&["site", "check"]).code(1);
    assert!(
        check
            .stdout
            .contains("`rs-01`: the site file says reserve, the live site says member of `G1`"),
        "{}",
        check.stdout
    );
    site.kuroko(&["status"])
        .success()
        .stderr_has("kuroko uses the admin server's group list; update the site file");
}

#[test]
fn the_group_list_may_be_json_or_a_pattern() {
    for (format, command, extra) in [
        ("json", r#"printf '%s' '{"G1": ["ms-01", "ms-02"], "G2": ["ms-03"], "G3": []}'"#, ""),
        (
            "pattern",
            r#"printf 'GROUP   MEMBER\nG1      ms-01\nG1      ms-02\nG2      ms-03\n'"#,
            r#"group_list_pattern = '^(?P<group>G[0-9]+)\s+(?P<server>\S+)$'"#,
        ),
    ] {
        let site = Site::new();
        let text = fs::read_to_string(site.site_file()).unwrap();
        let start = text.find("group_list = ").unwrap();
        let end = start + text[start..].find('\n').unwrap();
        let line = format!("group_list = {:?}\ngroup_list_format = \"{format}\"\n{extra}", command);
        let text = format!("{}{line}{}", &text[..start], &text[end..]);
        fs::write(site.site_file(), text).unwrap();
        let check = site.kuroko(&["site", "check"]).code(1);
        // ms-04 is in G2 by the site file, in no group by the live list.
        assert!(
            check.stdout.contains("`ms-04`: the site file says member of `G2`"),
            "{format}: {}",
            check.stdout
        );
        let members = site.script("print(members(\"G1\")); print(members(\"G2\"));", &[]).success();
        assert!(members.stdout.contains("[\"ms-01\", \"ms-02\"]"), "{format}: {}", members.stdout);
        assert!(members.stdout.contains("[\"ms-03\"]"), "{format}: {}", members.stdout);
    }
    // A pattern without the named groups is a site-file error that says what is missing.
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    let text = text.replacen(
        "[commands]\n",
        "[commands]\ngroup_list_format = \"pattern\"\ngroup_list_pattern = '^(\\S+) (\\S+)$'\n",
        1,
    );
    fs::write(site.site_file(), text).unwrap();
    site.kuroko(&["status"]).code(2).stderr_has("named groups");
}

#[test]
fn a_large_site_is_written_once_with_server_ranges_and_templated_fields() {
    let site = Site::new();
    let before = site.kuroko(&["status"]).success().stdout;
    let text = fs::read_to_string(site.site_file()).unwrap();
    let start = text.find("[servers.ms-01]").unwrap();
    let end = text.find("[servers.rs-01]").unwrap();
    let ranges = "[servers.\"ms-[01:02]\"]\nrole = \"member\"\ngroup = \"G1\"\naddress = \"192.0.2.1{n}\"\nhostname = \"{name}.rehearsal.test\"\ntransport = \"local\"\nroot = \"servers/{name}\"\n\n\
                  [servers.\"ms-[03:04]\"]\nrole = \"member\"\ngroup = \"G2\"\naddress = \"192.0.2.1{n}\"\nhostname = \"{name}.rehearsal.test\"\ntransport = \"local\"\nroot = \"servers/{name}\"\n\n";
    let text = format!("{}{ranges}{}", &text[..start], &text[end..])
        .replace("groups = [\"G1\", \"G2\", \"G3\"]", "groups = [\"G[1:3]\"]");
    fs::write(site.site_file(), &text).unwrap();
    assert!(text.contains("G[1:3]"), "{text}");
    // The same site: every server, role, group and address as written out by hand.
    let after = site.kuroko(&["status"]).success().stdout;
    assert_eq!(before, after);
    site.kuroko(&["site", "check"]).success();
    site.kuroko(&["run", "backup-site"]).success();
    // A range that overlaps a server written out is refused, and says which.
    let twice = text.replacen("[servers.rs-01]", "[servers.ms-02]\nrole = \"reserve\"\naddress = \"192.0.2.99\"\nhostname = \"x\"\ntransport = \"local\"\nroot = \"servers/rs-01\"\n\n[servers.rs-01]", 1);
    fs::write(site.site_file(), twice).unwrap();
    site.kuroko(&["status"]).code(2).stderr_has("`ms-02` is defined twice");
    // Ranges too large, or making addresses that are none, are site-file errors (never a
    // panic, never a runaway).
    for (range, address) in [
        ("x[0:18446744073709551615]", "10.0.0.{n}"),
        ("x[0:99999999999999999999]", "10.0.0.{n}"),
        ("x[250:258]", "192.0.2.{n}"),
    ] {
        let bad = text.replacen(
            "[servers.rs-01]",
            &format!("[servers.\"{range}\"]\nrole = \"reserve\"\naddress = \"{address}\"\nhostname = \"{{name}}.example\"\ntransport = \"local\"\nroot = \"servers/rs-01\"\n\n[servers.rs-01]"),
            1,
        );
        fs::write(site.site_file(), bad).unwrap();
        let run = site.kuroko(&["status"]);
        assert_eq!(run.code, 2, "{range}: {}", run.stderr);
    }
}

#[test]
fn site_import_writes_a_site_file_from_csv_or_an_ansible_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("servers.csv");
    fs::write(
        &csv,
        "name,role,group,address,hostname,user,port\n\
         adm,admin,,10.0.0.10,adm.example,ops,22\n\
         ms-01,member,G1,10.0.0.11,ms-01.example,ops,\n\
         ms-02,member,G1,10.0.0.12,ms-02.example,ops,\n\
         rs-01,reserve,,10.0.0.21,rs-01.example,ops,2222\n",
    )
    .unwrap();
    let out = dir.path().join("site.toml");
    let run = |args: &[&str]| {
        Run::from_output(Command::new(KUROKO).args(args).stdin(Stdio::null()).output().unwrap())
    };
    run(&[
        "site",
        "import",
        "--csv",
        csv.to_str().unwrap(),
        "--name",
        "prod",
        "-o",
        out.to_str().unwrap(),
    ])
    .success()
    .stdout_has("4 server(s) written");
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("[servers.\"ms-01\"]\nrole = \"member\"\ngroup = \"G1\""), "{text}");
    assert!(text.contains("port = 2222"), "{text}");
    // What it wrote loads: `check` resolves names through it.
    run(&["--site", out.to_str().unwrap(), "runbooks"]).success();
    // Never over an existing file.
    run(&[
        "site",
        "import",
        "--csv",
        csv.to_str().unwrap(),
        "--name",
        "prod",
        "-o",
        out.to_str().unwrap(),
    ])
    .code(2)
    .stderr_has("exists");

    let inventory = dir.path().join("hosts.ini");
    fs::write(
        &inventory,
        "[admin]\nadm ansible_host=10.0.0.10 ansible_user=ops\n\n[G1]\nms-01 ansible_host=10.0.0.11\nms-02 ansible_host=10.0.0.12 ansible_port=2200\n\n\
         [reserve]\nrs-01 ansible_host=10.0.0.21\n\n[G1:vars]\nfoo=bar\n\n[all:children]\nG1\n",
    )
    .unwrap();
    let out2 = dir.path().join("site2.toml");
    run(&[
        "site",
        "import",
        "--ansible",
        inventory.to_str().unwrap(),
        "--name",
        "prod",
        "-o",
        out2.to_str().unwrap(),
    ])
    .success();
    let text = fs::read_to_string(&out2).unwrap();
    assert!(text.contains("groups = [\"G1\"]"), "{text}");
    assert!(text.contains("[servers.\"rs-01\"]\nrole = \"reserve\""), "{text}");
    assert!(text.contains("port = 2200"), "{text}");
    // The usual inventory: hosts by DNS name (address = host name), Ansible ranges.
    fs::write(
        &inventory,
        "[admin]\nadm.example\n[G1]\nms-[01:03].example\n[reserve]\nrs-01.example\n",
    )
    .unwrap();
    let out3 = dir.path().join("site3.toml");
    run(&[
        "site",
        "import",
        "--ansible",
        inventory.to_str().unwrap(),
        "--name",
        "p",
        "-o",
        out3.to_str().unwrap(),
    ])
    .success()
    .stdout_has("5 server(s) written");
    let text = fs::read_to_string(&out3).unwrap();
    assert!(text.contains("[servers.\"ms-03.example\"]"), "{text}");
    // A host in two groups is refused with the line.
    fs::write(&inventory, "[admin]\nadm\n[G1]\nms-01\n[G2]\nms-01\n").unwrap();
    run(&[
        "site",
        "import",
        "--ansible",
        inventory.to_str().unwrap(),
        "--name",
        "p",
        "-o",
        dir.path().join("x.toml").to_str().unwrap(),
    ])
    .code(2)
    .stderr_has("is in two places");
}

#[test]
fn site_import_takes_roles_and_groups_from_the_admin_servers_group_list() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("hosts.ini");
    // The inventory is stale: `expand` added rs-01 to G1, and ms-02 was taken out of it.
    fs::write(
        &inventory,
        "[admin]\nadm ansible_host=10.0.0.10\n[G1]\nms-01 ansible_host=10.0.0.11\nms-02 ansible_host=10.0.0.12\n\
         [reserve]\nrs-01 ansible_host=10.0.0.21\n",
    )
    .unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(KUROKO)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
        }
        drop(input);
        Run::from_output(child.wait_with_output().unwrap())
    };
    let import = |out: &str, membership: &[&str], stdin: Option<&str>| {
        let out = dir.path().join(out);
        let mut args = vec![
            "site",
            "import",
            "--ansible",
            inventory.to_str().unwrap(),
            "--name",
            "prod",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(membership);
        (run(&args, stdin), out)
    };
    // The list as the admin server's group_list prints it, read from stdin.
    let (done, out) = import(
        "a.toml",
        &["--membership", "-"],
        Some("group G1\nmember G1 ms-01\nmember G1 rs-01\ngroup G9\n"),
    );
    let done = done.success();
    assert!(
        done.stdout
            .contains("`rs-01`: the inventory says reserve, the admin server lists it in `G1`"),
        "{}",
        done.stdout
    );
    assert!(done.stdout.contains("`ms-02`: the inventory says member of `G1`, the admin server lists it in no group: written as reserve"), "{}", done.stdout);
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("groups = [\"G1\", \"G9\"]"), "{text}");
    assert!(text.contains("[servers.\"rs-01\"]\nrole = \"member\"\ngroup = \"G1\""), "{text}");
    assert!(text.contains("[servers.\"ms-02\"]\nrole = \"reserve\"\naddress"), "{text}");
    // JSON, kept as the site's format for the live list.
    let json = dir.path().join("groups.json");
    fs::write(&json, r#"{"G1": ["ms-01", "ms-02", "rs-01"]}"#).unwrap();
    let (done, out) = import(
        "b.toml",
        &["--membership", json.to_str().unwrap(), "--membership-format", "json"],
        None,
    );
    done.success();
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("group_list_format = \"json\""), "{text}");
    assert!(text.contains("[servers.\"ms-02\"]\nrole = \"member\""), "{text}");
    // A list that cannot be the truth writes nothing.
    for (list, why) in [
        ("member G1 ms-01\nmember G2 ms-01\n", "two groups"),
        ("member G1 adm\n", "no member"),
        ("member G1 ms-77\n", "the inventory does not list it"),
        ("member G1 ms-01 extra\n", "line 1"),
    ] {
        let (refused, out) = import("c.toml", &["--membership", "-"], Some(list));
        refused.code(2).stderr_has(why);
        assert!(!out.exists(), "{list}");
    }
    let (refused, _) =
        import("c.toml", &["--membership-format", "pattern", "--membership", "-"], Some(""));
    refused.code(2).stderr_has("--membership-pattern");
}

#[test]
fn a_group_list_that_puts_a_server_in_two_groups_or_the_admin_in_one_is_refused() {
    for line in ["member G2 ms-01", "member G1 adm"] {
        let site = Site::new();
        let conf = site.root("adm").join("etc/opt/FJSVisgui/site/groups.conf");
        let mut text = fs::read_to_string(&conf).unwrap();
        text.push_str(&format!("{line}\n"));
        fs::write(&conf, text).unwrap();
        let check = site.kuroko(&["site", "check"]).code(1);
        assert!(
            check.stdout.contains("two groups") || check.stdout.contains("no member"),
            "{line}: {}",
            check.stdout
        );
        let before = site.snapshot();
        site.kuroko(&["run", "backup-site"]).code(1);
        crate::support::assert_unchanged(&before, &site.snapshot());
    }
}

#[test]
fn the_nightly_backup_never_reports_success_that_kuroko_did_not_say() {
    let site = Site::new();
    let run = Run::from_output(
        Command::new(NIGHTLY)
            .env("KUROKO", "/bin/true")
            .env("KUROKO_SITE", site.site_file())
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.starts_with("kuroko backup-site: FAILED (exit 1)"), "{}", run.stdout);
    assert!(run.stdout.contains("without saying the runbook completed"), "{}", run.stdout);
}
