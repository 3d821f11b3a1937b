//! Issue 8, tried as an attacker would: hostile runbooks, hooks, site files and forged
//! backups (with consistent manifests, so R8's checksums pass and only the other checks
//! stand), on the rehearsal site and over SSH. Every case proves that nothing ran (a
//! canary command that must never execute) and that nothing changed on any server or
//! outside its root (a snapshot of the site folder's parent, before and after).

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::support::{Run, Site, Snapshot, assert_unchanged, sh};

fn hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// One way to build a command: property tests of the quoting itself.

/// Runs `script` with `sh -c` and returns its stdout.
fn sh_out(script: &[u8]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(std::ffi::OsStr::from_bytes(script))
        .output()
        .expect("sh");
    output.stdout
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any text (but NUL, which no argument can hold) reaches the command as exactly one
    /// argument, byte for byte.
    #[test]
    fn a_quoted_value_is_exactly_one_argument(value in "[^\u{0}]{0,40}|[-;$()`'\" \n\t\\\\*?{}a-z]{0,30}") {
        let word = kuroko::shell::quote(&value);
        let script = format!("set -- {word}; printf '%s:%s' \"$#\" \"$1\"");
        prop_assert_eq!(sh_out(script.as_bytes()), format!("1:{value}").into_bytes());
    }

    /// The same for raw bytes that are not UTF-8.
    #[test]
    fn a_quoted_byte_string_is_exactly_one_argument(value in proptest::collection::vec(1u8..=255, 0..40)) {
        let mut script = b"set -- ".to_vec();
        script.extend(kuroko::shell::quote_bytes(&value));
        script.extend_from_slice(b"; printf '%s:%s' \"$#\" \"$1\"");
        let mut expected = b"1:".to_vec();
        expected.extend(&value);
        prop_assert_eq!(sh_out(&script), expected);
    }

    /// A template's placeholder takes the value as one argument, and a value that looks
    /// like a placeholder is never expanded again.
    #[test]
    fn a_template_substitutes_each_value_once_as_one_argument(
        group in "[^\u{0}]{1,30}|\\{(root|server|group)\\}[;$`' ]{0,5}",
        server in "[^\u{0}]{1,30}",
    ) {
        let template = kuroko::shell::Template::parse(
            "set -- {group} {server}; printf '%s:%s|%s' \"$#\" \"$1\" \"$2\" # {{literal}}",
            &["group", "server", "root"],
        ).unwrap();
        let script = template.render(&[("group", &group), ("server", &server), ("root", "/r")]);
        prop_assert_eq!(sh_out(script.as_str().as_bytes()), format!("2:{group}|{server}").into_bytes());
    }

    /// A normalised path never holds `.`, `..`, an empty or an absolute component, and
    /// normalising it again changes nothing.
    #[test]
    fn a_server_path_is_normal_or_refused(text in "[./a-z\n]{0,30}") {
        if let Ok(path) = kuroko::server_path::ServerPath::parse(&text) {
            prop_assert!(path.components().all(|c| !c.is_empty() && c != "." && c != ".."));
            prop_assert!(!path.as_str().starts_with('/'));
            prop_assert_eq!(kuroko::server_path::ServerPath::parse(path.as_str()).unwrap(), path.clone());
            prop_assert_eq!(kuroko::server_path::ServerPath::exact(path.as_str()).unwrap(), path);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The harness: a canary and a snapshot of everything around the site.

/// A file that only an injected command would create.
fn canary(site: &Site) -> PathBuf {
    site.temp.path().join("CANARY")
}

/// Shell text that creates the canary.
fn touch(site: &Site) -> String {
    format!("touch {}", canary(site).display())
}

/// Every file under the site folder's parent (the servers, the store, the site file and
/// anything an escape could have written beside them), but the journal and the scripts.
fn everything(site: &Site) -> Snapshot {
    let mut all = Snapshot::new();
    walk(site.temp.path(), site.temp.path(), &mut all);
    all.retain(|p, _| {
        !p.starts_with("site/backups/journal")
            && !p.starts_with("script-")
            && !p.ends_with("sshd.log")
            && p != "site/backups/.kuroko-site.lock"
            && p != "site/backups/.kuroko-site.holder"
    });
    all
}

fn walk(base: &Path, dir: &Path, out: &mut Snapshot) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path.strip_prefix(base).unwrap().to_string_lossy().into_owned();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            out.insert(rel, format!("link {}", fs::read_link(&path).unwrap().display()));
        } else if meta.is_dir() {
            out.insert(rel.clone(), "dir".into());
            walk(base, &path, out);
        } else {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            out.insert(
                rel,
                format!("file {:o} {}", mode, hex(&fs::read(&path).unwrap_or_default())),
            );
        }
    }
}

/// Runs `attack`, then proves that the canary never appeared and nothing changed.
#[track_caller]
fn harmless(site: &Site, attack: impl FnOnce() -> Run) -> Run {
    let before = everything(site);
    let run = attack();
    assert!(!canary(site).exists(), "an injected command ran\n{}\n{}", run.stdout, run.stderr);
    assert_unchanged(&before, &everything(site));
    assert_ne!(run.code, 101, "kuroko panicked:\n{}", run.stderr);
    run
}

