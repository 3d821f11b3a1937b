//! `known_hosts` read and edited as OpenSSH does it (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT").
//!
//! A line is blank, a comment (`#`), or `[@revoked|@cert-authority] HOSTS KEYTYPE BASE64 [COMMENT]`.
//! HOSTS is either a comma-separated list of patterns (`*`, `?`, `!` negation; `[host]:port`
//! for ports other than 22) or one hashed name `|1|SALT|HASH`, HASH = HMAC-SHA1(SALT, name).
//! Lines that cannot be read are skipped, as OpenSSH skips them, and are kept as they are
//! when the file is edited: an edit appends lines or drops whole lines, nothing else.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD_NO_PAD};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// OpenSSH's decoder does not insist on padding: neither does this one.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// One edit of a known_hosts file at a time in this process (parallel runs may pin keys).
static EDITS: Mutex<()> = Mutex::new(());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Hosts {
    Patterns(Vec<String>),
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

#[derive(Debug, Clone)]
struct Entry {
    marker: Option<Marker>,
    hosts: Hosts,
    /// The hosts field as written, for messages.
    hosts_text: String,
    key_type: String,
    blob: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Line {
    /// The line's bytes with its line ending, exactly as read.
    raw: Vec<u8>,
    entry: Option<Entry>,
}

/// A known_hosts file as read.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    lines: Vec<Line>,
}

/// How a host key compares with the plain (unmarked) entries for its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// An entry holds this very key.
    Match,
    /// An entry of the same key type holds another key: the key changed.
    Mismatch,
    /// No entry of this key type: the key is new.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// A matching `@revoked` line holds this key: refuse it whatever else the file says.
    pub revoked: bool,
    /// Key types pinned for the host (plain entries), in file order.
    pub pinned: Vec<String>,
    pub status: Status,
}

/// The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise, in lower case.
pub fn host_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 { host } else { format!("[{host}]:{port}") }
}

/// The key type inside a public key blob: its first SSH string.
pub fn key_type(blob: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4usize.checked_add(len)?)?;
    std::str::from_utf8(name).ok().filter(|n| !n.is_empty() && n.is_ascii())
}

/// The key's SHA256 fingerprint as `ssh-keygen -l` prints it.
pub fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// The key type a host key algorithm signs with (`rsa-sha2-512` uses an `ssh-rsa` key).
pub fn algorithm_key_type(algorithm: &str) -> &str {
    match algorithm {
        "rsa-sha2-512" | "rsa-sha2-256" => "ssh-rsa",
        other => other,
    }
}

/// The client's host key algorithms reordered as OpenSSH's `order_hostkeyalgs` does: those
/// whose key type is pinned for the host first, each group in the client's own order.
/// Certificate algorithms are left out: `@cert-authority` is not supported, so a
/// certificate could never be checked.
pub fn preferred_algorithms<'a>(supported: &[&'a str], pinned: &[String]) -> Vec<&'a str> {
    let usable = supported.iter().copied().filter(|alg| !alg.contains("-cert-"));
    let (mut first, rest): (Vec<&str>, Vec<&str>) =
        usable.partition(|alg| pinned.iter().any(|kind| kind == algorithm_key_type(alg)));
    first.extend(rest);
    first
}

/// The line that pins `blob` for `host:port`, or why it cannot be written.
pub fn entry_line(host: &str, port: u16, blob: &[u8], comment: &str) -> Result<String, String> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || ",*?![]|#@\"".contains(c);
    if host.is_empty() || host.chars().any(bad) {
        return Err(crate::msg!("transport-kh-host-unwritable", host = host));
    }
    let kind = key_type(blob).ok_or_else(|| crate::msg!("transport-kh-no-key-type"))?;
    let comment: String = comment.chars().filter(|c| !c.is_control()).collect();
    Ok(format!("{} {kind} {} {comment}", host_name(host, port), STANDARD.encode(blob)))
}

