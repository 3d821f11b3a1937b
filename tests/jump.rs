//! Jump hosts, with real OpenSSH servers that this machine cannot reach except through
//! the jump host: the servers live in a network namespace that only the jump host's
//! namespace reaches, over a veth pair.
//!
//! ```text
//!  kuroko (this machine) ──veth 198.18.N.0/30── jump ns (bastion sshd)
//!                                                  └──veth 198.19.N.0/24── server ns (one sshd per server)
//! ```
//!
//! The addresses come from 198.18.0.0/15, the range set aside for tests (RFC 2544), and
//! exist only inside the namespaces and veth pairs the test made; everything is removed
//! when the test ends.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::sshd::{SshSite, Sshd};
use crate::support::Site;

/// Two network namespaces joined as above; removed on drop.
struct Namespaces {
    jump: String,
    servers: String,
    host_veth: String,
    /// The third octet of both subnets.
    n: u32,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {}\n(the jump host tests need root and `ip netns`: .ci/run runs as root)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Namespaces {
    fn new() -> Namespaces {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let count = COUNT.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}{count}", std::process::id() % 100_000);
        let n = (std::process::id() * 7 + count * 31) % 250 + 1;
        let spaces = Namespaces {
            jump: format!("kuroko-j{id}"),
            servers: format!("kuroko-s{id}"),
            host_veth: format!("kh{id}"),
            n,
        };
        let (jump, servers) = (spaces.jump.as_str(), spaces.servers.as_str());
        let (kh, kj, kk, ks) =
            (spaces.host_veth.clone(), format!("kj{id}"), format!("kk{id}"), format!("ks{id}"));
        ip(&["netns", "add", jump]);
        ip(&["netns", "add", servers]);
        ip(&["link", "add", &kh, "type", "veth", "peer", "name", &kj]);
        ip(&["link", "set", &kj, "netns", jump]);
        ip(&["addr", "add", &format!("198.18.{n}.1/30"), "dev", &kh]);
        ip(&["link", "set", &kh, "up"]);
        ip(&["-n", jump, "addr", "add", &format!("198.18.{n}.2/30"), "dev", &kj]);
        ip(&["-n", jump, "link", "set", &kj, "up"]);
        ip(&["-n", jump, "link", "set", "lo", "up"]);
        ip(&["link", "add", &kk, "type", "veth", "peer", "name", &ks]);
        ip(&["link", "set", &kk, "netns", jump]);
        ip(&["link", "set", &ks, "netns", servers]);
        ip(&["-n", jump, "addr", "add", &format!("198.19.{n}.1/24"), "dev", &kk]);
        ip(&["-n", jump, "link", "set", &kk, "up"]);
        ip(&["-n", servers, "addr", "add", &format!("198.19.{n}.2/24"), "dev", &ks]);
        ip(&["-n", servers, "link", "set", &ks, "up"]);
        ip(&["-n", servers, "link", "set", "lo", "up"]);
        // This machine's default route leads elsewhere: say here that the servers'
        // network cannot be reached, so no packet for it ever leaves the machine.
        ip(&["route", "add", "unreachable", &format!("198.19.{n}.0/24")]);
        spaces
    }

    /// The jump host's address, reachable from this machine.
    fn jump_address(&self) -> String {
        format!("198.18.{}.2", self.n)
    }

    /// The servers' address, reachable from the jump host's namespace only.
    fn server_address(&self) -> String {
        format!("198.19.{}.2", self.n)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for space in [&self.jump, &self.servers] {
            let _ = Command::new("ip").args(["netns", "del", space]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.host_veth]).output();
        let _ = Command::new("ip")
            .args(["route", "del", "unreachable", &format!("198.19.{}.0/24", self.n)])
            .output();
    }
}

/// A bastion that forwards TCP and runs nothing: every session gets `/bin/false`.
const BASTION: &str = "PermitTTY no\nForceCommand /bin/false\nAllowAgentForwarding no\n";

/// A rehearsal site whose servers are reachable only through jump hosts.
struct JumpSite {
    ssh: SshSite,
    jumps: Vec<(String, Sshd)>,
    // Dropped last: the sshd processes inside must be gone first.
    spaces: Namespaces,
}

