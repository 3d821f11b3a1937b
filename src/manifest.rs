//! What a backup says about itself: where it came from (server, role, group, address,
//! host name, Interstage facts), when, which generation, and the sha256 of the archive
//! and of every file in it.

use serde::{Deserialize, Serialize};

use crate::server_path::ServerPath;
use crate::site::{Facts, Role, is_host_value, is_name};

pub const ARCHIVE: &str = "archive.tar";
pub const MANIFEST: &str = "manifest.json";
/// `sha256sum -c` format for the files inside the archive, relative to where it is unpacked.
pub const FILE_SUMS: &str = "files.sha256";
/// `sha256sum -c` format for the archive itself, relative to the backup folder.
pub const ARCHIVE_SUM: &str = "archive.sha256";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveSum {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    /// `GENERATION/SERVER`: the backup's folder in the store.
    pub id: String,
    pub generation: String,
    pub site: String,
    /// The identity of the site that took it (empty in backups made before it existed).
    #[serde(default)]
    pub site_id: String,
    pub server: String,
    pub role: Role,
    pub group: Option<String>,
    pub address: String,
    pub hostname: String,
    pub facts: Facts,
    pub created: String,
    /// sha256 of the admin server's group definitions when the backup was taken (R7).
    pub definitions: String,
    /// The top-level resource folders the archive replaces on restore.
    pub units: Vec<String>,
    /// Certificate-environment paths the archive holds (R6).
    pub certificate_paths: Vec<String>,
    pub archive: ArchiveSum,
    pub files: Vec<FileSum>,
}

impl Manifest {
    pub const FORMAT: u32 = 1;

    /// The manifest's files in `sha256sum` format.
    pub fn file_sums(&self) -> String {
        self.files.iter().map(|f| format!("{}  {}\n", f.sha256, f.path)).collect()
    }

    pub fn archive_sum(&self) -> String {
        format!("{}  {}\n", self.archive.sha256, self.archive.name)
    }

    /// A manifest is untrusted input: every field is checked before anything uses it.
    /// `patterns` are the site's backup paths; every unit must be one of their matches.
    pub fn check(&self, patterns: &[String]) -> Result<(), String> {
        if self.format != Manifest::FORMAT {
            return Err(crate::msg!(
                "transport-manifest-format",
                found = self.format,
                expected = Manifest::FORMAT
            ));
        }
        if !is_generation(&self.generation) {
            return Err(crate::msg!("transport-manifest-generation"));
        }
        if !is_name(&self.server) || !is_name(&self.site) {
            return Err(crate::msg!("transport-manifest-server"));
        }
        if !self.site_id.is_empty() && !crate::site::is_site_id(&self.site_id) {
            return Err(crate::msg!("transport-manifest-site-id"));
        }
        if self.id != format!("{}/{}", self.generation, self.server) {
            return Err(crate::msg!("transport-manifest-id"));
        }
        if self.group.as_deref().is_some_and(|g| !is_name(g)) {
            return Err(crate::msg!("transport-manifest-group"));
        }
        if !is_host_value(&self.address) || !is_host_value(&self.hostname) {
            return Err(crate::msg!("transport-manifest-address"));
        }
        for value in [
            &self.facts.os,
            &self.facts.interstage_version,
            &self.facts.edition,
            &self.facts.install_dir,
            &self.created,
        ] {
            if value.len() > 256 || value.contains(char::is_control) {
                return Err(crate::msg!("transport-manifest-facts"));
            }
        }
        if !is_sha256(&self.definitions) || !is_sha256(&self.archive.sha256) {
            return Err(crate::msg!("transport-manifest-definitions"));
        }
        if self.archive.name != ARCHIVE {
            return Err(crate::msg!("transport-manifest-archive-name", name = ARCHIVE));
        }
        let mut units: Vec<ServerPath> = Vec::new();
        for unit in &self.units {
            let path = ServerPath::exact(unit)
                .map_err(|why| crate::msg!("transport-manifest-unit-path", why = why))?;
            if !patterns.iter().any(|p| path.unit_of(p).as_ref() == Some(&path)) {
                return Err(crate::msg!(
                    "transport-manifest-unit-unmatched",
                    unit = unit,
                    patterns = patterns.join(", ")
                ));
            }
            units.push(path);
        }
        // Sorted by component, a unit's descendants follow it at once: neighbours suffice.
        units.sort_by(|a, b| a.components().cmp(b.components()));
        if units.len() > MAX_UNITS {
            return Err(crate::msg!("transport-manifest-too-many-units", max = MAX_UNITS));
        }
        if let Some(pair) = units.windows(2).find(|w| w[1].starts_with(&w[0])) {
            return Err(crate::msg!("transport-manifest-unit-twice", unit = pair[1]));
        }
        for path in &self.certificate_paths {
            ServerPath::exact(path)
                .map_err(|why| crate::msg!("transport-manifest-certificate-path", why = why))?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for file in &self.files {
            ServerPath::exact(&file.path)
                .map_err(|why| crate::msg!("transport-manifest-file-path", why = why))?;
            if !is_sha256(&file.sha256) || !seen.insert(file.path.as_str()) {
                return Err(crate::msg!("transport-manifest-files", path = file.path));
            }
        }
        Ok(())
    }
}

/// More units than any site's backup paths match.
const MAX_UNITS: usize = 10_000;

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// A generation id: letters, digits, `-` and `_`.
pub fn is_generation(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && !text.starts_with(['.', '-'])
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