impl KnownHosts {
    /// Reads `path`; a missing file is an empty one.
    pub fn read(path: &Path) -> io::Result<KnownHosts> {
        match read_bounded(path) {
            Ok(bytes) => Ok(KnownHosts::parse(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(KnownHosts::default()),
            Err(e) => Err(e),
        }
    }

    pub fn parse(bytes: &[u8]) -> KnownHosts {
        let lines = bytes
            .split_inclusive(|b| *b == b'\n')
            .map(|raw| Line { raw: raw.to_vec(), entry: parse_line(raw) })
            .collect();
        KnownHosts { lines }
    }

    /// Plain entries (no marker) whose hosts match `name`, with their line index.
    fn plain_for<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (usize, &'a Entry)> + 'a {
        self.lines.iter().enumerate().filter_map(move |(index, line)| {
            let entry = line.entry.as_ref()?;
            (entry.marker.is_none() && entry.hosts.matches(name)).then_some((index, entry))
        })
    }

    /// The key types pinned for `host:port`, in file order, each once.
    pub fn pinned_types(&self, host: &str, port: u16) -> Vec<String> {
        let name = host_name(host, port);
        let mut types: Vec<String> = Vec::new();
        for (_, entry) in self.plain_for(&name) {
            if !types.contains(&entry.key_type) {
                types.push(entry.key_type.clone());
            }
        }
        types
    }

    /// Judges the key `blob` that `host:port` presented, as OpenSSH's `check_key_in_hostkeys`.
    pub fn lookup(&self, host: &str, port: u16, blob: &[u8]) -> Lookup {
        let name = host_name(host, port);
        let revoked =
            self.lines.iter().filter_map(|l| l.entry.as_ref()).any(|e| {
                e.marker == Some(Marker::Revoked) && e.blob == blob && e.hosts.matches(&name)
            });
        let kind = key_type(blob);
        let mut status = Status::Unknown;
        for (_, entry) in self.plain_for(&name) {
            if entry.blob == blob {
                status = Status::Match;
                break;
            }
            if Some(entry.key_type.as_str()) == kind {
                status = Status::Mismatch;
            }
        }
        Lookup { revoked, pinned: self.pinned_types(host, port), status }
    }
}

/// A line removed by [`replace`]: its number and its hosts field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub line: usize,
    pub hosts: String,
}

#[derive(Debug)]
pub enum EditError {
    Io(PathBuf, io::Error),
    /// A line that pins another key of this type for this host also covers other hosts
    /// through a wildcard or negation: it is the operator's to edit.
    Shared {
        line: usize,
        hosts: String,
    },
    Invalid(String),
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::Io(path, e) => f.write_str(&crate::msg!(
                "transport-kh-cannot-update",
                path = path.display(),
                error = e
            )),
            EditError::Shared { line, hosts } => {
                f.write_str(&crate::msg!("transport-kh-shared-line", line = line, hosts = hosts))
            }
            EditError::Invalid(message) => f.write_str(message),
        }
    }
}

/// Appends the line pinning `blob` for `host:port`; every other byte stays as it was.
pub fn append(
    path: &Path,
    host: &str,
    port: u16,
    blob: &[u8],
    comment: &str,
) -> Result<(), EditError> {
    let line = entry_line(host, port, blob, comment).map_err(EditError::Invalid)?;
    let _guard = EDITS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let io = |e| EditError::Io(path.to_path_buf(), e);
    let _lock =
        lock_beside(&fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())).map_err(io)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let mut file =
        fs::OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io)?;
    let mut text = Vec::new();
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(io(io::Error::new(
            io::ErrorKind::InvalidData,
            crate::msg!("transport-kh-not-regular"),
        )));
    }
    if meta.len() > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1)).map_err(io)?;
        file.read_exact(&mut last).map_err(io)?;
        if last[0] != b'\n' {
            text.push(b'\n');
        }
    }
    text.extend_from_slice(line.as_bytes());
    text.push(b'\n');
    file.write_all(&text).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Pins `blob` for `host:port` in place of the keys of its type pinned there: removes the