impl JumpSite {
    /// Every server behind `bastion` (in the jump namespace); with `chain`, behind
    /// `inner` (in the servers' namespace) which is reached through `outer`.
    fn new(chain: bool) -> JumpSite {
        let spaces = Namespaces::new();
        let servers_ns = spaces.servers.clone();
        let address = spaces.server_address();
        let via = if chain { "inner" } else { "bastion" };
        let ssh = SshSite::build(&format!("jump = \"{via}\"\nconnect_timeout = 5"), {
            move |index, name, dir, authorized| {
                Sshd::start_in(
                    Some(&servers_ns),
                    dir,
                    name,
                    &address,
                    2200 + index as u16,
                    authorized,
                    false,
                    "",
                )
            }
        });
        let base = ssh.site.temp.path().join("ssh");
        let authorized = base.join("authorized_keys");
        let mut jumps = Vec::new();
        let mut tables = String::new();
        let first = if chain { "outer" } else { "bastion" };
        let sshd = Sshd::start_in(
            Some(&spaces.jump),
            &base.join(first),
            first,
            &spaces.jump_address(),
            2022,
            &authorized,
            false,
            BASTION,
        );
        tables.push_str(&format!(
            "\n[jumps.{first}]\nhost = \"{}\"\nport = 2022\n",
            spaces.jump_address()
        ));
        jumps.push((first.to_string(), sshd));
        if chain {
            let sshd = Sshd::start_in(
                Some(&spaces.servers),
                &base.join("inner"),
                "inner",
                &spaces.server_address(),
                2222,
                &authorized,
                false,
                BASTION,
            );
            tables.push_str(&format!(
                "\n[jumps.inner]\nhost = \"{}\"\nport = 2222\njump = \"outer\"\n",
                spaces.server_address()
            ));
            jumps.push(("inner".to_string(), sshd));
        }
        let mut text = fs::read_to_string(ssh.site.site_file()).unwrap();
        text.push_str(&tables);
        fs::write(ssh.site.site_file(), text).unwrap();
        let mut known = fs::read_to_string(&ssh.known_hosts).unwrap();
        for (_, sshd) in &jumps {
            known.push_str(&format!("{}\n", sshd.host_key_line));
        }
        fs::write(&ssh.known_hosts, known).unwrap();
        JumpSite { ssh, jumps, spaces }
    }

    fn site(&self) -> &Site {
        &self.ssh.site
    }

    fn jump(&self, name: &str) -> &Sshd {
        &self.jumps.iter().find(|(n, _)| n == name).unwrap().1
    }

    fn server_logins(&self) -> usize {
        self.ssh.sshd.values().map(Sshd::logins).sum()
    }

    /// known_hosts without `name`'s line, or with it changed to `replacement`.
    fn edit_known(&self, line: &str, replacement: &str) {
        let known = fs::read_to_string(&self.ssh.known_hosts).unwrap();
        assert!(known.contains(line));
        fs::write(&self.ssh.known_hosts, known.replace(line, replacement)).unwrap();
    }
}

fn unreachable_directly(address: &str, port: u16) -> bool {
    let target: SocketAddr = format!("{address}:{port}").parse().unwrap();
    TcpStream::connect_timeout(&target, Duration::from_secs(1)).is_err()
}

#[test]
fn servers_behind_a_jump_host_are_reached_through_it_over_one_shared_connection() {
    let js = JumpSite::new(false);
    let site = js.site();
    // The servers really are out of this machine's reach.
    assert!(unreachable_directly(&js.spaces.server_address(), js.ssh.sshd("ms-01").port));
    let status = site.kuroko(&["status"]).success();
    let answered =
        status.stdout.matches(" running ").count() + status.stdout.matches(" stopped ").count();
    assert_eq!(answered, js.ssh.sshd.len(), "{}", status.stdout);
    assert_eq!(js.jump("bastion").logins(), 1, "one connection to the jump host for all");
    site.kuroko(&["run", "backup-site"]).success();
    site.kuroko(&["run", "expand", "-p", "group=G1", "-p", "server=rs-01"]).success();
    assert!(site.group_definitions().contains("member G1 rs-01"));
    assert_eq!(site.state("rs-01"), "running");
    site.kuroko(&["backups", "verify"]).success().stdout_has("0 failed");
    assert_eq!(js.jump("bastion").logins(), 3, "one login per kuroko run");
    // The bastion ran nothing: it forces `/bin/false` on every session, and kuroko needs
    // none there.
    let log =
        fs::read_to_string(js.jump("bastion").config().parent().unwrap().join("sshd.log")).unwrap();
    assert!(!log.contains("Starting session"), "a session ran on the bastion:\n{log}");
}

#[test]
fn a_jump_connection_cut_in_the_middle_of_a_backup_fails_at_once_and_the_server_runs_again() {
    let js = JumpSite::new(false);
    let text = fs::read_to_string(js.site().site_file()).unwrap();
    fs::write(
        js.site().site_file(),
        text.replace("connect_timeout = 5", "connect_timeout = 5\nidle_timeout = 120"),
    )
    .unwrap();
    crate::ssh::big_resources(&js.ssh);
    let started = std::time::Instant::now();
    // The bastion's connection dies (its session processes are killed; it still listens).
    let run =
        crate::ssh::kill_during_backup(&js.ssh, || js.jump("bastion").signal_sessions("KILL"))
            .code(1);
    assert!(run.stderr.contains("broke"), "{}", run.stderr);
    // Found at once, not after the idle timeout of 120 s; and R11 started ms-01 again over
    // a fresh connection through the jump host.
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    assert_eq!(js.site().state("ms-01"), "running", "{}", run.stderr);
    assert!(js.jump("bastion").logins() >= 2);
}

