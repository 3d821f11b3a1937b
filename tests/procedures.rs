//! The documented procedures end to end on a rehearsal site, checked file by file.

use std::fs;

use crate::support::{Site, assert_unchanged, sh};

const MS01: (&str, &str) = ("192.0.2.11", "ms-01.rehearsal.test");
const MS02: (&str, &str) = ("192.0.2.12", "ms-02.rehearsal.test");
const RS01: (&str, &str) = ("192.0.2.21", "rs-01.rehearsal.test");

#[test]
fn expansion_gives_the_reserve_server_the_groups_resources_with_its_own_identity() {
    let site = Site::new();
    let cert_before = site.read("rs-01", "etc/opt/FJSVisscs/security/env/sitecert.pem");
    let run = site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    // The runbook says what it does at each step, in the manual's order.
    let steps: Vec<usize> = ["§2.1 step 1", "§2.1 step 2", "§2.1 step 3"]
        .iter()
        .map(|s| run.stdout.find(s).unwrap_or_else(|| panic!("no {s} in\n{}", run.stdout)))
        .collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "steps out of order:\n{}", run.stdout);

    site.assert_resources_match("ms-01", "rs-01", MS01, RS01);
    assert!(site.group_definitions().lines().any(|l| l == "member G1 rs-01"));
    assert_eq!(site.state("ms-01"), "running", "the member that was backed up runs again");
    assert_eq!(site.state("rs-01"), "running");
    // Policy not-allowed: the new member keeps its own certificate environment.
    assert_eq!(site.read("rs-01", "etc/opt/FJSVisscs/security/env/sitecert.pem"), cert_before);
    let provenance = site.read("rs-01", "var/opt/kuroko/provenance.json");
    assert!(
        provenance.contains("\"source_group\": \"G1\"")
            && provenance.contains("\"hostinfo_pending\": false")
    );
    site.kuroko(&["status"]).success().stdout_has("rs-01      member      G1     running");
}

#[test]
fn expansion_under_an_allowing_policy_brings_the_certificate_environment() {
    let site = Site::with_policy("allowed");
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    for file in ["sitecert.pem", "keystore"] {
        let path = format!("etc/opt/FJSVisscs/security/env/{file}");
        assert_eq!(site.read("rs-01", &path), site.read("ms-01", &path));
    }
    site.assert_resources_match("ms-01", "rs-01", MS01, RS01);
}

#[test]
fn recovery_restores_a_failed_member_from_a_backup_of_its_group() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    site.kuroko(&["rehearsal", "fail", site.dir().to_str().unwrap(), "ms-02"]).success();
    site.kuroko(&["rehearsal", "repair", site.dir().to_str().unwrap(), "ms-02"]).success();
    let cert_before = site.read("ms-02", "etc/opt/FJSVisscs/security/env/sitecert.pem");
    let run = site.kuroko(&["run", "recover", "-p", "server=ms-02", "--yes"]).success();
    for step in ["§2.2 step 1", "§2.2 step 3", "§2.2 step 4", "§2.2 step 5"] {
        assert!(run.stdout.contains(step), "no {step}:\n{}", run.stdout);
    }
    site.assert_resources_match("ms-01", "ms-02", MS01, MS02);
    assert!(site.group_definitions().lines().any(|l| l == "member G1 ms-02"));
    assert_eq!(site.state("ms-02"), "running");
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.read("ms-02", "etc/opt/FJSVisscs/security/env/sitecert.pem"), cert_before);
}

#[test]
fn recovery_without_an_operator_stops_at_the_manual_step_and_resumes_later() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    site.kuroko(&["rehearsal", "fail", site.dir().to_str().unwrap(), "ms-02"]).success();
    site.kuroko(&["run", "recover", "-p", "server=ms-02"])
        .code(1)
        .stderr_has("a manual step needs an operator")
        .stderr_has("--yes");
    // The failed server was deleted from its group, then the run stopped before restoring.
    assert!(!site.group_definitions().contains("member G1 ms-02"));
    site.kuroko(&["rehearsal", "repair", site.dir().to_str().unwrap(), "ms-02"]).success();
    site.kuroko(&["run", "recover", "-p", "server=ms-02", "--yes"]).success();
    site.assert_resources_match("ms-01", "ms-02", MS01, MS02);
    assert!(site.group_definitions().contains("member G1 ms-02"));
}

