//! The rehearsal site: folders on this machine that behave like Interstage servers
//! (DOMAIN.md §5), and the site file that reaches them, so every procedure and every
//! refusal can be tried end to end without touching production.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use crate::archive::sha256_hex;
use crate::error::{Error, Result};
use crate::site::{CertificatePolicy, Role};

/// The stand-in commands, installed in every server's `opt/FJSVisas/bin`.
const COMMANDS: &[(&str, &str)] = &[
    ("isstop", include_str!("rehearsal/isstop")),
    ("isstart", include_str!("rehearsal/isstart")),
    ("isstat", include_str!("rehearsal/isstat")),
    ("ismodifyhostinfo", include_str!("rehearsal/ismodifyhostinfo")),
];

/// Only the admin server runs the site's group operations.
const ADMIN_COMMANDS: &[(&str, &str)] = &[
    ("isgroupadd", include_str!("rehearsal/isgroupadd")),
    ("isgroupremove", include_str!("rehearsal/isgroupremove")),
    ("isgrouplist", include_str!("rehearsal/isgrouplist")),
];

pub struct Spec {
    pub name: &'static str,
    pub role: Role,
    pub group: Option<&'static str>,
    pub address: &'static str,
}

impl Spec {
    pub fn hostname(&self) -> String {
        format!("{}.rehearsal.test", self.name)
    }
}

/// The servers of a rehearsal site. Addresses are from the documentation range
/// (192.0.2.0/24): they only appear inside resource files, nothing connects to them.
pub const SERVERS: &[Spec] = &[
    Spec { name: "adm", role: Role::Admin, group: None, address: "192.0.2.10" },
    Spec { name: "ms-01", role: Role::Member, group: Some("G1"), address: "192.0.2.11" },
    Spec { name: "ms-02", role: Role::Member, group: Some("G1"), address: "192.0.2.12" },
    Spec { name: "ms-03", role: Role::Member, group: Some("G2"), address: "192.0.2.13" },
    Spec { name: "ms-04", role: Role::Member, group: Some("G2"), address: "192.0.2.14" },
    Spec { name: "rs-01", role: Role::Reserve, group: None, address: "192.0.2.21" },
    Spec { name: "ss-01", role: Role::Single, group: None, address: "192.0.2.31" },
    Spec { name: "sa-01", role: Role::Standalone, group: None, address: "192.0.2.41" },
];

pub const GROUPS: &[&str] = &["G1", "G2", "G3"];

/// Creates a rehearsal site in `dir` (which must be empty or absent) and its site file.
pub fn create(dir: &Path, policy: CertificatePolicy) -> Result<()> {
    if dir.exists() && fs::read_dir(dir).map_err(|e| Error::io(dir, e))?.next().is_some() {
        return Err(Error::Usage(crate::msg!("cmd-rehearsal-not-empty", dir = dir.display())));
    }
    fs::create_dir_all(dir.join("backups")).map_err(|e| Error::io(dir, e))?;
    for spec in SERVERS {
        let root = dir.join("servers").join(spec.name);
        install(&root, spec)?;
        if spec.role != Role::Standalone && spec.role != Role::Reserve {
            write(&root.join("run/interstage.state"), "running\n")?;
        }
    }
    write(&dir.join("site.toml"), &site_file(policy))
}

/// Puts a freshly installed Interstage on `root`: commands, base definitions with the
/// server's own address and host name, its own certificate environment, and the
/// applications of its group (or its own, for a single-operation server).
pub fn install(root: &Path, spec: &Spec) -> Result<()> {
    let host = spec.hostname();
    let address = spec.address;
    write(&root.join("etc/rehearsal/identity"), &format!("address={address}\nhostname={host}\n"))?;
    write(&root.join("run/interstage.state"), "stopped\n")?;
    let bin = root.join("opt/FJSVisas/bin");
    let commands =
        COMMANDS.iter().chain(if spec.role == Role::Admin { ADMIN_COMMANDS } else { &[] });
    for (name, text) in commands {
        write(&bin.join(name), text)?;
        fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(bin.join(name), e))?;
    }
    write(
        &root.join("etc/opt/FJSVisas/isas.conf"),
        "# Interstage Application Server\nVersion=13.0\nEdition=enterprise\nInstallDir=/opt/FJSVisas\n",
    )?;
    let conf = root.join("etc/opt/FJSVihs/servers/FJapache/conf");
    let app = spec
        .group
        .map(str::to_string)
        .or_else(|| (spec.role == Role::Single).then(|| spec.name.to_string()));
    let include = app.as_ref().map(|a| format!("Include conf/{a}-app.conf\n")).unwrap_or_default();
    write(
        &conf.join("httpd.conf"),
        &format!(
            "ServerName {host}\nListen {address}:80\nDocumentRoot /var/opt/FJSVihs/htdocs\n{include}"
        ),
    )?;
    link("httpd.conf", &conf.join("current.conf"))?;
    write(
        &root.join("etc/opt/FJSVisjee/domains/interstage/config/domain.xml"),
        &format!(
            "<domain name=\"interstage\">\n  <server host=\"{host}\" address=\"{address}\" port=\"12001\"/>\n</domain>\n"
        ),
    )?;
    write(
        &root.join("var/opt/FJSVihs/htdocs/index.html"),
        "<html><body>Interstage</body></html>\n",
    )?;
    write(&root.join("var/opt/FJSVisas/trace/README"), "trace files of the Interstage services\n")?;
    // Each server's certificate environment is its own until an import brings another.
    let serial = &sha256_hex(format!("{}-{address}", root.display()).as_bytes())[..16];
    write(
        &root.join("etc/opt/FJSVisscs/security/env/sitecert.pem"),
        &format!(
            "-----BEGIN CERTIFICATE-----\nsubject: CN=rehearsal site\nserial: {serial}\n-----END CERTIFICATE-----\n"
        ),
    )?;
    write(
        &root.join("etc/opt/FJSVisscs/security/env/keystore"),
        &format!("private key {serial}\n"),
    )?;
    if let Some(app) = app {
        install_application(root, &app, address, &host)?;
    }
    if spec.role == Role::Admin {
        let mut defs = String::new();
        for group in GROUPS {
            defs.push_str(&format!("group {group}\n"));
        }
        for member in SERVERS.iter().filter(|s| s.role == Role::Member) {
            defs.push_str(&format!(
                "member {} {}\n",
                member.group.unwrap_or_default(),
                member.name
            ));
        }
        write(&root.join("etc/opt/FJSVisgui/site/groups.conf"), &defs)?;
    }
    Ok(())
}

