//! The primitives runbooks call, grouped by domain. Each one resolves its arguments,
//! checks its rules against the runtime's model before anything changes, says what it
//! does, acts (unless this is a dry run) and updates the model.

pub mod backup;
pub mod docs;
pub mod files;
pub mod group;
pub mod lifecycle;
pub mod query;
pub mod restore;
