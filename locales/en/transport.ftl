# kuroko messages (transport: connections, host keys, archives, manifests, server paths), en. Same ids in the same order as the other language (a test checks).

## known_hosts.rs
transport-kh-host-unwritable = the host `{ $host }` cannot be written to known_hosts as it is (it holds a space or one of , * ? ! [ ] | # @)
transport-kh-no-key-type = the server's host key has no readable key type
transport-kh-cannot-update = cannot update `{ $path }`: { $error }
transport-kh-shared-line = line { $line } pins another key of this type for the host through the pattern `{ $hosts }`, which can cover other hosts too: kuroko leaves that line to you. Edit it by hand
transport-kh-not-regular = not a regular file
transport-kh-not-regular-bounded = `{ $path }` is not a regular file of at most { $max } bytes

## transport/mod.rs
transport-nul-byte = a value holds a NUL byte, which cannot reach a shell: nothing was run
transport-exit-code = exit code { $code }: { $text }
transport-command-failed = { $what } failed (`{ $command }`), { $failure }

## transport/local.rs
transport-local-no-root = its root folder `{ $root }` does not exist (check `root` in the site file)
transport-local-cannot-run-sh = cannot run `sh`: { $error }
transport-command-lost = lost the command `{ $command }`: { $error }
transport-stream-broke = stream of `{ $command }` broke: { $error }

## transport/ssh.rs
transport-ssh-lost-via = the connection to { $host }:{ $port } (through jump host `{ $jump }`) broke while { $what }: { $error }
transport-ssh-lost = the connection to { $host }:{ $port } broke while { $what }: { $error }
transport-ssh-key-algorithms = cannot set the host key algorithms to offer: { $error }
transport-ssh-handshake = the SSH handshake with { $target } failed: { $error }
transport-ssh-no-host-key = the server sent no host key
transport-ssh-host-key-no-type = the server sent a host key without a readable key type
transport-ssh-cannot-read-known-hosts = cannot read known_hosts `{ $path }`: { $error }. Nothing was run.
transport-ssh-revoked-not-pinned = the host key { $fingerprint } ({ $kind }) of { $host }:{ $port } is marked @revoked in `{ $file }`: it is refused and was not pinned; `{ $file }` is unchanged.
transport-ssh-revoked-nothing-run = the host key { $fingerprint } ({ $kind }) of { $host }:{ $port } is marked @revoked in `{ $file }`: it is refused and nothing was run.
transport-ssh-revoked-hint = the server must get a new host key; check it on the server's console, then run `kuroko trust { $name }`
transport-ssh-key-changed = the host key of { $host }:{ $port } CHANGED: its { $kind } key is now { $fingerprint }, which `{ $file }` does not have. Nothing was run.
transport-ssh-key-changed-hint = this can be an attack. If the server was reinstalled, check the fingerprint on its console, then run `kuroko trust { $name } --replace`
transport-ssh-pin-failed = { $error }. Nothing was run.
transport-ssh-pinned-new = warning: pinned the new host key of `{ $name }` ({ $kind } { $fingerprint }) in `{ $file }` (accept_new)
transport-ssh-other-types-accept-new = keys of other types are pinned for this host ({ $types }), but the server offered none of them; accept_new pins keys on first contact only
transport-ssh-other-types = keys of other types are pinned for this host ({ $types }), but the server offered none of them
transport-ssh-unknown-key = unknown host key { $fingerprint } ({ $kind }) for { $host }:{ $port } (not in `{ $file }`): nothing was run.
transport-ssh-unknown-key-hint = if that fingerprint is the server's, pin it with `kuroko trust { $name }`
transport-ssh-no-key-file = the key file `{ $key }` does not exist (check `identity`)
transport-ssh-auth-key-refused-detail = authentication as `{ $user }` with the key `{ $key }` was refused: { $detail }
transport-ssh-auth-key-refused = authentication as `{ $user }` with the key `{ $key }` was refused
transport-ssh-auth-agent-refused-detail = authentication as `{ $user }` with ssh-agent (no `identity` given) was refused: { $detail }
transport-ssh-auth-agent-refused = authentication as `{ $user }` with ssh-agent (no `identity` given) was refused
transport-while-opening-channel = opening a channel
transport-while-starting-command = starting a command
transport-ssh-cannot-read-input = cannot read the input for `{ $server }`: { $error }
transport-while-sending-input = sending input
transport-ssh-cannot-store-output = cannot store the output of `{ $server }`: { $error }
transport-while-reading-output = reading output
transport-while-reading-errors = reading errors
transport-ssh-idle-timeout = { $host }:{ $port } stopped answering: nothing came for { $seconds }s (idle_timeout)
transport-ssh-command-timeout = the command ran longer than { $seconds }s (command_timeout)
transport-while-closing-command = closing the command
transport-while-reading-exit-status = reading the exit status
transport-ssh-killed-by-signal = (killed by signal { $signal })
transport-trust-not-ssh = `{ $name }` is not reached over SSH: there is no host key to trust
transport-trust-edit-failed = { $error }; `{ $file }` is unchanged
transport-trust-already = `{ $name }` is already trusted: { $kind } { $fingerprint }
transport-trust-changed = its { $kind } host key changed to { $fingerprint }; check it on the server's console, then run `kuroko trust { $name } --replace`
transport-trust-removed-line = line { $line } (`{ $hosts }`)
transport-trust-replaced = pinned `{ $name }` ({ $host }:{ $port }) { $kind } { $fingerprint } in `{ $file }`, replacing { $removed }
transport-trust-pinned = pinned `{ $name }` ({ $host }:{ $port }) { $kind } { $fingerprint } in `{ $file }`

## transport/jump.rs
transport-cannot-resolve = cannot resolve `{ $target }`: { $error }
transport-resolves-to-nothing = `{ $target }` resolves to no address
transport-cannot-connect-lan = cannot connect to { $target } within { $seconds }s: { $error } (is sshd running there? check `host`/`port`; on a management LAN, a `jump` host may be needed)
transport-cannot-connect = cannot connect to { $target } within { $seconds }s: { $error } (is sshd running there? check `host`/`port`)
transport-jump-cannot-reach = jump host `{ $jump }` cannot reach { $host }:{ $port }: { $why } (is sshd running there? check `host`/`port`)
transport-jump-no-channel = jump host `{ $jump }` opened no channel to { $host }:{ $port } within the connect timeout (does the server answer the jump host?)
transport-jump-no-channel-why = jump host `{ $jump }` opened no channel to { $host }:{ $port } within the connect timeout: { $why }
transport-jump-on-the-way = on the way through jump host `{ $jump }`: { $message }
transport-jump-tried-ago = { $message } (tried { $seconds }s ago)
transport-jump-login-wait-timeout = the connect timeout passed while another server was still logging in to it
transport-jump-relay-not-started = cannot start its relay: { $error }
transport-jump-relay-ended-in-login = its relay ended during the login
transport-jump-closed = jump host `{ $jump }` closed the connection
transport-jump-broke = the connection to jump host `{ $jump }` broke: { $error }
transport-jump-relay-failed = its relay failed: { $error }
transport-jump-channel-hung = its channel open to { $host }:{ $port } hung, so later servers went to a fresh connection
transport-jump-failed = the connection to jump host `{ $jump }` failed: { $error }
transport-jump-relay-ended = its relay ended

## server_path.rs
transport-path-absolute = `{ $path }` is absolute: give a path relative to the server's root
transport-path-dotdot = `{ $path }` holds `..`: give a plain path under the server's root
transport-path-not-plain = `{ $path }` is not a plain relative path (absolute, or an empty, `.` or `..` component)
transport-path-empty = an empty path names the server's root itself
transport-path-too-long = `{ $path }…` is too long
transport-path-control = `{ $path }` holds a control character

## manifest.rs (reasons of R8 refusals: "backup X: <reason>")
transport-manifest-format = its manifest field `format` is { $found }, kuroko reads { $expected }
transport-manifest-generation = its manifest field `generation` is not a generation id
transport-manifest-server = its manifest field `server` or `site` is not a valid name
transport-manifest-site-id = its manifest field `site_id` is not a site id
transport-manifest-id = its manifest field `id` is not GENERATION/SERVER
transport-manifest-group = its manifest field `group` is not a valid group name
transport-manifest-address = its manifest field `address` or `hostname` is not a plain address or host name
transport-manifest-facts = its manifest field `facts` hold an overlong value or a control character
transport-manifest-definitions = its manifest field `definitions` or `archive.sha256` is not a sha256
transport-manifest-archive-name = its manifest field `archive.name` must be `{ $name }`
transport-manifest-unit-path = its unit { $why }
transport-manifest-unit-unmatched = its manifest field `units` names `{ $unit }`, which is no match of the site's backup paths ({ $patterns })
transport-manifest-too-many-units = its manifest field `units` lists more than { $max } units
transport-manifest-unit-twice = its manifest field `units` lists `{ $unit }` twice or inside another unit
transport-manifest-certificate-path = its certificate path { $why }
transport-manifest-file-path = its file list: { $why }
transport-manifest-files = its manifest field `files` lists `{ $path }` twice or with a bad sha256

## archive.rs (reasons of R8 refusals: "backup X: <reason>")
transport-archive-outside = hostile entry `{ $path }`: it lies outside every backup path of the site ({ $patterns })
transport-archive-twice = hostile entry `{ $path }`: the archive holds it twice
transport-archive-must-be-folder = hostile entry `{ $path }`: earlier entries lie inside it, so it must be a folder
transport-archive-behind-link = hostile entry `{ $path }`: it lies behind the symbolic link `{ $link }`
transport-archive-parent-file = hostile entry `{ $path }`: `{ $parent }` is a file, not a folder
transport-archive-link-absolute = hostile entry `{ $path }`: symbolic link to `{ $target }` is not a relative path
transport-archive-link-climbs = hostile entry `{ $path }`: symbolic link to `{ $target }` climbs (`..`) after a name
transport-archive-link-not-normal = hostile entry `{ $path }`: symbolic link to `{ $target }` is not in normal form
transport-archive-link-too-deep = hostile entry `{ $path }`: symbolic link to `{ $target }` resolves through too many links
transport-archive-link-leaves = hostile entry `{ $path }`: symbolic link to `{ $target }` leaves its unit `{ $unit }`
transport-archive-size-damaged = an entry's size is not plain octal (base-256 or damaged)
transport-archive-size-not-octal = an entry's size is not plain octal
transport-archive-hard-links = hostile entry `{ $path }`: hard links (backups store files, not links between them) are refused
transport-archive-devices = hostile entry `{ $path }`: device files are refused
transport-archive-named-pipes = hostile entry `{ $path }`: named pipes are refused
transport-archive-contiguous = hostile entry `{ $path }`: contiguous files are refused
transport-archive-pax = hostile entry `{ $path }`: PAX extended headers (sparse files, long names kuroko cannot read as GNU tar does) are refused
transport-archive-sparse = hostile entry `{ $path }`: sparse files are refused
transport-archive-gnu-special = hostile entry `{ $path }`: GNU incremental, multi-volume and label entries are refused
transport-archive-unknown-type = hostile entry `{ $path }`: entries of unknown type `{ $kind }` are refused
transport-archive-target-not-utf8 = hostile entry: a link target that is not UTF-8 (`{ $text }`)
transport-archive-name-not-utf8 = hostile entry: a name that is not UTF-8 (`{ $text }`)
transport-archive-not-tar = corrupt archive: not a tar archive: { $error }
transport-archive-unreadable-entry = corrupt archive: unreadable tar entry: { $error }
transport-archive-v7-header = corrupt archive: an entry has an old-style (v7) header
transport-archive-long-name = hostile archive: a repeated or oversized GNU long name
transport-archive-corrupt = corrupt archive: { $error }
transport-archive-hostile-path = hostile entry: { $why }
transport-archive-data-in-folder = hostile entry `{ $path }`: a folder or link with data
transport-archive-corrupt-entry = corrupt archive: `{ $path }`: { $error }
transport-archive-setuid = hostile entry `{ $path }`: set-uid and set-gid files are refused
transport-cannot-read = cannot read `{ $path }`: { $error }
transport-archive-cut-short = corrupt archive: `{ $path }` is cut short
transport-archive-cannot-write = cannot write the canonical archive: { $error }
transport-archive-link-no-target = link `{ $path }` has no target
transport-archive-dangling-long-name = corrupt archive: a GNU long name describes no entry
transport-archive-cannot-read = cannot read the archive: { $error }
transport-archive-trailing-data = hostile archive: data after the end-of-archive marker
transport-cannot-open = cannot open `{ $path }`: { $error }
transport-not-regular-file = `{ $path }` is not a regular file
transport-file-too-large = `{ $path }` is larger than { $max } bytes
transport-archive-size-mismatch = the archive is { $actual } bytes but the manifest says { $expected }: it is corrupt
transport-archive-sha-mismatch = the archive's sha256 is { $sha256 } ({ $size } bytes) but the manifest says { $expected_sha256 } ({ $expected_size } bytes): it is corrupt
transport-archive-unlisted-file = `{ $path }` is in the archive but not in the manifest
transport-archive-file-mismatch = `{ $path }` does not match its sha256 in the manifest
transport-archive-missing-file = `{ $path }` is in the manifest but missing from the archive
transport-archive-units-mismatch = the manifest's units ({ $listed }) are not the ones the archive holds ({ $held })

## shell.rs
transport-pattern-invalid = `{ $pattern }` must be a plain path relative to the server's root, like `etc/opt/FJSV*` (letters, digits, `.`, `_`, `-` and `*` only, no component starting with `.`)
transport-placeholder-suggest = unknown placeholder `{ $placeholder }` in `{ $text }`; did you mean `{ $suggestion }`? (write `{ $literal }` for the literal text `{ $placeholder }`)
transport-placeholder-none = unknown placeholder `{ $placeholder }` in `{ $text }`; this command takes no placeholder (write `{ $literal }` for the literal text `{ $placeholder }`)
transport-placeholder-list = unknown placeholder `{ $placeholder }` in `{ $text }`; it takes { $allowed } (write `{ $literal }` for the literal text `{ $placeholder }`)

## site_lock.rs
transport-lock-taking = taking the site's lock on the admin server
transport-lock-replacing = replacing a stale site lock on the admin server
transport-lock-stale-replaced = warning: the admin server `{ $admin }` held a site lock of a kuroko on this machine that is gone: { $holder }
transport-lock-stale-replaced-after = it was replaced
transport-lock-no-holder = (no holder recorded)
transport-lock-busy = another kuroko is working on this site (its lock on the admin server `{ $admin }`): { $holder }
transport-lock-busy-wait = two runs at once could each stop a member of one group (R4); wait for it to end (`--wait DURATION` queues behind it).
transport-lock-busy-remove = If that controller is gone, check, then remove `{ $lock }` on `{ $admin }`
transport-lock-releasing = releasing the site's lock on the admin server
transport-plan-marking = marking the approved plan as run on the admin server
transport-lock-not-released = warning: could not release the site's lock on the admin server `{ $admin }`: { $error }
