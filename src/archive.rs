//! Reading tar archives as untrusted input: while a backup streams in (hash everything,
//! write it to the store), before one is used (R8: every checksum), and when one is put
//! onto a server (the server's tar receives a canonical archive kuroko re-wrote from the
//! entries it verified, so no unpacker can read it differently from this verifier).
//!
//! An archive may hold only folders, regular files (no set-uid or set-gid bit) and
//! symbolic links, under names in normal form, each inside one unit (a match of the
//! site's backup paths). A symbolic link's target is relative, climbs (`..`) only at its
//! start, and, resolved against the links earlier in the archive, never leaves its unit.
//! Anything this reader cannot interpret exactly as GNU tar does — PAX headers, sparse
//! files, hard links, devices, base-256 sizes, data after the end — is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::manifest::{ArchiveSum, FileSum, Manifest};
use crate::server_path::ServerPath;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// POSIX `cksum` (CRC-32 of the data and then of its length), computed as a stream
/// arrives, to compare with what a server's own `cksum` printed.
pub struct Cksum {
    digest: crc::Digest<'static, u32, crc::Table<16>>,
    len: u64,
}

static CKSUM: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_CKSUM);

impl Cksum {
    pub fn new() -> Cksum {
        Cksum { digest: CKSUM.digest(), len: 0 }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
        self.len += data.len() as u64;
    }

    /// The sum and the length, as `cksum` prints them.
    pub fn finish(mut self) -> (u32, u64) {
        let mut n = self.len;
        while n > 0 {
            self.digest.update(&[(n & 0xff) as u8]);
            n >>= 8;
        }
        (self.digest.finalize(), self.len)
    }
}

