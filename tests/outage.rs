//! The outage per backup (issue 12): a member is stopped only for as long as a local copy
//! of its resources takes on its own disk; the copy goes to the controller after it is
//! started again. Observed with the rehearsal's `run/isstart.delay`: while `isstart` is
//! still starting the server, nothing of the backup has reached the controller yet.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Run, Site};

/// The archives in the store (finished or being written).
fn archives(store: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![store.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|n| n == "archive.tar") {
                found.push(path);
            }
        }
    }
    found
}

/// Backs up ms-01 with `isstart` held for a while; returns the archives the store held
/// when `isstart` began, and the run's stdout.
fn archives_while_starting(site: &Site) -> (Vec<PathBuf>, String) {
    let (seen, run) = backup_while_starting(site, |_| {});
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    (seen, run.stdout)
}

/// Backs up ms-01 with `isstart` held for a while, doing `during` when it begins; the
/// archives the store held then, and the run.
fn backup_while_starting(site: &Site, during: impl FnOnce(&Site)) -> (Vec<PathBuf>, Run) {
    let run = site.root("ms-01").join("run");
    fs::write(run.join("isstart.delay"), "2").unwrap();
    let _ = fs::remove_file(run.join("isstart.begun"));
    let script = site.temp.path().join("backup-ms-01.rhai");
    fs::write(&script, "backup(\"ms-01\");\n").unwrap();
    let child = site.run_in_background(&script);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !run.join("isstart.begun").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(run.join("isstart.begun").exists(), "isstart never began");
    let seen = archives(&site.store());
    during(site);
    let out = child.wait_with_output().unwrap();
    fs::remove_file(run.join("isstart.delay")).unwrap();
    (seen, Run::from_output(out))
}

