//! Reading tar archives safely: while a backup streams in (hash everything, write it to
//! the store) and before one is used (R8: every checksum, no hostile entry).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::path::{Component, Path};

use sha2::{Digest, Sha256};

use crate::manifest::{ArchiveSum, FileSum, Manifest};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

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

struct HashWriter {
    hasher: Sha256,
    size: u64,
}

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What one pass over an archive found.
#[derive(Debug, Default)]
pub struct Scan {
    pub archive: Option<ArchiveSum>,
    pub files: Vec<FileSum>,
    /// Every entry's path (files, folders, links), to work out the units it holds.
    pub paths: Vec<String>,
}

/// Reads a whole tar stream from `input`, copying it to `copy`, hashing the stream and
/// every regular file, and refusing hostile entries. Nothing is held in memory whole.
pub fn scan(input: impl Read, copy: impl Write, name: &str) -> Result<Scan, String> {
    let mut tee = Tee { inner: input, copy, hasher: Sha256::new(), size: 0 };
    let mut scan = Scan::default();
    {
        let mut archive = tar::Archive::new(&mut tee);
        let entries =
            archive.entries().map_err(|e| format!("corrupt archive: not a tar archive: {e}"))?;
        let mut seen = BTreeSet::new();
        for entry in entries {
            let mut entry =
                entry.map_err(|e| format!("corrupt archive: unreadable tar entry: {e}"))?;
            let path = entry_path(&entry)?;
            check_entry(&entry, &path, &seen)?;
            if entry.header().entry_type().is_file() {
                let mut sink = HashWriter { hasher: Sha256::new(), size: 0 };
                io::copy(&mut entry, &mut sink)
                    .map_err(|e| format!("cannot read `{path}`: {e}"))?;
                scan.files.push(FileSum {
                    path: path.clone(),
                    sha256: hex(&sink.hasher.finalize()),
                    size: sink.size,
                });
            }
            seen.insert(path.clone());
            scan.paths.push(path);
        }
    }
    // GNU tar pads to a whole record after the end marker: hash that too.
    io::copy(&mut tee, &mut io::sink()).map_err(|e| format!("cannot read the archive: {e}"))?;
    scan.archive = Some(ArchiveSum {
        name: name.to_string(),
        sha256: hex(&tee.hasher.finalize()),
        size: tee.size,
    });
    Ok(scan)
}

fn entry_path<R: Read>(entry: &tar::Entry<R>) -> Result<String, String> {
    let raw = entry.path_bytes();
    let text = String::from_utf8(raw.to_vec()).map_err(|_| {
        format!("entry `{}` has a name that is not UTF-8", String::from_utf8_lossy(&raw))
    })?;
    let text = text.trim_end_matches('/').to_string();
    if !is_plain_relative(Path::new(&text)) {
        return Err(format!("hostile entry `{text}`: absolute paths and `..` are refused"));
    }
    Ok(text.trim_start_matches("./").to_string())
}

fn is_plain_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn check_entry<R: Read>(
    entry: &tar::Entry<R>,
    path: &str,
    seen: &BTreeSet<String>,
) -> Result<(), String> {
    use tar::EntryType::*;
    let kind = entry.header().entry_type();
    match kind {
        Regular | Directory => Ok(()),
        Symlink => {
            let target = link_target(entry, path)?;
            if target.starts_with('/') {
                return Err(format!(
                    "hostile entry `{path}`: symbolic link to absolute path `{target}`"
                ));
            }
            let mut depth: i64 = Path::new(path).components().count() as i64 - 1;
            for part in Path::new(&target).components() {
                match part {
                    Component::ParentDir => depth -= 1,
                    Component::Normal(_) => depth += 1,
                    Component::CurDir => {}
                    _ => return Err(format!("hostile entry `{path}`: link target `{target}`")),
                }
                if depth < 0 {
                    return Err(format!(
                        "hostile entry `{path}`: symbolic link `{target}` leaves the root"
                    ));
                }
            }
            Ok(())
        }
        Link => {
            let target = link_target(entry, path)?;
            let target = target.trim_start_matches("./");
            if !is_plain_relative(Path::new(target)) || !seen.contains(target) {
                return Err(format!(
                    "hostile entry `{path}`: hard link to `{target}` outside the archive"
                ));
            }
            Ok(())
        }
        XHeader | XGlobalHeader => Ok(()),
        Char | Block => Err(format!("hostile entry `{path}`: device files are refused")),
        Fifo => Err(format!("hostile entry `{path}`: named pipes are refused")),
        other => Err(format!("entry `{path}` has an unsupported type {other:?}")),
    }
}

