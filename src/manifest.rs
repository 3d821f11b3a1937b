//! What a backup says about itself: where it came from (server, role, group, address,
//! host name, Interstage facts), when, which generation, and the sha256 of the archive
//! and of every file in it.

use serde::{Deserialize, Serialize};

use crate::site::{Facts, Role};

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
}
