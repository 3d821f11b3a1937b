//! Every procedure over real OpenSSH servers on loopback, and the ways SSH goes wrong.

use std::fs;
use std::time::{Duration, Instant};

use crate::sshd::{SshSite, keygen, keygen_type};
use crate::support::{KUROKO, assert_unchanged};

const MS01: (&str, &str) = ("192.0.2.11", "ms-01.rehearsal.test");
const MS02: (&str, &str) = ("192.0.2.12", "ms-02.rehearsal.test");
const RS01: (&str, &str) = ("192.0.2.21", "rs-01.rehearsal.test");

#[test]
fn expansion_and_recovery_over_ssh_match_file_by_file() {
    let ssh = SshSite::new("");
    let site = &ssh.site;
    site.kuroko(&["run", "backup-site"]).success();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    site.assert_resources_match("ms-01", "rs-01", MS01, RS01);
    assert!(site.group_definitions().contains("member G1 rs-01"));
    assert_eq!(site.state("ms-01"), "running");
    assert_eq!(site.state("rs-01"), "running");

    site.kuroko(&["run", "backup-site"]).success();
    site.kuroko(&["rehearsal", "fail", site.dir().to_str().unwrap(), "ms-02"]).success();
    site.kuroko(&["rehearsal", "repair", site.dir().to_str().unwrap(), "ms-02"]).success();
    site.kuroko(&["run", "recover", "-p", "server=ms-02", "--yes"]).success();
    site.assert_resources_match("ms-01", "ms-02", MS01, MS02);
    assert!(site.group_definitions().contains("member G1 ms-02"));
    assert_eq!(site.state("ms-02"), "running");
    site.kuroko(&["backups", "verify"]).success().stdout_has("0 failed");
    // No key material reaches the terminal.
    let private = fs::read_to_string(&ssh.identity).unwrap();
    let body: String = private.lines().nth(1).unwrap().to_string();
    let run = site.kuroko(&["run", "backup-site"]).success();
    assert!(!run.stdout.contains(&body) && !run.stderr.contains(&body));
}

/// Counts the status commands the servers ran, to prove that none ran.
fn count_commands(ssh: &SshSite) {
    let text = fs::read_to_string(ssh.site.site_file()).unwrap();
    let text = text.replacen("[commands]\n", "[commands]\nstatus = \"echo x >> {root}/run/commands-ran; {root}/opt/FJSVisas/bin/isstat\"\n", 1);
    fs::write(ssh.site.site_file(), text).unwrap();
}

#[test]
fn a_changed_host_key_is_refused_before_any_command_runs() {
    let ssh = SshSite::new("");
    count_commands(&ssh);
    let other = ssh.site.temp.path().join("other_key");
    keygen(&other);
    let public = fs::read_to_string(other.with_extension("pub")).unwrap();
    let known = fs::read_to_string(&ssh.known_hosts).unwrap();
    let line = &ssh.sshd("adm").host_key_line;
    let forged = format!(
        "{} {}",
        line.split_whitespace().next().unwrap(),
        public.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    );
    fs::write(&ssh.known_hosts, known.replace(line, &forged)).unwrap();
    let before = ssh.site.snapshot();
    ssh.site
        .kuroko(&["run", "backup-site"])
        .code(1)
        .stderr_has("host key of 127.0.0.2")
        .stderr_has("CHANGED")
        .stderr_has("kuroko trust adm --replace");
    assert_unchanged(&before, &ssh.site.snapshot());
    assert!(!ssh.site.root("adm").join("run/commands-ran").exists());
    // accept_new never covers a changed key.
    let text = fs::read_to_string(ssh.site.site_file()).unwrap().replacen(
        "[ssh]\n",
        "[ssh]\naccept_new = true\n",
        1,
    );
    fs::write(ssh.site.site_file(), text).unwrap();
    ssh.site.kuroko(&["status"]).code(1).stdout_has("CHANGED");
    ssh.site.kuroko(&["trust", "adm"]).code(1).stderr_has("--replace");
    ssh.site.kuroko(&["trust", "adm", "--replace"]).success().stdout_has("pinned `adm`");
    ssh.site.kuroko(&["status"]).success();
}

