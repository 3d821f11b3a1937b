//! kuroko: runs Interstage operations runbooks (Rhai) against multi-server sites, with
//! the manual's rules enforced inside every primitive. See `src/README.md` for the map.

pub mod archive;
pub mod batch;
pub mod check;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod i18n;
pub mod import;
pub mod journal;
pub mod known_hosts;
pub mod manifest;
pub mod memory;
pub mod plan;
pub mod primitives;
pub mod rehearsal;
pub mod repl;
pub mod report;
pub mod rules;
pub mod runbook;
pub mod runtime;
pub mod server_path;
pub mod shell;
pub mod site;
pub mod site_lock;
pub mod store;
pub mod transport;

/// Every allocation is counted, for the scripts' memory budget (`memory`).
#[global_allocator]
static ALLOCATOR: memory::Counting = cap::Cap::new(std::alloc::System, usize::MAX);

/// Parses the command line, runs it, prints the one error, returns the exit code.
pub fn run() -> i32 {
    let result = cli::parse().and_then(commands::execute);
    match result {
        Ok(code) => code as i32,
        Err(error) => {
            let text = error::sanitize(&error.to_string());
            crate::tell!("{}", crate::msg!("cmd-error-line", error = text));
            error.exit_code() as i32
        }
    }
}