fn install_application(root: &Path, app: &str, address: &str, host: &str) -> Result<()> {
    let conf = root.join("etc/opt/FJSVihs/servers/FJapache/conf");
    write(
        &conf.join(format!("{app}-app.conf")),
        &format!("ProxyPass /{app} http://{address}:8080/{app}\n"),
    )?;
    write(
        &root.join(format!("etc/opt/FJSVtd/wu/{app}-orders.conf")),
        &format!("WorkUnit={app}-orders\nHost={host}\nConcurrency=4\n"),
    )?;
    write(
        &root.join("etc/opt/FJSVisjee/domains/interstage/config/resources.xml"),
        &format!(
            "<resources>\n  <jdbc name=\"orders\" url=\"jdbc:symfoware://db-{app}.example/orders\"/>\n</resources>\n"
        ),
    )?;
    let apps = root.join(format!("var/opt/FJSVisjee/domains/interstage/applications/{app}-orders"));
    let mut ear = format!("application orders for {app}, build 17\n").into_bytes();
    ear.extend((0u32..4096).map(|i| (i * 7 + app.len() as u32) as u8));
    fs::create_dir_all(&apps).map_err(|e| Error::io(&apps, e))?;
    fs::write(apps.join("orders.ear"), ear).map_err(|e| Error::io(apps.join("orders.ear"), e))
}

/// Simulates a failed server: Interstage is down and its resources are gone.
pub fn fail(root: &Path) -> Result<()> {
    write(&root.join("run/interstage.state"), "stopped\n")?;
    for dir in ["etc/opt", "var/opt"] {
        let path = root.join(dir);
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Simulates the repair: the OS and Interstage are reinstalled, with no group resources.
pub fn repair(root: &Path, name: &str) -> Result<()> {
    let spec = SERVERS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::Usage(crate::msg!("cmd-rehearsal-no-server", server = name)))?;
    let bare = Spec { name: spec.name, role: Role::Reserve, group: None, address: spec.address };
    fail(root)?;
    install(root, &bare)
}

fn site_file(policy: CertificatePolicy) -> String {
    let groups: Vec<String> = GROUPS.iter().map(|g| format!("\"{g}\"")).collect();
    let mut text = format!(
        "# A kuroko rehearsal site: every server is a folder under servers/.\n\
         site = \"rehearsal\"\n\
         store = \"backups\"\n\
         certificate_policy = \"{policy}\"\n\
         groups = [{}]\n\n\
         [commands]\n\
         # The rehearsal admin server has commands for the console's group operations.\n\
         group_add = \"{{root}}/opt/FJSVisas/bin/isgroupadd {{group}} {{server}}\"\n\
         group_remove = \"{{root}}/opt/FJSVisas/bin/isgroupremove {{group}} {{server}}\"\n\
         group_list = \"{{root}}/opt/FJSVisas/bin/isgrouplist\"\n",
        groups.join(", ")
    );
    for spec in SERVERS {
        text.push_str(&format!("\n[servers.{}]\nrole = \"{}\"\n", spec.name, spec.role));
        if let Some(group) = spec.group {
            text.push_str(&format!("group = \"{group}\"\n"));
        }
        text.push_str(&format!(
            "address = \"{}\"\nhostname = \"{}\"\ntransport = \"local\"\nroot = \"servers/{}\"\n",
            spec.address,
            spec.hostname(),
            spec.name
        ));
    }
    text
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    fs::write(path, text).map_err(|e| Error::io(path, e))
}

fn link(target: &str, path: &Path) -> Result<()> {
    symlink(target, path).map_err(|e| Error::io(path, e))
}
