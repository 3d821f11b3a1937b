# kuroko messages (sitefile), English. Same ids in the same order as ../ja/sitefile.ftl (a test checks).

## site.rs
sitefile-cannot-read = cannot read the site file `{ $file }`: { $error }
sitefile-create-hint = create one with `kuroko rehearsal create DIR` or pass `--site FILE`
sitefile-where = site file `{ $file }`: { $message }
sitefile-where-line = site file `{ $file }`, line { $line }: { $message }
sitefile-where-key = site file `{ $file }`, key `{ $key }`: { $message }
sitefile-where-line-key = site file `{ $file }`, line { $line }, key `{ $key }`: { $message }
sitefile-did-you-mean = did you mean `{ $suggestion }`?
sitefile-cannot-resolve-folder = cannot resolve the folder of `{ $file }`: { $error }
sitefile-bad-name = `{ $name }` is not a valid name: use letters, digits, `-`, `_` and `.`
sitefile-group-twice = group `{ $group }` is listed twice
sitefile-pattern-reaches-own = `{ $pattern }` reaches kuroko's own folder `{ $folder }`: narrow it
sitefile-backup-no-path = a backup needs at least one path
sitefile-group-capacity-zero = at least 1: a batch must be able to work on a member
sitefile-member-needs-group = a member needs `group = "G"`, one of the site's `groups`
sitefile-unknown-group-suggest = unknown group `{ $group }`; did you mean `{ $suggestion }`?
sitefile-unknown-group-add = unknown group `{ $group }`; add it to `groups`
sitefile-role-no-group = a server with role `{ $role }` belongs to no group: remove `group`
sitefile-bad-address = `{ $value }` is not a valid address
sitefile-bad-hostname = `{ $value }` is not a valid hostname
sitefile-address-used = address `{ $value }` is already used by server `{ $server }`
sitefile-hostname-used = hostname `{ $value }` is already used by server `{ $server }`
sitefile-root-empty = give the server's root folder (`/` on a real server)
sitefile-ssh-needs-transport = an `ssh` table needs `transport = "ssh"`
sitefile-root-not-absolute = `{ $root }` must be an absolute path on the server
sitefile-path-bad-char = `{ $entry }` cannot hold `:` or control characters
sitefile-no-admin = the site has no server with `role = "admin"`
sitefile-many-admins = a site has exactly one admin server, found { $servers }
sitefile-pattern-needs-groups = it needs the named groups `(?P<group>…)` and `(?P<server>…)`
sitefile-group-list-pattern = `group_list_pattern`: { $why }
sitefile-group-list-format = `group_list_format = { $value }`: use `lines`, `json` or `pattern`
sitefile-journal-bytes-too-many = `journal_bytes = { $value }` is more than kuroko reads back ({ $max } bytes)
sitefile-jump-is-server = `{ $name }` names a server and a jump host: give the jump host another name
sitefile-approval-needs-signers = plans are approved by the people in `approval_signers`: name that file (OpenSSH allowed_signers)
sitefile-bad-site-id = `site_id = { $value }`: use 1 to 64 letters, digits, `.`, `_` or `-`
sitefile-unknown-server-suggest = unknown server `{ $server }` in site `{ $site }`: did you mean `{ $suggestion }`?
sitefile-unknown-server = unknown server `{ $server }` in site `{ $site }`: the site has { $servers }
sitefile-unknown-site-group-suggest = unknown group `{ $group }` in site `{ $site }`: did you mean `{ $suggestion }`?
sitefile-unknown-site-group = unknown group `{ $group }` in site `{ $site }`: the site has { $groups }
sitefile-protects-resources = it is part of (or above) the Interstage resources `{ $pattern }`: that changes only through restore, import_backup and set_ip
sitefile-protects-certificates = it is part of (or above) the certificate environment `{ $pattern }`: that changes only through restore and import_backup
sitefile-protects-own = it is part of (or above) kuroko's own record `{ $folder }`
sitefile-protects-install = it is part of (or above) the Interstage install folder `{ $folder }`
sitefile-protects-not-writable = it lies outside the folders the site lets runbooks write (`[files] writable`: { $folders })
sitefile-command-empty = this command cannot be empty
sitefile-ssh-no-host = give the server's address: `host = "…"`
sitefile-timeout-zero = a timeout of 0 seconds would never wait: give at least 1
sitefile-timeout-too-long = { $seconds } seconds is more than a week ({ $max }): give at most that
sitefile-jump-loop = the jump hosts form a loop: { $chain }
sitefile-unknown-jump-suggest = unknown jump host `{ $name }`; did you mean `{ $suggestion }`?
sitefile-unknown-jump = unknown jump host `{ $name }`; define it in a `[jumps.{ $name }]` table
sitefile-too-many-hops = more than { $max } jump hosts on the way
sitefile-hop-twice = the way passes jump host `{ $name }` twice ({ $chain }): list each once
sitefile-range-backwards = the range `{ $range }` runs backwards
sitefile-range-too-large = the range `{ $range }` makes more than { $max } names
sitefile-range-field = `{ $field }` in `{ $value }`: `{ $name }`'s name has { $count } range(s)
sitefile-range-server-twice = server `{ $server }` is defined twice (by `{ $range }`)
sitefile-server-twice = server `{ $server }` is defined twice