/// plain entries of this host with that key type and another key, appends the new line, and
/// keeps every other line byte for byte (a temp file beside it, renamed over it).
pub fn replace(
    path: &Path,
    host: &str,
    port: u16,
    blob: &[u8],
    comment: &str,
) -> Result<Vec<Removed>, EditError> {
    let new_line = entry_line(host, port, blob, comment).map_err(EditError::Invalid)?;
    let kind = key_type(blob).unwrap_or_default().to_string();
    let _guard = EDITS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Edit the file a symbolic link points to, not the link.
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let io = |e| EditError::Io(path.clone(), e);
    let _lock = lock_beside(&path).map_err(io)?;
    let bytes = match read_bounded(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(e)),
    };
    let known = KnownHosts::parse(&bytes);
    let name = host_name(host, port);
    let mut drop = vec![false; known.lines.len()];
    let mut removed = Vec::new();
    let mut present = false;
    for (index, entry) in known.plain_for(&name) {
        if entry.key_type != kind {
            continue;
        }
        if entry.blob == blob {
            present = true;
            continue;
        }
        if entry.hosts.is_shared() {
            return Err(EditError::Shared { line: index + 1, hosts: entry.hosts_text.clone() });
        }
        drop[index] = true;
        removed.push(Removed { line: index + 1, hosts: entry.hosts_text.clone() });
    }
    let mut out = Vec::with_capacity(bytes.len() + new_line.len() + 2);
    for (line, dropped) in known.lines.iter().zip(&drop) {
        if !dropped {
            out.extend_from_slice(&line.raw);
        }
    }
    if !present {
        if out.last().is_some_and(|b| *b != b'\n') {
            out.push(b'\n');
        }
        out.extend_from_slice(new_line.as_bytes());
        out.push(b'\n');
    }
    write_beside(&path, &out).map_err(io)?;
    Ok(removed)
}

/// The largest known_hosts file read (OpenSSH's are a few hundred bytes a host).
const MAX_FILE: u64 = 16 << 20;

/// Reads a known_hosts file: a regular file (a FIFO or a device is refused at once, without
/// blocking) of at most `MAX_FILE` bytes.
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file =
        fs::OpenOptions::new().read(true).custom_flags(nix::libc::O_NONBLOCK).open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            crate::msg!("transport-kh-not-regular-bounded", path = path.display(), max = MAX_FILE),
        ));
    }
    let mut bytes = Vec::new();
    (&mut file).take(MAX_FILE).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Holds an exclusive lock on a file beside `path` (`.NAME.kuroko-lock`) until dropped, so
/// that kuroko processes editing one known_hosts file take turns.
fn lock_beside(path: &Path) -> io::Result<fs::File> {
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!(".{name}.kuroko-lock")))?;
    lock.lock()?;
    Ok(lock)
}

