//! The one integration-test binary: every test runs the real `kuroko` executable on a
//! rehearsal site made in a temporary folder.

mod adversarial;
mod archives;
mod batch;
mod check;
mod customise;
mod faults;
mod i18n;
mod journal;
mod jump;
mod operations;
mod outage;
mod plan;
mod procedures;
mod repl;
mod rules;
mod runbooks;
mod site_file;
mod ssh;
mod sshd;
mod static_build;
mod support;