## runbook.rs
sitefile-guard-plain-names = { $what } refused: only plain names inside { $place }
sitefile-cannot-read-path = cannot read `{ $path }`: { $error }
sitefile-guard-outside = { $what } refused: it leads outside `{ $folder }` (to `{ $target }`)
sitefile-guard-refused = { $what } refused: { $why }
sitefile-script-not-file = `{ $name }` is not a regular file
sitefile-script-too-large = `{ $name }` has { $size } bytes, more than the { $max } a script may have
sitefile-script-over-limit = `{ $name }` has more than the { $max } bytes a script may have
sitefile-not-utf8 = `{ $name }` is not UTF-8 text
sitefile-no-stdlib-runbook-suggest = no standard runbook `{ $name }`: did you mean `stdlib:{ $suggestion }`? the standard runbooks are { $runbooks }
sitefile-no-stdlib-runbook = no standard runbook `{ $name }`: the standard runbooks are { $runbooks }
sitefile-not-runbook-name = `{ $name }` is not a runbook name: a name is a plain file name without `.rhai` (a script is given by its path, `./x.rhai`)
sitefile-no-runbook-suggest = no runbook `{ $name }`: did you mean `{ $suggestion }`? (a script is given by its path, `./x.rhai`)
sitefile-no-runbook = no runbook `{ $name }`: the standard runbooks are { $runbooks } (a script is given by its path, `./x.rhai`)
sitefile-site-runbook = the site runbook `{ $name }`
sitefile-site-folder = the site folder
sitefile-cannot-use = cannot use { $what } (`{ $path }`): { $error }
sitefile-source-not-planned = `{ $path }` was not read when the plan's fingerprint was taken (an import by a computed name?): a run from a plan uses only the scripts its fingerprint covers
sitefile-cannot-read-runbook = cannot read the runbook `{ $name }`: { $error }
sitefile-no-param-suggest = runbook `{ $runbook }` has no parameter `{ $name }`: did you mean `{ $suggestion }`?
sitefile-no-param-none = runbook `{ $runbook }` has no parameter `{ $name }`: it takes none
sitefile-no-param = runbook `{ $runbook }` has no parameter `{ $name }`: it takes { $params }


## import.rs
sitefile-csv-empty = the CSV file is empty
sitefile-csv-header = the CSV header must name the columns `name`, `role` and `address`
sitefile-csv-no-name = line { $line }: no name
sitefile-csv-no-role = line { $line }: no role
sitefile-csv-no-address = line { $line }: no address
sitefile-csv-bad-port = line { $line }: port `{ $port }` is not a number
sitefile-csv-twice = line { $line }: `{ $name }` is listed twice
sitefile-inventory-line = line { $line }: { $message }
sitefile-inventory-bad-port = line { $line }: ansible_port `{ $port }` is not a number
sitefile-inventory-two-places = line { $line }: `{ $host }` is in two places ({ $first } and { $second }): a server has one role and at most one group
sitefile-membership-too-large = `{ $file }` is larger than { $mib } MiB: that is no group list
sitefile-inventory-missing = the inventory does not list it: add it there
sitefile-role-of-group = { $role } of `{ $group }`
sitefile-membership-member = `{ $name }`: the inventory says { $said }, the admin server lists it in `{ $group }`: written as member of `{ $group }`
sitefile-membership-reserve = `{ $name }`: the inventory says { $said }, the admin server lists it in no group: written as reserve
sitefile-import-no-server = `{ $file }` lists no server
sitefile-membership-error = the admin server's group list: { $message }
sitefile-import-exists = `{ $file }` exists: kuroko site import writes a new file only
sitefile-import-note = note: { $note }
sitefile-import-written = { $count } server(s) written to `{ $file }`


## cli.rs
sitefile-cli-bad-wait = `--wait { $text }`: { $error } (give a duration like `90s` or `10m`)
sitefile-cli-bad-lang = `--lang { $lang }`: use `ja` (日本語) or `en`
sitefile-cli-only-run-runbook = only `run` takes a runbook
sitefile-cli-run-needs-runbook = `run` needs a runbook: `kuroko batch TARGETS run RUNBOOK`
sitefile-cli-forks-zero = `--forks` must be at least 1
sitefile-cli-csv-or-ansible = give `--csv FILE` or `--ansible FILE`
sitefile-cli-pattern-needs-membership = `--membership-pattern` reads a `--membership` file: give one
sitefile-cli-format-needs-pattern = `--membership-format pattern` needs `--membership-pattern REGEX`
sitefile-cli-prune-needs-policy = `backups prune` needs a policy: `--keep-generations N` and/or `--keep-days D`
sitefile-cli-keep-zero = `--keep-generations 0` would keep nothing: the newest complete generation is always kept, give at least 1
sitefile-cli-param-form = parameter `{ $param }` must be NAME=VALUE, like `-p server=rs-01`
sitefile-cli-param-twice = parameter `{ $name }` is given twice
sitefile-cli-not-overridable = { $rule } cannot be overridden: only R4 (planned outage) and R7 (out-of-step generation) can


## check.rs
sitefile-no-function-suggest = no function `{ $name }`: did you mean `{ $suggestion }`?
sitefile-no-function = no function `{ $name }`