#[test]
fn a_member_is_started_again_before_its_backup_streams_to_the_controller() {
    let site = Site::new();
    let (seen, _) = archives_while_starting(&site);
    assert!(seen.is_empty(), "the backup streamed while Interstage was down: {seen:?}");
    // The backup is whole and sound, and the server keeps nothing of the copy.
    let id = site.backup_of("ms-01");
    site.kuroko(&["backups", "verify", &id]).success();
    let listed = Command::new("tar")
        .arg("-tf")
        .arg(site.store().join(&id).join("archive.tar"))
        .output()
        .unwrap();
    assert!(listed.status.success() && !listed.stdout.is_empty());
    assert!(!site.root("ms-01").join("var/opt/kuroko").exists(), "the local copy was left behind");
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn without_a_local_copy_the_backup_streams_while_the_member_is_stopped() {
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(site.site_file(), format!("{text}\n[backup]\nlocal_copy = false\n")).unwrap();
    let (seen, _) = archives_while_starting(&site);
    assert_eq!(seen.len(), 1, "the archive is in the store before the start: {seen:?}");
    site.kuroko(&["backups", "verify", &site.backup_of("ms-01")]).success();
}

/// A way to change the local copy, and what it is called.
type Tamper = (&'static str, fn(&Path));

/// A copy changed on the server after it was made is not a backup: what arrives must be
/// what was copied while the server was stopped. Changed while the server starts: cut
/// short, one byte overwritten in place (same size), another file of the same size put in
/// its place (the stamp tells), and one byte overwritten with the times set back to what
/// they were (the stamp cannot tell; the sum of the content does).
#[test]
fn a_local_copy_changed_after_it_was_made_is_refused() {
    use std::io::{Seek, SeekFrom, Write};
    let tamper: [Tamper; 4] = [
        ("cut short", |copy| {
            let bytes = fs::read(copy).unwrap();
            fs::write(copy, &bytes[..bytes.len().min(11264)]).unwrap();
        }),
        ("a byte overwritten", |copy| {
            let mut file = fs::OpenOptions::new().write(true).open(copy).unwrap();
            file.seek(SeekFrom::Start(600)).unwrap();
            file.write_all(b"X").unwrap();
        }),
        ("replaced", |copy| {
            let size = fs::metadata(copy).unwrap().len() as usize;
            let other = copy.with_file_name("other");
            fs::write(&other, vec![0u8; size]).unwrap();
            fs::rename(&other, copy).unwrap();
        }),
        ("times set back", |copy| {
            // A byte of a file's content (httpd.conf's `Listen`), so that the archive still
            // reads: only the sum of the content can tell.
            let before = fs::metadata(copy).unwrap();
            let bytes = fs::read(copy).unwrap();
            let at = bytes.windows(6).position(|w| w == b"Listen").expect("httpd.conf is in it");
            let mut file = fs::OpenOptions::new().write(true).open(copy).unwrap();
            file.seek(SeekFrom::Start(at as u64)).unwrap();
            file.write_all(b"l").unwrap();
            let times = fs::FileTimes::new()
                .set_accessed(before.accessed().unwrap())
                .set_modified(before.modified().unwrap());
            file.set_times(times).unwrap();
        }),
    ];
    for (how, change) in tamper {
        let site = Site::new();
        let copy = site.root("ms-01").join("var/opt/kuroko/local-copy/archive.tar");
        let (_, run) = backup_while_starting(&site, |_| {
            assert!(copy.exists(), "{how}: the local copy is there while the server starts");
            change(&copy);
        });
        assert_eq!(run.code, 1, "{how}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("changed on the server after it was made"),
            "{how}: {}",
            run.stderr
        );
        if how == "times set back" {
            // Told by the sum of what arrived, not by the stamp.
            assert!(run.stderr.contains("bytes arrived, cksum"), "{how}: {}", run.stderr);
        }
        assert!(!site.backups().iter().any(|id| id.ends_with("/ms-01")), "{how}");
        assert_eq!(site.state("ms-01"), "running", "{how}");
        assert!(!site.root("ms-01").join("var/opt/kuroko").exists(), "{how}");
    }
}

/// Only the copy's metadata changed (a scanner, a relabelling: here its mode) while the
/// server starts: the content is what tar wrote, and the backup is taken.
#[test]
fn a_local_copy_whose_metadata_alone_changed_is_still_a_backup() {
    let site = Site::new();
    let copy = site.root("ms-01").join("var/opt/kuroko/local-copy/archive.tar");
    let (_, run) = backup_while_starting(&site, |_| {
        let mut permissions = fs::metadata(&copy).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o400);
        fs::set_permissions(&copy, permissions).unwrap();
    });
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    site.kuroko(&["backups", "verify", &site.backup_of("ms-01")]).success();
}

/// A copy a killed run left on a server is removed by the next backup of it, however
/// that backup is taken.
#[test]
fn a_copy_left_by_a_killed_run_goes_with_the_next_backup() {
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(site.site_file(), format!("{text}\n[backup]\nlocal_copy = false\n")).unwrap();
    let left = site.root("ms-01").join("var/opt/kuroko/local-copy");
    fs::create_dir_all(&left).unwrap();
    fs::write(left.join("archive.tar"), "left behind").unwrap();
    let mut permissions =
        fs::metadata(site.root("ms-01").join("var/opt/kuroko")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o700);
    fs::set_permissions(site.root("ms-01").join("var/opt/kuroko"), permissions).unwrap();
    site.script("backup(\"ms-01\");\n", &[]).success();
    assert!(!left.exists(), "the copy left behind is still there");
}

/// Each server's outage is a figure: in the run's narration beside the whole backup's
/// time, in the batch summary, and in the report's table of outages (stop to start).
#[test]
fn the_outage_of_each_backup_is_reported_beside_its_time() {
    let site = Site::new();
    let run = site.kuroko(&["run", "backup-site"]).success();
    for server in ["adm", "ms-01", "ms-03", "ss-01"] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(&format!("[{server}] out of service for "))
                && l.contains(" s backup")),
            "{server}:\n{}",
            run.stdout
        );
    }
    let report = site.kuroko(&["report", &site.last_run()]).success().stdout;
    let table = report.split("## Outages (業務停止)").nth(1).expect("an outage table");
    let table = table.split("\n## ").next().unwrap_or_default();
    let rows: Vec<&str> =
        table.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| SERVER")).collect();
    assert_eq!(rows.len(), 4, "{table}");
    for row in rows {
        let seconds = row.trim_end_matches(" |").rsplit("| ").next().unwrap_or_default();
        assert!(seconds.parse::<f64>().is_ok(), "{row}");
    }
    let batch = site.kuroko(&["batch", "group:G1", "backup"]).success();
    assert_eq!(batch.stdout.matches(" (outage ").count(), 2, "{}", batch.stdout);
}
