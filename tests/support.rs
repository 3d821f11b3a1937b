//! The test harness: a rehearsal site in a temp folder, a way to run the real binary
//! against it, and snapshots of every server to prove that a refusal changed nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

pub const KUROKO: &str = env!("CARGO_BIN_EXE_kuroko");

pub struct Site {
    pub temp: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        Run::from(output)
    }

    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "wrong exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn refused(self, rule: &str) -> Run {
        let run = self.code(3);
        assert!(
            run.stderr.contains(&format!("refused by {rule} ")),
            "expected a refusal by {rule}\nstderr:\n{}",
            run.stderr
        );
        run
    }

    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Run {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}:\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn stdout_has(self, text: &str) -> Run {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}:\n{}", self.stdout);
        self
    }
}

/// One file of a server: its kind and content hash (or link target).
pub type Snapshot = BTreeMap<String, String>;

impl Site {
    /// A fresh rehearsal site.
    pub fn new() -> Site {
        Site::with_policy("not-allowed")
    }

    pub fn with_policy(policy: &str) -> Site {
        let temp = tempfile::tempdir().expect("temp dir");
        let site = Site { temp };
        let dir = site.dir();
        Run::from(
            Command::new(KUROKO)
                .args(["rehearsal", "create", "--certificate-policy", policy])
                .arg(&dir)
                .output()
                .expect("runs"),
        )
        .success();
        site
    }

    pub fn dir(&self) -> PathBuf {
        self.temp.path().join("site")
    }

    pub fn site_file(&self) -> PathBuf {
        self.dir().join("site.toml")
    }

    pub fn root(&self, server: &str) -> PathBuf {
        self.dir().join("servers").join(server)
    }

    pub fn store(&self) -> PathBuf {
        self.dir().join("backups")
    }

    /// Runs `kuroko --site SITE ARGS…` with no terminal, in English whatever this
    /// machine's locale (`--lang` overrides).
    pub fn kuroko(&self, args: &[&str]) -> Run {
        self.kuroko_in_locale("C", args)
    }

    /// Starts `kuroko --site SITE run SCRIPT` in the background, with no terminal and in
    /// English, its output piped: for a test that acts on the run while it goes on.
    pub fn run_in_background(&self, script: &Path) -> std::process::Child {
        Command::new(KUROKO)
            .arg("--site")
            .arg(self.site_file())
            .arg("run")
            .arg(script)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs")
    }

    /// The same under `LANG=lang` (with `LC_ALL` and `LC_MESSAGES` unset).
    pub fn kuroko_in_locale(&self, lang: &str, args: &[&str]) -> Run {
        Run::from(
            Command::new(KUROKO)
                .arg("--site")
                .arg(self.site_file())
                .args(args)
                .env_remove("LC_ALL")
                .env_remove("LC_MESSAGES")
                .env("LANG", lang)
                .stdin(std::process::Stdio::null())
                .output()
                .expect("runs"),
        )
    }

    /// Writes `source` as a runbook in the temp folder and runs it.
    pub fn script(&self, source: &str, extra: &[&str]) -> Run {
        let path = self.temp.path().join(format!("script-{}.rhai", unique()));
        fs::write(&path, source).expect("write script");
        let path = path.to_string_lossy().into_owned();
        let mut args = vec!["run", path.as_str()];
        args.extend_from_slice(extra);
        self.kuroko(&args)
    }

    pub fn read(&self, server: &str, path: &str) -> String {
        fs::read_to_string(self.root(server).join(path))
            .unwrap_or_else(|e| panic!("{server}:{path}: {e}"))
    }

    pub fn state(&self, server: &str) -> String {
        self.read(server, "run/interstage.state").trim().to_string()
    }

    pub fn group_definitions(&self) -> String {
        self.read("adm", "etc/opt/FJSVisgui/site/groups.conf")
    }