#[test]
fn every_hops_host_key_is_checked_like_a_servers_and_trust_pins_it() {
    let js = JumpSite::new(false);
    let site = js.site();
    let line = js.jump("bastion").host_key_line.clone();
    // Unknown: refused before anything reaches a server, with the way to pin it.
    js.edit_known(&format!("{line}\n"), "");
    site.kuroko(&["status"])
        .code(1)
        .stdout_has("jump host `bastion`")
        .stdout_has("unknown host key")
        .stdout_has("kuroko trust bastion");
    let snapshot = site.snapshot();
    site.kuroko(&["run", "backup-site"]).code(1).stderr_has("jump host `bastion`");
    crate::support::assert_unchanged(&snapshot, &site.snapshot());
    assert_eq!(js.server_logins(), 0, "no server was logged in to");
    // `kuroko trust` with no names pins the jump host first, then the servers behind it.
    let ms01 = js.ssh.sshd("ms-01").host_key_line.clone();
    js.edit_known(&format!("{ms01}\n"), "");
    let trusted = site.kuroko(&["trust"]).success();
    let bastion_at = trusted.stdout.find("pinned `bastion`").expect(&trusted.stdout);
    let ms01_at = trusted.stdout.find("pinned `ms-01`").expect(&trusted.stdout);
    assert!(bastion_at < ms01_at, "{}", trusted.stdout);
    site.kuroko(&["trust", "bastion"]).success().stdout_has("already trusted");
    site.kuroko(&["status"]).success();
    // Changed: refused even with accept_new, and trust will not pin it without --replace.
    let known = fs::read_to_string(&js.ssh.known_hosts).unwrap();
    let pinned = known.lines().find(|l| l.contains("kuroko: bastion")).unwrap().to_string();
    let other = site.temp.path().join("other_key");
    crate::sshd::keygen(&other);
    let other = fs::read_to_string(other.with_extension("pub")).unwrap();
    let forged: Vec<&str> = pinned.split_whitespace().collect();
    let forged =
        format!("{} {} {}", forged[0], forged[1], other.split_whitespace().nth(1).unwrap());
    js.edit_known(&pinned, &forged);
    let text = fs::read_to_string(site.site_file()).unwrap();
    fs::write(
        site.site_file(),
        text.replace("jump = \"bastion\"", "jump = \"bastion\"\naccept_new = true"),
    )
    .unwrap();
    let logins = js.server_logins();
    let snapshot = site.snapshot();
    site.kuroko(&["status"]).code(1).stdout_has("CHANGED");
    site.kuroko(&["run", "backup-site"]).code(1).stderr_has("CHANGED");
    crate::support::assert_unchanged(&snapshot, &site.snapshot());
    assert_eq!(js.server_logins(), logins);
    site.kuroko(&["trust", "bastion"]).code(1).stderr_has("--replace");
    site.kuroko(&["trust", "bastion", "--replace"]).success();
    site.kuroko(&["status"]).success();
}

#[test]
fn a_chain_of_jump_hosts_reaches_servers_two_networks_away() {
    let js = JumpSite::new(true);
    let site = js.site();
    // `inner` itself is only reachable through `outer`.
    assert!(unreachable_directly(&js.spaces.server_address(), 2222));
    site.kuroko(&["status"]).success();
    site.kuroko(&["run", "backup-site"]).success();
    assert_eq!(js.jump("outer").logins(), 2);
    assert_eq!(js.jump("inner").logins(), 2);
    // A server may go direct where `[ssh]` names a jump host: here it cannot be reached.
    let text = fs::read_to_string(site.site_file()).unwrap();
    let port = js.ssh.sshd("ss-01").port;
    fs::write(
        site.site_file(),
        text.replace(&format!("port = {port}\n"), &format!("port = {port}\njump = []\n")),
    )
    .unwrap();
    site.kuroko(&["status"])
        .code(1)
        .stdout_has("cannot connect to")
        .stdout_has("a `jump` host may be needed");
}