#[test]
fn an_unknown_host_key_is_refused_until_trusted_or_accept_new_is_asked_for() {
    let ssh = SshSite::new("");
    count_commands(&ssh);
    fs::write(&ssh.known_hosts, "").unwrap();
    let before = ssh.site.snapshot();
    ssh.site
        .kuroko(&["run", "backup-site"])
        .code(1)
        .stderr_has("unknown host key SHA256:")
        .stderr_has("kuroko trust adm");
    assert_unchanged(&before, &ssh.site.snapshot());
    let pinned = ssh.site.kuroko(&["trust", "adm", "ms-01"]).success();
    let fingerprint = pinned
        .stdout
        .lines()
        .next()
        .unwrap()
        .rsplit_once("SHA256:")
        .unwrap()
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // The fingerprint is the one OpenSSH itself shows for the host key.
    let key = ssh.sshd("adm").config().parent().unwrap().join("host_ed25519.pub");
    let openssh = std::process::Command::new("ssh-keygen").arg("-lf").arg(&key).output().unwrap();
    assert!(String::from_utf8_lossy(&openssh.stdout).contains(&fingerprint), "{fingerprint}");
    ssh.site.kuroko(&["status"]).code(1).stdout_has("ms-02      unreachable");
    let text = fs::read_to_string(ssh.site.site_file()).unwrap().replacen(
        "[ssh]\n",
        "[ssh]\naccept_new = true\n",
        1,
    );
    fs::write(ssh.site.site_file(), text).unwrap();
    ssh.site.kuroko(&["status"]).success().stderr_has("pinned the new host key of `ms-02`");
    let known = fs::read_to_string(&ssh.known_hosts).unwrap();
    assert_eq!(known.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count(), 8);
}

