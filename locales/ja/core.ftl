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