fn link_target<R: Read>(entry: &tar::Entry<R>, path: &str) -> Result<String, String> {
    let target = entry.link_name_bytes().ok_or_else(|| format!("link `{path}` has no target"))?;
    String::from_utf8(target.to_vec())
        .map_err(|_| format!("link `{path}` has a target that is not UTF-8"))
}

/// R8: the archive at `path` matches `manifest` in its own hash and in every file's,
/// holds no file the manifest does not list and misses none, and has no hostile entry.
pub fn verify(path: &Path, manifest: &Manifest) -> Result<(), String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
    let scan = scan(io::BufReader::new(file), io::sink(), &manifest.archive.name)?;
    let archive = scan.archive.expect("scan sets it");
    if archive.sha256 != manifest.archive.sha256 || archive.size != manifest.archive.size {
        return Err(format!(
            "the archive's sha256 is {} ({} bytes) but the manifest says {} ({} bytes): it is corrupt",
            archive.sha256, archive.size, manifest.archive.sha256, manifest.archive.size
        ));
    }
    let expected: BTreeMap<&str, &FileSum> =
        manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut found = BTreeSet::new();
    for file in &scan.files {
        match expected.get(file.path.as_str()) {
            None => {
                return Err(format!("`{}` is in the archive but not in the manifest", file.path));
            }
            Some(want) if want.sha256 != file.sha256 => {
                return Err(format!("`{}` does not match its sha256 in the manifest", file.path));
            }
            Some(_) => {
                found.insert(file.path.as_str());
            }
        }
    }
    if let Some(missing) = expected.keys().find(|p| !found.contains(*p)) {
        return Err(format!("`{missing}` is in the manifest but missing from the archive"));
    }
    Ok(())
}

/// Whether `path` equals a `*` pattern component by component, or lies below a match.
pub fn matches_pattern(pattern: &str, path: &str) -> Option<String> {
    let parts: Vec<&str> = pattern.split('/').collect();
    let names: Vec<&str> = path.split('/').collect();
    if names.len() < parts.len() {
        return None;
    }
    let all = parts.iter().zip(&names).all(|(p, n)| glob_component(p, n));
    all.then(|| names[..parts.len()].join("/"))
}

fn glob_component(pattern: &str, name: &str) -> bool {
    fn glob(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| glob(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && glob(rest, &n[1..]),
        }
    }
    glob(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_component_by_component_and_name_the_unit() {
        assert_eq!(
            matches_pattern("etc/opt/FJSV*", "etc/opt/FJSVihs/conf/x").as_deref(),
            Some("etc/opt/FJSVihs")
        );
        assert_eq!(
            matches_pattern("etc/opt/FJSV*", "etc/opt/FJSVisas").as_deref(),
            Some("etc/opt/FJSVisas")
        );
        assert_eq!(matches_pattern("etc/opt/FJSV*", "etc/opt/other"), None);
        assert_eq!(matches_pattern("etc/opt/FJSV*", "etc/opt"), None);
        assert_eq!(
            matches_pattern("var/*/FJSV*s", "var/opt/FJSVisas/a").as_deref(),
            Some("var/opt/FJSVisas")
        );
    }

    #[test]
    fn scanning_hashes_files_like_sha256sum() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(6);
        header.set_mode(0o644);
        builder.append_data(&mut header, "etc/opt/FJSVa/x", &b"hello\n"[..]).unwrap();
        let data = builder.into_inner().unwrap();
        let scan = scan(&data[..], io::sink(), "a.tar").unwrap();
        // `printf 'hello\n' | sha256sum`
        assert_eq!(
            scan.files[0].sha256,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(scan.archive.unwrap().sha256, sha256_hex(&data));
    }
}