    /// Every file of every server and of the store, but the run journal (which records
    /// refusals too).
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        walk(&self.dir(), &self.dir(), &mut snapshot);
        // The journal records refusals too; the site lock is kuroko's, held while it runs.
        snapshot.retain(|path, _| {
            !path.starts_with("backups/journal/")
                && path != "backups/.kuroko-site.lock"
                && path != "backups/.kuroko-site.holder"
        });
        snapshot
    }

    /// The newest run's id, by its journal's modification time.
    pub fn last_run(&self) -> String {
        let mut runs: Vec<_> = fs::read_dir(self.store().join("journal"))
            .unwrap()
            .flatten()
            .map(|e| (e.metadata().unwrap().modified().unwrap(), e.path()))
            .collect();
        runs.sort();
        runs.last().unwrap().1.file_stem().unwrap().to_string_lossy().into_owned()
    }

    /// The backup ids in the store, oldest generation first.
    pub fn backups(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for generation in fs::read_dir(self.store()).expect("store").flatten() {
            if !generation.path().is_dir() || generation.file_name() == "journal" {
                continue;
            }
            for server in fs::read_dir(generation.path()).expect("generation").flatten() {
                ids.push(format!(
                    "{}/{}",
                    generation.file_name().to_string_lossy(),
                    server.file_name().to_string_lossy()
                ));
            }
        }
        ids.sort();
        ids
    }

    pub fn backup_of(&self, server: &str) -> String {
        self.backups()
            .into_iter()
            .rev()
            .find(|id| id.ends_with(&format!("/{server}")))
            .unwrap_or_else(|| panic!("no backup of {server}"))
    }

    /// Asserts the files under every pattern of a member (minus the certificate
    /// environment) equal `source`'s with the source's address and host name replaced.
    #[track_caller]
    pub fn assert_resources_match(
        &self,
        source: &str,
        target: &str,
        (src_ip, src_host): (&str, &str),
        (ip, host): (&str, &str),
    ) {
        let a = files(&self.root(source));
        let b = files(&self.root(target));
        let a_names: Vec<&String> = a.keys().collect();
        let b_names: Vec<&String> = b.keys().collect();
        assert_eq!(a_names, b_names, "{target} does not hold the same resource files as {source}");
        let mut compared = 0;
        for (path, content) in &a {
            let expected =
                String::from_utf8_lossy(content).replace(src_ip, ip).replace(src_host, host);
            let got = String::from_utf8_lossy(&b[path]).into_owned();
            assert_eq!(
                got, expected,
                "{target}:{path} differs from {source}'s beyond the server-specific information"
            );
            assert!(
                !got.contains(src_ip) && !got.contains(src_host),
                "{target}:{path} still names {source}"
            );
            compared += 1;
        }
        assert!(compared >= 8, "only {compared} files compared");
    }
}

/// Resource files of a server outside the certificate environment: path → bytes
/// (a link is its target).
pub fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for top in ["etc/opt", "var/opt"] {
        let base = root.join(top);
        let Ok(entries) = fs::read_dir(&base) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("FJSV") || name == "FJSVisscs" {
                continue;
            }
            let mut snapshot = Snapshot::new();
            walk(root, &entry.path(), &mut snapshot);
            for path in snapshot.keys() {
                let full = root.join(path);
                let meta = fs::symlink_metadata(&full).expect("meta");
                let bytes = if meta.file_type().is_symlink() {
                    format!("-> {}", fs::read_link(&full).expect("link").display()).into_bytes()
                } else {
                    fs::read(&full).expect("read")
                };
                out.insert(path.clone(), bytes);
            }
        }
    }
    out
}

fn walk(base: &Path, dir: &Path, out: &mut Snapshot) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path.strip_prefix(base).expect("inside").to_string_lossy().into_owned();
        let meta = fs::symlink_metadata(&path).expect("meta");
        if meta.file_type().is_symlink() {
            out.insert(rel, format!("link {}", fs::read_link(&path).expect("link").display()));
        } else if meta.is_dir() {
            walk(base, &path, out);
        } else {
            let data = fs::read(&path).expect("read");
            let hex: String = Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
            out.insert(rel, format!("file {hex}"));
        }
    }
}

/// Asserts two snapshots are equal, listing the differences when not.
#[track_caller]
pub fn assert_unchanged(before: &Snapshot, after: &Snapshot) {
    let mut changes = Vec::new();
    for (path, value) in before {
        match after.get(path) {
            None => changes.push(format!("removed {path}")),
            Some(v) if v != value => changes.push(format!("changed {path}")),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        changes.push(format!("added {path}"));
    }
    assert!(changes.is_empty(), "the refusal changed something:\n{}", changes.join("\n"));
}

fn unique() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!("{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

pub fn sh(dir: &Path, command: &str) -> Run {
    Run::from(Command::new("sh").arg("-c").arg(command).current_dir(dir).output().expect("sh"))
}
