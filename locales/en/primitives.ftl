# kuroko messages (primitives), English. Same ids in the same order as ../ja/primitives.ftl (a test checks).

## rules.rs
prim-rule-unknown = unknown rule `{ $rule }`: rules are R1 to R11

## primitives/lifecycle.rs
prim-already-stopped = Interstage is already stopped
prim-r5-start-pending = its resources still hold `{ $source }`'s address { $address } and host name { $hostname }, imported from `{ $backup }`
prim-r5-set-ip-first = change the server-specific information first: set_ip("{ $server }")
prim-r5-start-incomplete = putting backup `{ $backup }` onto it did not finish: its resources may be part old, part `{ $source }`'s
prim-r5-start-incomplete-instead = put the backup onto it again (restore or import_backup), then start it: start_interstage("{ $server }")
prim-already-running = Interstage is already running
prim-doing-starting = starting it
prim-r4-already-stopped = this run already stopped `{ $other }`, another member of `{ $group }`: only { $capacity } member(s) at a time (`group_capacity`)
prim-r4-already-stopped-instead = start `{ $other }` again first: start_interstage("{ $other }")
prim-r4-down = { $down } of group `{ $group }` already down: only { $capacity } member(s) at a time (`group_capacity`)
prim-r4-down-instead = start the members that are down first, or plan an outage
prim-r4-last = `{ $server }` is the last running member of group `{ $group }`: stopping it stops the group's business
prim-r4-last-instead = start another member of the group first, or plan an outage
prim-doing-stop = stopping Interstage
prim-stop-failed = the stop failed: nothing was backed up or changed; if Interstage stopped anyway, R11 starts it again
prim-stop-still-running = the stop command succeeded but Interstage still runs
prim-doing-start = starting Interstage
prim-start-not-running = the start command succeeded but Interstage is not running
prim-start-unjournaled = `{ $server }` started, but the journal could not say so: { $error }

