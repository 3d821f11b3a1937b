# kuroko messages (primitives), Japanese. Same ids in the same order as ../en/primitives.ftl (a test checks).
# 用語はマニュアルに合わせる：移入、リザーブサーバ、サーバグループ、サーバ固有情報、管理対象サーバ。

## rules.rs
prim-rule-unknown = 不明な規則 `{ $rule }` です：規則は R1 から R11 までです

## primitives/lifecycle.rs
prim-already-stopped = Interstage はすでに停止中です
prim-r5-start-pending = `{ $backup }` から移入した資源に、まだ `{ $source }` の IP アドレス { $address } とホスト名 { $hostname } が残っています
prim-r5-set-ip-first = 先にサーバ固有情報を変更してください：set_ip("{ $server }")
prim-r5-start-incomplete = バックアップ `{ $backup }` の適用が完了していません：資源の一部が古いまま、一部が `{ $source }` のものになっている可能性があります
prim-r5-start-incomplete-instead = バックアップをもう一度適用し（restore または import_backup）、それから起動してください：start_interstage("{ $server }")
prim-already-running = Interstage はすでに稼働中です
prim-doing-starting = 起動する
prim-r4-already-stopped = この実行はすでに `{ $group }` の別のサーバ `{ $other }` を停止しています：同時に停止できるのは { $capacity } 台までです（`group_capacity`）
prim-r4-already-stopped-instead = 先に `{ $other }` を再起動してください：start_interstage("{ $other }")
prim-r4-down = サーバグループ `{ $group }` の { $down } はすでに停止しています：同時に停止できるのは { $capacity } 台までです（`group_capacity`）
prim-r4-down-instead = 先に停止中のサーバを起動するか、業務停止を計画してください
prim-r4-last = `{ $server }` はサーバグループ `{ $group }` で最後の稼働中のサーバです：停止するとサーバグループの業務が止まります
prim-r4-last-instead = 先にサーバグループのほかのサーバを起動するか、業務停止を計画してください
prim-doing-stop = Interstage の停止
prim-stop-failed = 停止に失敗しました：何もバックアップしておらず、何も変更していません。それでも Interstage が停止した場合は、R11 により再起動します
prim-stop-still-running = 停止コマンドは成功しましたが、Interstage はまだ稼働中です
prim-doing-start = Interstage の起動
prim-start-not-running = 起動コマンドは成功しましたが、Interstage が稼働していません
prim-start-unjournaled = `{ $server }` は起動しましたが、ジャーナルに記録できませんでした：{ $error }

## primitives/files.rs
prim-files-bad-path = { $why }（read_file と write_file には、サーバのルートからの単純な相対パスを指定します）
prim-doing-read-file = `{ $path }` の読み取り
prim-read-too-large = `{ $server }` の `{ $path }` は { $max } バイトより大きいです：read_file は小さなファイル用です
prim-write-refused = write_file は `{ $server }` の `{ $path }` への書き込みを拒否しました：{ $why }
prim-doing-write-file = `{ $path }` の書き込み

