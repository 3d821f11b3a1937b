//! Real OpenSSH servers for the tests: one `sshd` per rehearsal server on its own
//! loopback address, with its own host key, and a site file that reaches them over SSH.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Site;

pub const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    child: Child,
    pub address: String,
    pub port: u16,
    /// `[address]:port ssh-ed25519 KEY`: the line that pins its ed25519 host key.
    pub host_key_line: String,
    /// The same for its ECDSA host key, when it was started with one.
    pub ecdsa_key_line: Option<String>,
    config: PathBuf,
}

impl Sshd {
    fn start(dir: &Path, name: &str, address: &str, authorized: &Path, ecdsa: bool) -> Sshd {
        let port = free_port(address);
        Sshd::start_in(None, dir, name, address, port, authorized, ecdsa, "")
    }

    /// An sshd inside network namespace `netns` (None: this machine's), with `extra`
    /// config lines.
    #[allow(clippy::too_many_arguments)]
    pub fn start_in(
        netns: Option<&str>,
        dir: &Path,
        name: &str,
        address: &str,
        port: u16,
        authorized: &Path,
        ecdsa: bool,
        extra: &str,
    ) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (.ci/run does)"
        );
        fs::create_dir_all(dir).unwrap();
        let _ = fs::create_dir_all("/run/sshd");
        let key = dir.join("host_ed25519");
        keygen(&key);
        let ecdsa_key = dir.join("host_ecdsa");
        let mut host_keys = format!("HostKey {}\n", key.display());
        if ecdsa {
            keygen_type(&ecdsa_key, "ecdsa");
            host_keys.push_str(&format!("HostKey {}\n", ecdsa_key.display()));
        }
        let config = dir.join("sshd_config");
        fs::write(
            &config,
            format!(
                "ListenAddress {address}\nPort {port}\n{host_keys}PidFile {}\nAuthorizedKeysFile {}\n\
                 UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\nLogLevel INFO\n{extra}",
                dir.join("sshd.pid").display(),
                authorized.display()
            ),
        )
        .unwrap();
        let mut command = match netns {
            Some(netns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", netns, SSHD]);
                command
            }
            None => Command::new(SSHD),
        };
        let child = command
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sshd for {name}: {e}"));
        let line = |key: &Path| {
            let public = fs::read_to_string(key.with_extension("pub")).unwrap();
            let mut fields = public.split_whitespace();
            format!("[{address}]:{port} {} {}", fields.next().unwrap(), fields.next().unwrap())
        };
        let host_key_line = line(&key);
        let ecdsa_key_line = ecdsa.then(|| line(&ecdsa_key));
        let sshd = Sshd {
            child,
            address: address.to_string(),
            port,
            host_key_line,
            ecdsa_key_line,
            config,
        };
        if netns.is_some() {
            sshd.wait_for_log("Server listening");
        } else {
            sshd.wait_for_banner();
        }
        sshd
    }

    /// Waits until the log shows `text` (for an sshd this machine cannot reach).
    fn wait_for_log(&self, text: &str) {
        let log = self.config.parent().unwrap().join("sshd.log");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !fs::read_to_string(&log).unwrap_or_default().contains(text) {
            assert!(Instant::now() < deadline, "sshd never said `{text}`: see {}", log.display());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for_banner(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut stream) = TcpStream::connect((self.address.as_str(), self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut banner = [0u8; 8];
                if stream.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-2.0") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "sshd on {}:{} never answered",
                self.address,
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The sshd processes serving connections (children of the listener).
    pub fn sessions(&self) -> Vec<u32> {
        descendants(self.child.id())
    }

    /// Sends `signal` to the connection processes only: the listener goes on.
    pub fn signal_sessions(&self, signal: &str) {
        for pid in self.sessions() {
            let _ = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status();
        }
    }

    /// Kills the listener and every connection: the server is gone. The listener goes
    /// first (its sessions found before), so that nothing can log in again in between.
    pub fn kill_all(&mut self) {
        let sessions = self.sessions();
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in sessions {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
        // Sessions that began after the first look.
        self.signal_sessions("KILL");
    }

    pub fn config(&self) -> &Path {
        &self.config
    }

    /// How many SSH logins this server accepted (from its log).
    pub fn logins(&self) -> usize {
        let log =
            fs::read_to_string(self.config.parent().unwrap().join("sshd.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("Accepted publickey")).count()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.signal_sessions("CONT");
        self.kill_all();
    }
}

fn descendants(root: u32) -> Vec<u32> {
    let mut parents: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
            parents.entry(ppid).or_default().push(pid);
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for child in parents.get(&pid).cloned().unwrap_or_default() {
            out.push(child);
            todo.push(child);
        }
    }
    out
}

fn free_port(address: &str) -> u16 {
    TcpListener::bind((address, 0)).unwrap().local_addr().unwrap().port()
}

pub fn keygen(path: &Path) {
    keygen_type(path, "ed25519");
}

pub fn keygen_type(path: &Path, kind: &str) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("ssh-keygen (openssh-client)");
    assert!(status.success());
}

/// A rehearsal site whose every server is reached over SSH through its own sshd.
pub struct SshSite {
    pub site: Site,
    pub sshd: BTreeMap<String, Sshd>,
    pub identity: PathBuf,
    pub known_hosts: PathBuf,
}

impl SshSite {
    /// `ssh_settings` are extra lines for the site's `[ssh]` table.
    pub fn new(ssh_settings: &str) -> SshSite {
        SshSite::with_host_keys(ssh_settings, false)
    }

    /// With `ecdsa`, every sshd offers an ECDSA host key besides its ed25519 one; the
    /// known_hosts file still pins the ed25519 keys only.
    pub fn with_host_keys(ssh_settings: &str, ecdsa: bool) -> SshSite {
        SshSite::build(ssh_settings, |index, name, dir, authorized| {
            let address = format!("127.0.0.{}", 2 + index);
            Sshd::start(dir, name, &address, authorized, ecdsa)
        })
    }

    /// `start` starts the sshd of the `index`th server `name` in folder `dir`.
    pub fn build(ssh_settings: &str, start: impl Fn(usize, &str, &Path, &Path) -> Sshd) -> SshSite {
        let site = Site::new();
        let base = site.temp.path().join("ssh");
        fs::create_dir_all(&base).unwrap();
        let identity = base.join("id_ed25519");
        keygen(&identity);
        let authorized = base.join("authorized_keys");
        fs::copy(identity.with_extension("pub"), &authorized).unwrap();
        let mut text = fs::read_to_string(site.site_file()).unwrap();
        let mut sshd = BTreeMap::new();
        let mut known = String::new();
        let names: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("[servers.").and_then(|l| l.strip_suffix(']')))
            .map(str::to_string)
            .collect();
        for (index, name) in names.iter().enumerate() {
            let server = start(index, name, &base.join(name), &authorized);
            let address = server.address.clone();
            known.push_str(&server.host_key_line);
            known.push('\n');
            let root = site.root(name);
            text = text.replace(
                &format!("transport = \"local\"\nroot = \"servers/{name}\"\n"),
                &format!(
                    "transport = \"ssh\"\nroot = \"{}\"\n[servers.{name}.ssh]\nhost = \"{address}\"\nport = {}\n",
                    root.display(),
                    server.port
                ),
            );
            sshd.insert(name.clone(), server);
        }
        let known_hosts = base.join("known_hosts");
        fs::write(&known_hosts, known).unwrap();
        let user =
            String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
        text = text.replacen(
            "[commands]\n",
            &format!(
                "[ssh]\nuser = \"{}\"\nidentity = \"{}\"\nknown_hosts = \"{}\"\n{ssh_settings}\n\n[commands]\n",
                user.trim(),
                identity.display(),
                known_hosts.display()
            ),
            1,
        );
        assert!(!text.contains("transport = \"local\""), "every server goes over SSH");
        fs::write(site.site_file(), text).unwrap();
        SshSite { site, sshd, identity, known_hosts }
    }

    pub fn sshd(&self, name: &str) -> &Sshd {
        &self.sshd[name]
    }
}
