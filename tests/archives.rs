//! Corrupt and hostile archives: refused before anything is unpacked, with nothing
//! changed on any server and nothing written outside the staging folder.

use std::fs;

use sha2::{Digest, Sha256};

use crate::support::{Site, assert_unchanged};

fn hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// A raw tar entry: name, type flag, link target, data. Written by hand so that the
/// hostile names no tar library would produce can be made.
struct Entry<'a> {
    name: &'a str,
    kind: u8,
    link: &'a str,
    data: &'a [u8],
}

fn raw_tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        let mut header = [0u8; 512];
        header[..entry.name.len()].copy_from_slice(entry.name.as_bytes());
        header[100..108].copy_from_slice(b"0000644\0");
        header[108..116].copy_from_slice(b"0000000\0");
        header[116..124].copy_from_slice(b"0000000\0");
        header[124..136].copy_from_slice(format!("{:011o}\0", entry.data.len()).as_bytes());
        header[136..148].copy_from_slice(b"00000000000\0");
        header[156] = entry.kind;
        header[157..157 + entry.link.len()].copy_from_slice(entry.link.as_bytes());
        header[257..265].copy_from_slice(b"ustar\x0000");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| *b as u32).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(entry.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Puts a hand-made archive in the store as a backup of `ms-01`, with a manifest whose
/// checksums are right, so only the entry itself can be refused.
fn plant(site: &Site, name: &str, archive: Vec<u8>, files: &[(&str, &[u8])]) -> String {
    let admin_id = site.backup_of("adm");
    let admin: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(site.store().join(&admin_id).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let generation = format!("planted-{name}");
    let id = format!("{generation}/ms-01");
    let dir = site.store().join(&id);
    fs::create_dir_all(&dir).unwrap();
    let manifest = serde_json::json!({
        "format": 1, "id": id, "generation": generation, "site": "rehearsal", "server": "ms-01",
        "role": "member", "group": "G1", "address": "192.0.2.11", "hostname": "ms-01.rehearsal.test",
        "facts": admin["facts"], "created": "2026-01-01T00:00:00.000Z", "definitions": admin["definitions"],
        "units": ["etc/opt/FJSVisas"], "certificate_paths": [],
        "archive": { "name": "archive.tar", "sha256": hex(&archive), "size": archive.len() },
        "files": files.iter().map(|(p, d)| serde_json::json!({"path": p, "sha256": hex(d), "size": d.len()})).collect::<Vec<_>>(),
    });
    fs::write(dir.join("archive.tar"), &archive).unwrap();
    fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    id
}

fn refuses_hostile(entries: &[Entry], files: &[(&str, &[u8])], expected: &str) {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let id = plant(&site, "hostile", raw_tar(entries), files);
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[])
        .code(3)
        .stderr_has("refused by R8")
        .stderr_has(expected);
    assert_unchanged(&before, &site.snapshot());
    assert!(!site.temp.path().join("escape").exists());
}

#[test]
fn a_planted_backup_with_plain_entries_is_accepted() {
    // The control for the hostile cases below: the same planting, with a harmless entry.
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let data: &[u8] = b"Version=13.0\n";
    let entries = [Entry { name: "etc/opt/FJSVisas/isas.conf", kind: b'0', link: "", data }];
    let id = plant(&site, "plain", raw_tar(&entries), &[("etc/opt/FJSVisas/isas.conf", data)]);
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[]).success();
    assert_eq!(site.read("rs-01", "etc/opt/FJSVisas/isas.conf"), "Version=13.0\n");
}

#[test]
fn an_archive_entry_with_dot_dot_is_refused() {
    let data: &[u8] = b"owned\n";
    refuses_hostile(
        &[Entry { name: "etc/opt/FJSVisas/../../../../../escape", kind: b'0', link: "", data }],
        &[("etc/opt/FJSVisas/../../../../../escape", data)],
        "is not a plain relative path",
    );
}

#[test]
fn an_archive_entry_with_an_absolute_path_is_refused() {
    let data: &[u8] = b"owned\n";
    refuses_hostile(
        &[Entry { name: "/tmp/escape", kind: b'0', link: "", data }],
        &[("/tmp/escape", data)],
        "is not a plain relative path",
    );
}

#[test]
fn a_symbolic_link_leaving_the_root_is_refused() {
    refuses_hostile(
        &[Entry {
            name: "etc/opt/FJSVisas/link",
            kind: b'2',
            link: "../../../../../../etc",
            data: b"",
        }],
        &[],
        "leaves its unit",
    );
    refuses_hostile(
        &[Entry { name: "etc/opt/FJSVisas/link", kind: b'2', link: "/etc/passwd", data: b"" }],
        &[],
        "is not a relative path",
    );
}

#[test]
fn a_hard_link_to_a_file_outside_the_archive_is_refused() {
    refuses_hostile(
        &[Entry { name: "etc/opt/FJSVisas/passwd", kind: b'1', link: "/etc/passwd", data: b"" }],
        &[],
        "hard link",
    );
}

#[test]
fn a_device_file_is_refused() {
    refuses_hostile(
        &[Entry { name: "etc/opt/FJSVisas/disk", kind: b'3', link: "", data: b"" }],
        &[],
        "device files are refused",
    );
}

#[test]
fn a_truncated_archive_is_refused() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let id = site.backup_of("ms-01");
    let archive = site.store().join(&id).join("archive.tar");
    let bytes = fs::read(&archive).unwrap();
    fs::write(&archive, &bytes[..1000]).unwrap();
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[])
        .code(3)
        .stderr_has("refused by R8");
    assert_unchanged(&before, &site.snapshot());
}

#[test]
fn a_server_whose_resources_hold_a_named_pipe_gives_no_backup() {
    let site = Site::new();
    let pipe = site.root("ms-01").join("etc/opt/FJSVisas/pipe");
    assert!(std::process::Command::new("mkfifo").arg(&pipe).status().unwrap().success());
    site.script(r#"backup("ms-01");"#, &[]).code(1).stderr_has("named pipes are refused");
    assert!(site.backups().is_empty(), "{:?}", site.backups());
    assert_eq!(site.state("ms-01"), "running");
}

#[test]
fn an_interrupted_backup_is_never_listed_as_a_backup() {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    let generation = site.backup_of("adm").split('/').next().unwrap().to_string();
    let partial = site.store().join(&generation).join(".tmp-ms-03-999");
    fs::create_dir_all(&partial).unwrap();
    fs::write(partial.join("archive.tar"), b"half an archive").unwrap();
    site.kuroko(&["backups", "list"]).success().stderr_has("an interrupted backup, not usable");
    site.kuroko(&["backups", "verify"]).code(1).stdout_has(".tmp-ms-03-999: an interrupted backup");
    let before = site.snapshot();
    site.script(&format!(r#"import_backup("{generation}/.tmp-ms-03-999", "rs-01");"#), &[])
        .code(2)
        .stderr_has("is not a backup id");
    assert_unchanged(&before, &site.snapshot());
}