## primitives/files.rs
prim-files-bad-path = { $why } (read_file and write_file take a plain path relative to the server's root)
prim-doing-read-file = reading `{ $path }`
prim-read-too-large = `{ $path }` on `{ $server }` is larger than { $max } bytes: read_file is for small files
prim-write-refused = write_file refused `{ $path }` on `{ $server }`: { $why }
prim-doing-write-file = writing `{ $path }`

## primitives/restore.rs
prim-r8-other-site = backup `{ $backup }` belongs to another site (`{ $site }`, site id `{ $site_id }`; this is `{ $this_site }`, site id `{ $this_site_id }`)
prim-r8-other-site-instead = use a backup this site took (`kuroko backups list`)
prim-r9-reason = `{ $source }` runs { $source_facts } and `{ $target }` runs { $target_facts }
prim-r9-instead = use a target with the same OS, Interstage version and edition and install directory
prim-put-running = `{ $server }` is running: stop Interstage first with stop_interstage("{ $server }")
prim-cert-missing = `{ $server }` has no certificate environment of its own: set one up before it serves SSL (R6)
prim-cert-kept = `{ $server }` keeps its own certificate environment (R6, policy `{ $policy }`)
prim-hostinfo-pending = holds `{ $source }`'s address { $address } and host name { $hostname } until set_ip("{ $server }") runs (R5)
prim-r1-other-site = `{ $backup }` is a backup of site `{ $site }`, this is site `{ $this_site }`
prim-r1-other-site-instead = use a backup of this site
prim-r1-admin-import = the admin server is restored, never imported into
prim-r1-admin-import-instead = use restore()
prim-r1-admin-backup = `{ $backup }` is an admin-server backup: it goes only onto the admin server
prim-r1-admin-backup-instead = use a backup of a managed server
prim-r1-not-admin-backup = the admin server is restored only from an admin-server backup, and `{ $backup }` is not one
prim-r1-not-admin-backup-instead = pick an admin backup: backups() lists them with role `admin`
prim-r1-member = `{ $server }` is a member of a server group: backups are put only onto reserve or standalone servers
prim-r1-single = `{ $server }` is a single-operation managed server: backups are put only onto reserve or standalone servers
prim-r1-member-instead = to recover it, delete it from its group first (group_remove); to expand a group, use a reserve server
prim-r3-other-group = `{ $server }` was a member of `{ $group }` but `{ $backup }` is a backup of `{ $source }` (group `{ $source_group }`)
prim-r3-other-group-none = `{ $server }` was a member of `{ $group }` but `{ $backup }` is a backup of `{ $source }` (no group)
prim-r3-other-group-instead = restore a backup of a member of `{ $group }`: latest_backup("{ $group }")
prim-r3-no-removal = `{ $backup }` is another server's backup and `{ $server }` left no group to recover
prim-r3-no-removal-instead = to give `{ $server }` another server's resources, use import_backup()
prim-r6-conditional = importing the certificate environment into `{ $server }` under a conditional CA policy: the runbook says its conditions are met
prim-r6-not-allowed = the site's certificate policy is `not-allowed`: the CA does not allow the same site certificate on several servers
prim-r6-not-allowed-instead = import without it and build `{ $server }`'s own certificate environment
prim-r7-reason = no admin-server backup has the same group definitions as `{ $backup }`: admin and managed backups are out of step
prim-r7-instead = take admin and managed backups together (`kuroko run backup-site`) and use that generation
prim-unpack-failed = putting the backup in place failed (exit code { $code }): { $stderr }
prim-doing-check-parents = checking the resource folders
prim-doing-service-restore = a service restore command
prim-doing-clean-up = cleaning up
prim-doing-local-copy = copying the resources on the server while it is stopped
prim-local-copy-no-room = no room on the server for a local copy ({ $need } KiB needed, a tenth to spare included; { $free } KiB free): the backup streams to the controller while Interstage is stopped
prim-local-copy-failed = the local copy on the server failed ({ $why }): the backup streams to the controller while Interstage is stopped
prim-local-copy-changed = the local copy changed on the server after it was made (made: { $made }; now: { $now }): no backup was written; take the backup again
prim-local-copy-arrived = { $size } bytes arrived, cksum { $cksum }
prim-backup-outage = out of service for { $outage } s of a { $total } s backup
prim-set-ip-bad-value = `{ $value }` is not a valid address or host name
prim-identity-unrecorded = its resources hold `{ $other }`'s identity (in `{ $file }`), though kuroko has no record of it
prim-set-ip-nothing = its resources already hold its own address and host name
prim-set-ip-running = `{ $server }` is running: stop it before changing its host information
prim-set-ip-bad-record = kuroko's record names `{ $value }` as the source's address or host name, which is not one: check `{ $record }` by hand
prim-doing-write-hostinfo = writing the host information file
prim-doing-modify-hostinfo = changing the host information
prim-set-ip-leftovers = `{ $server }` still mentions `{ $address }` or `{ $hostname }` in: { $files } — change those by hand
prim-r5-foreign-identity = its resources hold `{ $other }`'s address or host name `{ $value }` (in `{ $file }`), whatever kuroko's record says: { $doing } would give it `{ $other }`'s identity
prim-doing-find-identity = looking for another server's identity in the resources
prim-doing-check-hostinfo = checking the host information
prim-facts = { $os } / Interstage { $version } { $edition } in { $install_dir }

## primitives/group.rs
prim-doing-list-groups = listing the server groups
prim-group-list-too-large = the group list is larger than { $mib } MiB: kuroko does not read it
prim-group-list-error = the group list (`{ $command }`): { $why }
prim-group-list-unknown-server = the site file has no such server: add it
prim-role-differs-warn = { $difference }: kuroko uses the { $source }; update the site file
prim-source-recorded = group membership kuroko recorded
prim-source-group-list = admin server's group list
prim-role-of-group = { $role } of `{ $group }`
prim-role-differs = `{ $server }`: the site file says { $declared }, the live site says { $live }
prim-group-add-member = `{ $server }` already belongs to group `{ $group }`
prim-group-add-admin = `{ $server }` is the admin server: it joins no group
prim-group-add-standalone = `{ $server }` is a standalone server: join it to the site as a reserve server first
prim-r10-reason = `{ $server }` is a single-operation managed server and group `{ $group }` is not empty
prim-r10-instead = add it to an empty group, or delete it from the site, join as a reserve server and import a backup of `{ $group }`
prim-r5-still-holds = its resources still hold `{ $source }`'s address and host name
prim-r5-group-add-instead = set_ip("{ $server }") first
prim-r2-instead = import a backup of a member of `{ $group }` first: import_backup(latest_backup("{ $group }"), "{ $server }")
prim-r2-no-record = `{ $server }`'s resources did not come from a backup of group `{ $group }`
prim-r2-incomplete = putting backup `{ $backup }` onto `{ $server }` did not finish: its resources are not known to be that backup's
prim-r2-other-group = `{ $server }`'s resources came from `{ $source }` (group `{ $source_group }`), not from a member of `{ $group }`
prim-r2-other-group-none = `{ $server }`'s resources came from `{ $source }` (no group), not from a member of `{ $group }`
prim-r2-removed-after = `{ $server }` was deleted from `{ $group }` at { $at } after its resources were put in place
prim-group-remove-not-member = `{ $server }` is not a member of group `{ $group }`
prim-console-add = in the Interstage management console of `{ $admin }`, add server `{ $server }` ({ $address }) to server group `{ $group }`
prim-console-remove = in the Interstage management console of `{ $admin }`, delete server `{ $server }` ({ $address }) from server group `{ $group }`
prim-group-still-listed = after `{ $which }` the admin server still lists `{ $server }` in group `{ $group }`: check the site's definitions
prim-group-not-listed = after `{ $which }` the admin server does not list `{ $server }` in group `{ $group }`: check the site's definitions
prim-manual-confirmed = confirmed beforehand (--yes)
prim-manual-needs-operator = a manual step needs an operator: { $text }
prim-manual-needs-operator-hint = do it, then run again with `--yes`, or run on a terminal
prim-manual-not-confirmed = the operator did not confirm: { $text }
prim-group-list-bad-name = the group list names `{ $group }`, which is not a valid group name
prim-group-list-two-groups = the group list puts `{ $server }` in two groups, `{ $other }` and `{ $group }`: a server is a member of one group at most
prim-group-list-admin = the group list puts the admin server `{ $server }` in group `{ $group }`: the admin server is no member
prim-group-list-unknown = the admin server lists `{ $server }` in group `{ $group }` but { $unknown }
prim-group-list-not-json = not JSON: { $error }
prim-group-list-members-list = members must be a list of names
prim-group-list-member-name = a member must be a name
prim-group-list-entry-group = each entry needs a `group` name
prim-group-list-shape = expected an object of groups or a list of {"{"}group, members{"}"}
prim-group-list-bad-line = line { $line } is neither `group G` nor `member G SERVER`: { $text }

## primitives/backup.rs
prim-generation-no-admin = generation `{ $generation }` has no admin-server backup: it cannot be complete (R7)
prim-backup-r5-pending = its resources still hold `{ $source }`'s address and host name: a backup of it would pass that on
prim-backup-r5-incomplete = putting backup `{ $backup }` onto it did not finish: a backup of it would pass that on
prim-backup-r5-instead = finish the import and run set_ip("{ $server }") first
prim-doing-backing-up = backing it up
prim-doing-prepare-service = preparing the service backup folder
prim-doing-service-backup = a service backup command
prim-archive-write-failed = cannot write the archive: { $error }
prim-archive-reader-crashed = the archive reader crashed
prim-backup-stream-unusable = the backup stream is unusable: { $message }
prim-archive-command-failed = the archive command failed with exit code { $code }: { $stderr }
prim-no-backup-written = no backup was written
prim-generation-mark-failed = cannot mark generation `{ $generation }` as begun: { $error }
prim-generation-bad-id = `{ $generation }` is not a generation id: use new_generation()
prim-archive-reader-stopped = the archive reader stopped

## runtime.rs
prim-replayed = { $primitive }: already done by the resumed run
prim-time-limit = the run took longer than its limit of { $seconds } s (`[limits] seconds` in the site file)
prim-override = override of { $rule } on `{ $server }` (--force { $rule }): { $reason }
prim-doing-read-record = reading kuroko's record
prim-record-too-large = kuroko's record `{ $record }` is larger than { $max } bytes: check it by hand
prim-record-damaged = kuroko's record `{ $record }` is damaged ({ $error }): check it by hand
prim-status-unknown = cannot tell from `{ $command }` whether Interstage runs ({ $failure }); check `running_marker`/`stopped_marker` in the site file
prim-status-not-read = its state was not read
prim-doing-write-record = writing kuroko's record
prim-doing-clear-record = clearing kuroko's record
prim-restart-left-stopped = `{ $server }` left stopped: it holds another server's address and host name, or a restore that did not finish (R5); finish the restore or import, run set_ip("{ $server }") and start it
prim-restart-started = `{ $server }` started again (R11)
prim-restart-failed = `{ $server }` could NOT be started again (R11): { $error }
prim-doing-make-scratch = making a scratch folder
prim-scratch-bad = mktemp answered `{ $answer }`, not a folder in `{ $folder }`
prim-doing-remove-scratch = removing the scratch folder

## engine.rs
prim-hook-note = site hook `{ $hook }`
prim-hook-failed = site hook `{ $hook }` failed: { $error }
prim-param-missing = runbook `{ $runbook }` needs the parameter `{ $key }`: pass `-p { $key }=VALUE`
prim-batch-target-not-name = batch targets must be server names, not { $value }
prim-batch-targets-type = batch targets: a selector or an array, not { $value }
prim-batch-forks = `forks` is a number above 0
prim-batch-pause = `pause` is seconds
prim-batch-unknown-option = batch has no option `{ $option }`: it takes forks, batch, pause, on_failure
prim-batch-unavailable = batch is not available here
prim-import-certificate-option = import option `certificate` takes true or false
prim-import-unknown-option = import has no option `{ $option }`: it takes `certificate`
prim-still-stopped = `{ $server }` was stopped by this runbook and is still stopped
prim-hooks-what = the site's hooks `hooks.rhai`
prim-site-folder = the site folder
prim-hooks-unusable = cannot use { $what } (`{ $path }`): { $error }
prim-not-a-hook = { $path }: `{ $function }` is not a hook (hooks are `before_NAME(server)`/`after_NAME(server)` for a primitive that changes something)
prim-not-a-hook-suggest = { $path }: `{ $function }` is not a hook (hooks are `before_NAME(server)`/`after_NAME(server)` for a primitive that changes something): did you mean the hook of `{ $suggestion }`?
prim-memory-limit = the runbook used more memory than its budget of { $mib } MiB (`[limits] memory_bytes` in the site file, lowered to half of what a memory cap on kuroko leaves)
prim-operations-limit = the runbook did more than { $operations } operations (`[limits] operations` in the site file)
prim-no-imports = standard runbooks import nothing
prim-import-what = import `{ $path }`
prim-runbook-folder = the runbook's folder
