# kuroko の運用者向けメッセージ（日本語）。用語はマニュアルに合わせる：
# 移入、リザーブサーバ、サーバグループ、サーバ固有情報。

## 拒否：枠と各規則の表題（DOMAIN.md R1〜R11）
refused = { $rule } により拒否しました（対象 `{ $server }`）：{ $reason }
refused-instead = 代わりに：{ $instead }
refused-force = （計画された例外は `--force { $rule }` で通せます。記録されます）
rule-R1 = 移入とリストアの対象はリザーブサーバまたはスタンドアロンサーバだけです。サーバグループのサーバは対象にできません
rule-R2 = サーバグループ G に追加できるのは、G のサーバのバックアップから移入した資源を持つサーバだけです
rule-R3 = サーバグループ G のサーバの復旧には、G のサーバのバックアップだけを使います
rule-R4 = サーバグループのサーバのバックアップは、ほかのサーバが稼働している間だけ行います
rule-R5 = 他のサーバから移入したあとは、起動やサーバグループへの追加の前にサーバ固有情報を変更します
rule-R6 = 証明書環境は、サイトの方針が許すときだけ移入とともに移します
rule-R7 = 管理サーバと管理対象サーバのバックアップは一貫した一世代として採取します
rule-R8 = sha256 マニフェストと一致するバックアップだけを使います
rule-R9 = 移入元と移入先は OS、Interstage のバージョン、エディション、インストールディレクトリが一致しなければなりません
rule-R10 = 単独運用の管理対象サーバは空のサーバグループにだけ追加できます
rule-R11 = ランブックが停止したサーバは、ランブックが失敗または中断したとき再起動します

## 手順の説明とまとめ
step-header = == 手順 { $number }：{ $text }
run-started = `{ $runbook }` の実行 `{ $run }`
run-completed = ランブック `{ $runbook }` が完了しました（実行 `{ $run }`）
dry-run-start = `{ $runbook }` のドライラン：何も変更しません
dry-run-complete = `{ $runbook }` のドライランが完了しました：何も変更していません
prompt-done = 作業が終わったら `done` と入力してください（それ以外はランブックを中止します）：
manual-step = 手作業：{ $text }

## 標準ランブック `expand`（§2.1）
expand-step-backup = サーバグループ { $group } のサーバ { $source } を管理サーバとともに一世代としてバックアップします（§2.1 手順 1）
expand-outage = バックアップ中は { $source } が業務を停止します。{ $group } の残りのサーバが業務を引き継ぎます
expand-step-import = バックアップ { $backup } をリザーブサーバ { $server } に移入します（§2.1 手順 2）
expand-step-hostinfo = { $server } のサーバ固有情報（自身の IP アドレスとホスト名）を変更します（§2.1 手順 2）
expand-step-add = 管理サーバで { $server } をサーバグループ { $group } に追加します（§2.1 手順 3）
expand-done = { $server } はサーバグループ { $group } のサーバになりました。サーバグループ定義が変わったので、サイトのバックアップを採取してください（kuroko run backup-site）。
expand-no-source = サーバグループ { $group } には資源の複写元となる稼働中のサーバがありません

## 標準ランブック `recover`（§2.2）
recover-no-group = { $server } はどのサーバグループにも属しておらず、kuroko が削除したものでもありません：元のサーバグループを -p group=G で指定してください
recover-step-choose = リストアに使う { $group } のサーバのバックアップを選びます（§2.2 手順 1）
recover-chosen = { $backup }：{ $group } のサーバ { $source } のバックアップ（採取 { $created }）
recover-step-delete = サーバグループ { $group } から { $server } を削除します：リザーブサーバになります（§2.2 手順 3）
recover-deleted = { $server } はサーバグループ { $group } から外れました
recover-step-restore = { $server } を修復し、バックアップ { $backup } をリストアします（§2.2 手順 4）
recover-manual-repair = { $server } を修復してください（ハードウェア、OS、Interstage）。再び接続できる状態にします
recover-step-hostinfo = バックアップは { $source } から採取したものです：{ $server } のサーバ固有情報を変更します（§2.2 手順 4）
recover-step-add = { $server } をサーバグループ { $group } に戻します（§2.2 手順 5）
recover-done = { $server } はサーバグループ { $group } に戻りました。

## 標準ランブック `backup-site`（§2.3）
site-step-admin = 管理サーバ { $server } をバックアップします（世代 { $generation }）
site-empty-group = サーバグループ { $group } にはサーバがありません：バックアップするものはありません
site-no-running = サーバグループ { $group } に稼働中のサーバがありません：資源を安全にバックアップできません
site-step-member = サーバグループ { $group } のサーバ { $server } をバックアップします。ほかのサーバが業務を引き継ぎます
site-step-single = 単独運用の管理対象サーバ { $server } をバックアップします（バックアップ中は業務が止まります）
site-done = 世代 { $generation } がそろいました：管理対象サーバのリストアには、この世代かそれより新しい完全な世代だけを使ってください

## 手順書（作成者の言語で書く）
plan-title = 手順書
plan-site = サイト
plan-runbook = ランブック
plan-parameters = パラメタ
plan-author = 作成者
plan-fingerprints = 指紋
plan-fp-runbook = ランブック
plan-fp-params = パラメタ
plan-fp-site-file = サイトファイル
plan-fp-live = 稼働状態
plan-col-step = 手順
plan-col-server = サーバ
plan-col-before = 事前確認
plan-col-action = 実施
plan-col-after = 事後確認
plan-col-rules = 規則
plan-col-tick = 確認
plan-approval-how = 承認：`kuroko approve`（`ssh-keygen -Y sign` で署名）
plan-approval-blank = 承認者：____________________ 日付：__________

