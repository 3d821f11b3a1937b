//! `kuroko check`: compiles a runbook and everything it imports and reports every error
//! (file, line, column, the line with a caret) before any step runs, including calls to
//! functions that exist nowhere, which Rhai itself reports only when the call is reached.

use std::collections::BTreeSet;
use std::path::Path;

use rhai::{ASTNode, Engine, Expr, Position, Stmt};

use crate::engine::{configure, resolve_import};
use crate::error::{Error, excerpt};
use crate::primitives::docs::PRIMITIVES;
use crate::runbook::Runbook;

/// Functions Rhai handles itself, beyond its packages.
const BUILT_IN: &[&str] = &[
    "print",
    "debug",
    "type_of",
    "Fn",
    "call",
    "curry",
    "is_def_fn",
    "is_def_var",
    "is_shared",
    "throw",
];

/// Every name a runbook may call: the primitives, Rhai's standard packages, the built-ins.
pub fn known_functions() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = PRIMITIVES.iter().map(|d| d.name.to_string()).collect();
    names.extend(BUILT_IN.iter().map(|s| s.to_string()));
    for signature in Engine::new().gen_fn_signatures(true) {
        let name = signature.trim_start_matches("fn ").split('(').next().unwrap_or_default().trim();
        let name = name.rsplit("::").next().unwrap_or(name);
        names.insert(name.to_string());
    }
    names
}

/// Every error in `runbook` and in the files it imports.
pub fn check(runbook: &Runbook) -> Vec<Error> {
    check_with(runbook, &BTreeSet::new(), true)
}

/// The same, knowing of `defined` functions from elsewhere (earlier REPL input), and
/// without checking variables when they live in a scope the check cannot see.
pub fn check_with(
    runbook: &Runbook,
    defined: &BTreeSet<String>,
    strict_variables: bool,
) -> Vec<Error> {
    let mut engine = Engine::new();
    configure(&mut engine);
    engine.set_strict_variables(strict_variables);
    let mut known = known_functions();
    known.extend(defined.iter().cloned());
    walk(runbook, &engine, &known).0
}

/// Checks `runbook` and everything it imports: the errors, and the files imported (by
/// resolved path).
fn walk(
    runbook: &Runbook,
    engine: &Engine,
    known: &BTreeSet<String>,
) -> (Vec<Error>, BTreeSet<String>) {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    Walk { engine, known, dir: runbook.dir.as_deref(), sources: &runbook.sources }.check_source(
        &runbook.origin,
        &runbook.source,
        &mut errors,
        &mut seen,
    );
    (errors, seen)
}

/// The fingerprint of `runbook` as it would run now: the sha256 of its text alone when it
/// imports nothing (as journals have always recorded it), else the sha256 of its text's
/// sha256 and every module it imports, directly or not, by resolved path and content.
/// `kuroko resume` compares it, so a changed module is a changed runbook.
pub fn fingerprint(runbook: &Runbook) -> String {
    let own = crate::archive::sha256_hex(runbook.source.as_bytes());
    let mut engine = Engine::new();
    configure(&mut engine);
    let (_, seen) = walk(runbook, &engine, &known_functions());
    if seen.is_empty() {
        return own;
    }
    let mut all = format!("{own}\n");
    for path in &seen {
        // What was read for the check is what the run uses (`Sources`).
        let content = runbook.sources.read(Path::new(path)).unwrap_or_else(|e| e.into());
        all.push_str(&format!("{path} {}\n", crate::archive::sha256_hex(content.as_bytes())));
    }
    crate::archive::sha256_hex(all.as_bytes())
}

/// The fingerprint of what a run of `runbook` on `site` runs: the runbook with its
/// modules, and the site's hooks with theirs, all as read into `runbook.sources`.
pub fn fingerprint_with_hooks(
    runbook: &Runbook,
    site: &crate::site::Site,
) -> crate::error::Result<String> {
    let own = fingerprint(runbook);
    Ok(match crate::engine::hooks_script(site, &runbook.sources)? {
        None => own,
        Some(hooks) => {
            let text = format!("{own}\nhooks {}\n", fingerprint(&hooks));
            crate::archive::sha256_hex(text.as_bytes())
        }
    })
}

/// What checking a runbook and its imports goes by.
struct Walk<'a> {
    engine: &'a Engine,
    known: &'a BTreeSet<String>,
    /// Where imports resolve.
    dir: Option<&'a Path>,
    sources: &'a crate::runbook::Sources,
}

impl Walk<'_> {
    fn check_source(
        &self,
        origin: &str,
        source: &str,
        errors: &mut Vec<Error>,
        seen: &mut BTreeSet<String>,
    ) {
        let Walk { engine, known, dir, sources } = *self;
        let fail = |position: Position, message: String| {
            let line = position.line().unwrap_or(0);
            let column = position.position().unwrap_or(1);
            Error::Script {
                origin: origin.to_string(),
                line,
                column,
                excerpt: if line > 0 { excerpt(source, line, column) } else { String::new() },
                message,
                cause: None,
                compile: true,
            }
        };
        let ast = match engine.compile(source) {
            Ok(ast) => ast,
            Err(e) => {
                let message = e.to_string();
                errors.push(fail(
                    e.position(),
                    message.split(" (line").next().unwrap_or_default().to_string(),
                ));
                return;
            }
        };
        let defined: BTreeSet<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
        let mut imports = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            match path.last() {
                Some(ASTNode::Expr(Expr::FnCall(call, position)))
                | Some(ASTNode::Expr(Expr::MethodCall(call, position)))
                | Some(ASTNode::Stmt(Stmt::FnCall(call, position))) => {
                    let name = call.name.as_str();
                    let is_identifier =
                        name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
                    if is_identifier
                        && call.namespace.is_empty()
                        && call.op_token.is_none()
                        && !known.contains(name)
                        && !defined.contains(name)
                        && !name.starts_with("anon$")
                    {
                        let message = match crate::site::suggest(
                            name,
                            known
                                .iter()
                                .map(String::as_str)
                                .chain(defined.iter().map(String::as_str)),
                        ) {
                            Some(s) => {
                                crate::msg!(
                                    "sitefile-no-function-suggest",
                                    name = name,
                                    suggestion = s
                                )
                            }
                            None => crate::msg!("sitefile-no-function", name = name),
                        };
                        errors.push(fail(*position, message));
                    }
                }
                Some(ASTNode::Stmt(Stmt::Import(import, position))) => {
                    if let Expr::StringConstant(path, _) = &import.0 {
                        imports.push((path.to_string(), *position));
                    }
                }
                _ => {}
            }
            true
        });
        // A module's imports resolve where the run resolves them: in the same folder as the
        // runbook's own (or the site folder), not beside the module.
        for (path, position) in imports {
            match resolve_import(dir, &path) {
                Ok(file) => {
                    let key = file.to_string_lossy().into_owned();
                    if seen.insert(key.clone()) {
                        match sources.read(&file) {
                            Ok(text) => self.check_source(&key, &text, errors, seen),
                            Err(e) => errors.push(fail(
                                position,
                                crate::msg!("sitefile-cannot-read-path", path = key, error = e),
                            )),
                        }
                    }
                }
                Err(message) => errors.push(fail(position, message)),
            }
        }
    }
}