impl Default for Cksum {
    fn default() -> Cksum {
        Cksum::new()
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Longest GNU long name or long link kuroko reads.
const MAX_LONG_NAME: u64 = 4096;
/// Symbolic links followed while resolving one target.
const MAX_LINK_DEPTH: usize = 40;

/// Passes bytes through while hashing and counting them, and copies them to `copy`.
struct Tee<R, W> {
    inner: R,
    copy: W,
    hasher: Sha256,
    size: u64,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Hashes what is read through it.
struct HashReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Hashes what is written through it to `inner`.
pub struct HashWriter<W> {
    pub inner: W,
    hasher: Sha256,
    pub size: u64,
}

impl<W: Write> HashWriter<W> {
    pub fn new(inner: W) -> Self {
        HashWriter { inner, hasher: Sha256::new(), size: 0 }
    }

    pub fn sha256(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What one pass over an archive found.
#[derive(Debug, Default)]
pub struct Scan {
    pub archive: Option<ArchiveSum>,
    pub files: Vec<FileSum>,
    /// Every entry's path (files, folders, links) inside a unit.
    pub paths: Vec<ServerPath>,
    /// The units the entries lie in.
    pub units: BTreeSet<ServerPath>,
}

/// Where the verified entries go, when they are re-written as a canonical archive.
pub struct Rewrite<'a> {
    pub out: &'a mut dyn Write,
    /// Entries for which this says no are left out (the certificate environment, R6).
    pub keep: &'a dyn Fn(&ServerPath) -> bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Link,
}

/// The checks an archive passes entry by entry.
struct Checker<'a> {
    patterns: &'a [String],
    kinds: BTreeMap<ServerPath, Kind>,
    links: BTreeMap<ServerPath, String>,
    /// Every folder some entry lies in.
    implied: BTreeSet<ServerPath>,
}

impl Checker<'_> {
    /// The unit `path` lies in, or `None` for a folder above the units (which is skipped).
    fn unit(&self, path: &ServerPath, kind: Kind) -> Result<Option<ServerPath>, String> {
        if let Some(unit) = self.patterns.iter().find_map(|p| path.unit_of(p)) {
            return Ok(Some(unit));
        }
        if kind == Kind::Dir && self.patterns.iter().any(|p| path.touches(p)) {
            return Ok(None);
        }
        Err(crate::msg!(
            "transport-archive-outside",
            path = path,
            patterns = self.patterns.join(", ")
        ))
    }

    fn admit(&mut self, path: &ServerPath, kind: Kind) -> Result<(), String> {
        if self.kinds.contains_key(path) {
            return Err(crate::msg!("transport-archive-twice", path = path));
        }
        if kind != Kind::Dir && self.implied.contains(path) {
            return Err(crate::msg!("transport-archive-must-be-folder", path = path));
        }
        let mut parent = path.parent();
        while let Some(p) = parent {
            match self.kinds.get(&p) {
                Some(Kind::Link) => {
                    return Err(crate::msg!(
                        "transport-archive-behind-link",
                        path = path,
                        link = p
                    ));
                }
                Some(Kind::File) => {
                    return Err(crate::msg!(
                        "transport-archive-parent-file",
                        path = path,
                        parent = p
                    ));
                }
                _ => {}
            }
            self.implied.insert(p.clone());
            parent = p.parent();
        }
        self.kinds.insert(path.clone(), kind);
        Ok(())
    }

    /// A link's target stays inside `unit` at every step of its resolution.
    fn check_link(&self, path: &ServerPath, target: &str, unit: &ServerPath) -> Result<(), String> {
        if target.is_empty() || target.starts_with('/') {
            return Err(crate::msg!(
                "transport-archive-link-absolute",
                path = path,
                target = target
            ));
        }
        let mut climbing = true;
        for part in target.split('/') {
            match part {
                ".." if climbing => {}
                ".." => {
                    return Err(crate::msg!(
                        "transport-archive-link-climbs",
                        path = path,
                        target = target
                    ));
                }
                "" | "." => {
                    return Err(crate::msg!(
                        "transport-archive-link-not-normal",
                        path = path,
                        target = target
                    ));
                }
                _ => climbing = false,
            }
        }
        let mut at: Vec<String> =
            path.parent().map(|p| p.components().map(str::to_string).collect()).unwrap_or_default();
        let unit: Vec<&str> = unit.components().collect();
        self.walk(&mut at, target, &unit, 0).map_err(|escape| match escape {
            Escape::TooDeep => {
                crate::msg!("transport-archive-link-too-deep", path = path, target = target)
            }
            Escape::Leaves(unit) => crate::msg!(
                "transport-archive-link-leaves",
                path = path,
                target = target,
                unit = unit
            ),
        })
    }

    fn walk(
        &self,
        at: &mut Vec<String>,
        target: &str,
        unit: &[&str],
        depth: usize,
    ) -> Result<(), Escape> {
        if depth > MAX_LINK_DEPTH {
            return Err(Escape::TooDeep);
        }
        for part in target.split('/') {
            if part == ".." {
                at.pop();
            } else {
                at.push(part.to_string());
            }
            let inside = at.len() >= unit.len() && at.iter().zip(unit).all(|(a, u)| a == u);
            if !inside {
                return Err(Escape::Leaves(unit.join("/")));
            }
            if part != ".."
                && let Ok(here) = ServerPath::exact(&at.join("/"))
                && let Some(next) = self.links.get(&here)
            {
                at.pop();
                self.walk(at, next, unit, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// How a symbolic link's resolution leaves its unit.
enum Escape {
    TooDeep,
    /// Out of this unit.
    Leaves(String),
}

/// The header's size field holds plain octal digits (what GNU tar writes below 8 GiB);
/// base-256 and odd spellings are read differently by different tars.
fn plain_size(header: &tar::Header) -> Result<u64, String> {
    let field = &header.as_old().size;
    let digits: Vec<u8> = field.iter().copied().take_while(|b| *b != 0 && *b != b' ').collect();
    let rest_blank = field[digits.len()..].iter().all(|b| *b == 0 || *b == b' ');
    if digits.is_empty() || !rest_blank || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(crate::msg!("transport-archive-size-damaged"));
    }
    u64::from_str_radix(std::str::from_utf8(&digits).unwrap_or("x"), 8)
        .map_err(|_| crate::msg!("transport-archive-size-not-octal"))
}

/// Why an entry of type `kind` at `path` is refused.
fn refused_kind(kind: u8, path: &str) -> String {
    match kind {
        b'1' => crate::msg!("transport-archive-hard-links", path = path),
        b'3' | b'4' => crate::msg!("transport-archive-devices", path = path),
        b'6' => crate::msg!("transport-archive-named-pipes", path = path),
        b'7' => crate::msg!("transport-archive-contiguous", path = path),
        b'x' | b'g' | b'X' => crate::msg!("transport-archive-pax", path = path),
        b'S' => crate::msg!("transport-archive-sparse", path = path),
        b'D' | b'M' | b'N' | b'V' => crate::msg!("transport-archive-gnu-special", path = path),
        other => crate::msg!(
            "transport-archive-unknown-type",
            path = path,
            kind = (other as char).escape_default()
        ),
    }
}

/// A name (`link_target` false) or a link target, which must be UTF-8.
fn text(bytes: &[u8], link_target: bool) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        let text = String::from_utf8_lossy(bytes);
        if link_target {
            crate::msg!("transport-archive-target-not-utf8", text = text)
        } else {
            crate::msg!("transport-archive-name-not-utf8", text = text)
        }
    })
}

/// Reads a whole tar stream from `input`, copying it to `copy`, hashing the stream and
/// every regular file, refusing what is hostile or ambiguous, and re-writing the kept
/// entries into `rewrite` if given. `patterns` are the site's backup paths.
pub fn scan(
    input: impl Read,
    copy: impl Write,
    name: &str,
    patterns: &[String],
    rewrite: Option<Rewrite>,
) -> Result<Scan, String> {
    let mut tee = Tee { inner: input, copy, hasher: Sha256::new(), size: 0 };
    let mut scan = Scan::default();
    let mut checker = Checker {
        patterns,
        kinds: BTreeMap::new(),
        links: BTreeMap::new(),
        implied: BTreeSet::new(),
    };
    let keep_fn = rewrite.as_ref().map(|r| r.keep);
    let mut builder = rewrite.map(|r| tar::Builder::new(r.out));
    {
        let mut archive = tar::Archive::new(&mut tee);
        let entries = archive
            .entries()
            .map_err(|e| crate::msg!("transport-archive-not-tar", error = e))?
            .raw(true);
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        for entry in entries {
            let mut entry =
                entry.map_err(|e| crate::msg!("transport-archive-unreadable-entry", error = e))?;
            let header = entry.header().clone();
            if header.as_gnu().is_none() && header.as_ustar().is_none() {
                return Err(crate::msg!("transport-archive-v7-header"));
            }
            let size = plain_size(&header)?;
            let kind = header.as_old().linkflag[0];
            match kind {
                b'L' | b'K' => {
                    let slot = if kind == b'L' { &mut long_name } else { &mut long_link };
                    if slot.is_some() || size > MAX_LONG_NAME {
                        return Err(crate::msg!("transport-archive-long-name"));
                    }
                    let mut data = Vec::new();
                    (&mut entry)
                        .take(MAX_LONG_NAME)
                        .read_to_end(&mut data)
                        .map_err(|e| crate::msg!("transport-archive-corrupt", error = e))?;
                    let end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
                    data.truncate(end);
                    *slot = Some(data);
                    continue;
                }
                b'0' | 0 | b'5' | b'2' => {}
                other => {
                    let path = String::from_utf8_lossy(
                        &long_name.take().unwrap_or_else(|| header.path_bytes().into_owned()),
                    )
                    .into_owned();
                    return Err(refused_kind(other, &path));
                }
            }
            let raw_name = long_name.take().unwrap_or_else(|| header.path_bytes().into_owned());
            let raw_link = long_link.take();
            let mut name_text = text(&raw_name, false)?;
            let kind = match kind {
                b'5' => {
                    if name_text.ends_with('/') {
                        name_text.pop();
                    }
                    Kind::Dir
                }
                b'2' => Kind::Link,
                _ => Kind::File,
            };
            let path = ServerPath::exact(&name_text)
                .map_err(|why| crate::msg!("transport-archive-hostile-path", why = why))?;
            if kind != Kind::File && size != 0 {
                return Err(crate::msg!("transport-archive-data-in-folder", path = path));
            }
            let mode = header.mode().map_err(|e| {
                crate::msg!("transport-archive-corrupt-entry", path = path, error = e)
            })?;
            if kind == Kind::File && mode & 0o6000 != 0 {
                return Err(crate::msg!("transport-archive-setuid", path = path));
            }
            let unit = checker.unit(&path, kind)?;
            checker.admit(&path, kind)?;
            let Some(unit) = unit else { continue };
            let keep = keep_fn.is_none_or(|keep| keep(&path));
            let mut out = tar::Header::new_gnu();
            out.set_mode(mode & 0o777);
            out.set_uid(header.uid().unwrap_or(0));
            out.set_gid(header.gid().unwrap_or(0));
            out.set_mtime(header.mtime().unwrap_or(0));
            for (value, set) in [(header.username_bytes(), 0), (header.groupname_bytes(), 1)] {
                if let Some(v) = value.filter(|v| {
                    !v.is_empty()
                        && v.len() < 32
                        && v.iter().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(b))
                }) {
                    let v = String::from_utf8_lossy(v).into_owned();
                    let _ = if set == 0 { out.set_username(&v) } else { out.set_groupname(&v) };
                }
            }
            match kind {
                Kind::File => {
                    let mut reader =
                        HashReader { inner: &mut entry, hasher: Sha256::new(), size: 0 };
                    let written = match builder.as_mut().filter(|_| keep) {
                        Some(builder) => {
                            out.set_entry_type(tar::EntryType::Regular);
                            out.set_size(size);
                            builder.append_data(&mut out, path.as_str(), &mut reader)
                        }
                        None => io::copy(&mut reader, &mut io::sink()).map(|_| ()),
                    };
                    written.map_err(|e| {
                        crate::msg!("transport-cannot-read", path = path, error = e)
                    })?;
                    if reader.size != size {
                        return Err(crate::msg!("transport-archive-cut-short", path = path));
                    }
                    scan.files.push(FileSum {
                        path: path.as_str().to_string(),
                        sha256: hex(&reader.hasher.finalize()),
                        size,
                    });
                }
                Kind::Dir => {
                    if let Some(builder) = builder.as_mut().filter(|_| keep) {
                        out.set_entry_type(tar::EntryType::Directory);
                        out.set_size(0);
                        builder.append_data(&mut out, path.as_str(), io::empty()).map_err(|e| {
                            crate::msg!("transport-archive-cannot-write", error = e)
                        })?;
                    }
                }
                Kind::Link => {
                    let target =
                        match raw_link {
                            Some(long) => long,
                            None => header.link_name_bytes().map(|t| t.into_owned()).ok_or_else(
                                || crate::msg!("transport-archive-link-no-target", path = path),
                            )?,
                        };
                    let target = text(&target, true)?;
                    checker.check_link(&path, &target, &unit)?;
                    checker.links.insert(path.clone(), target.clone());
                    if let Some(builder) = builder.as_mut().filter(|_| keep) {
                        out.set_entry_type(tar::EntryType::Symlink);
                        out.set_size(0);
                        builder.append_link(&mut out, path.as_str(), &target).map_err(|e| {
                            crate::msg!("transport-archive-cannot-write", error = e)
                        })?;
                    }
                }
            }
            scan.units.insert(unit);
            scan.paths.push(path);
        }
        if long_name.is_some() || long_link.is_some() {
            return Err(crate::msg!("transport-archive-dangling-long-name"));
        }
    }
    // GNU tar pads to a whole record after the end marker: hash that too, and refuse
    // anything but zeros there (another tar might read on).
    let mut rest = [0u8; 64 * 1024];
    loop {
        let n = tee
            .read(&mut rest)
            .map_err(|e| crate::msg!("transport-archive-cannot-read", error = e))?;
        if n == 0 {
            break;
        }
        if rest[..n].iter().any(|b| *b != 0) {
            return Err(crate::msg!("transport-archive-trailing-data"));
        }
    }
    if let Some(builder) = builder {
        builder
            .into_inner()
            .map_err(|e| crate::msg!("transport-archive-cannot-write", error = e))?;
    }
    scan.archive = Some(ArchiveSum {
        name: name.to_string(),
        sha256: hex(&tee.hasher.finalize()),
        size: tee.size,
    });
    Ok(scan)
}

/// Opens a file of the store for reading: a regular file reached through no symbolic
/// link at its last component, and not larger than `max` bytes.
pub fn open_regular(path: &Path, max: u64) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| crate::msg!("transport-cannot-open", path = path.display(), error = e))?;
    let meta = file
        .metadata()
        .map_err(|e| crate::msg!("transport-cannot-read", path = path.display(), error = e))?;
    if !meta.is_file() {
        return Err(crate::msg!("transport-not-regular-file", path = path.display()));
    }
    if meta.len() > max {
        return Err(crate::msg!("transport-file-too-large", path = path.display(), max = max));
    }
    Ok(file)
}

