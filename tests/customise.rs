//! Site customisation: the site's own runbooks, hooks and parameters, and hostile site
//! scripts that cannot break the rules.

use std::fs;
use std::time::Instant;

use crate::support::{Site, assert_unchanged};

/// A rehearsal site with a site folder `custom/` holding `files`, and extra site-file text.
fn customised(files: &[(&str, &str)], settings: &str) -> Site {
    let site = Site::new();
    let folder = site.dir().join("custom");
    fs::create_dir_all(&folder).unwrap();
    for (name, text) in files {
        fs::write(folder.join(name), text).unwrap();
    }
    let text = fs::read_to_string(site.site_file()).unwrap();
    let text = text.replacen(
        "[commands]\n",
        &format!("site_folder = \"custom\"\n{settings}\n[commands]\n"),
        1,
    );
    fs::write(site.site_file(), text).unwrap();
    site
}

#[test]
fn a_site_runbook_overrides_the_stdlib_one_by_name() {
    let site = customised(
        &[("expand.rhai", "//! The site's own expansion.\nprint(\"site expand\");\n")],
        "",
    );
    site.kuroko(&["run", "expand"]).success().stdout_has("site expand");
    // `stdlib:` reaches the standard one all the same.
    site.kuroko(&["run", "stdlib:expand", "-p", "group=G1", "-p", "server=rs-01"])
        .success()
        .stdout_has("§2.1 step 3");
}

#[test]
fn hooks_run_before_and_after_steps() {
    let hooks = r#"
fn before_backup(server) {
    write_file(server, "var/tmp/lb-state", "out of the load balancer\n");
}
fn after_backup(server) {
    let was = read_file(server, "var/tmp/lb-state");
    write_file(server, "var/tmp/lb-state", was + "back in the load balancer\n");
}
"#;
    let site = customised(&[("hooks.rhai", hooks)], "");
    let run = site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    assert!(run.stdout.contains("[ms-01] site hook `before_backup`"), "{}", run.stdout);
    assert_eq!(
        site.read("ms-01", "var/tmp/lb-state"),
        "out of the load balancer\nback in the load balancer\n"
    );
    site.assert_resources_match(
        "ms-01",
        "rs-01",
        ("192.0.2.11", "ms-01.rehearsal.test"),
        ("192.0.2.21", "rs-01.rehearsal.test"),
    );
}

