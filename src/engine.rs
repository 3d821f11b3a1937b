//! The Rhai engine a runbook runs in: the primitives registered against one runtime,
//! explicit limits, no `eval`, imports held inside the runbook's folder, and errors turned
//! into messages that show the line with a caret. Whatever happens, a failed or
//! interrupted run starts again what it stopped (R11).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};

use rhai::module_resolvers::ModuleResolver;
use rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, Module, Position, Scope, Shared,
};

use crate::batch::{Outcome, Policy};
use crate::error::{Error, Result, excerpt};
use crate::manifest::Manifest;
use crate::msg;
use crate::runbook::Runbook;
use crate::runtime::Runtime;

type Fallible<T> = std::result::Result<T, Box<EvalAltResult>>;

/// Limits every runbook runs under (TECH-NOTES: Rhai's defaults are unlimited).
pub const MAX_OPERATIONS: u64 = 50_000_000;
pub const MAX_CALL_LEVELS: usize = 48;
pub const MAX_STRING: usize = 1 << 20;
pub const MAX_ARRAY: usize = 100_000;
pub const MAX_MAP: usize = 10_000;

fn wrap<T>(rt: &Runtime, result: Result<T>) -> Fallible<T> {
    result.map_err(|e| rt.remember_failure(e).into())
}

/// The limits and restrictions every runbook runs under (and `kuroko check` compiles with).
pub fn configure(engine: &mut Engine) {
    engine
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(64, 32)
        .set_max_string_size(MAX_STRING)
        .set_max_array_size(MAX_ARRAY)
        .set_max_map_size(MAX_MAP)
        .set_max_modules(32)
        .set_strict_variables(true)
        .disable_symbol("eval");
}

/// The compiled script, for running its closures on batch worker threads.
/// With it, the site's hooks (`hooks.rhai` in the site folder), if any.
type Script = Arc<OnceLock<(Weak<Engine>, Arc<AST>, Option<Arc<AST>>)>>;

