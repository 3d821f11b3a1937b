//! Every rule R1–R11 refusing, and proof that nothing changed on any server.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Site, assert_unchanged};

/// A site with a complete generation in the store.
fn backed_up() -> Site {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    site
}

#[test]
fn import_into_a_group_member_is_refused_and_changes_nothing() {
    let site = backed_up();
    let before = site.snapshot();
    site.script(r#"import_backup(latest_backup("G1"), "ms-02");"#, &[])
        .refused("R1")
        .stderr_has("member of a server group")
        .stderr_has("instead:");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn import_into_a_single_operation_server_is_refused_and_changes_nothing() {
    let site = backed_up();
    let before = site.snapshot();
    site.script(r#"import_backup(latest_backup("G1"), "ss-01");"#, &[]).refused("R1");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn an_admin_backup_goes_only_onto_the_admin_server() {
    let site = backed_up();
    let before = site.snapshot();
    let admin = site.backup_of("adm");
    site.script(&format!(r#"import_backup("{admin}", "rs-01");"#), &[])
        .refused("R1")
        .stderr_has("admin-server backup");
    site.script(&format!(r#"restore("{}", "adm");"#, site.backup_of("ms-01")), &[]).refused("R1");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn the_admin_server_is_restored_from_its_own_backup() {
    let site = backed_up();
    let admin = site.backup_of("adm");
    let before = site.group_definitions();
    std::fs::write(site.root("adm").join("etc/opt/FJSVisgui/site/groups.conf"), "group G1\n")
        .unwrap();
    site.script(
        &format!(r#"stop_interstage("adm"); restore("{admin}", "adm"); start_interstage("adm");"#),
        &[],
    )
    .success();
    assert_eq!(site.group_definitions(), before);
}

#[test]
fn joining_a_group_without_its_resources_is_refused_and_changes_nothing() {
    let site = backed_up();
    let before = site.snapshot();
    site.script(r#"group_add("G1", "rs-01");"#, &[])
        .refused("R2")
        .stderr_has("import a backup of a member of `G1`");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn joining_a_group_with_another_groups_resources_is_refused_and_changes_nothing() {
    let site = backed_up();
    site.script(
        r#"import_backup(latest_backup("G2"), "rs-01"); set_ip("rs-01"); start_interstage("rs-01");"#,
        &[],
    )
    .success();
    let before = site.snapshot();
    site.script(r#"group_add("G1", "rs-01");"#, &[])
        .refused("R2")
        .stderr_has("`ms-03` (group `G2`)");
    assert_unchanged(&before, &site.snapshot());
    // The same server may join the group whose resources it holds.
    site.script(r#"group_add("G2", "rs-01");"#, &[]).success();
    assert!(site.group_definitions().contains("member G2 rs-01"));
}

#[test]
fn restoring_another_groups_backup_onto_a_recovered_member_is_refused() {
    let site = backed_up();
    site.script(r#"stop_interstage("ms-02"); group_remove("G1", "ms-02");"#, &[]).success();
    let before = site.snapshot();
    site.script(r#"restore(latest_backup("G2"), "ms-02");"#, &[])
        .refused("R3")
        .stderr_has("was a member of `G1`");
    assert_unchanged(&before, &site.snapshot());
    site.script(r#"restore(latest_backup("G1"), "ms-02");"#, &[]).success();
}

#[test]
fn backing_up_the_last_running_member_is_refused_unless_forced() {
    let site = backed_up();
    site.script(r#"stop_interstage("ms-04"); mark_down("ms-04");"#, &[]).success();
    assert_eq!(site.state("ms-04"), "stopped");
    let before = site.snapshot();
    site.script(r#"backup("ms-03");"#, &[])
        .refused("R4")
        .stderr_has("last running member of group `G2`");
    assert_unchanged(&before, &site.snapshot());
    assert_eq!(site.state("ms-03"), "running");
    // A planned outage may override R4, and says so.
    site.script(r#"backup("ms-03");"#, &["--force", "R4"]).success().stderr_has("override of R4");
    assert_eq!(site.state("ms-03"), "running");
}

#[test]
fn a_run_stops_only_one_member_of_a_group_at_a_time() {
    let site = backed_up();
    let before = site.snapshot();
    site.script(r#"stop_interstage("ms-01"); backup("ms-02");"#, &[])
        .refused("R4")
        .stderr_has("already stopped `ms-01`")
        .stderr_has("nothing was touched");
    assert_unchanged(&before, &site.snapshot());
    // Where the dry run cannot foresee it (it depends on a file the run writes), the
    // check at the step refuses and R11 runs.
    site.script(
        r#"stop_interstage("ms-01"); write_file("ms-01", "var/tmp/go", "1"); if read_file("ms-01", "var/tmp/go") == "1" { backup("ms-02"); }"#,
        &[],
    )
    .refused("R4")
    .stderr_has("already stopped `ms-01`")
    .stderr_has("`ms-01` started again (R11)");
    std::fs::remove_file(site.root("ms-01").join("var/tmp/go")).unwrap();
    assert_unchanged(&before, &site.snapshot());
    // A runbook that asks `dry_run()` gets the same answer in the dry run made first as
    // in the run itself, so it cannot hide a step from it.
    site.script(r#"stop_interstage("ms-01"); if !dry_run() { backup("ms-02"); }"#, &[])
        .refused("R4")
        .stderr_has("nothing was touched");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn starting_or_adding_an_imported_server_before_its_host_information_changes_is_refused() {
    let site = backed_up();
    site.script(r#"import_backup(latest_backup("G1"), "rs-01");"#, &[]).success();
    let before = site.snapshot();
    site.script(r#"start_interstage("rs-01");"#, &[]).refused("R5").stderr_has("set_ip(\"rs-01\")");
    site.script(r#"group_add("G1", "rs-01");"#, &[]).refused("R5");
    assert_unchanged(&before, &site.snapshot());
    assert_eq!(site.state("rs-01"), "stopped");
}

#[test]
fn importing_the_certificate_environment_against_the_policy_is_refused() {
    let site = backed_up();
    let before = site.snapshot();
    site.script(r#"import_backup(latest_backup("G1"), "rs-01", #{ certificate: true });"#, &[])
        .refused("R6")
        .stderr_has("not-allowed");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_managed_backup_without_a_matching_admin_backup_is_refused_unless_forced() {
    let site = Site::new();
    let id = site.script(r#"print(backup("ms-01"));"#, &[]).success().stdout;
    let id = id.lines().find(|l| l.ends_with("/ms-01")).unwrap().trim().to_string();
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[])
        .refused("R7")
        .stderr_has("out of step");
    assert_unchanged(&before, &site.snapshot());
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &["--force", "R7"])
        .success()
        .stderr_has("override of R7");
}

#[test]
fn a_corrupt_backup_is_refused_and_changes_nothing() {
    let site = backed_up();
    let id = site.backup_of("ms-01");
    let archive = site.store().join(&id).join("archive.tar");
    let mut bytes = std::fs::read(&archive).unwrap();
    // Flip one byte inside a file's data: the tar stays readable, the checksums do not.
    let at = bytes.windows(9).position(|w| w == b"ProxyPass").expect("a file with ProxyPass");
    bytes[at] ^= 0x20;
    std::fs::write(&archive, bytes).unwrap();
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[])
        .code(3)
        .stderr_has("refused by R8")
        .stderr_has("corrupt");
    assert_unchanged(&before, &site.snapshot());
    let verified = site.kuroko(&["backups", "verify"]).code(1);
    assert!(
        verified.stdout.lines().any(|l| l.starts_with("FAILED") && l.contains(&id)),
        "{}",
        verified.stdout
    );
}

#[test]
fn a_backup_with_a_damaged_tar_header_is_refused() {
    let site = backed_up();
    let id = site.backup_of("ms-01");
    let archive = site.store().join(&id).join("archive.tar");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes[600] ^= 0x20;
    std::fs::write(&archive, bytes).unwrap();
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[])
        .code(3)
        .stderr_has("refused by R8")
        .stderr_has("corrupt archive");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_backup_with_a_tampered_file_checksum_is_refused() {
    let site = backed_up();
    let id = site.backup_of("ms-03");
    let path = site.store().join(&id).join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.find("\"sha256\": \"").unwrap() + 11;
    // The archive's own hash stays right; a file's hash is wrong.
    let second = text[first..].find("\"sha256\": \"").unwrap() + first + 11;
    let mut tampered = text.clone();
    tampered.replace_range(second..second + 4, "0000");
    std::fs::write(&path, tampered).unwrap();
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[])
        .code(3)
        .stderr_has("refused by R8")
        .stderr_has("does not match its sha256");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn importing_across_interstage_versions_is_refused() {
    let site = backed_up();
    let text = std::fs::read_to_string(site.site_file()).unwrap();
    let text = text.replace(
        "root = \"servers/rs-01\"\n",
        "root = \"servers/rs-01\"\ninterstage_version = \"12.0\"\n",
    );
    std::fs::write(site.site_file(), text).unwrap();
    let before = site.snapshot();
    site.script(r#"import_backup(latest_backup("G1"), "rs-01");"#, &[])
        .refused("R9")
        .stderr_has("Interstage 13.0")
        .stderr_has("Interstage 12.0");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_single_operation_server_joins_only_an_empty_group() {
    let site = backed_up();
    let before = site.snapshot();
    site.script(r#"group_add("G1", "ss-01");"#, &[]).refused("R10");
    assert_unchanged(&before, &site.snapshot());
    site.script(r#"group_add("G3", "ss-01");"#, &[]).success();
    assert!(site.group_definitions().contains("member G3 ss-01"));
}

#[test]
fn a_failed_runbook_starts_again_what_it_stopped() {
    let site = backed_up();
    site.script(r#"stop_interstage("ms-01"); throw "something went wrong";"#, &[])
        .code(1)
        .stderr_has("something went wrong")
        .stderr_has("`ms-01` started again (R11)");
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn a_server_marked_down_is_left_stopped_when_the_runbook_fails() {
    let site = backed_up();
    site.script(r#"stop_interstage("ms-01"); mark_down("ms-01"); throw "stop here";"#, &[]).code(1);
    assert_eq!(site.state("ms-01"), "stopped");
}

#[test]
fn an_imported_server_is_not_started_again_with_another_servers_identity() {
    let site = backed_up();
    site.script(
        r#"start_interstage("rs-01"); stop_interstage("rs-01"); import_backup(latest_backup("G1"), "rs-01"); throw "before set_ip";"#,
        &[],
    )
    .code(1)
    .stderr_has("`rs-01` left stopped");
    assert_eq!(site.state("rs-01"), "stopped");
}

#[test]
fn ctrl_c_stops_the_run_and_starts_again_what_it_stopped() {
    let site = backed_up();
    let script = site.temp.path().join("slow.rhai");
    std::fs::write(&script, r#"stop_interstage("ms-01"); pause(60); start_interstage("ms-01");"#)
        .unwrap();
    let mut child = site.run_in_background(&script);
    let deadline = Instant::now() + Duration::from_secs(20);
    while site.state("ms-01") != "stopped" {
        assert!(Instant::now() < deadline, "ms-01 never stopped");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let output = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("kuroko did not stop after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("`ms-01` started again (R11)"), "{stderr}");
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn a_failing_stop_command_means_no_backup_is_taken() {
    let site = Site::new();
    std::fs::write(site.root("ms-01").join("run/isstop.fail"), "").unwrap();
    let before = site.backups();
    site.script(r#"backup("ms-01");"#, &[])
        .code(1)
        .stderr_has("IS10001")
        .stderr_has("nothing was backed up");
    assert_eq!(site.backups(), before);
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn rules_that_are_not_overridable_cannot_be_forced() {
    let site = Site::new();
    let before = site.snapshot();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=ms-02", "--force", "R1"])
        .code(2)
        .stderr_has("R1 cannot be overridden");
    assert_unchanged(&before, &site.snapshot());
}