## primitives/restore.rs
prim-r8-other-site = バックアップ `{ $backup }` は別のサイトのものです（`{ $site }`、サイト ID `{ $site_id }`。このサイトは `{ $this_site }`、サイト ID `{ $this_site_id }`）
prim-r8-other-site-instead = このサイトで採取したバックアップを使ってください（`kuroko backups list`）
prim-r9-reason = `{ $source }` は { $source_facts }、`{ $target }` は { $target_facts } です
prim-r9-instead = OS、Interstage のバージョンとエディション、インストールディレクトリが同じサーバを対象にしてください
prim-put-running = `{ $server }` は稼働中です：先に stop_interstage("{ $server }") で Interstage を停止してください
prim-cert-missing = `{ $server }` には自身の証明書環境がありません：SSL の業務を始める前に構築してください（R6）
prim-cert-kept = `{ $server }` は自身の証明書環境をそのまま使います（R6、方針 `{ $policy }`）
prim-hostinfo-pending = set_ip("{ $server }") を実行するまで、`{ $source }` の IP アドレス { $address } とホスト名 { $hostname } を保持しています（R5）
prim-r1-other-site = `{ $backup }` はサイト `{ $site }` のバックアップです。このサイトは `{ $this_site }` です
prim-r1-other-site-instead = このサイトのバックアップを使ってください
prim-r1-admin-import = 管理サーバはリストアするもので、移入の対象にはなりません
prim-r1-admin-import-instead = restore() を使ってください
prim-r1-admin-backup = `{ $backup }` は管理サーバのバックアップです：管理サーバにだけリストアできます
prim-r1-admin-backup-instead = 管理対象サーバのバックアップを使ってください
prim-r1-not-admin-backup = 管理サーバは管理サーバのバックアップからだけリストアします。`{ $backup }` は管理サーバのバックアップではありません
prim-r1-not-admin-backup-instead = 管理サーバのバックアップを選んでください：backups() の一覧で role が `admin` のものです
prim-r1-member = `{ $server }` はサーバグループのサーバです：バックアップを適用できるのはリザーブサーバかスタンドアロンサーバだけです
prim-r1-single = `{ $server }` は単独運用の管理対象サーバです：バックアップを適用できるのはリザーブサーバかスタンドアロンサーバだけです
prim-r1-member-instead = 復旧するには、先にサーバグループから削除してください（group_remove）。サーバグループを拡張するには、リザーブサーバを使ってください
prim-r3-other-group = `{ $server }` は `{ $group }` のサーバでしたが、`{ $backup }` は `{ $source }`（サーバグループ `{ $source_group }`）のバックアップです
prim-r3-other-group-none = `{ $server }` は `{ $group }` のサーバでしたが、`{ $backup }` は `{ $source }`（サーバグループなし）のバックアップです
prim-r3-other-group-instead = `{ $group }` のサーバのバックアップをリストアしてください：latest_backup("{ $group }")
prim-r3-no-removal = `{ $backup }` は別のサーバのバックアップで、`{ $server }` には復旧するために削除されたサーバグループがありません
prim-r3-no-removal-instead = `{ $server }` に別のサーバの資源を移すには、import_backup() を使ってください
prim-r6-conditional = 条件付きの CA 方針のもとで、証明書環境を `{ $server }` に移入します：ランブックは条件を満たしているとしています
prim-r6-not-allowed = サイトの証明書方針は `not-allowed` です：CA は同じサイト証明書を複数のサーバで使うことを認めていません
prim-r6-not-allowed-instead = 証明書環境を含めずに移入し、`{ $server }` 自身の証明書環境を構築してください
prim-r7-reason = `{ $backup }` と同じサーバグループ定義を持つ管理サーバのバックアップがありません：管理サーバと管理対象サーバのバックアップの世代がそろっていません
prim-r7-instead = 管理サーバと管理対象サーバのバックアップを一緒に採取し（`kuroko run backup-site`）、その世代を使ってください
prim-unpack-failed = バックアップの適用に失敗しました（終了コード { $code }）：{ $stderr }
prim-doing-check-parents = 資源のフォルダの確認
prim-doing-service-restore = サービスのリストアコマンド
prim-doing-clean-up = 後片付け
prim-doing-local-copy = 停止中のサーバ上での資源の複写
prim-local-copy-no-room = サーバに複写する空きがありません（1 割の余裕を含めて { $need } KiB 必要、空きは { $free } KiB）：Interstage を停止したまま管理端末へ直接バックアップします
prim-local-copy-failed = サーバ上での複写に失敗しました（{ $why }）：Interstage を停止したまま管理端末へ直接バックアップします
prim-local-copy-changed = サーバ上の複写が作成後に変わりました（作成時：{ $made }、現在：{ $now }）：バックアップは書き込んでいません。もう一度バックアップを採取してください
prim-local-copy-arrived = 受信したのは { $size } バイト、cksum { $cksum }
prim-backup-outage = { $total } 秒のバックアップのうち、業務停止は { $outage } 秒でした
prim-set-ip-bad-value = `{ $value }` は有効な IP アドレスでもホスト名でもありません
prim-identity-unrecorded = kuroko に記録はありませんが、資源に `{ $other }` の識別情報があります（`{ $file }` 内）
prim-set-ip-nothing = 資源はすでに自身の IP アドレスとホスト名を持っています
prim-set-ip-running = `{ $server }` は稼働中です：ホスト情報を変更する前に停止してください
prim-set-ip-bad-record = kuroko の記録は移入元の IP アドレスまたはホスト名として `{ $value }` を挙げていますが、有効な値ではありません：`{ $record }` を手で確認してください
prim-doing-write-hostinfo = ホスト情報ファイルの書き込み
prim-doing-modify-hostinfo = ホスト情報の変更
prim-set-ip-leftovers = `{ $server }` の次のファイルにまだ `{ $address }` または `{ $hostname }` が残っています：{ $files }。手で変更してください
prim-r5-foreign-identity = kuroko の記録にかかわらず、資源に `{ $other }` の IP アドレスまたはホスト名 `{ $value }` があります（`{ $file }` 内）：{ $doing }と `{ $other }` の識別情報を持つことになります
prim-doing-find-identity = 資源内での別のサーバの識別情報の検索
prim-doing-check-hostinfo = ホスト情報の確認
prim-facts = { $os } / Interstage { $version } { $edition }（インストール先 { $install_dir }）