## 実施（英語の文は手順書との照合に使う）
act-stop = Interstage を停止します
act-start = Interstage を起動します
act-stop-for-backup = バックアップのため Interstage を停止します
act-start-again = Interstage を再び起動します
act-backup = { $paths } をバックアップ `{ $backup }` に採取します
act-group-add = `{ $server }` をサーバグループ `{ $group }` に追加します
act-group-delete = `{ $server }` をサーバグループ `{ $group }` から削除します（リザーブサーバになります）
act-import-from-group = サーバグループ `{ $group }` の `{ $source }` のバックアップ `{ $backup }` を移入します{ $certificate }
act-import-from-role = `{ $source }`（{ $role }）のバックアップ `{ $backup }` を移入します{ $certificate }
act-restore-from-group = サーバグループ `{ $group }` の `{ $source }` のバックアップ `{ $backup }` をリストアします{ $certificate }
act-restore-from-role = `{ $source }`（{ $role }）のバックアップ `{ $backup }` をリストアします{ $certificate }
act-with-certificate = （証明書環境を含めて）
act-hostinfo = サーバ固有情報を変更します：{ $old_address } → { $address }、{ $old_hostname } → { $hostname }
act-write = `{ $path }` を書き込みます（{ $bytes } バイト、sha256 { $sha256 }）
act-write-secret = `{ $path }` を書き込みます（{ $bytes } バイト。秘密を含むため sha256 は記録しません）
act-mark-down = 意図して停止したままにします（失敗しても再起動しません）
act-complete-generation = 世代 `{ $generation }` をストアでそろった世代として記録します

## 手順書とエビデンスでのサーバの状態（事前確認・事後確認）
state-line = { $state }、{ $role }
state-running = 稼働中
state-stopped = 停止中
state-not-read = 未確認
state-not-read-because = 確認できません：{ $error }
state-role-of-group = サーバグループ { $group } の{ $role }
state-role-admin = 管理サーバ
state-role-member = サーバ
state-role-single = 単独運用の管理対象サーバ
state-role-reserve = リザーブサーバ
state-role-standalone = スタンドアロンサーバ
state-backup-used = ；バックアップ { $backup } sha256 { $sha256 }
plan-row-differs = 承認された手順書の { $row } 行目は、いまランブックが行う内容と違います：手順書は `{ $planned }`、実行では `{ $now }` になります
plan-rows-differ = 承認された手順書は { $planned } 行ですが、いまランブックが行うと { $now } 行になります

## 手順書：署名、承認、実行時の確認
plan-already-left = この実行はすでに承認された手順書から外れています（{ $first }）
plan-not-in-plan-next = この実行は `{ $server }` で `{ $action }` を行おうとしましたが、承認された手順書にはありません（次は `{ $next }` です）
plan-not-in-plan-none = この実行は `{ $server }` で `{ $action }` を行おうとしましたが、承認された手順書にはありません（そのサーバでの手順はもうありません）
plan-not-approved-instead = サイトまたはランブックが承認されたものと違います：手順書を作り直して承認を受けてください
plan-text-edited = `{ $path }` は kuroko がその手順書について書いた文書ではありません：本文が編集されています
plan-make-new-with-plan = `kuroko plan` で手順書を作り直して承認を受けてください
plan-make-new = 手順書を作り直して承認を受けてください
plan-not-utf8 = 手順書 `{ $path }` は UTF-8 のテキストではありません
plan-no-block = `{ $path }` には kuroko の手順書がありません（`kuroko-plan` ブロックがありません）：`kuroko plan` で作成してください
plan-unreadable = `{ $path }` の手順書を読めません：{ $error }
plan-too-large = `{ $path }` は手順書としては大きすぎます
plan-no-ssh-keygen = ssh-keygen（openssh-client）を実行できません：{ $error }
plan-signing-failed = `{ $key }` での署名に失敗しました：{ $error }
plan-cannot-write-signature = `{ $path }` を書き込めません：{ $error }（以前の署名があります。不要なら先に削除してください）
plan-key-not-approver = 鍵 `{ $key }` は `{ $signers }` の承認者のものではありません
plan-key-not-approver-instead = そこに登録された鍵で承認してください
plan-author-approves = `{ $principal }` はこの手順書の作成者なので承認できません（四つの目の原則）
plan-second-person = 作成者以外の人が自分の鍵で承認してください
plan-approved = { $authors } が作成した手順書 `{ $plan }` を { $approvers } が承認しました
plan-no-author-signature = 手順書 `{ $plan }` に作成者の署名（`{ $signature }`）がありません
plan-no-author-signature-instead = `kuroko plan … --key 自分の鍵` で手順書を作成してください
plan-author-signature-bad = `{ $plan }` の作成者の署名が手順書と一致しないか、その鍵が `{ $signers }` にありません：作成後に手順書が変更されたか、不明な人が作成しました
plan-author-mismatch = 手順書 `{ $plan }` は作成者を { $named } としていますが、署名したのは { $signed } です
plan-not-approved = 手順書 `{ $plan }` は承認されていません（`{ $approval }` がありません）
plan-not-approved-how = 作成者以外の人がこの手順書に `kuroko approve` を実行してください
plan-approval-bad = `{ $plan }` の承認が手順書と一致しないか、その鍵が `{ $signers }` にありません：承認後に手順書が変更されました
plan-approved-by-author = 手順書 `{ $plan }` は作成者自身が承認しています（四つの目の原則）
plan-html-of = sha256 が { $sha256 } の手順書（Markdown）から印刷しました（sha256sum で確認できます。署名されているのはそのファイルだけです）