#[test]
fn an_unreachable_server_fails_fast_with_a_clear_message() {
    let mut ssh = SshSite::new("connect_timeout = 2");
    ssh.sshd.get_mut("ms-04").unwrap().kill_all();
    let started = Instant::now();
    ssh.site
        .kuroko(&["status"])
        .code(1)
        .stdout_has("ms-04      unreachable")
        .stdout_has("cannot connect to 127.0.0.6");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    // A listener that accepts and never speaks: the handshake gives up after connect_timeout.
    let silent = std::net::TcpListener::bind("127.0.0.6:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let text = fs::read_to_string(ssh.site.site_file()).unwrap();
    let old = format!("port = {}", ssh.sshd("ms-04").port);
    fs::write(ssh.site.site_file(), text.replace(&old, &format!("port = {port}"))).unwrap();
    let before = ssh.site.snapshot();
    let started = Instant::now();
    // R4 must know whether ms-04 runs before ms-03 may stop: the run fails, changing nothing.
    ssh.site
        .kuroko(&["run", "backup-site"])
        .code(1)
        .stderr_has("cannot reach `ms-04`: the SSH handshake with 127.0.0.6")
        .stderr_has("Timed out");
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    drop(silent);
    let after = ssh.site.snapshot();
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| !k.starts_with("backups/") && before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}

#[test]
fn a_server_that_stops_answering_fails_its_step_within_the_idle_timeout() {
    let ssh = SshSite::new("idle_timeout = 2");
    let site = &ssh.site;
    let script = site.temp.path().join("watch.rhai");
    fs::write(
        &script,
        "status(\"ms-01\"); let n = 0; while n < 2000 { status(\"ms-01\"); pause(0); n += 1; }",
    )
    .unwrap();
    let mut child = std::process::Command::new(KUROKO)
        .arg("--site")
        .arg(site.site_file())
        .arg("run")
        .arg(&script)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ssh.sshd("ms-01").sessions().is_empty() {
        assert!(Instant::now() < deadline, "no SSH session to ms-01");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    ssh.sshd("ms-01").signal_sessions("STOP");
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if stopped.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("kuroko hung on a server that stopped answering");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    ssh.sshd("ms-01").signal_sessions("CONT");
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stopped answering") || stderr.contains("Timed out"), "{stderr}");
    assert!(stopped.elapsed() < Duration::from_secs(15), "took {:?}", stopped.elapsed());
}

/// Gives ms-01 a resource big enough that its backup takes a while to stream.
pub fn big_resources(ssh: &SshSite) {
    let path = ssh.site.root("ms-01").join("var/opt/FJSVisas/big.dat");
    let status = std::process::Command::new("head")
        .args(["-c", "400M", "/dev/urandom"])
        .stdout(fs::File::create(&path).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
}

pub fn kill_during_backup(ssh: &SshSite, kill: impl FnOnce()) -> crate::support::Run {
    let site = &ssh.site;
    let script = site.temp.path().join("one.rhai");
    fs::write(&script, "backup(\"ms-01\");").unwrap();
    let child = site.run_in_background(&script);
    // Wait until the archive is streaming into the store.
    let deadline = Instant::now() + Duration::from_secs(60);
    'outer: loop {
        assert!(Instant::now() < deadline, "the backup never started streaming");
        for generation in fs::read_dir(site.store()).unwrap().flatten() {
            for entry in fs::read_dir(generation.path()).into_iter().flatten().flatten() {
                let archive = entry.path().join("archive.tar");
                if entry.file_name().to_string_lossy().starts_with(".tmp-ms-01")
                    && fs::metadata(&archive).map(|m| m.len() > 1 << 20).unwrap_or(false)
                {
                    break 'outer;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    kill();
    let output = child.wait_with_output().unwrap();
    let run = crate::support::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    // Nothing in the store looks like a complete backup of ms-01.
    assert!(!site.backups().iter().any(|id| id.ends_with("/ms-01")), "{:?}", site.backups());
    site.kuroko(&["backups", "verify"]).success();
    run
}

#[test]
fn a_connection_cut_in_the_middle_of_a_backup_leaves_no_archive_and_the_server_runs_again() {
    let ssh = SshSite::new("");
    big_resources(&ssh);
    let run = kill_during_backup(&ssh, || ssh.sshd("ms-01").signal_sessions("KILL"));
    let run = run.code(1);
    assert!(run.stderr.contains("broke") || run.stderr.contains("unusable"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`ms-01` started again") || ssh.site.state("ms-01") == "running",
        "{}",
        run.stderr
    );
    assert_eq!(ssh.site.state("ms-01"), "running");
}

#[test]
fn a_server_killed_in_the_middle_of_a_backup_is_reported_as_left_stopped() {
    let mut ssh = SshSite::new("connect_timeout = 2");
    // Streamed while stopped (no local copy): the server dies during its outage.
    let text = fs::read_to_string(ssh.site.site_file()).unwrap();
    fs::write(ssh.site.site_file(), format!("{text}\n[backup]\nlocal_copy = false\n")).unwrap();
    big_resources(&ssh);
    let sshd = ssh.sshd.remove("ms-01").unwrap();
    let sshd = std::cell::RefCell::new(sshd);
    let run = kill_during_backup(&ssh, || sshd.borrow_mut().kill_all()).code(1);
    assert!(run.stderr.contains("could NOT be started again"), "{}", run.stderr);
    assert_eq!(ssh.site.state("ms-01"), "stopped");
}

/// With the local copy (the default), the backup streams after the server is started
/// again: a server lost during the stream loses the backup, not its business.
#[test]
fn a_server_lost_while_its_local_copy_streams_is_running_already() {
    let mut ssh = SshSite::new("connect_timeout = 2");
    big_resources(&ssh);
    let sshd = ssh.sshd.remove("ms-01").unwrap();
    let sshd = std::cell::RefCell::new(sshd);
    let run = kill_during_backup(&ssh, || sshd.borrow_mut().kill_all()).code(1);
    assert!(!run.stderr.contains("could NOT be started again"), "{}", run.stderr);
    assert_eq!(ssh.site.state("ms-01"), "running");
}

#[test]
fn commands_run_with_the_servers_path_and_sudo_as_configured() {
    let ssh = SshSite::new("");
    let text = fs::read_to_string(ssh.site.site_file()).unwrap();
    let text = text.replacen("[commands]\n", "[commands]\nstatus = \"isstat; echo \\\"user=$(id -un) sudo=$SUDO_USER\\\" > {root}/run/who\"\n", 1);
    let text = text.replace(
        "[servers.ms-01.ssh]\n",
        "sudo = true\npath = [\"{root}/opt/FJSVisas/bin\"]\n[servers.ms-01.ssh]\n",
    );
    let text = text.replace(
        "[servers.ms-02.ssh]\n",
        "path = [\"{root}/opt/FJSVisas/bin\"]\n[servers.ms-02.ssh]\n",
    );
    fs::write(ssh.site.site_file(), text).unwrap();
    // Without `path`, a bare `isstat` is not found.
    let run = ssh.site.kuroko(&["status"]).code(1);
    assert!(run.stdout.contains("ms-01      member"), "{}", run.stdout);
    assert!(run.stdout.contains("ms-02      member"), "{}", run.stdout);
    assert!(
        run.stdout.contains("ms-03      unreachable") || run.stdout.contains("ms-03      cannot"),
        "{}",
        run.stdout
    );
    assert!(ssh.site.read("ms-01", "run/who").contains("sudo=root"), "sudo was used on ms-01");
    assert!(ssh.site.read("ms-02", "run/who").trim().ends_with("sudo="), "no sudo on ms-02");
}

#[test]
fn one_ssh_session_per_server_serves_every_step_of_a_run() {
    let ssh = SshSite::new("");
    let logins_before = ssh.sshd("ms-01").logins();
    ssh.site
        .script(
            "for i in 0..10 { status(\"ms-01\"); }\nstop_interstage(\"ms-01\");\nstart_interstage(\"ms-01\");\nwrite_file(\"ms-01\", \"var/tmp/x\", \"y\");\nprint(read_file(\"ms-01\", \"var/tmp/x\"));\n",
            &[],
        )
        .success()
        .stdout_has("y");
    // Fourteen steps and the state reads between them, over one login.
    assert_eq!(ssh.sshd("ms-01").logins() - logins_before, 1);
}

fn read_known(ssh: &SshSite) -> String {
    fs::read_to_string(&ssh.known_hosts).unwrap()
}

fn accept_new(ssh: &SshSite) {
    let text = fs::read_to_string(ssh.site.site_file()).unwrap().replacen(
        "[ssh]\n",
        "[ssh]\naccept_new = true\n",
        1,
    );
    fs::write(ssh.site.site_file(), text).unwrap();
}

/// A new key of `kind`, as `TYPE BASE64`.
fn new_key(ssh: &SshSite, file: &str, kind: &str) -> String {
    let path = ssh.site.temp.path().join(file);
    keygen_type(&path, kind);
    let public = fs::read_to_string(path.with_extension("pub")).unwrap();
    public.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// `line` (`HOSTS TYPE KEY`) with another key in place of its own.
fn forge(line: &str, key: &str) -> String {
    format!("{} {key}", line.split_whitespace().next().unwrap())
}

fn nothing_ran_on_adm(ssh: &SshSite) {
    assert!(!ssh.site.root("adm").join("run/commands-ran").exists(), "a command ran on adm");
    assert_eq!(ssh.sshd("adm").logins(), 0, "kuroko logged in to adm");
}

#[test]
fn a_revoked_host_key_is_refused_for_a_run_by_trust_and_with_accept_new() {
    let ssh = SshSite::new("");
    count_commands(&ssh);
    let line = ssh.sshd("adm").host_key_line.clone();
    let key = line.split_once(' ').unwrap().1.to_string();
    // The plain entry stays: @revoked wins over it, as in OpenSSH.
    let known = format!("{}# compromised\n@revoked * {key}\n", read_known(&ssh));
    fs::write(&ssh.known_hosts, &known).unwrap();
    let before = ssh.site.snapshot();
    ssh.site
        .kuroko(&["run", "backup-site"])
        .code(1)
        .stderr_has("host key SHA256:")
        .stderr_has("of 127.0.0.2")
        .stderr_has("is marked @revoked in")
        .stderr_has("nothing was run");
    assert_unchanged(&before, &ssh.site.snapshot());
    nothing_ran_on_adm(&ssh);
    for args in [&["trust", "adm"][..], &["trust", "adm", "--replace"], &["trust"]] {
        ssh.site.kuroko(args).code(1).stderr_has("@revoked").stderr_has("was not pinned");
        assert_eq!(read_known(&ssh), known, "{args:?}");
    }
    // accept_new pins no revoked key, whether or not the plain entry is there.
    accept_new(&ssh);
    ssh.site.kuroko(&["status"]).code(1).stdout_has("adm").stdout_has("@revoked");
    assert_eq!(read_known(&ssh), known);
    let without = known.replace(&format!("{line}\n"), "");
    fs::write(&ssh.known_hosts, &without).unwrap();
    ssh.site.kuroko(&["status"]).code(1).stdout_has("@revoked");
    ssh.site.kuroko(&["trust", "adm"]).code(1).stderr_has("@revoked");
    assert_eq!(read_known(&ssh), without);
    nothing_ran_on_adm(&ssh);
}

#[test]
fn a_server_with_several_host_keys_is_checked_against_the_key_type_pinned_for_it() {
    let ssh = SshSite::with_host_keys("", true);
    // Only the ECDSA keys are pinned; left to itself, libssh2 would negotiate ed25519.
    let known: String =
        ssh.sshd.values().map(|s| format!("{}\n", s.ecdsa_key_line.as_ref().unwrap())).collect();
    fs::write(&ssh.known_hosts, &known).unwrap();
    let run = ssh.site.kuroko(&["status"]).success();
    assert!(!run.stdout.contains("CHANGED") && !run.stderr.contains("CHANGED"), "{}", run.stdout);
    let trusted = ssh
        .site
        .kuroko(&["trust", "adm"])
        .success()
        .stdout_has("`adm` is already trusted: ecdsa-sha2-nistp256 SHA256:");
    let fingerprint = trusted.stdout.split_whitespace().last().unwrap().to_string();
    let key = ssh.sshd("adm").config().parent().unwrap().join("host_ecdsa.pub");
    let openssh = std::process::Command::new("ssh-keygen").arg("-lf").arg(&key).output().unwrap();
    assert!(String::from_utf8_lossy(&openssh.stdout).contains(&fingerprint), "{fingerprint}");
    assert_eq!(read_known(&ssh), known);
    // accept_new has nothing to pin either: the ed25519 keys stay unpinned.
    accept_new(&ssh);
    ssh.site.kuroko(&["run", "backup-site"]).success();
    assert_eq!(read_known(&ssh), known);
}

#[test]
fn trust_and_replace_keep_every_other_line_of_known_hosts_byte_for_byte() {
    let ssh = SshSite::new("");
    let adm = ssh.sshd("adm").host_key_line.clone();
    let others = read_known(&ssh).replace(&format!("{adm}\n"), "");
    let other = new_key(&ssh, "other_key", "ed25519");
    let hashed_file = ssh.site.temp.path().join("hashed");
    fs::write(&hashed_file, format!("other.example {other}\n")).unwrap();
    hash_known_hosts(&hashed_file);
    let hashed = fs::read_to_string(&hashed_file).unwrap();
    assert!(hashed.starts_with("|1|"), "{hashed}");
    let head = format!(
        "# kuroko test known_hosts\r\n\n@cert-authority *.example.com {other} the CA\n{hashed}"
    );
    let tail = format!(
        "{others}  spaced.example\t{other}   a  comment \nthis line means nothing to ssh\n\
         @revoked other.example {other}\nlast.example {other} (no final newline)"
    );
    fs::write(&ssh.known_hosts, format!("{head}{tail}")).unwrap();
    ssh.site.kuroko(&["trust", "adm"]).success().stdout_has("pinned `adm`");
    assert_eq!(read_known(&ssh), format!("{head}{tail}\n{adm} kuroko: adm\n"));
    ssh.site.kuroko(&["status"]).success();

    // Another ed25519 key pinned for adm in the middle of the file: only that line goes.
    let forged = forge(&adm, &new_key(&ssh, "forged_key", "ed25519"));
    let known = format!("{head}{forged} reinstalled\n{tail}");
    fs::write(&ssh.known_hosts, &known).unwrap();
    ssh.site.kuroko(&["trust", "adm"]).code(1).stderr_has("changed").stderr_has("--replace");
    assert_eq!(read_known(&ssh), known);
    ssh.site
        .kuroko(&["trust", "adm", "--replace"])
        .success()
        .stdout_has("pinned `adm`")
        .stdout_has("replacing line 5 (`[127.0.0.2]:");
    assert_eq!(read_known(&ssh), format!("{head}{tail}\n{adm} kuroko: adm\n"));
    ssh.site.kuroko(&["status"]).success();
}

fn hash_known_hosts(path: &std::path::Path) {
    let status = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn hashed_known_hosts_entries_are_matched_and_replaced() {
    let ssh = SshSite::new("");
    hash_known_hosts(&ssh.known_hosts);
    let hashed = read_known(&ssh);
    assert!(!hashed.contains("127.0.0.") && hashed.starts_with("|1|"), "{hashed}");
    ssh.site.kuroko(&["status"]).success();
    ssh.site.kuroko(&["trust", "adm"]).success().stdout_has("`adm` is already trusted");
    assert_eq!(read_known(&ssh), hashed);
    // adm's hashed entry with another ed25519 key: CHANGED, and --replace drops just it.
    let adm = ssh.sshd("adm").host_key_line.clone();
    let blob = adm.split_whitespace().nth(2).unwrap();
    let forged_key = new_key(&ssh, "forged_key", "ed25519");
    let forged = hashed.replace(blob, forged_key.split_whitespace().nth(1).unwrap());
    fs::write(&ssh.known_hosts, &forged).unwrap();
    ssh.site.kuroko(&["status"]).code(1).stdout_has("CHANGED");
    ssh.site.kuroko(&["trust", "adm", "--replace"]).success().stdout_has("replacing line 1 (`|1|");
    let adm_line =
        forged.lines().find(|l| l.contains(forged_key.split_whitespace().nth(1).unwrap()));
    let expected = forged.replace(&format!("{}\n", adm_line.unwrap()), "");
    assert_eq!(read_known(&ssh), format!("{expected}{adm} kuroko: adm\n"));
    ssh.site.kuroko(&["status"]).success();
}

#[test]
fn another_key_of_the_pinned_type_is_changed_and_replace_removes_only_that_entry() {
    let ssh = SshSite::with_host_keys("", true);
    count_commands(&ssh);
    let adm = ssh.sshd("adm").ecdsa_key_line.clone().unwrap();
    let forged = forge(&adm, &new_key(&ssh, "forged_ecdsa", "ecdsa"));
    let others = read_known(&ssh).replace(&format!("{}\n", ssh.sshd("adm").host_key_line), "");
    // Only an ECDSA key is pinned for adm, and not the one it has: it must not pass as an
    // unknown ed25519 key, let alone get pinned by accept_new.
    let known = format!("# site hosts\n{forged}\n{others}");
    fs::write(&ssh.known_hosts, &known).unwrap();
    accept_new(&ssh);
    let before = ssh.site.snapshot();
    ssh.site
        .kuroko(&["run", "backup-site"])
        .code(1)
        .stderr_has("the host key of 127.0.0.2")
        .stderr_has("CHANGED: its ecdsa-sha2-nistp256 key is now SHA256:")
        .stderr_has("kuroko trust adm --replace");
    assert_unchanged(&before, &ssh.site.snapshot());
    nothing_ran_on_adm(&ssh);
    assert_eq!(read_known(&ssh), known);
    ssh.site.kuroko(&["trust", "adm"]).code(1).stderr_has("--replace");
    assert_eq!(read_known(&ssh), known);
    ssh.site.kuroko(&["trust", "adm", "--replace"]).success().stdout_has("replacing line 2");
    assert_eq!(read_known(&ssh), format!("# site hosts\n{others}{adm} kuroko: adm\n"));
    ssh.site.kuroko(&["run", "backup-site"]).success();
}