#[test]
fn recovery_from_the_servers_own_backup_changes_no_host_information() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let before = crate::support::files(&site.root("ms-01"));
    site.kuroko(&["rehearsal", "fail", site.dir().to_str().unwrap(), "ms-01"]).success();
    site.kuroko(&["rehearsal", "repair", site.dir().to_str().unwrap(), "ms-01"]).success();
    let run = site.kuroko(&["run", "recover", "-p", "server=ms-01", "--yes"]).success();
    assert!(!run.stdout.contains("change server-specific"), "{}", run.stdout);
    assert_eq!(crate::support::files(&site.root("ms-01")), before);
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn a_site_backup_is_one_generation_that_gnu_tar_and_sha256sum_accept() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let ids = site.backups();
    let servers: Vec<&str> = ids.iter().map(|id| id.split('/').nth(1).unwrap()).collect();
    assert_eq!(servers, ["adm", "ms-01", "ms-03", "ss-01"]);
    let generations: Vec<&str> = ids.iter().map(|id| id.split('/').next().unwrap()).collect();
    assert!(generations.iter().all(|g| *g == generations[0]), "one generation: {ids:?}");
    for id in &ids {
        let dir = site.store().join(id);
        let manifest: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
        let server = id.split('/').nth(1).unwrap();
        assert_eq!(manifest["server"], server);
        assert_eq!(manifest["generation"], generations[0]);
        assert!(manifest["address"].as_str().unwrap().starts_with("192.0.2."));
        assert_eq!(manifest["facts"]["interstage_version"], "13.0");
        let listed = sh(&dir, "tar -tf archive.tar").success().stdout;
        for file in manifest["files"].as_array().unwrap() {
            let path = file["path"].as_str().unwrap();
            assert!(listed.lines().any(|l| l == path), "GNU tar does not list {path}");
        }
        sh(&dir, "sha256sum -c archive.sha256").success();
        sh(
            &dir,
            "mkdir x && tar -xf archive.tar -C x && cd x && sha256sum --strict -c ../files.sha256",
        )
        .success();
    }
    let admin = fs::read_to_string(site.store().join(&ids[0]).join("manifest.json")).unwrap();
    assert!(admin.contains("\"role\": \"admin\""));
    let member = fs::read_to_string(site.store().join(&ids[1]).join("manifest.json")).unwrap();
    assert!(member.contains("\"group\": \"G1\"") && member.contains("\"role\": \"member\""));
    for server in ["adm", "ms-01", "ms-03", "ss-01"] {
        assert_eq!(site.state(server), "running", "{server} runs again after its backup");
    }
    site.kuroko(&["backups", "verify"]).success().stdout_has("4 verified, 0 failed");
}

#[test]
fn a_dry_run_prints_the_plan_and_changes_nothing() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let before = site.snapshot();
    let run = site
        .kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--dry-run"])
        .success();
    assert_unchanged(&before, &site.snapshot());
    for line in [
        "plan [ms-01] stop Interstage for the backup  [checks R4, R7]",
        "plan [rs-01] import backup",
        "[checks R1, R9, R7, R8, R6]",
        "plan [rs-01] change server-specific information: 192.0.2.11 -> 192.0.2.21",
        "plan [adm] add `rs-01` to group `G1`  [checks R2, R5, R10]",
        "nothing was changed",
    ] {
        assert!(run.stdout.contains(line), "plan lacks {line:?}:\n{}", run.stdout);
    }
}

#[test]
fn a_dry_run_shows_the_refusal_a_real_run_would_meet() {
    let site = Site::new();
    let before = site.snapshot();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=ss-01", "--dry-run"])
        .refused("R1");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_site_file_given_by_a_relative_path_reaches_its_servers() {
    let site = Site::new();
    let run = std::process::Command::new(crate::support::KUROKO)
        .args(["--site", "site.toml", "run", "backup-site"])
        .current_dir(site.dir())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(site.backups().len(), 4);
}

#[test]
fn without_group_commands_the_group_step_is_a_confirmed_manual_step() {
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    let text: String =
        text.lines().filter(|l| !l.starts_with("group_")).map(|l| format!("{l}\n")).collect();
    fs::write(site.site_file(), text).unwrap();
    let defs = site.group_definitions();
    // No operator: the run stops at the manual step, with the server imported but not added.
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"])
        .code(1)
        .stdout_has(
            "MANUAL STEP: in the Interstage management console of `adm`, add server `rs-01`",
        )
        .stderr_has("a manual step needs an operator");
    site.kuroko(&["status"]).success().stdout_has("rs-01      reserve");
    // Confirmed: kuroko records the membership itself, since the admin server cannot be asked.
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01", "--yes"]).success();
    site.kuroko(&["status"]).success().stdout_has("rs-01      member      G1");
    assert_eq!(site.group_definitions(), defs, "kuroko does not edit the console's definitions");
    assert!(fs::read_to_string(site.store().join("kuroko-state.json")).unwrap().contains("rs-01"));
}

#[test]
fn service_backup_commands_travel_with_the_backup_and_restore_with_the_managed_flag() {
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    let text = text.replacen(
        "[commands]\n",
        "[backup]\n\
         commands = [\"echo 'exported sessions of' $(hostname) > {dir}/sessions.dump\"]\n\
         restore_commands = [\"cp {dir}/sessions.dump {root}/var/opt/FJSVisas/restored.dump && echo 'restore {managed}' > {root}/var/opt/FJSVisas/restore.flag\"]\n\n\
         [commands]\n",
        1,
    );
    fs::write(site.site_file(), text).unwrap();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    let id = site.backup_of("ms-01");
    let listed = sh(&site.store().join(&id), "tar -tf archive.tar").success().stdout;
    assert!(listed.lines().any(|l| l == "var/opt/kuroko/service/sessions.dump"), "{listed}");
    assert!(
        site.read("rs-01", "var/opt/FJSVisas/restored.dump").starts_with("exported sessions of")
    );
    assert_eq!(site.read("rs-01", "var/opt/FJSVisas/restore.flag"), "restore -s\n");
    assert!(
        !site.root("rs-01").join("var/tmp/kuroko/service").exists(),
        "the service folder is cleaned up"
    );
}