thread_local! {
    /// Set while a hook runs: the primitives it calls do not call hooks again.
    static IN_HOOK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Calls the site's `before_NAME`/`after_NAME` hook with the server, if the site has one.
fn hook(rt: &Runtime, script: &Script, when: &str, name: &str, server: Option<&str>) -> Result<()> {
    let Some((engine, _, Some(hooks))) = script.get() else { return Ok(()) };
    let function = format!("{when}_{name}");
    if IN_HOOK.with(|h| h.get()) || !hooks.iter_functions().any(|f| f.name == function) {
        return Ok(());
    }
    let Some(engine) = engine.upgrade() else { return Ok(()) };
    rt.report.note(server, &msg!("prim-hook-note", hook = function));
    IN_HOOK.with(|h| h.set(true));
    // Only the function runs: the hooks file's top level is not evaluated again.
    let outcome = engine.call_fn_with_options::<Dynamic>(
        rhai::CallFnOptions::new().eval_ast(false),
        &mut Scope::new(),
        hooks,
        &function,
        (server.unwrap_or_default().to_string(),),
    );
    IN_HOOK.with(|h| h.set(false));
    outcome.map(|_| ()).map_err(|e| {
        rt.take_failure()
            .unwrap_or_else(|| Error::Usage(msg!("prim-hook-failed", hook = function, error = e)))
    })
}

/// Builds the engine with every primitive bound to `rt`.
pub fn engine(
    rt: &Arc<Runtime>,
    runbook: &Runbook,
    params: &Arc<BTreeMap<String, String>>,
) -> (Engine, Script) {
    let mut engine = Engine::new();
    configure(&mut engine);
    engine.set_max_operations(rt.site.limits.operations);
    engine.set_module_resolver(GuardedResolver {
        dir: runbook.dir.clone(),
        site: rt.site.site_folder.clone(),
        sources: runbook.sources.clone(),
    });
    let r = rt.clone();
    let started = std::time::Instant::now();
    let wall = std::time::Duration::from_secs(rt.site.limits.seconds);
    let memory = crate::memory::budget(rt.site.limits.memory_bytes);
    engine.on_progress(move |_| {
        if r.cancel.load(Ordering::SeqCst) {
            Some(Dynamic::from("interrupted"))
        } else if started.elapsed() > wall {
            Some(Dynamic::from("time limit"))
        } else if crate::memory::in_use() as u64 > memory {
            Some(Dynamic::from("memory limit"))
        } else {
            None
        }
    });
    let r = rt.clone();
    engine.on_print(move |text| r.report.note(None, text));
    let r = rt.clone();
    engine.on_debug(move |text, _, _| r.report.note(None, text));

    let script: Script = Arc::new(OnceLock::new());
    // Every primitive is journalled, and admitted under the journal's cap before it (or
    // its hooks) does anything; an argument named `s` is the server it acts on, and one
    // named `text` is a file's content (recorded by its size and sha256 only).
    macro_rules! bind {
        ($name:literal, |$rt:ident $(, $arg:ident : $ty:ty)*| $body:expr) => {{
            let $rt = rt.clone();
            let hooks_script = script.clone();
            engine.register_fn($name, move |$($arg: $ty),*| {
                let $rt = &$rt;
                let _admitted = wrap($rt, $rt.journal().map(|j| j.admit($name)).transpose())?;
                let args: Vec<String> = match $rt.journal() {
                    #[allow(unused_variables)]
                    Some(j) => vec![$(j.arg(stringify!($arg), &$arg)),*],
                    None => Vec::new(),
                };
                #[allow(unused_mut)]
                let mut server: Option<String> = None;
                $(if stringify!($arg) == "s" && server.is_none() {
                    server = Some(format!("{:?}", $arg).trim_matches('"').to_string());
                })*
                let sc = &hooks_script;
                wrap($rt, hook($rt, sc, "before", $name, server.as_deref())
                    .and_then(|_| $rt.journaled($name, server.clone(), args, || $body))
                    .and_then(|value| hook($rt, sc, "after", $name, server.as_deref()).map(|_| value)))
            });
        }};
    }

    // Lifecycle
    bind!("stop_interstage", |rt, s: &str| rt.stop_interstage(s));
    bind!("start_interstage", |rt, s: &str| rt.start_interstage(s));
    bind!("status", |rt, s: &str| rt.status(s));
    bind!("mark_down", |rt, s: &str| rt.mark_down(s));
    // Backups
    let r = rt.clone();
    engine.register_fn("new_generation", move || r.begin_generation());
    bind!("complete_generation", |rt, generation: &str| rt.complete_generation(generation));
    bind!("backup", |rt, s: &str| rt.backup(s, None));
    bind!("backup", |rt, s: &str, generation: &str| rt.backup(s, Some(generation)));
    bind!("restore", |rt, id: &str, s: &str| rt.restore(id, s));
    bind!("import_backup", |rt, id: &str, s: &str| rt.import(id, s, None));
    bind!("import_backup", |rt, id: &str, s: &str, options: Map| import_options(options)
        .and_then(|c| rt.import(id, s, c)));
    bind!("set_ip", |rt, s: &str| rt.set_ip(s, None, None));
    bind!("set_ip", |rt, s: &str, address: &str, hostname: &str| rt.set_ip(
        s,
        Some(address),
        Some(hostname)
    ));
    bind!("backups", |rt, group: &str| rt.backups(Some(group)).map(to_array));
    bind!("backups", |rt| rt.backups(None).map(to_array));
    bind!("latest_backup", |rt, group: &str| rt.latest_backup(group));
    bind!("backup_info", |rt, id: &str| rt.manifest(id).map(to_map));
    // Groups
    bind!("group_add", |rt, group: &str, s: &str| rt.group_add(group, s));
    bind!("group_remove", |rt, group: &str, s: &str| rt.group_remove(group, s));
    bind!("members", |rt, group: &str| rt
        .members_of(group)
        .map(|m| m.into_iter().map(Dynamic::from).collect::<Array>()));
    bind!("groups", |rt| Ok(rt.site.groups.iter().cloned().map(Dynamic::from).collect::<Array>()));
    bind!("servers", |rt| Ok(rt.site.names().into_iter().map(Dynamic::from).collect::<Array>()));
    bind!("admin", |rt| Ok(rt.site.admin().name.clone()));
    bind!("role", |rt, s: &str| rt.role_of(s).map(|(role, _)| role.to_string()));
    bind!("group_of", |rt, s: &str| rt
        .role_of(s)
        .map(|(_, g)| g.map(Dynamic::from).unwrap_or(Dynamic::UNIT)));
    bind!("former_group", |rt, s: &str| rt
        .former_group(s)
        .map(|g| g.map(Dynamic::from).unwrap_or(Dynamic::UNIT)));
    // Files
    bind!("read_file", |rt, s: &str, path: &str| rt.read_file(s, path));
    bind!("write_file", |rt, s: &str, path: &str, text: &str| rt.write_file(s, path, text));
    // Narration and operators
    // `tr("id", #{name: value})`: a message of the catalogues in the operator's language.
    engine.register_fn("tr", |id: &str, args: Map| {
        let args: Vec<(String, String)> =
            args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        crate::i18n::t(id, &args)
    });
    engine.register_fn("tr", |id: &str| crate::i18n::t(id, &[]));
    // The narration is kept as it is (bounded), not as a file's size and hash.
    bind!("step", |rt, narration: &str| {
        rt.next_step(narration);
        Ok(())
    });
    bind!("manual_step", |rt, narration: &str| rt.manual_step(narration));
    bind!("pause", |rt, seconds: i64| rt
        .pause(std::time::Duration::from_secs(seconds.max(0) as u64)));
    bind!("dry_run", |rt| Ok(rt.plans_only()));

    // Batches
    let (r, sc) = (rt.clone(), script.clone());
    engine.register_fn("batch", move |targets: Dynamic, job: FnPtr| {
        wrap(&r, batch(&r, &sc, targets, Map::new(), job))
    });
    let (r, sc) = (rt.clone(), script.clone());
    engine.register_fn("batch", move |targets: Dynamic, options: Map, job: FnPtr| {
        wrap(&r, batch(&r, &sc, targets, options, job))
    });

    let p = params.clone();
    let name = runbook.name.clone();
    let r = rt.clone();
    engine.register_fn("param", move |key: &str| -> Fallible<String> {
        let found = p
            .get(key)
            .cloned()
            .ok_or_else(|| Error::Usage(msg!("prim-param-missing", runbook = name, key = key)));
        wrap(&r, found)
    });
    let p = params.clone();
    engine.register_fn("param", move |key: &str, default: &str| -> String {
        p.get(key).cloned().unwrap_or_else(|| default.to_string())
    });
    (engine, script)
}

/// The names of the functions `engine` registers beyond Rhai's own, for the docs test.
pub fn registered_names(site: &Path) -> Vec<String> {
    let site = crate::site::Site::load(site).expect("a valid site");
    let rt = Arc::new(Runtime::new(site, Default::default(), Default::default()));
    let runbook = Runbook {
        name: "x".into(),
        origin: "x".into(),
        source: String::new(),
        dir: None,
        sources: Default::default(),
    };
    let (engine, _) = engine(&rt, &runbook, &Arc::new(BTreeMap::new()));
    let standard: std::collections::BTreeSet<String> =
        Engine::new().gen_fn_signatures(false).into_iter().collect();
    let mut names: Vec<String> = engine
        .gen_fn_signatures(false)
        .into_iter()
        .filter(|s| !standard.contains(s))
        .map(|s| s.trim_start_matches("fn ").split('(').next().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `batch(targets, [options,] |server| …)`: runs the closure on every target in parallel
/// under the batch policy; returns `#{ succeeded: [...], failed: #{server: reason},
/// not_started: #{server: reason} }`.
fn batch(rt: &Runtime, script: &Script, targets: Dynamic, options: Map, job: FnPtr) -> Result<Map> {
    let targets: Vec<String> = if targets.is_array() {
        let mut names = Vec::new();
        for value in targets.into_array().unwrap_or_default() {
            let name = value
                .into_string()
                .map_err(|t| Error::Usage(msg!("prim-batch-target-not-name", value = t)))?;
            rt.server(&name)?;
            names.push(name);
        }
        names
    } else {
        let selector = targets
            .into_string()
            .map_err(|t| Error::Usage(msg!("prim-batch-targets-type", value = t)))?;
        crate::batch::select(rt, &selector)?
    };
    let mut policy = Policy::new(rt.site.group_capacity);
    for (key, value) in options {
        let text = value.to_string();
        match key.as_str() {
            "forks" => {
                policy.forks = value
                    .as_int()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Error::Usage(msg!("prim-batch-forks")))?
                    as usize
            }
            "batch" => policy.batch = text.parse()?,
            "pause" => {
                policy.pause = std::time::Duration::from_secs(
                    value.as_int().map_err(|_| Error::Usage(msg!("prim-batch-pause")))?.max(0)
                        as u64,
                )
            }
            "on_failure" => policy.on_failure = text.parse()?,
            other => {
                return Err(Error::Usage(msg!("prim-batch-unknown-option", option = other)));
            }
        }
    }
    let (engine, ast) = script
        .get()
        .map(|(e, a, _)| (e.clone(), a.clone()))
        .ok_or_else(|| Error::Usage(msg!("prim-batch-unavailable")))?;
    let engine = engine.upgrade().ok_or_else(|| Error::Usage(msg!("prim-batch-unavailable")))?;
    let run_one = |server: &str| -> Result<String> {
        match job.call::<Dynamic>(&engine, &ast, (server.to_string(),)) {
            Ok(value) if value.is_unit() => Ok(String::new()),
            Ok(value) => Ok(value.to_string()),
            Err(error) => {
                let error = *error;
                Err(rt.take_failure().unwrap_or_else(|| Error::Other(anyhow::anyhow!("{error}"))))
            }
        }
    };
    let summary = crate::batch::run(rt, &targets, &policy, &run_one);
    rt.report_batch(&summary);
    let mut result = Map::new();
    let mut succeeded = Array::new();
    let mut failed = Map::new();
    let mut not_started = Map::new();
    for (server, outcome) in summary.rows {
        match outcome {
            Outcome::Succeeded(_) => succeeded.push(server.into()),
            Outcome::Failed(reason) => {
                failed.insert(server.into(), reason.into());
            }
            Outcome::NotStarted(reason) => {
                not_started.insert(server.into(), reason.into());
            }
        }
    }
    result.insert("succeeded".into(), succeeded.into());
    result.insert("failed".into(), failed.into());
    result.insert("not_started".into(), not_started.into());
    Ok(result)
}

fn import_options(options: Map) -> Result<Option<bool>> {
    let mut certificate = None;
    for (key, value) in options {
        match key.as_str() {
            "certificate" => {
                certificate = Some(
                    value
                        .as_bool()
                        .map_err(|_| Error::Usage(msg!("prim-import-certificate-option")))?,
                )
            }
            other => {
                return Err(Error::Usage(msg!("prim-import-unknown-option", option = other)));
            }
        }
    }
    Ok(certificate)
}

fn to_map(manifest: Manifest) -> Map {
    let mut map = Map::new();
    let mut put = |k: &str, v: Dynamic| {
        map.insert(k.into(), v);
    };
    put("id", manifest.id.into());
    put("generation", manifest.generation.into());
    put("server", manifest.server.into());
    put("role", manifest.role.to_string().into());
    put("group", manifest.group.map(Dynamic::from).unwrap_or(Dynamic::UNIT));
    put("address", manifest.address.into());
    put("hostname", manifest.hostname.into());
    put("created", manifest.created.into());
    put("files", (manifest.files.len() as i64).into());
    put("size", (manifest.archive.size as i64).into());
    map
}

fn to_array(manifests: Vec<Manifest>) -> Array {
    manifests.into_iter().map(|m| Dynamic::from_map(to_map(m))).collect()
}

/// Compiles and runs `runbook`; on failure or Ctrl-C, starts again what it stopped (R11).
pub fn run(rt: &Arc<Runtime>, runbook: &Runbook, params: BTreeMap<String, String>) -> Result<()> {
    let result = execute(rt, runbook, params);
    // A step refused for the journal's cap fails the run, even if the script caught it.
    let result = match (result, rt.journal().and_then(|j| j.overflowed())) {
        (Ok(()), Some(full)) => Err(full),
        (result, _) => result,
    };
    let result = if rt.cancel.load(Ordering::SeqCst) && result.is_err() {
        Err(Error::Interrupted)
    } else {
        result
    };
    // A run whose batch failed somewhere is a failed run too (exit 1): R11 for all of it.
    if result.is_err() || rt.some_servers_failed() {
        for line in rt.restart_stopped() {
            rt.report.warn(&line);
        }
    } else {
        for name in rt.still_stopped() {
            rt.report.warn(&msg!("prim-still-stopped", server = name));
        }
    }
    result
}

/// The site's hooks (`hooks.rhai` in the site folder) as a script, read through the run's
/// `sources`; `None` when the site has none.
pub fn hooks_script(
    site: &crate::site::Site,
    sources: &Arc<crate::runbook::Sources>,
) -> Result<Option<Runbook>> {
    let Some(folder) = &site.site_folder else { return Ok(None) };
    let path = folder.join("hooks.rhai");
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    // Held inside the site folder by the same guard as imports and site runbooks: hooks
    // that lead out of it are refused, never passed over.
    let what = msg!("prim-hooks-what");
    let source =
        crate::runbook::guarded(folder, Path::new("hooks.rhai"), &what, &msg!("prim-site-folder"))
            .and_then(|real| sources.read(&real))
            .map_err(|e| {
                Error::Usage(msg!(
                    "prim-hooks-unusable",
                    what = what,
                    path = path.display(),
                    error = e
                ))
            })?;
    Ok(Some(Runbook {
        name: "hooks".into(),
        origin: path.to_string_lossy().into_owned(),
        source: source.to_string(),
        dir: Some(folder.clone()),
        sources: sources.clone(),
    }))
}

/// The site's hooks, compiled, with every `before_`/`after_` name checked against the
/// primitives that change something.
fn load_hooks(engine: &Engine, rt: &Runtime, runbook: &Runbook) -> Result<Option<Arc<AST>>> {
    let Some(runbook) = hooks_script(&rt.site, &runbook.sources)? else { return Ok(None) };
    let folder = runbook.dir.clone().unwrap_or_default();
    let path = PathBuf::from(&runbook.origin);
    let errors = crate::check::check(&runbook);
    if !errors.is_empty() {
        return Err(Error::Several(errors));
    }
    let mut ast = engine
        .compile(&runbook.source)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    // Its imports resolve in the site folder (see GuardedResolver).
    let real = folder.join("hooks.rhai").canonicalize().unwrap_or_else(|_| path.clone());
    ast.set_source(real.to_string_lossy().as_ref());
    let hookable: Vec<&str> = crate::primitives::docs::PRIMITIVES
        .iter()
        .filter(|d| d.changes && d.name != "batch")
        .map(|d| d.name)
        .collect();
    for function in ast.iter_functions() {
        let target =
            function.name.strip_prefix("before_").or_else(|| function.name.strip_prefix("after_"));
        let valid = target.is_some_and(|t| hookable.contains(&t)) && function.params.len() == 1;
        if !valid && (function.name.starts_with("before_") || function.name.starts_with("after_")) {
            let suggestion = target.and_then(|t| crate::site::suggest(t, hookable.iter().copied()));
            return Err(Error::Usage(match suggestion {
                Some(suggestion) => msg!(
                    "prim-not-a-hook-suggest",
                    path = path.display(),
                    function = function.name,
                    suggestion = suggestion
                ),
                None => msg!("prim-not-a-hook", path = path.display(), function = function.name),
            }));
        }
    }
    Ok(Some(Arc::new(ast)))
}

/// Compiles and runs `runbook` with `params`, without R11 (a batch job leaves that to
/// its worker).
pub fn execute(
    rt: &Arc<Runtime>,
    runbook: &Runbook,
    params: BTreeMap<String, String>,
) -> Result<()> {
    runbook.check_params(&params, &rt.site)?;
    let params = Arc::new(params);
    let (engine, script) = engine(rt, runbook, &params);
    // Every error, including calls to functions that exist nowhere, before any step runs.
    let errors = crate::check::check(runbook);
    if !errors.is_empty() {
        return Err(Error::Several(errors));
    }
    let ast = engine.compile(&runbook.source).map_err(|e| {
        script_error(
            runbook,
            e.position(),
            e.to_string().split(" (line").next().unwrap_or_default().to_string(),
            None,
            true,
        )
    })?;
    let engine = Arc::new(engine);
    let ast = Arc::new(ast);
    let hooks = load_hooks(&engine, rt, runbook)?;
    let _ = script.set((Arc::downgrade(&engine), ast.clone(), hooks));
    let mut scope = Scope::new();
    match engine.run_ast_with_scope(&mut scope, &ast) {
        Ok(()) => Ok(()),
        Err(error) => Err(describe(rt, runbook, *error)),
    }
}

fn describe(rt: &Runtime, runbook: &Runbook, error: EvalAltResult) -> Error {
    let mut error = error;
    // The innermost error says where the failure really was.
    loop {
        error = match error {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => *inner,
            other => {
                error = other;
                break;
            }
        }
    }
    let position = error.position();
    if let EvalAltResult::ErrorTerminated(reason, _) = &error {
        if reason.to_string() == "time limit" {
            rt.stopped_by_limit();
            return script_error(
                runbook,
                position,
                msg!("prim-time-limit", seconds = rt.site.limits.seconds),
                None,
                false,
            );
        }
        if reason.to_string() == "memory limit" {
            return script_error(
                runbook,
                position,
                msg!(
                    "prim-memory-limit",
                    mib = crate::memory::budget(rt.site.limits.memory_bytes) >> 20
                ),
                None,
                false,
            );
        }
        return Error::Interrupted;
    }
    if let EvalAltResult::ErrorTooManyOperations(_) = &error {
        rt.stopped_by_limit();
        return script_error(
            runbook,
            position,
            msg!("prim-operations-limit", operations = rt.site.limits.operations),
            None,
            false,
        );
    }
    let message = match &error {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => other.to_string().split(" (line").next().unwrap_or_default().to_string(),
    };
    // The primitive's own error, unless the script caught that one and threw another.
    let cause = rt.take_failure().filter(|cause| {
        matches!(error, EvalAltResult::ErrorRuntime(..)) && cause.to_string() == message
    });
    script_error(runbook, position, message, cause.map(Box::new), false)
}

fn script_error(
    runbook: &Runbook,
    position: Position,
    message: String,
    cause: Option<Box<Error>>,
    compile: bool,
) -> Error {
    let line = position.line().unwrap_or(0);
    let column = position.position().unwrap_or(1);
    Error::Script {
        origin: runbook.origin.clone(),
        line,
        column,
        excerpt: if line > 0 { excerpt(&runbook.source, line, column) } else { String::new() },
        message,
        cause,
        compile,
    }
}

/// Resolves `import "x"` only to `x.rhai` inside the runbook's own folder: no absolute
/// paths, no `..`, and no symbolic link that leads out of it.
struct GuardedResolver {
    dir: Option<PathBuf>,
    /// The site folder: scripts that come from it (hooks, site modules) import from it.
    site: Option<PathBuf>,
    /// Each module is read once per run.
    sources: Arc<crate::runbook::Sources>,
}

/// The file `import "path"` names, if it is a plain name inside `dir` that does not lead
/// out of it (through `..`, an absolute path or a symbolic link): the same guard as site
/// runbooks and hooks.
pub fn resolve_import(dir: Option<&Path>, path: &str) -> std::result::Result<PathBuf, String> {
    let Some(dir) = dir else {
        return Err(msg!("prim-no-imports"));
    };
    crate::runbook::guarded(
        dir,
        &Path::new(path).with_extension("rhai"),
        &msg!("prim-import-what", path = path),
        &msg!("prim-runbook-folder"),
    )
}

impl ModuleResolver for GuardedResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Fallible<Shared<Module>> {
        let refuse = |why: String| -> Box<EvalAltResult> {
            EvalAltResult::ErrorInModule(path.to_string(), why.into(), pos).into()
        };
        // A script from the site folder (its hooks, its modules) imports from there,
        // whatever runbook is running.
        let from_site = self.site.as_deref().filter(|site| {
            source.is_some_and(|s| {
                let site = site.canonicalize().unwrap_or_else(|_| site.to_path_buf());
                Path::new(s).starts_with(&site)
            })
        });
        let dir = from_site.or(self.dir.as_deref());
        let real = resolve_import(dir, path).map_err(refuse)?;
        let text = self.sources.read(&real).map_err(refuse)?;
        let mut ast = engine.compile(&*text)?;
        ast.set_source(real.to_string_lossy().as_ref());
        Ok(Module::eval_ast_as_new(Scope::new(), &ast, engine)?.into())
    }
}