/// Why `read_bounded` read nothing.
pub enum Unread {
    TooLarge,
    Failed(String),
}

/// Reads a file an operator named: a regular file (a link to one is followed), opened
/// without blocking (a FIFO or a device is refused, never waited on), at most `max` bytes.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, Unread> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |e: std::io::Error| {
        Unread::Failed(crate::msg!("transport-cannot-read", path = path.display(), error = e))
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(failed)?;
    if !file.metadata().map_err(failed)?.is_file() {
        return Err(Unread::Failed(crate::msg!(
            "transport-not-regular-file",
            path = path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(failed)?;
    if bytes.len() as u64 > max {
        return Err(Unread::TooLarge);
    }
    Ok(bytes)
}

/// R8: the archive at `path` matches `manifest` in its own hash and in every file's,
/// holds no file the manifest does not list and misses none, and has no hostile entry.
/// With `rewrite`, the verified entries are re-written there as a canonical archive
/// (which is to be used only if this returns `Ok`).
pub fn verify(
    path: &Path,
    manifest: &Manifest,
    patterns: &[String],
    rewrite: Option<Rewrite>,
) -> Result<Scan, String> {
    let file = open_regular(path, manifest.archive.size)?;
    let actual = file.metadata().map(|m| m.len()).unwrap_or(0);
    if actual != manifest.archive.size {
        return Err(crate::msg!(
            "transport-archive-size-mismatch",
            actual = actual,
            expected = manifest.archive.size
        ));
    }
    let reader = io::BufReader::new(file.take(manifest.archive.size));
    let scan = scan(reader, io::sink(), &manifest.archive.name, patterns, rewrite)?;
    let archive = scan.archive.as_ref().expect("scan sets it");
    if archive.sha256 != manifest.archive.sha256 || archive.size != manifest.archive.size {
        return Err(crate::msg!(
            "transport-archive-sha-mismatch",
            sha256 = archive.sha256,
            size = archive.size,
            expected_sha256 = manifest.archive.sha256,
            expected_size = manifest.archive.size
        ));
    }
    let expected: BTreeMap<&str, &FileSum> =
        manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut found = BTreeSet::new();
    for file in &scan.files {
        match expected.get(file.path.as_str()) {
            None => {
                return Err(crate::msg!("transport-archive-unlisted-file", path = file.path));
            }
            Some(want) if want.sha256 != file.sha256 || want.size != file.size => {
                return Err(crate::msg!("transport-archive-file-mismatch", path = file.path));
            }
            Some(_) => {
                found.insert(file.path.as_str());
            }
        }
    }
    if let Some(missing) = expected.keys().find(|p| !found.contains(*p)) {
        return Err(crate::msg!("transport-archive-missing-file", path = missing));
    }
    let listed: BTreeSet<&str> = manifest.units.iter().map(String::as_str).collect();
    let held: BTreeSet<&str> = scan.units.iter().map(ServerPath::as_str).collect();
    if listed != held {
        return Err(crate::msg!(
            "transport-archive-units-mismatch",
            listed = manifest.units.join(", "),
            held = held.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(scan)
}

/// Whether `path` equals a `*` pattern component by component, or lies below a match.
pub fn matches_pattern(pattern: &str, path: &str) -> Option<String> {
    let path = ServerPath::parse(path).ok()?;
    path.unit_of(pattern).map(|u| u.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns() -> Vec<String> {
        vec!["etc/opt/FJSV*".into()]
    }

    /// The figures GNU and POSIX `cksum` print, whatever the chunks the data comes in.
    #[test]
    fn cksum_is_posix_cksum() {
        let sum = |chunks: &[&[u8]]| {
            let mut c = Cksum::new();
            chunks.iter().for_each(|b| c.update(b));
            c.finish()
        };
        assert_eq!(sum(&[]), (4294967295, 0));
        assert_eq!(sum(&[b"123456789"]), (930766865, 9));
        assert_eq!(sum(&[b"1234", b"", b"56789"]), (930766865, 9));
        let big = vec![b'x'; 70_000];
        let whole = sum(&[&big]);
        assert_eq!(whole, (4215398528, 70_000));
        assert_eq!(sum(&[&big[..1], &big[1..65_536], &big[65_536..]]), whole);
    }

    #[test]
    fn patterns_match_component_by_component_and_name_the_unit() {
        assert_eq!(
            matches_pattern("etc/opt/FJSV*", "etc/opt/FJSVihs/conf/x").as_deref(),
            Some("etc/opt/FJSVihs")
        );
        assert_eq!(matches_pattern("etc/opt/FJSV*", "etc/opt/other"), None);
        assert_eq!(matches_pattern("etc/opt/FJSV*", "etc/opt"), None);
    }

    #[test]
    fn scanning_hashes_files_like_sha256sum() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(6);
        header.set_mode(0o644);
        builder.append_data(&mut header, "etc/opt/FJSVa/x", &b"hello\n"[..]).unwrap();
        let data = builder.into_inner().unwrap();
        let scan = scan(&data[..], io::sink(), "a.tar", &patterns(), None).unwrap();
        // `printf 'hello\n' | sha256sum`
        assert_eq!(
            scan.files[0].sha256,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(scan.archive.unwrap().sha256, sha256_hex(&data));
    }

    fn links(entries: &[(&str, &str)]) -> Result<Scan, String> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, target) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            header.set_mode(0o777);
            builder.append_link(&mut header, path, target).unwrap();
        }
        let data = builder.into_inner().unwrap();
        scan(&data[..], io::sink(), "a.tar", &patterns(), None)
    }

    #[test]
    fn link_chains_are_resolved_against_earlier_links() {
        assert!(links(&[("etc/opt/FJSVa/c/x", "y")]).is_ok());
        assert!(links(&[("etc/opt/FJSVa/c/x", "../y")]).is_ok());
        assert!(links(&[("etc/opt/FJSVa/x", "../y")]).is_err());
        assert!(links(&[("etc/opt/FJSVa/u0", "."), ("etc/opt/FJSVa/u1", "u0/../..")]).is_err());
        assert!(links(&[("etc/opt/FJSVa/c/u0", ".."), ("etc/opt/FJSVa/c/u1", "u0/..")]).is_err());
        assert!(links(&[("etc/opt/FJSVa/c/u0", ".."), ("etc/opt/FJSVa/c/u0/x", "y")]).is_err());
        assert!(
            links(&[("etc/opt/FJSVa/c/d/u0", "../.."), ("etc/opt/FJSVa/c/d/u1", "u0/e")]).is_ok()
        );
        assert!(links(&[("etc/opt/FJSVa/x", "/etc/passwd")]).is_err());
    }
}