/// Writes `bytes` to a temp file beside `path` with `path`'s permissions and renames it over.
fn write_beside(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.kuroko-{}.tmp", std::process::id()));
    // Left over only by a process of this id that died mid-edit.
    let _ = fs::remove_file(&temp);
    let result = (|| {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        if let Ok(meta) = fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
            // Keeps the owner when root edits someone's file; not allowed otherwise, and
            // then the file was ours anyway.
            let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn parse_line(raw: &[u8]) -> Option<Entry> {
    let text = String::from_utf8_lossy(raw);
    let mut fields = text.split_ascii_whitespace();
    let mut first = fields.next()?;
    if first.starts_with('#') {
        return None;
    }
    let marker = match first {
        "@revoked" => Some(Marker::Revoked),
        "@cert-authority" => Some(Marker::CertAuthority),
        m if m.starts_with('@') => return None,
        _ => None,
    };
    if marker.is_some() {
        first = fields.next()?;
    }
    let hosts = parse_hosts(first)?;
    let kind = fields.next()?;
    let blob = LENIENT.decode(fields.next()?).ok()?;
    // OpenSSH reads the key from the blob and refuses a line whose type name disagrees.
    if key_type(&blob)? != kind {
        return None;
    }
    Some(Entry { marker, hosts, hosts_text: first.to_string(), key_type: kind.to_string(), blob })
}

fn parse_hosts(field: &str) -> Option<Hosts> {
    if let Some(rest) = field.strip_prefix('|') {
        let mut parts = rest.split('|');
        let (Some("1"), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let salt = LENIENT.decode(salt).ok()?;
        let hash = LENIENT.decode(hash).ok()?;
        return (hash.len() == 20).then_some(Hosts::Hashed { salt, hash });
    }
    let patterns: Vec<String> =
        field.split(',').filter(|p| !p.is_empty()).map(|p| p.to_ascii_lowercase()).collect();
    (!patterns.is_empty()).then_some(Hosts::Patterns(patterns))
}

impl Hosts {
    /// Whether `name` (from [`host_name`]) is one of these hosts: OpenSSH's
    /// `match_hostname`, where a matching negated pattern rules the line out.
    fn matches(&self, name: &str) -> bool {
        match self {
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            Hosts::Patterns(patterns) => {
                let mut positive = false;
                for pattern in patterns {
                    match pattern.strip_prefix('!') {
                        Some(negated) if glob(negated, name) => return false,
                        Some(_) => {}
                        None => positive |= glob(pattern, name),
                    }
                }
                positive
            }
        }
    }

    /// Whether the line can pin other hosts than the one it matched: a wildcard or a negation.
    fn is_shared(&self) -> bool {
        match self {
            Hosts::Hashed { .. } => false,
            // A line naming several hosts pins them all: removing it would unpin the
            // others (an attacker's key for them would then be "new", not "changed").
            Hosts::Patterns(patterns) => {
                patterns.len() > 1
                    || patterns.iter().any(|p| p.starts_with('!') || p.contains(['*', '?']))
            }
        }
    }
}

/// `*` is any run of characters, `?` any one character (OpenSSH's `match_pattern`).
fn glob(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(c) if *c == '?' || *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut out = (kind.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn line(hosts: &str, key: &[u8]) -> String {
        format!("{hosts} {} {}\n", key_type(key).unwrap(), STANDARD.encode(key))
    }

    fn hashed(name: &str, salt: &[u8]) -> String {
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
        mac.update(name.as_bytes());
        let hash = mac.finalize().into_bytes();
        format!("|1|{}|{}", STANDARD.encode(salt), STANDARD.encode(hash))
    }

    #[test]
    fn globs_match_as_openssh_does() {
        assert!(glob("*", "[127.0.0.2]:2222"));
        assert!(glob("10.0.0.?", "10.0.0.7"));
        assert!(!glob("10.0.0.?", "10.0.0.17"));
        assert!(glob("*.example.com", "a.b.example.com"));
        assert!(!glob("*.example.com", "example.com"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("", ""));
        assert!(!glob("", "x"));
    }

    #[test]
    fn patterns_negation_ports_and_case() {
        let ed = blob("ssh-ed25519", b"one");
        let text = format!(
            "{}{}",
            line("*.corp,!bad.corp,Server.Example", &ed),
            line("[10.0.0.1]:2222", &ed)
        );
        let known = KnownHosts::parse(text.as_bytes());
        assert_eq!(known.lookup("a.corp", 22, &ed).status, Status::Match);
        assert_eq!(known.lookup("bad.corp", 22, &ed).status, Status::Unknown);
        assert_eq!(known.lookup("server.example", 22, &ed).status, Status::Match);
        assert_eq!(known.lookup("SERVER.example", 22, &ed).status, Status::Match);
        // `[host]:port` is for that port only, and a plain name for port 22 only.
        assert_eq!(known.lookup("10.0.0.1", 2222, &ed).status, Status::Match);
        assert_eq!(known.lookup("10.0.0.1", 22, &ed).status, Status::Unknown);
        assert_eq!(known.lookup("server.example", 2222, &ed).status, Status::Unknown);
        // The wildcard covers the bracketed form too, as in OpenSSH.
        assert_eq!(known.lookup("a.corp", 2222, &ed).status, Status::Unknown);
        let any = KnownHosts::parse(line("*", &ed).as_bytes());
        assert_eq!(any.lookup("10.0.0.1", 2222, &ed).status, Status::Match);
    }

    #[test]
    fn hashed_names_match_their_host_and_port_only() {
        let ed = blob("ssh-ed25519", b"one");
        let text = format!(
            "{}{}",
            line(&hashed("[127.0.0.2]:2222", b"0123456789abcdefghij"), &ed),
            line(&hashed("ms-01", b"salt-two-salt-two-22"), &ed)
        );
        let known = KnownHosts::parse(text.as_bytes());
        assert_eq!(known.lookup("127.0.0.2", 2222, &ed).status, Status::Match);
        assert_eq!(known.lookup("127.0.0.2", 22, &ed).status, Status::Unknown);
        assert_eq!(known.lookup("127.0.0.3", 2222, &ed).status, Status::Unknown);
        assert_eq!(known.lookup("MS-01", 22, &ed).status, Status::Match);
        // A damaged hashed field is no entry at all.
        let broken = KnownHosts::parse(b"|1|abc ssh-ed25519 AAAA\n|2|a|b ssh-ed25519 AAAA\n");
        assert!(broken.lines.iter().all(|l| l.entry.is_none()));
    }

    #[test]
    fn a_key_type_without_an_entry_is_unknown_and_another_key_of_a_pinned_type_is_a_mismatch() {
        let ed = blob("ssh-ed25519", b"one");
        let ed2 = blob("ssh-ed25519", b"two");
        let ec = blob("ecdsa-sha2-nistp256", b"ec");
        let known = KnownHosts::parse(line("h", &ec).as_bytes());
        let lookup = known.lookup("h", 22, &ed);
        assert_eq!(lookup.status, Status::Unknown);
        assert_eq!(lookup.pinned, vec!["ecdsa-sha2-nistp256".to_string()]);
        assert_eq!(known.lookup("h", 22, &ec).status, Status::Match);
        let both = KnownHosts::parse(format!("{}{}", line("h", &ed), line("h", &ec)).as_bytes());
        assert_eq!(both.lookup("h", 22, &ed2).status, Status::Mismatch);
        assert_eq!(both.pinned_types("h", 22), vec!["ssh-ed25519", "ecdsa-sha2-nistp256"]);
        // One entry holding the key is enough, whatever other entries say.
        let two = KnownHosts::parse(format!("{}{}", line("h", &ed2), line("h", &ed)).as_bytes());
        assert_eq!(two.lookup("h", 22, &ed).status, Status::Match);
    }

    #[test]
    fn a_line_naming_several_hosts_is_never_removed_for_one_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let old = blob("ssh-ed25519", b"old");
        let new = blob("ssh-ed25519", b"new");
        let text = line("10.0.0.6,[10.0.0.7]:2222", &old);
        fs::write(&path, &text).unwrap();
        let refused = replace(&path, "10.0.0.6", 22, &new, "x").unwrap_err();
        assert!(matches!(refused, EditError::Shared { line: 1, .. }), "{refused}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn a_fifo_or_a_device_is_not_read_as_known_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(KnownHosts::read(&fifo).is_err());
        assert!(KnownHosts::read(Path::new("/dev/zero")).is_err());
    }

    #[test]
    fn revoked_lines_refuse_their_key_and_pin_nothing() {
        let ed = blob("ssh-ed25519", b"one");
        let other = blob("ssh-ed25519", b"two");
        let text = format!("{}@revoked {}", line("h", &ed), line("*", &ed));
        let known = KnownHosts::parse(text.as_bytes());
        let lookup = known.lookup("h", 22, &ed);
        assert!(lookup.revoked);
        assert_eq!(lookup.status, Status::Match);
        assert!(!known.lookup("h", 22, &other).revoked);
        // Markers do not pin a key type.
        let marked = KnownHosts::parse(
            format!("@revoked {}@cert-authority {}", line("h", &ed), line("h", &other)).as_bytes(),
        );
        assert!(marked.pinned_types("h", 22).is_empty());
        assert_eq!(marked.lookup("h", 22, &other).status, Status::Unknown);
        // An unknown marker makes the line unreadable, as in OpenSSH.
        let odd = KnownHosts::parse(format!("@bogus {}", line("h", &ed)).as_bytes());
        assert!(odd.pinned_types("h", 22).is_empty());
    }

    #[test]
    fn comments_blank_and_unreadable_lines_are_skipped() {
        let ed = blob("ssh-ed25519", b"one");
        let text = format!(
            "# a comment\n\n   \n  # indented\nh ssh-rsa {}\nh\nh ssh-ed25519 !!!\n{}",
            STANDARD.encode(&ed),
            line("h", &ed).trim_end()
        );
        let known = KnownHosts::parse(text.as_bytes());
        assert_eq!(known.lines.len(), 8);
        // The type field must agree with the blob, as OpenSSH requires.
        assert_eq!(known.pinned_types("h", 22), vec!["ssh-ed25519"]);
        assert_eq!(known.lookup("h", 22, &ed).status, Status::Match);
    }

    #[test]
    fn pinned_key_types_are_offered_first_in_the_clients_order() {
        let libssh2 = [
            "ssh-ed25519-cert-v01@openssh.com",
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ssh-rsa",
        ];
        let none: Vec<String> = Vec::new();
        assert_eq!(preferred_algorithms(&libssh2, &none), libssh2[1..].to_vec());
        let ec = vec!["ecdsa-sha2-nistp256".to_string()];
        assert_eq!(
            preferred_algorithms(&libssh2, &ec),
            ["ecdsa-sha2-nistp256", "ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        );
        let rsa_ec = vec!["ssh-rsa".to_string(), "ecdsa-sha2-nistp256".to_string()];
        assert_eq!(
            preferred_algorithms(&libssh2, &rsa_ec),
            ["ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519"]
        );
    }

    #[test]
    fn key_types_come_from_the_blob() {
        assert_eq!(key_type(&blob("ssh-ed25519", b"k")), Some("ssh-ed25519"));
        assert_eq!(key_type(b""), None);
        assert_eq!(key_type(&[0, 0, 0, 9, b'a']), None);
        assert_eq!(key_type(&[255, 255, 255, 255]), None);
    }

    #[test]
    fn edits_keep_every_other_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let ed = blob("ssh-ed25519", b"one");
        let old = blob("ssh-ed25519", b"old");
        let ec = blob("ecdsa-sha2-nistp256", b"ec");
        let keep = format!(
            "# mine\r\n@cert-authority *.corp {}\n{}{}\t weird line\n{}{}",
            line("x", &ec).split_once(' ').unwrap().1.trim_end(),
            line("other", &old),
            line("*.corp", &old).trim_end(),
            line(&hashed("ms-01", b"salt-two-salt-two-22"), &ed),
            line("h", &ec).trim_end(), // no final newline
        );
        fs::write(&path, format!("{}\n{}", line("h", &old).trim_end(), keep)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let removed = replace(&path, "h", 22, &ed, "kuroko: h").unwrap();
        assert_eq!(removed, vec![Removed { line: 1, hosts: "h".into() }]);
        let after = fs::read_to_string(&path).unwrap();
        assert_eq!(after, format!("{keep}\n{} kuroko: h\n", line("h", &ed).trim_end()));
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        // Appending adds one line.
        append(&path, "n", 2200, &ed, "kuroko: n").unwrap();
        let appended = fs::read_to_string(&path).unwrap();
        assert_eq!(appended, format!("{after}{} kuroko: n\n", line("[n]:2200", &ed).trim_end()));
        // A line whose wildcard covers other hosts is the operator's.
        let shared = replace(&path, "a.corp", 22, &ed, "x").unwrap_err();
        assert!(matches!(shared, EditError::Shared { line: 4, .. }), "{shared}");
        assert_eq!(fs::read_to_string(&path).unwrap(), appended);
        // Hosts that would read as patterns are never written.
        assert!(append(&path, "*", 22, &ed, "x").is_err());
        assert!(append(&path, "a b", 22, &ed, "x").is_err());
    }

    #[test]
    fn appending_creates_the_file_and_ends_a_last_line_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/known_hosts");
        let ed = blob("ssh-ed25519", b"one");
        append(&path, "h", 22, &ed, "c").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{} c\n", line("h", &ed).trim_end())
        );
        fs::write(&path, "# no newline").unwrap();
        append(&path, "h", 22, &ed, "c").unwrap();
        assert!(fs::read_to_string(&path).unwrap().starts_with("# no newline\nh ssh-ed25519 "));
    }
}