## primitives/group.rs
prim-doing-list-groups = サーバグループの一覧取得
prim-group-list-too-large = サーバグループ一覧が { $mib } MiB より大きいです：kuroko は読み込みません
prim-group-list-error = サーバグループ一覧（`{ $command }`）：{ $why }
prim-group-list-unknown-server = サイトファイルにそのサーバがありません：追加してください
prim-role-differs-warn = { $difference }：kuroko は{ $source }を使います。サイトファイルを更新してください
prim-source-recorded = kuroko が記録したサーバグループの構成
prim-source-group-list = 管理サーバのサーバグループ一覧
prim-role-of-group = `{ $group }` の { $role }
prim-role-differs = `{ $server }`：サイトファイルでは { $declared }、実際のサイトでは { $live } です
prim-group-add-member = `{ $server }` はすでにサーバグループ `{ $group }` に属しています
prim-group-add-admin = `{ $server }` は管理サーバです：サーバグループには追加できません
prim-group-add-standalone = `{ $server }` はスタンドアロンサーバです：先にリザーブサーバとしてサイトに加えてください
prim-r10-reason = `{ $server }` は単独運用の管理対象サーバで、サーバグループ `{ $group }` は空ではありません
prim-r10-instead = 空のサーバグループに追加するか、サイトから削除してリザーブサーバとして加え、`{ $group }` のバックアップを移入してください
prim-r5-still-holds = 資源にまだ `{ $source }` の IP アドレスとホスト名が残っています
prim-r5-group-add-instead = 先に set_ip("{ $server }") を実行してください
prim-r2-instead = 先に `{ $group }` のサーバのバックアップを移入してください：import_backup(latest_backup("{ $group }"), "{ $server }")
prim-r2-no-record = `{ $server }` の資源はサーバグループ `{ $group }` のバックアップから移入したものではありません
prim-r2-incomplete = `{ $server }` へのバックアップ `{ $backup }` の適用が完了していません：資源がそのバックアップのものか確かめられません
prim-r2-other-group = `{ $server }` の資源は `{ $source }`（サーバグループ `{ $source_group }`）のもので、`{ $group }` のサーバのものではありません
prim-r2-other-group-none = `{ $server }` の資源は `{ $source }`（サーバグループなし）のもので、`{ $group }` のサーバのものではありません
prim-r2-removed-after = `{ $server }` は資源を適用したあと、{ $at } に `{ $group }` から削除されています
prim-group-remove-not-member = `{ $server }` はサーバグループ `{ $group }` のサーバではありません
prim-console-add = `{ $admin }` の Interstage 管理コンソールで、サーバ `{ $server }`（{ $address }）をサーバグループ `{ $group }` に追加してください
prim-console-remove = `{ $admin }` の Interstage 管理コンソールで、サーバ `{ $server }`（{ $address }）をサーバグループ `{ $group }` から削除してください
prim-group-still-listed = `{ $which }` のあとも、管理サーバはサーバグループ `{ $group }` に `{ $server }` を挙げています：サイトの定義を確認してください
prim-group-not-listed = `{ $which }` のあと、管理サーバはサーバグループ `{ $group }` に `{ $server }` を挙げていません：サイトの定義を確認してください
prim-manual-confirmed = 事前に確認済みです（--yes）
prim-manual-needs-operator = 手作業には運用者が必要です：{ $text }
prim-manual-needs-operator-hint = 作業を済ませてから `--yes` を付けてもう一度実行するか、端末で実行してください
prim-manual-not-confirmed = 運用者が完了を確認しませんでした：{ $text }
prim-group-list-bad-name = サーバグループ一覧にある `{ $group }` は有効なサーバグループ名ではありません
prim-group-list-two-groups = サーバグループ一覧では `{ $server }` が `{ $other }` と `{ $group }` の 2 つのサーバグループに属しています：サーバが属するサーバグループは 1 つまでです
prim-group-list-admin = サーバグループ一覧では管理サーバ `{ $server }` がサーバグループ `{ $group }` に属しています：管理サーバはサーバグループに属しません
prim-group-list-unknown = 管理サーバはサーバグループ `{ $group }` に `{ $server }` を挙げていますが、{ $unknown }
prim-group-list-not-json = JSON ではありません：{ $error }
prim-group-list-members-list = members は名前のリストでなければなりません
prim-group-list-member-name = サーバは名前で書かなければなりません
prim-group-list-entry-group = 各エントリには `group` の名前が必要です
prim-group-list-shape = サーバグループのオブジェクトか、{"{"}group, members{"}"} のリストでなければなりません
prim-group-list-bad-line = { $line } 行目は `group G` でも `member G SERVER` でもありません：{ $text }

