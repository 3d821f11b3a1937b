# kuroko's operator-facing messages, English. Every id here is also in ja.ftl (a test
# checks both ways).

## Refusals: the frame, and each rule's title (DOMAIN.md R1–R11)
refused = refused by { $rule } on `{ $server }`: { $reason }
refused-instead = instead: { $instead }
refused-force = (a planned exception may pass `--force { $rule }`; it is recorded)
rule-R1 = import and restore target only a reserve or standalone server, never a group member
rule-R2 = a server joins group G only with resources from a backup of a member of G
rule-R3 = a server of group G is recovered only from a backup of a member of G
rule-R4 = a group member is backed up only while another member keeps running
rule-R5 = after an import from another server, its server-specific information is changed before it starts or joins a group
rule-R6 = the certificate environment travels with an import only if the site's policy allows it
rule-R7 = admin and managed backups are one consistent generation
rule-R8 = a backup is used only if it matches its sha256 manifest
rule-R9 = source and target of an import match on OS, Interstage version, edition and install folder
rule-R10 = a single-operation managed server joins only an empty group
rule-R11 = a server a runbook stopped is started again when the runbook fails or is interrupted

## Narration and summaries
step-header = == step { $number }: { $text }
run-started = run `{ $run }` of `{ $runbook }`
run-completed = runbook `{ $runbook }` completed (run `{ $run }`)
dry-run-start = dry run of `{ $runbook }`: nothing will be changed
dry-run-complete = dry run of `{ $runbook }` complete: nothing was changed
prompt-done = type `done` when it is done (anything else stops the runbook):
manual-step = MANUAL STEP: { $text }

## The standard runbook `expand` (§2.1)
expand-step-backup = back up member { $source } of group { $group }, with the admin server, as one generation (§2.1 step 1)
expand-outage = { $source } is out of service during its backup; the rest of { $group } carries the load
expand-step-import = import backup { $backup } into { $server } (§2.1 step 2)
expand-step-hostinfo = change the server-specific information of { $server }: its own IP address and host name (§2.1 step 2)
expand-step-add = add { $server } to group { $group } on the admin server (§2.1 step 3)
expand-done = { $server } is a member of { $group }. The group definitions changed: take a new site backup (kuroko run backup-site).
expand-no-source = group { $group } has no running member to copy resources from