// ---------------------------------------------------------------------------------------
// Hostile runbooks.

#[test]
fn a_file_path_cannot_carry_a_command() {
    let site = Site::new();
    for path in [
        format!("x; {}; opt/FJSVisas/bin/isstop -f", touch(&site)),
        format!("$({})", touch(&site)),
        format!("`{}`", touch(&site)),
        format!("x'; {}; echo '", touch(&site)),
        format!("x\n{}", touch(&site)),
        "-n /etc/passwd".to_string(),
    ] {
        let script = format!("print(read_file(\"ms-01\", {path:?}));");
        let run = harmless(&site, || site.script(&script, &[]));
        assert!(run.code == 1 || run.code == 2, "{path:?}: {}", run.stderr);
        // Written, a path is a file name and nothing more: the file has exactly that name.
        let script = format!("write_file(\"ms-01\", {path:?}, \"x\");");
        let run = site.script(&script, &[]);
        assert!(!canary(&site).exists(), "{path:?} ran a command");
        assert_ne!(run.code, 101);
        if run.code == 0 {
            let normal = kuroko::server_path::ServerPath::parse(&path).unwrap();
            assert_eq!(fs::read_to_string(site.root("ms-01").join(normal.as_str())).unwrap(), "x");
        }
        assert_eq!(site.state("ms-01"), "running");
    }
}

#[test]
fn write_file_refuses_resources_and_records_however_they_are_spelled() {
    let site = Site::new();
    for path in [
        "etc/./opt/FJSVisas/isas.conf",
        "etc//opt/FJSVisas/isas.conf",
        "./etc/opt/FJSVihs/servers/FJapache/conf/httpd.conf",
        "var/opt/./kuroko/provenance.json",
        "var/opt/kuroko/x",
        "var/opt/kuroko",
        "etc/opt",
        "etc",
        "etc/opt/FJSVisscs/security/env/keystore",
        "opt/FJSVisas/bin/isstop",
        "etc/opt/FJSVnew/planted.conf",
        "etc/opt/x/../FJSVisas/isas.conf",
        "/etc/passwd",
        "",
        ".",
        // Outside the folders the site lets runbooks write: files servers run or source.
        "etc/rehearsal/identity",
        "etc/cron.d/kuroko",
        "usr/local/bin/tar",
        "root/.ssh/authorized_keys",
        "var/tmp",
    ] {
        let script = format!("write_file(\"rs-01\", {path:?}, \"forged\");");
        let run = harmless(&site, || site.script(&script, &[]));
        assert_eq!(run.code, 2, "{path:?} was not refused:\n{}", run.stderr);
        assert!(
            run.stderr.contains("write_file refused")
                || run.stderr.contains("holds `..`")
                || run.stderr.contains("absolute")
                || run.stderr.contains("empty path"),
            "{path:?}: the error does not say what was refused and why:\n{}",
            run.stderr
        );
    }
    // The control: an ordinary note outside the resources is written and read back.
    site.script(
        "write_file(\"rs-01\", \"var/tmp/./notes/a.txt\", \"ok\"); print(read_file(\"rs-01\", \"var/tmp/notes/a.txt\"));",
        &[],
    )
    .success()
    .stdout_has("ok");
}

#[test]
fn nothing_is_read_or_written_through_a_symbolic_link_on_the_server() {
    let site = Site::new();
    let outside = site.temp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), "outside the root\n").unwrap();
    let tmp = site.root("ms-01").join("var/tmp");
    fs::create_dir_all(&tmp).unwrap();
    std::os::unix::fs::symlink(&outside, tmp.join("notes")).unwrap();
    std::os::unix::fs::symlink("../../../../outside/secret", tmp.join("tmp-link")).unwrap();
    for script in [
        r#"write_file("ms-01", "var/tmp/notes/planted", "x");"#,
        r#"write_file("ms-01", "var/tmp/notes/secret", "x");"#,
        r#"write_file("ms-01", "var/tmp/tmp-link", "x");"#,
        r#"print(read_file("ms-01", "var/tmp/notes/secret"));"#,
        r#"print(read_file("ms-01", "var/tmp/tmp-link"));"#,
    ] {
        harmless(&site, || site.script(script, &[]))
            .code(1)
            .stderr_has("is a symbolic link on the server");
    }
}