#[test]
fn servers_that_never_answer_the_jump_host_hold_up_no_other_server() {
    let js = JumpSite::new(false);
    let site = js.site();
    // ms-03 and ms-04 point at addresses nobody has on the servers' network: the jump
    // host's connect to them hangs until ARP gives up. libssh2 opens one channel at a
    // time, so without care every server queued behind them would wait and fail too.
    let text = fs::read_to_string(site.site_file()).unwrap();
    let mut text = text.replace("connect_timeout = 5", "connect_timeout = 6");
    for (name, dead) in [("ms-03", 98), ("ms-04", 99)] {
        let port = js.ssh.sshd(name).port;
        let old = format!("host = \"{}\"\nport = {port}\n", js.spaces.server_address());
        assert!(text.contains(&old), "{old}");
        text = text
            .replace(&old, &format!("host = \"198.19.{}.{dead}\"\nport = {port}\n", js.spaces.n));
    }
    fs::write(site.site_file(), text).unwrap();
    // With a connect timeout shorter than ARP's, the two time out instead of failing.
    for timeout in ["6", "2"] {
        let text = fs::read_to_string(site.site_file()).unwrap();
        let text = text.replace("connect_timeout = 6", &format!("connect_timeout = {timeout}"));
        fs::write(
            site.site_file(),
            text.replace("connect_timeout = 2", &format!("connect_timeout = {timeout}")),
        )
        .unwrap();
        let run = site.kuroko(&["batch", "all", "status", "--forks", "8"]);
        let out = format!("{}{}", run.stdout, run.stderr);
        for name in ["adm", "ms-01", "ms-02", "rs-01", "ss-01"] {
            let line = out.lines().find(|l| l.contains(name) && l.contains("succeeded"));
            assert!(line.is_some(), "{name} was not asked:\n{out}");
        }
        for name in ["ms-03", "ms-04"] {
            assert!(
                out.lines().any(|l| l.contains(name) && l.contains("jump host `bastion`")),
                "{name}:\n{out}"
            );
        }
    }
}

fn site_error(site: &Site, tables: &str, expected: &str) {
    let text = fs::read_to_string(site.site_file()).unwrap();
    let broken = site.temp.path().join("broken.toml");
    fs::write(&broken, format!("{text}\n{tables}")).unwrap();
    let run = crate::support::Run::from_output(
        Command::new(crate::support::KUROKO)
            .arg("--site")
            .arg(&broken)
            .arg("status")
            .output()
            .unwrap(),
    );
    let run = run.code(2);
    assert!(run.stderr.contains(expected), "stderr lacks {expected:?}:\n{}", run.stderr);
}

#[test]
fn jump_settings_that_cannot_work_are_refused_with_where_and_why() {
    let site = Site::new();
    let ssh_server = "[servers.zz-01]\nrole = \"single\"\naddress = \"10.9.9.9\"\nhostname = \"zz\"\ntransport = \"ssh\"\nroot = \"/\"\n[servers.zz-01.ssh]\nhost = \"10.9.9.9\"\n";
    site_error(
        &site,
        &format!("{ssh_server}jump = \"bastoin\"\n[jumps.bastion]\nhost = \"127.0.0.1\"\n"),
        "unknown jump host `bastoin`; did you mean `bastion`?",
    );
    site_error(
        &site,
        "[jumps.a]\nhost = \"127.0.0.1\"\njump = \"b\"\n[jumps.b]\nhost = \"127.0.0.1\"\njump = \"a\"\n",
        "loop",
    );
    site_error(
        &site,
        &format!(
            "{ssh_server}jump = [\"a\", \"b\"]\n[jumps.a]\nhost = \"127.0.0.1\"\n[jumps.b]\nhost = \"127.0.0.1\"\njump = \"a\"\n"
        ),
        "passes jump host `a` twice",
    );
    site_error(&site, "[jumps.ms-01]\nhost = \"127.0.0.1\"\n", "names a server and a jump host");
    site_error(&site, "[jumps.x]\nport = 22\n", "jumps.x.host");
    site_error(
        &site,
        "[jumps.x]\nhost = \"127.0.0.1\"\nkeepalive = 9223372036854775807\n",
        "more than a week",
    );
}

#[test]
fn an_unreachable_jump_host_fails_every_server_behind_it_at_once_and_clearly() {
    let ssh = SshSite::new("jump = \"bastion\"\nconnect_timeout = 2");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut text = fs::read_to_string(ssh.site.site_file()).unwrap();
    text.push_str(&format!("\n[jumps.bastion]\nhost = \"127.0.0.1\"\nport = {port}\n"));
    fs::write(ssh.site.site_file(), text).unwrap();
    let status = ssh.site.kuroko(&["status"]).code(1);
    assert_eq!(
        status.stdout.matches("on the way through jump host `bastion`").count(),
        ssh.sshd.len(),
        "{}",
        status.stdout
    );
    assert_eq!(ssh.sshd.values().map(Sshd::logins).sum::<usize>(), 0);
}
