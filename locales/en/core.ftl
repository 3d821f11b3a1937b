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

## The standard runbook `recover` (§2.2)
recover-no-group = { $server } is in no group and was not deleted from one by kuroko: pass -p group=G, the group it belonged to
recover-step-choose = choose the backup of a member of { $group } to restore (§2.2 step 1)
recover-chosen = { $backup }: member { $source } of { $group }, taken { $created }
recover-step-delete = delete { $server } from group { $group }: it becomes a reserve server (§2.2 step 3)
recover-deleted = { $server } is no longer in { $group }
recover-step-restore = repair { $server }, then restore backup { $backup } onto it (§2.2 step 4)
recover-manual-repair = repair { $server } (hardware, OS, Interstage) so that it is reachable again
recover-step-hostinfo = the backup came from { $source }: change the server-specific information of { $server } (§2.2 step 4)
recover-step-add = add { $server } back to group { $group } (§2.2 step 5)
recover-done = { $server } is back in { $group }.

## The standard runbook `backup-site` (§2.3)
site-step-admin = back up the admin server { $server } (generation { $generation })
site-empty-group = group { $group } has no members: nothing to back up
site-no-running = no member of group { $group } is running: its resources cannot be backed up safely
site-step-member = back up member { $server } of group { $group }; the other members carry the load
site-step-single = back up single-operation server { $server } (its business stops during the backup)
site-done = generation { $generation } is complete: restore managed servers only from it or from a later complete one

## Procedure documents (手順書), written in their author's language
plan-title = Procedure (手順書)
plan-site = site
plan-runbook = runbook
plan-parameters = parameters
plan-author = author
plan-fingerprints = fingerprints
plan-fp-runbook = runbook
plan-fp-params = parameters
plan-fp-site-file = site file
plan-fp-live = live state
plan-col-step = step
plan-col-server = server
plan-col-before = check before (事前確認)
plan-col-action = action (実施)
plan-col-after = check after (事後確認)
plan-col-rules = rules
plan-col-tick = done
plan-approval-how = approval: `kuroko approve` (signed with `ssh-keygen -Y sign`)
plan-approval-blank = approved by: ____________________ date: __________

## Actions (実施): the English text is also what plans are checked against, word for word
act-stop = stop Interstage
act-start = start Interstage
act-stop-for-backup = stop Interstage for the backup
act-start-again = start Interstage again
act-backup = back up { $paths } into backup `{ $backup }`
act-group-add = add `{ $server }` to group `{ $group }`
act-group-delete = delete `{ $server }` from group `{ $group }` (it becomes a reserve server)
act-import-from-group = import backup `{ $backup }` from `{ $source }` of group `{ $group }`{ $certificate }
act-import-from-role = import backup `{ $backup }` from `{ $source }` ({ $role }){ $certificate }
act-restore-from-group = restore backup `{ $backup }` from `{ $source }` of group `{ $group }`{ $certificate }
act-restore-from-role = restore backup `{ $backup }` from `{ $source }` ({ $role }){ $certificate }
act-with-certificate = , with its certificate environment
act-hostinfo = change server-specific information: { $old_address } -> { $address }, { $old_hostname } -> { $hostname }
act-write = write `{ $path }` ({ $bytes } bytes, sha256 { $sha256 })
act-write-secret = write `{ $path }` ({ $bytes } bytes, sha256 withheld: it holds a secret)
act-mark-down = mark as intentionally down: it will not be started again on failure
act-complete-generation = mark generation `{ $generation }` complete in the store

## A server's state in plans and evidence (事前確認・事後確認)
state-line = { $state }, { $role }
state-running = running
state-stopped = stopped
state-not-read = not read
state-not-read-because = not read: { $error }
state-role-of-group = { $role } of { $group }
state-role-admin = admin
state-role-member = member
state-role-single = single
state-role-reserve = reserve
state-role-standalone = standalone
state-backup-used = ; backup { $backup } sha256 { $sha256 }
plan-row-differs = row { $row } of the approved plan is not what the runbook would do now: the plan says `{ $planned }`, the run would make `{ $now }`
plan-rows-differ = the approved plan has { $planned } rows and the runbook would now make { $now }

## Plans: signatures, approval and the checks of a run
plan-already-left = the run already left its approved plan ({ $first })
plan-not-in-plan-next = the run would `{ $action }` on `{ $server }`, which the approved plan does not have (it has `{ $next }` next)
plan-not-in-plan-none = the run would `{ $action }` on `{ $server }`, which the approved plan does not have (it has no further step there)
plan-not-approved-instead = the site or the runbook is not what was approved: make a new plan and have it approved
plan-text-edited = `{ $path }` is not the document kuroko wrote for the plan in it: its text was edited
plan-make-new-with-plan = make a new plan with `kuroko plan` and have it approved
plan-make-new = make a new plan and have it approved
plan-not-utf8 = plan `{ $path }` is not UTF-8 text
plan-no-block = `{ $path }` holds no kuroko plan (no `kuroko-plan` block): make one with `kuroko plan`
plan-unreadable = the plan in `{ $path }` cannot be read: { $error }
plan-too-large = `{ $path }` is too large for a plan
plan-no-ssh-keygen = cannot run ssh-keygen (openssh-client): { $error }
plan-signing-failed = signing with `{ $key }` failed: { $error }
plan-cannot-write-signature = cannot write `{ $path }`: { $error } (an earlier signature is there: remove it first if it should go)
plan-key-not-approver = the key `{ $key }` is not one of the approvers in `{ $signers }`
plan-key-not-approver-instead = approve with a key listed there
plan-author-approves = `{ $principal }` wrote this plan and cannot approve it (four eyes)
plan-second-person = a second person approves it with their own key
plan-approved = plan `{ $plan }` written by { $authors } approved by { $approvers }
plan-no-author-signature = plan `{ $plan }` has no author's signature (`{ $signature }`)
plan-no-author-signature-instead = make the plan with `kuroko plan … --key YOUR_KEY`
plan-author-signature-bad = the author's signature of `{ $plan }` does not match the plan, or its key is not in `{ $signers }`: the plan was changed after it was made, or made by someone unknown
plan-author-mismatch = plan `{ $plan }` names { $named } as its author, but it was signed by { $signed }
plan-not-approved = plan `{ $plan }` is not approved (no `{ $approval }`)
plan-not-approved-how = a second person runs `kuroko approve` on it
plan-approval-bad = the approval of `{ $plan }` does not match the plan, or its key is not in `{ $signers }`: the plan was changed after it was approved
plan-approved-by-author = plan `{ $plan }` was approved by its own author (four eyes)
plan-html-of = printed from the plan whose Markdown has sha256 { $sha256 } (check with sha256sum; only that file is signed)