#[test]
fn a_misnamed_hook_is_refused_before_anything_runs() {
    let site = customised(&[("hooks.rhai", "fn before_stop_interstag(server) { }\n")], "");
    let before = site.snapshot();
    site.kuroko(&["run", "backup-site"])
        .code(2)
        .stderr_has("`before_stop_interstag` is not a hook")
        .stderr_has("stop_interstage");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn site_parameters_are_defaults_the_command_line_overrides() {
    let site = customised(&[], "[params.expand]\nsource = \"ms-02\"\n");
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--dry-run"])
        .success()
        .stdout_has("back up member ms-02 of group G1");
    site.kuroko(&[
        "run",
        "expand",
        "-p",
        "group=G1",
        "-p",
        "server=rs-01",
        "-p",
        "source=ms-01",
        "--dry-run",
    ])
    .success()
    .stdout_has("back up member ms-01 of group G1");
}

/// Runs the site runbook `evil` and proves it changed nothing on any server.
fn hostile(site: &Site, rule: &str) {
    let before = site.snapshot();
    site.kuroko(&["run", "evil"]).refused(rule);
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_hostile_site_script_cannot_import_into_a_group_member() {
    let site =
        customised(&[("evil.rhai", "import_backup(latest_backup(\"G1\"), \"ms-02\");\n")], "");
    site.kuroko(&["run", "backup-site"]).success();
    hostile(&site, "R1");
}

#[test]
fn a_hostile_hook_cannot_import_into_a_group_member_either() {
    let hook =
        "fn before_stop_interstage(server) { import_backup(latest_backup(\"G1\"), \"ms-02\"); }\n";
    let site =
        customised(&[("hooks.rhai", hook), ("evil.rhai", "stop_interstage(\"rs-01\");\n")], "");
    site.kuroko(&["run", "backup-site"]).success();
    site.kuroko(&["run", "stdlib:backup-site"]).success();
    let before = site.snapshot();
    site.kuroko(&["run", "evil"]).refused("R1");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_hostile_site_script_cannot_restore_another_groups_backup() {
    let evil = "group_remove(\"G1\", \"ms-02\");\nrestore(latest_backup(\"G2\"), \"ms-02\");\n";
    let site = customised(&[("evil.rhai", evil)], "");
    site.kuroko(&["run", "backup-site"]).success();
    site.script("stop_interstage(\"ms-02\");", &[]).success();
    let before = site.snapshot();
    let run = site.kuroko(&["run", "evil"]).refused("R3");
    assert!(run.stderr.contains("was a member of `G1`"), "{}", run.stderr);
    // The dry run made first found the refusal: not even the group change happened.
    assert!(run.stderr.contains("nothing was touched"), "{}", run.stderr);
    assert_unchanged(&before, &site.snapshot());
    assert!(site.group_definitions().contains("member G1 ms-02"));
    assert!(
        site.read("ms-02", "etc/opt/FJSVihs/servers/FJapache/conf/httpd.conf")
            .contains("192.0.2.12")
    );
}

#[test]
fn a_hostile_site_script_cannot_skip_the_ip_change() {
    let site = customised(
        &[("evil.rhai", "start_interstage(\"rs-01\");\ngroup_add(\"G1\", \"rs-01\");\n")],
        "",
    );
    site.kuroko(&["run", "backup-site"]).success();
    site.script("import_backup(latest_backup(\"G1\"), \"rs-01\");", &[]).success();
    hostile(&site, "R5");
    assert_eq!(site.state("rs-01"), "stopped");
}

#[test]
fn a_hostile_site_script_cannot_stop_every_member_of_a_group() {
    let site =
        customised(&[("evil.rhai", "for m in members(\"G1\") { stop_interstage(m); }\n")], "");
    let before = site.snapshot();
    site.kuroko(&["run", "evil"]).refused("R4").stderr_has("nothing was touched");
    assert_unchanged(&before, &site.snapshot());
    // Hidden from the dry run (it depends on a file the run itself writes), the check at
    // the step refuses and R11 undoes the first stop.
    let site = customised(
        &[(
            "evil.rhai",
            "write_file(\"ms-01\", \"var/tmp/go\", \"1\");\nfor m in members(\"G1\") { if read_file(\"ms-01\", \"var/tmp/go\") == \"1\" { stop_interstage(m); } }\n",
        )],
        "",
    );
    let before = site.snapshot();
    site.kuroko(&["run", "evil"]).refused("R4").stderr_has("`ms-01` started again (R11)");
    std::fs::remove_file(site.root("ms-01").join("var/tmp/go")).unwrap();
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_site_script_that_loops_forever_is_stopped_by_its_limits() {
    let site = customised(
        &[("evil.rhai", "stop_interstage(\"ms-01\");\nloop { pause(1); }\n")],
        "[limits]\nseconds = 2\n",
    );
    let started = Instant::now();
    site.kuroko(&["run", "evil"])
        .code(1)
        .stderr_has("longer than its limit of 2 s")
        .stderr_has("`ms-01` started again (R11)");
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(site.state("ms-01"), "running");
    let site = customised(
        &[("evil.rhai", "let n = 0;\nloop { n += 1; }\n")],
        "[limits]\noperations = 100000\n",
    );
    site.kuroko(&["run", "evil"]).code(1).stderr_has("more than 100000 operations");
}

#[test]
fn site_scripts_cannot_import_from_outside_the_site_folder() {
    let site = customised(&[("evil.rhai", "import \"../servers/adm/x\" as x;\n")], "");
    fs::write(site.dir().join("servers/adm/x.rhai"), "fn f() {}").unwrap();
    let before = site.snapshot();
    site.kuroko(&["run", "evil"]).code(2).stderr_has("only plain names");
    assert_unchanged(&before, &site.snapshot());
}

/// A script outside the site folder that leaves a canary on `ms-01` if it ever runs.
const OUTSIDE: &str = "write_file(\"ms-01\", \"var/tmp/canary\", \"the outside script ran\");\n";
const OUTSIDE_HOOKS: &str = "fn before_stop_interstage(server) {\n    write_file(\"ms-01\", \"var/tmp/canary\", \"the outside hook ran\");\n}\n";

#[test]
fn a_site_runbook_leading_out_of_the_site_folder_is_refused() {
    let site = customised(&[], "");
    let outside = site.temp.path().join("outside.rhai");
    fs::write(&outside, OUTSIDE).unwrap();
    let folder = site.dir().join("custom");
    // By a symbolic link named like a standard runbook: refused, not passed over for it.
    std::os::unix::fs::symlink(&outside, folder.join("expand.rhai")).unwrap();
    std::os::unix::fs::symlink("../../outside.rhai", folder.join("mine.rhai")).unwrap();
    std::os::unix::fs::symlink(folder.join("gone.txt"), folder.join("gone.rhai")).unwrap();
    let before = site.snapshot();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"])
        .code(2)
        .stderr_has("the site runbook `expand` refused: it leads outside");
    site.kuroko(&["run", "mine"]).code(2).stderr_has("leads outside");
    site.kuroko(&["run", "gone"]).code(2).stderr_has("cannot use the site runbook `gone`");
    // A name is a plain name: `..` and hidden names are no runbook names.
    site.kuroko(&["run", ".."]).code(2).stderr_has("is not a runbook name");
    site.kuroko(&["run", ".hidden"]).code(2).stderr_has("is not a runbook name");
    site.kuroko(&["batch", "ms-01", "run", "mine"]).code(2).stderr_has("leads outside");
    assert!(!site.root("ms-01").join("var/tmp/canary").exists(), "the outside script ran");
    assert!(!site.store().join("journal").exists(), "a run started");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn site_hooks_leading_out_of_the_site_folder_are_refused() {
    let site = customised(&[], "");
    let outside = site.temp.path().join("outside-hooks.rhai");
    fs::write(&outside, OUTSIDE_HOOKS).unwrap();
    std::os::unix::fs::symlink(&outside, site.dir().join("custom/hooks.rhai")).unwrap();
    let before = site.snapshot();
    site.kuroko(&["run", "backup-site"])
        .code(2)
        .stderr_has("the site's hooks `hooks.rhai` refused: it leads outside");
    assert!(!site.root("ms-01").join("var/tmp/canary").exists(), "the outside hook ran");
    assert_unchanged(&before, &site.snapshot());
    // A hooks file that is no regular file is refused too, not passed over.
    fs::remove_file(site.dir().join("custom/hooks.rhai")).unwrap();
    fs::create_dir(site.dir().join("custom/hooks.rhai")).unwrap();
    let before = site.snapshot();
    site.kuroko(&["run", "backup-site"]).code(2).stderr_has("is not a regular file");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn resuming_finds_a_site_runbook_through_the_same_guard() {
    let book = "stop_interstage(\"ms-01\");\nthrow \"stop\";\n";
    let site = customised(&[("fails.rhai", book)], "");
    let failed = site.kuroko(&["run", "fails"]).code(1);
    let run = failed
        .stderr
        .split("kuroko resume ")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    // The same text, but outside the site folder: the sha256 matches, the guard refuses.
    let outside = site.temp.path().join("fails.rhai");
    fs::write(&outside, book).unwrap();
    let link = site.dir().join("custom/fails.rhai");
    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let before = site.snapshot();
    site.kuroko(&["resume", &run]).code(2).stderr_has("leads outside");
    assert_unchanged(&before, &site.snapshot());
}