#[test]
fn a_hostile_hook_cannot_inject_either() {
    let site = Site::new();
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(
        site.site_file(),
        text.replacen("[commands]", "site_folder = \"custom\"\n\n[commands]", 1),
    )
    .unwrap();
    fs::create_dir_all(site.dir().join("custom")).unwrap();
    fs::write(
        site.dir().join("custom/hooks.rhai"),
        format!(
            "fn before_stop_interstage(server) {{ write_file(server, \"var/opt/./kuroko/provenance.json\", \"{{}}\"); read_file(server, \"x; {}\"); }}\n",
            touch(&site)
        ),
    )
    .unwrap();
    harmless(&site, || site.script(r#"stop_interstage("ms-01");"#, &[])).code(2);
    assert_eq!(site.state("ms-01"), "running");
}

// ---------------------------------------------------------------------------------------
// Hostile site files.

fn with_site_text(site: &Site, edit: impl FnOnce(String) -> String) {
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(site.site_file(), edit(text)).unwrap();
}

#[test]
fn site_file_values_reach_the_shell_as_data_only() {
    let site = Site::new();
    let touch = touch(&site);
    with_site_text(&site, |t| {
        t.replace(
            "root = \"servers/ms-01\"\n",
            &format!("root = \"servers/ms-01\"\npath = [\"$({touch})\", \"`{touch}`;x\", \"{{root}}/opt/FJSVisas/bin\"]\n"),
        )
        .replacen("[commands]\n", "[commands]\nstatus = \"isstat\"\n", 1)
    });
    // The PATH entries are literal folders, the last one holds `isstat`: the run works
    // and nothing is executed.
    harmless(&site, || site.script(r#"print(status("ms-01"));"#, &[])).success();
    for (key, value) in [
        ("paths", format!("etc/opt/FJSV*;{touch}")),
        ("paths", "etc/opt/$(id)".to_string()),
        ("paths", "var/opt/*".to_string()),
        ("paths", "etc/../..".to_string()),
        ("paths", "etc/opt/.*".to_string()),
        ("certificate_paths", ".*/x".to_string()),
        ("certificate_paths", format!("etc/opt/`{touch}`")),
    ] {
        let site = Site::new();
        with_site_text(&site, |t| {
            t.replacen("[commands]", &format!("[backup]\n{key} = [{value:?}]\n\n[commands]"), 1)
        });
        harmless(&site, || site.kuroko(&["run", "backup-site"]))
            .code(2)
            .stderr_has(&format!("key `backup.{key}`"));
    }
}

#[test]
fn templates_take_literal_braces_and_never_expand_a_value_twice() {
    // A site folder whose path holds braces, quotes, spaces and a command substitution:
    // `{root}` carries all of it as data through every template of a whole expansion.
    let temp = tempfile::tempdir().unwrap();
    let dir = temp
        .path()
        .join(format!("it's {{group}} $(touch {}) `x`", temp.path().join("CANARY").display()));
    Run::from_output(
        std::process::Command::new(crate::support::KUROKO)
            .args(["rehearsal", "create"])
            .arg(&dir)
            .output()
            .unwrap(),
    )
    .success();
    let site_file = dir.join("site.toml");
    let text = fs::read_to_string(&site_file).unwrap().replacen(
        "[commands]\n",
        "[commands]\nstatus = \"{root}/opt/FJSVisas/bin/isstat | awk '{{ print $0 }}' | awk '{ print }' | sed 's/x/x/'; : ${{HOME}} ${HOME}\"\n",
        1,
    );
    fs::write(&site_file, text).unwrap();
    let run = Run::from_output(
        std::process::Command::new(crate::support::KUROKO)
            .arg("--site")
            .arg(&site_file)
            .args(["run", "expand", "-p", "group=G1", "-p", "server=rs-01"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    );
    run.success();
    assert!(!temp.path().join("CANARY").exists(), "a command in the root path ran");
    let conf = fs::read_to_string(
        dir.join("servers/rs-01/etc/opt/FJSVihs/servers/FJapache/conf/httpd.conf"),
    )
    .unwrap();
    assert!(conf.contains("Listen 192.0.2.21:80"), "{conf}");
    // A placeholder that does not exist is an error that suggests the nearest one.
    let broken = fs::read_to_string(&site_file).unwrap().replacen(
        "[commands]\n",
        "[commands]\nstart = \"isstart {sever}\"\n",
        1,
    );
    fs::write(&site_file, broken).unwrap();
    let run = Run::from_output(
        std::process::Command::new(crate::support::KUROKO)
            .arg("--site")
            .arg(&site_file)
            .arg("status")
            .output()
            .unwrap(),
    );
    run.code(2).stderr_has("unknown placeholder `{sever}`").stderr_has("it takes `{root}`");
}

// ---------------------------------------------------------------------------------------
// Forged backups: raw tar entries and a manifest whose checksums are all right.

#[derive(Clone)]
struct Entry {
    name: Vec<u8>,
    kind: u8,
    link: Vec<u8>,
    data: Vec<u8>,
    mode: u32,
}

fn file(name: &str, data: &[u8]) -> Entry {
    Entry { name: name.into(), kind: b'0', link: vec![], data: data.into(), mode: 0o644 }
}

fn dir(name: &str) -> Entry {
    Entry { name: name.into(), kind: b'5', link: vec![], data: vec![], mode: 0o755 }
}

fn link(name: &str, target: &str) -> Entry {
    Entry { name: name.into(), kind: b'2', link: target.into(), data: vec![], mode: 0o777 }
}

fn header(name: &[u8], kind: u8, link: &[u8], size: usize, mode: u32) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
    h[257..265].copy_from_slice(b"ustar  \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn raw_tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(&e.name, e.kind, &e.link, e.data.len(), e.mode));
        out.extend_from_slice(&e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Puts `archive` in the store as a backup of ms-01 (G1) with a manifest that lists
/// `files` and `units` and has every checksum right; returns its id.
fn plant(
    site: &Site,
    tag: &str,
    archive: &[u8],
    files: &[(&str, &[u8])],
    units: &[&str],
) -> String {
    let admin_id = site.backup_of("adm");
    let admin: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(site.store().join(&admin_id).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let generation = format!("forged-{tag}");
    let id = format!("{generation}/ms-01");
    let dir = site.store().join(&id);
    fs::create_dir_all(&dir).unwrap();
    let manifest = serde_json::json!({
        "format": 1, "id": id, "generation": generation, "site": "rehearsal", "server": "ms-01",
        "role": "member", "group": "G1", "address": "192.0.2.11", "hostname": "ms-01.rehearsal.test",
        "facts": admin["facts"], "created": "2026-01-01T00:00:00.000Z", "definitions": admin["definitions"],
        "units": units, "certificate_paths": [],
        "archive": { "name": "archive.tar", "sha256": hex(archive), "size": archive.len() },
        "files": files.iter().map(|(p, d)| serde_json::json!({"path": p, "sha256": hex(d), "size": d.len()})).collect::<Vec<_>>(),
    });
    fs::write(dir.join("archive.tar"), archive).unwrap();
    fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    fs::write(dir.join("archive.sha256"), format!("{}  archive.tar\n", hex(archive))).unwrap();
    id
}

fn backed_up_site() -> Site {
    let site = Site::new();
    site.kuroko(&["run", "backup-site"]).success();
    site
}

/// Importing and restoring the forged backup are refused by R8, naming `why`, and
/// neither `backups verify` nor anything else touches a server.
fn refused(site: &Site, id: &str, why: &str) {
    for script in [
        format!(r#"import_backup("{id}", "rs-01");"#),
        format!(r#"import_backup("{id}", "sa-01", #{{certificate: false}});"#),
    ] {
        harmless(site, || site.script(&script, &[]))
            .code(3)
            .stderr_has("refused by R8")
            .stderr_has(why);
    }
    harmless(site, || site.kuroko(&["backups", "verify", id])).code(1).stdout_has(why);
}

#[test]
fn a_chain_of_links_each_harmless_alone_cannot_climb_out() {
    let site = backed_up_site();
    let outside = site.temp.path().join("victim");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("keep"), "precious\n").unwrap();
    let key = b"private key\n";
    for (tag, entries) in [
        (
            "chain1",
            vec![link("etc/opt/FJSVisas/u0", ".."), link("etc/opt/FJSVisas/u1", "u0/../..")],
        ),
        (
            "chain2",
            vec![
                dir("etc/opt/FJSVisas/a"),
                link("etc/opt/FJSVisas/a/u0", ".."),
                link("etc/opt/FJSVisas/a/u1", "u0/.."),
            ],
        ),
        (
            "chain3",
            vec![
                link("etc/opt/FJSVisas/b", "."),
                link("etc/opt/FJSVisas/x", "b/b/b/b/b/b/../../../../../../../../../victim"),
            ],
        ),
        (
            "through",
            vec![link("etc/opt/FJSVisas/l", "."), file("etc/opt/FJSVisas/l/keystore", key)],
        ),
        ("other-unit", vec![link("etc/opt/FJSVisas/l", "../FJSVihs")]),
    ] {
        let files: Vec<(&str, &[u8])> = entries
            .iter()
            .filter(|e| e.kind == b'0')
            .map(|e| (std::str::from_utf8(&e.name).unwrap(), &e.data[..]))
            .collect();
        let id = plant(&site, tag, &raw_tar(&entries), &files, &["etc/opt/FJSVisas"]);
        refused(&site, &id, "hostile entry");
    }
    assert_eq!(fs::read_to_string(outside.join("keep")).unwrap(), "precious\n");
}

#[test]
fn manifest_fields_are_checked_before_anything_uses_them() {
    let site = backed_up_site();
    let data: &[u8] = b"#!/bin/sh\ntouch /tmp/owned\n";
    // A unit outside the site's backup paths: the Interstage commands themselves.
    let entries = [file("opt/FJSVisas/bin/isstart", data)];
    let id = plant(
        &site,
        "commands",
        &raw_tar(&entries),
        &[("opt/FJSVisas/bin/isstart", data)],
        &["opt/FJSVisas"],
    );
    refused(&site, &id, "no match of the site's backup paths");
    // A unit that climbs out of the root.
    let id = plant(&site, "climb", &raw_tar(&[dir("etc/opt/FJSVisas")]), &[], &["../../victim"]);
    refused(&site, &id, "not a plain relative path");
    // An address that would add lines to ismodifyhostinfo's file.
    let ok = site.backup_of("ms-01");
    let dir = site.store().join(&ok);
    let text = fs::read_to_string(dir.join("manifest.json")).unwrap();
    fs::write(
        dir.join("manifest.json"),
        text.replace("\"192.0.2.11\"", "\"192.0.2.11\\nIpAddress,1,2\""),
    )
    .unwrap();
    refused(&site, &ok, "address");
}

#[test]
fn archive_forms_the_unpacker_could_read_differently_are_refused() {
    let site = backed_up_site();
    let conf: &[u8] = b"Version=13.0\n";
    let name = "etc/opt/FJSVisas/isas.conf";
    // PAX header describing a sparse file: 512 bytes to one reader, gigabytes to GNU tar.
    let pax_record = b"27 GNU.sparse.size=2147483647\n30 GNU.sparse.name=etc/opt/x/y\n";
    let mut pax = Entry {
        name: b"PaxHeaders/x".to_vec(),
        kind: b'x',
        link: vec![],
        data: pax_record.to_vec(),
        mode: 0o644,
    };
    pax.mode = 0o644;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("pax", raw_tar(&[pax, file(name, conf)]), "PAX extended headers"),
        ("sparse", raw_tar(&[Entry { kind: b'S', ..file(name, conf) }]), "sparse files"),
        (
            "hardlink-to-link",
            raw_tar(&[
                link("etc/opt/FJSVisas/l", "isas.conf"),
                Entry {
                    name: b"etc/opt/FJSVisas/h".to_vec(),
                    kind: b'1',
                    link: b"etc/opt/FJSVisas/l".to_vec(),
                    data: vec![],
                    mode: 0o644,
                },
            ]),
            "hard links",
        ),
        (
            "dot-slash",
            raw_tar(&[file("./etc/opt/FJSVisas/isas.conf", conf)]),
            "not a plain relative path",
        ),
        ("twice", raw_tar(&[file(name, conf), link(name, "x")]), "holds it twice"),
        ("setuid", raw_tar(&[Entry { mode: 0o4755, ..file(name, conf) }]), "set-uid"),
        ("fifo", raw_tar(&[Entry { kind: b'6', ..file(name, b"") }]), "named pipes"),
        (
            "trailing-slash",
            raw_tar(&[file("etc/opt/FJSVisas/isas.conf/", conf)]),
            "not a plain relative path",
        ),
        (
            "after-end",
            {
                let mut t = raw_tar(&[file(name, conf)]);
                t.extend_from_slice(&header(b"etc/opt/FJSVisas/evil", b'0', b"", 0, 0o644));
                t.resize(t.len() + 1024, 0);
                t
            },
            "after the end",
        ),
        (
            "long-name-alone",
            raw_tar(&[Entry {
                name: b"././@LongLink".to_vec(),
                kind: b'L',
                link: vec![],
                data: b"etc/opt/FJSVisas/x\0".to_vec(),
                mode: 0o644,
            }]),
            "long name",
        ),
    ];
    for (tag, archive, why) in cases {
        let id = plant(&site, tag, &archive, &[(name, conf)], &["etc/opt/FJSVisas"]);
        refused(&site, &id, why);
    }
}

#[test]
fn a_backup_whose_archive_is_a_device_or_a_link_is_refused_at_once() {
    let site = backed_up_site();
    let id = site.backup_of("ms-01");
    let archive = site.store().join(&id).join("archive.tar");
    fs::remove_file(&archive).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &archive).unwrap();
    let started = std::time::Instant::now();
    harmless(&site, || site.kuroko(&["backups", "verify", &id])).code(1).stdout_has("FAILED");
    harmless(&site, || site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[]))
        .code(3)
        .stderr_has("refused by R8");
    harmless(&site, || site.kuroko(&["run", "recover", "-p", "server=ms-02", "--yes"]));
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "verification spun");
}

#[test]
fn the_certificate_environment_is_excluded_by_the_sites_paths_not_the_backups() {
    // A forged backup that hides its certificate paths from the manifest and spells them
    // differently still cannot bring a certificate environment under `not-allowed`.
    let site = backed_up_site();
    let key: &[u8] = b"private key of ms-01\n";
    let conf: &[u8] = b"Version=13.0\n";
    let entries = [
        file("etc/opt/FJSVisas/isas.conf", conf),
        file("etc/opt/FJSVisscs/security/env/keystore", key),
    ];
    let id = plant(
        &site,
        "cert",
        &raw_tar(&entries),
        &[("etc/opt/FJSVisas/isas.conf", conf), ("etc/opt/FJSVisscs/security/env/keystore", key)],
        &["etc/opt/FJSVisas", "etc/opt/FJSVisscs"],
    );
    let own = site.read("rs-01", "etc/opt/FJSVisscs/security/env/keystore");
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[]).success();
    assert_eq!(site.read("rs-01", "etc/opt/FJSVisscs/security/env/keystore"), own);
    site.script(&format!(r#"import_backup("{id}", "rs-01", #{{certificate: true}});"#), &[])
        .refused("R6");
}

#[test]
fn what_sits_on_the_server_at_kurokos_paths_is_not_trusted() {
    let site = backed_up_site();
    let id = site.backup_of("ms-01");
    let victim = site.temp.path().join("victim");
    fs::create_dir_all(&victim).unwrap();
    fs::write(victim.join("keep"), "precious\n").unwrap();
    // kuroko's folder replaced by a link to a folder outside the root.
    fs::create_dir_all(site.root("rs-01").join("var/opt")).unwrap();
    std::os::unix::fs::symlink(&victim, site.root("rs-01").join("var/opt/kuroko")).unwrap();
    harmless(&site, || site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[]))
        .code(1)
        .stderr_has("symbolic link");
    // The parent of a resource folder replaced by a link out of the root.
    fs::remove_file(site.root("sa-01").join("var/opt/kuroko")).ok();
    let etc_opt = site.root("sa-01").join("etc/opt");
    fs::rename(&etc_opt, site.temp.path().join("sa-01-etc-opt")).unwrap();
    std::os::unix::fs::symlink(&victim, &etc_opt).unwrap();
    harmless(&site, || site.script(&format!(r#"import_backup("{id}", "sa-01");"#), &[]))
        .code(1)
        .stderr_has("symbolic link");
    assert_eq!(fs::read_to_string(victim.join("keep")).unwrap(), "precious\n");
}

#[test]
fn runbook_names_resolve_only_where_they_should() {
    let site = Site::new();
    for name in ["stdlib:/etc/passwd", "stdlib:../site/site.toml", "stdlib:nope"] {
        harmless(&site, || site.kuroko(&["run", name])).code(2).stderr_has("standard runbook");
    }
}

// ---------------------------------------------------------------------------------------
// The same attacks over SSH, on real sshd servers.

#[test]
fn over_ssh_paths_links_and_forged_backups_are_refused_too() {
    let ssh = crate::sshd::SshSite::new("");
    let site = &ssh.site;
    site.kuroko(&["run", "backup-site"]).success();
    let good = site.backup_of("ms-01");
    let script = format!("print(read_file(\"ms-01\", \"x; {}\"));", touch(site));
    harmless(site, || site.script(&script, &[])).code(1);
    harmless(site, || {
        site.script(r#"write_file("ms-01", "etc/./opt/FJSVisas/isas.conf", "x");"#, &[])
    })
    .code(2)
    .stderr_has("write_file refused");
    fs::create_dir_all(site.root("ms-01").join("var/tmp")).unwrap();
    std::os::unix::fs::symlink(site.temp.path(), site.root("ms-01").join("var/tmp/notes")).unwrap();
    harmless(site, || site.script(r#"write_file("ms-01", "var/tmp/notes/x", "x");"#, &[]))
        .code(1)
        .stderr_has("is a symbolic link on the server");
    let id = plant(
        site,
        "ssh",
        &raw_tar(&[link("etc/opt/FJSVisas/u0", ".."), link("etc/opt/FJSVisas/u1", "u0/../..")]),
        &[],
        &["etc/opt/FJSVisas"],
    );
    harmless(site, || site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[]))
        .code(3)
        .stderr_has("hostile entry");
    // The control: a real import over SSH still works.
    site.script(&format!(r#"import_backup("{good}", "rs-01"); set_ip("rs-01");"#), &[]).success();
    assert!(
        site.read("rs-01", "etc/opt/FJSVihs/servers/FJapache/conf/httpd.conf")
            .contains("192.0.2.21")
    );
    let _ = sh(site.temp.path(), "true");
}

#[test]
fn an_import_that_did_not_finish_leaves_a_record_that_r2_and_r5_refuse_on() {
    // The service restore command fails after the resources were swapped in: the record
    // written before the swap says the import did not finish.
    let site = Site::new();
    with_site_text(&site, |t| {
        t.replacen(
            "[commands]\n",
            "[backup]\ncommands = [\"echo state > {dir}/s\"]\nrestore_commands = [\"false\"]\n\n[commands]\n",
            1,
        )
    });
    site.kuroko(&["run", "backup-site"]).success();
    let id = site.backup_of("ms-01");
    site.script(&format!(r#"import_backup("{id}", "rs-01");"#), &[]).code(1);
    let record = site.read("rs-01", "var/opt/kuroko/provenance.json");
    assert!(record.contains("\"complete\": false"), "{record}");
    assert!(record.contains("\"hostinfo_pending\": true"), "{record}");
    site.script(r#"start_interstage("rs-01");"#, &[]).refused("R5");
    site.script(r#"set_ip("rs-01"); group_add("G1", "rs-01");"#, &[])
        .refused("R2")
        .stderr_has("did not finish")
        .stderr_has("nothing was touched");
    site.script(r#"set_ip("rs-01");"#, &[]).success();
    site.script(r#"group_add("G1", "rs-01");"#, &[]).refused("R2").stderr_has("did not finish");
    // Its address changed, it still does not start on resources that may be mixed.
    site.script(r#"start_interstage("rs-01");"#, &[]).refused("R5").stderr_has("did not finish");
    // The import done again, with a working restore command, clears it.
    with_site_text(&site, |t| {
        t.replace("restore_commands = [\"false\"]", "restore_commands = [\"true\"]")
    });
    site.script(&format!(r#"import_backup("{id}", "rs-01"); set_ip("rs-01"); start_interstage("rs-01"); group_add("G1", "rs-01");"#), &[])
        .success();
}

#[test]
fn a_folder_swapped_for_a_link_while_kuroko_writes_never_leads_it_outside() {
    // Another process on the server swaps `var/tmp/a` between a folder and a link to a
    // folder outside the root, as fast as it can, while a runbook writes into it.
    let site = Site::new();
    let victim = site.temp.path().join("victim");
    fs::create_dir_all(&victim).unwrap();
    let tmp = site.root("ms-01").join("var/tmp");
    fs::create_dir_all(tmp.join("a")).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (stop, tmp, victim) = (stop.clone(), tmp.clone(), victim.clone());
        std::thread::spawn(move || {
            let (a, aside) = (tmp.join("a"), tmp.join("a.aside"));
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if fs::rename(&a, &aside).is_ok() {
                    let _ = std::os::unix::fs::symlink(&victim, &a);
                    std::thread::yield_now();
                    let _ = fs::remove_file(&a);
                    let _ = fs::rename(&aside, &a);
                }
            }
        })
    };
    let run = site.script(
        r#"for i in 0..150 { try { write_file("ms-01", "var/tmp/a/job", "x"); } catch {} }"#,
        &[],
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    flipper.join().unwrap();
    assert_ne!(run.code, 101, "{}", run.stderr);
    let leaked: Vec<_> = fs::read_dir(&victim).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(leaked.is_empty(), "written outside the root: {leaked:?}");
}

#[test]
fn a_record_in_a_folder_others_can_write_is_not_believed() {
    let site = backed_up_site();
    let id = site.backup_of("ms-01");
    site.script(&format!(r#"import_backup("{id}", "rs-01"); set_ip("rs-01");"#), &[]).success();
    use std::os::unix::fs::PermissionsExt;
    let dir = site.root("rs-01").join("var/opt/kuroko");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    harmless(&site, || site.script(r#"group_add("G1", "rs-01");"#, &[]))
        .code(1)
        .stderr_has("not a private folder");
}

#[test]
fn a_manifest_with_a_huge_unit_list_is_refused_quickly() {
    let site = backed_up_site();
    let id = site.backup_of("ms-01");
    let path = site.store().join(&id).join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let units: Vec<String> = (0..40_000).map(|i| format!("etc/opt/FJSVz{i:08}")).collect();
    manifest["units"] = serde_json::json!(units);
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    let started = std::time::Instant::now();
    harmless(&site, || site.kuroko(&["backups", "verify", &id])).code(1).stdout_has("more than");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn sigterm_during_a_pause_starts_again_what_the_run_stopped() {
    let site = Site::new();
    let path = site.temp.path().join("long.rhai");
    fs::write(&path, "stop_interstage(\"ms-02\");\npause(9223372036854775807);\n").unwrap();
    let child = site.run_in_background(&path);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while site.state("ms-02") != "stopped" {
        assert!(std::time::Instant::now() < deadline, "ms-02 was never stopped");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        std::process::Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    let run = Run::from_output(output);
    assert_ne!(run.code, 101, "{}", run.stderr);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("started again (R11)"), "{}", run.stderr);
    assert_eq!(site.state("ms-02"), "running");
}

// ---------------------------------------------------------------------------------------
// The journal, hooks and the terminal, tried the same way.

#[test]
fn a_tampered_or_torn_journal_never_panics() {
    let site = Site::new();
    site.script(r#"stop_interstage("ms-01"); throw "stop here";"#, &[]).code(1);
    let run = site.last_run();
    let path = site.store().join("journal").join(format!("{run}.jsonl"));
    let text = fs::read_to_string(&path).unwrap();
    // A start entry whose sha256 is two characters.
    let short =
        text.replacen(&text[text.find("\"sha256\":\"").unwrap()..][..75], "\"sha256\":\"ab\"", 1);
    fs::write(&path, &short).unwrap();
    let resumed = site.kuroko(&["resume", &run]);
    assert_ne!(resumed.code, 101, "{}", resumed.stderr);
    assert_eq!(resumed.code, 2, "{}", resumed.stderr);
    // A last line cut short, as a kill leaves it: the run is listed and reported.
    fs::write(&path, format!("{}{{\"kind\":\"step\",\"seq\":9", text)).unwrap();
    site.kuroko(&["runs"]).success().stdout_has(&run);
    site.kuroko(&["report", &run]).success().stderr_has("cut short");
}

#[test]
fn secrets_are_masked_on_the_terminal_too() {
    let site = Site::new();
    let path = site.temp.path().join("secret.rhai");
    fs::write(
        &path,
        "//! param db_password: a secret\nlet p = param(\"db_password\");\nprint(\"pw is \" + p);\nthrow \"bad \" + p;\n",
    )
    .unwrap();
    let run = site.kuroko(&["run", path.to_str().unwrap(), "-p", "db_password=Zq9-s3cr3t"]);
    assert_eq!(run.code, 1);
    assert!(
        !run.stdout.contains("Zq9-s3cr3t") && !run.stderr.contains("Zq9-s3cr3t"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.contains("pw is ***"), "{}", run.stdout);
}

#[test]
fn a_closed_stdout_or_stderr_is_no_panic() {
    let site = Site::new();
    for args in
        [&["status"][..], &["backups", "list"], &["runbooks"], &["reference"], &["run", "nope"]]
    {
        for closed_stdout in [true, false] {
            let mut command = std::process::Command::new(crate::support::KUROKO);
            command.arg("--site").arg(site.site_file()).args(args);
            command.stdin(std::process::Stdio::null());
            // The reading end is closed before kuroko writes anything.
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            if closed_stdout {
                command.stdout(writer).stderr(std::process::Stdio::null());
            } else {
                command.stderr(writer).stdout(std::process::Stdio::null());
            }
            let status = command.status().unwrap();
            assert_ne!(
                status.code(),
                Some(101),
                "{args:?} panicked (closed stdout: {closed_stdout})"
            );
        }
    }
}

#[test]
fn hook_imports_resolve_in_the_site_folder_whatever_runbook_runs() {
    let site = Site::new();
    with_site_text(&site, |t| {
        t.replacen("[commands]", "site_folder = \"custom\"\n\n[commands]", 1)
    });
    let custom = site.dir().join("custom");
    fs::create_dir_all(&custom).unwrap();
    fs::write(custom.join("hooks.rhai"), "print(\"top level ran\");\nfn before_stop_interstage(server) { import \"helper\" as h; h::note(server); }\n").unwrap();
    fs::write(custom.join("helper.rhai"), "fn note(s) { print(\"site helper for \" + s); }\n")
        .unwrap();
    let other = site.temp.path().join("other");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("helper.rhai"), "fn note(s) { print(\"outside helper\"); }\n").unwrap();
    fs::write(other.join("w.rhai"), "stop_interstage(\"ms-01\"); start_interstage(\"ms-01\"); stop_interstage(\"ms-03\"); start_interstage(\"ms-03\");\n").unwrap();
    let run = site.kuroko(&["run", other.join("w.rhai").to_str().unwrap()]).success();
    assert!(run.stdout.contains("site helper for ms-01"), "{}", run.stdout);
    assert!(!run.stdout.contains("outside helper"), "{}", run.stdout);
    assert!(run.stdout.matches("top level ran").count() <= 1, "{}", run.stdout);
}

/// A site's stop command cannot reach into the state read that follows it. A process the stop leaves
/// behind that prints "stopped" later, a syntax error, `exit` or `exec`: the state read is
/// the status command's own, and the stop's result its own.
#[test]
fn a_stop_command_cannot_speak_for_the_state_read_after_it() {
    let cases = [
        // Does not stop; a process it leaves prints what the status command would.
        ("true; (sleep 0.3; echo Interstage status: stopped) &", false, "still runs"),
        // Does not parse: nothing of it runs.
        ("{root}/opt/FJSVisas/bin/isstop -f )", false, "Syntax error"),
        // Stops, then ends its shell in ways that would end a shared script.
        ("{root}/opt/FJSVisas/bin/isstop -f; exit 0", true, ""),
        ("{root}/opt/FJSVisas/bin/isstop -f; exec true", true, ""),
        ("{root}/opt/FJSVisas/bin/isstop -f; cat <<EOF", true, ""),
        // Stops, then fails: the failure is the stop's, and the server counts as stopped.
        ("{root}/opt/FJSVisas/bin/isstop -f; exit 7", false, "exit code 7"),
    ];
    for (stop, works, says) in cases {
        let site = Site::new();
        with_site_text(&site, |t| {
            t.replacen("[commands]\n", &format!("[commands]\nstop = {stop:?}\n"), 1)
        });
        let run = site.script(
            "stop_interstage(\"ms-01\"); print(status(\"ms-01\")); start_interstage(\"ms-01\");",
            &[],
        );
        if works {
            assert_eq!(run.code, 0, "{stop}: {}\n{}", run.stdout, run.stderr);
            assert!(run.stdout.contains("\nstopped\n"), "{stop}: {}", run.stdout);
        } else {
            assert_eq!(run.code, 1, "{stop}: {}\n{}", run.stdout, run.stderr);
            assert!(run.stderr.contains(says), "{stop}: {}", run.stderr);
        }
        // Whatever the stop did, the member runs at the end (R11 starts what was stopped).
        assert_eq!(site.state("ms-01"), "running", "{stop}");
    }
}