## primitives/backup.rs
prim-generation-no-admin = 世代 `{ $generation }` には管理サーバのバックアップがありません：完全な世代にはできません（R7）
prim-backup-r5-pending = 資源にまだ `{ $source }` の IP アドレスとホスト名が残っています：バックアップするとそれを引き継いでしまいます
prim-backup-r5-incomplete = バックアップ `{ $backup }` の適用が完了していません：バックアップするとそれを引き継いでしまいます
prim-backup-r5-instead = 先に移入を完了し、set_ip("{ $server }") を実行してください
prim-doing-backing-up = バックアップする
prim-doing-prepare-service = サービスのバックアップ用フォルダの準備
prim-doing-service-backup = サービスのバックアップコマンド
prim-archive-write-failed = アーカイブを書き込めません：{ $error }
prim-archive-reader-crashed = アーカイブの読み取り処理が異常終了しました
prim-backup-stream-unusable = バックアップのデータを使えません：{ $message }
prim-archive-command-failed = アーカイブコマンドが終了コード { $code } で失敗しました：{ $stderr }
prim-no-backup-written = バックアップは書き込んでいません
prim-generation-mark-failed = 世代 `{ $generation }` を開始済みとして記録できません：{ $error }
prim-generation-bad-id = `{ $generation }` は世代 ID ではありません：new_generation() を使ってください
prim-archive-reader-stopped = アーカイブの読み取り処理が止まりました

## runtime.rs
prim-replayed = { $primitive }：再開する実行ですでに行われています
prim-time-limit = 実行時間が上限の { $seconds } 秒を超えました（サイトファイルの `[limits] seconds`）
prim-override = `{ $server }` で { $rule } を例外として通しました（--force { $rule }）：{ $reason }
prim-doing-read-record = kuroko の記録の読み取り
prim-record-too-large = kuroko の記録 `{ $record }` が { $max } バイトより大きいです：手で確認してください
prim-record-damaged = kuroko の記録 `{ $record }` が壊れています（{ $error }）：手で確認してください
prim-status-unknown = `{ $command }` の結果から Interstage が稼働中かどうか判断できません（{ $failure }）。サイトファイルの `running_marker`/`stopped_marker` を確認してください
prim-status-not-read = 状態を読めませんでした
prim-doing-write-record = kuroko の記録の書き込み
prim-doing-clear-record = kuroko の記録の消去
prim-restart-left-stopped = `{ $server }` は停止したままにします：別のサーバの IP アドレスとホスト名を保持しているか、リストアが完了していません（R5）。リストアまたは移入を完了し、set_ip("{ $server }") を実行してから起動してください
prim-restart-started = `{ $server }` を再起動しました（R11）
prim-restart-failed = `{ $server }` を再起動できませんでした（R11）：{ $error }
prim-doing-make-scratch = 作業用フォルダの作成
prim-scratch-bad = mktemp の応答 `{ $answer }` は `{ $folder }` 内のフォルダではありません
prim-doing-remove-scratch = 作業用フォルダの削除

## engine.rs
prim-hook-note = サイトのフック `{ $hook }`
prim-hook-failed = サイトのフック `{ $hook }` が失敗しました：{ $error }
prim-param-missing = ランブック `{ $runbook }` にはパラメータ `{ $key }` が必要です：`-p { $key }=VALUE` を指定してください
prim-batch-target-not-name = batch の対象はサーバ名で指定してください（{ $value } は使えません）
prim-batch-targets-type = batch の対象：セレクタか配列で指定してください（{ $value } は使えません）
prim-batch-forks = `forks` には 0 より大きい数を指定します
prim-batch-pause = `pause` には秒数を指定します
prim-batch-unknown-option = batch にオプション `{ $option }` はありません：使えるのは forks、batch、pause、on_failure です
prim-batch-unavailable = ここでは batch を使えません
prim-import-certificate-option = import のオプション `certificate` には true か false を指定します
prim-import-unknown-option = import にオプション `{ $option }` はありません：使えるのは `certificate` です
prim-still-stopped = `{ $server }` はこのランブックが停止したもので、まだ停止中です
prim-hooks-what = サイトのフック `hooks.rhai`
prim-site-folder = サイトフォルダ
prim-hooks-unusable = { $what }（`{ $path }`）を使えません：{ $error }
prim-not-a-hook = { $path }：`{ $function }` はフックではありません（フックは、変更を行うプリミティブに対する `before_NAME(server)`/`after_NAME(server)` です）
prim-not-a-hook-suggest = { $path }：`{ $function }` はフックではありません（フックは、変更を行うプリミティブに対する `before_NAME(server)`/`after_NAME(server)` です）：`{ $suggestion }` のフックのことですか？
prim-memory-limit = ランブックがメモリの上限 { $mib } MiB を超えて使いました（サイトファイルの `[limits] memory_bytes`。kuroko にメモリ制限があるときは、その残りの半分まで下げます）
prim-operations-limit = ランブックの操作数が上限の { $operations } を超えました（サイトファイルの `[limits] operations`）
prim-no-imports = 標準ランブックは何も import しません
prim-import-what = import `{ $path }`
prim-runbook-folder = ランブックのフォルダ
