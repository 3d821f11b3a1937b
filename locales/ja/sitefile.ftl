# kuroko messages (sitefile), Japanese. Same ids in the same order as ../en/sitefile.ftl (a test checks).

## site.rs
sitefile-cannot-read = サイトファイル `{ $file }` を読めません：{ $error }
sitefile-create-hint = `kuroko rehearsal create DIR` で作成するか、`--site FILE` を指定してください
sitefile-where = サイトファイル `{ $file }`：{ $message }
sitefile-where-line = サイトファイル `{ $file }`、{ $line } 行目：{ $message }
sitefile-where-key = サイトファイル `{ $file }`、キー `{ $key }`：{ $message }
sitefile-where-line-key = サイトファイル `{ $file }`、{ $line } 行目、キー `{ $key }`：{ $message }
sitefile-did-you-mean = `{ $suggestion }` のことですか？
sitefile-cannot-resolve-folder = `{ $file }` のフォルダを解決できません：{ $error }
sitefile-bad-name = `{ $name }` は名前として使えません：英字、数字、`-`、`_`、`.` を使ってください
sitefile-group-twice = サーバグループ `{ $group }` が二度書かれています
sitefile-pattern-reaches-own = `{ $pattern }` は kuroko 自身のフォルダ `{ $folder }` に届きます：範囲を狭めてください
sitefile-backup-no-path = バックアップには少なくとも一つのパスが必要です
sitefile-group-capacity-zero = 1 以上にしてください：バッチが少なくとも一台のサーバを扱えなければなりません
sitefile-member-needs-group = サーバグループのサーバには `group = "G"`（サイトの `groups` のいずれか）が必要です
sitefile-unknown-group-suggest = サーバグループ `{ $group }` はありません。`{ $suggestion }` のことですか？
sitefile-unknown-group-add = サーバグループ `{ $group }` はありません。`groups` に追加してください
sitefile-role-no-group = 役割が `{ $role }` のサーバはサーバグループに属しません：`group` を削除してください
sitefile-bad-address = `{ $value }` はアドレスとして正しくありません
sitefile-bad-hostname = `{ $value }` はホスト名として正しくありません
sitefile-address-used = アドレス `{ $value }` はすでにサーバ `{ $server }` が使っています
sitefile-hostname-used = ホスト名 `{ $value }` はすでにサーバ `{ $server }` が使っています
sitefile-root-empty = サーバのルートフォルダを指定してください（実際のサーバでは `/`）
sitefile-ssh-needs-transport = `ssh` テーブルには `transport = "ssh"` が必要です
sitefile-root-not-absolute = `{ $root }` はサーバ上の絶対パスでなければなりません
sitefile-path-bad-char = `{ $entry }` には `:` や制御文字を含められません
sitefile-no-admin = サイトに `role = "admin"` のサーバ（管理サーバ）がありません
sitefile-many-admins = 管理サーバはサイトにちょうど一台です。複数見つかりました：{ $servers }
sitefile-pattern-needs-groups = 名前付きグループ `(?P<group>…)` と `(?P<server>…)` が必要です
sitefile-group-list-pattern = `group_list_pattern`：{ $why }
sitefile-group-list-format = `group_list_format = { $value }`：`lines`、`json`、`pattern` のいずれかを使ってください
sitefile-journal-bytes-too-many = `journal_bytes = { $value }` は kuroko が読み戻せる量（{ $max } バイト）を超えています
sitefile-jump-is-server = `{ $name }` はサーバと踏み台サーバの両方の名前です：踏み台サーバに別の名前を付けてください
sitefile-approval-needs-signers = 手順書を承認するのは `approval_signers` に載っている人です：そのファイル（OpenSSH の allowed_signers）を指定してください
sitefile-bad-site-id = `site_id = { $value }`：英字、数字、`.`、`_`、`-` を 1〜64 文字で使ってください
sitefile-unknown-server-suggest = サイト `{ $site }` にサーバ `{ $server }` はありません：`{ $suggestion }` のことですか？
sitefile-unknown-server = サイト `{ $site }` にサーバ `{ $server }` はありません：サイトのサーバは { $servers } です
sitefile-unknown-site-group-suggest = サイト `{ $site }` にサーバグループ `{ $group }` はありません：`{ $suggestion }` のことですか？
sitefile-unknown-site-group = サイト `{ $site }` にサーバグループ `{ $group }` はありません：サイトのサーバグループは { $groups } です
sitefile-protects-resources = Interstage の資源 `{ $pattern }` の一部（またはその上位）です：資源は restore、import_backup、set_ip でだけ変更します
sitefile-protects-certificates = 証明書環境 `{ $pattern }` の一部（またはその上位）です：証明書環境は restore と import_backup でだけ変更します
sitefile-protects-own = kuroko 自身の記録 `{ $folder }` の一部（またはその上位）です
sitefile-protects-install = Interstage のインストールフォルダ `{ $folder }` の一部（またはその上位）です
sitefile-protects-not-writable = サイトがランブックに書き込みを許すフォルダ（`[files] writable`：{ $folders }）の外にあります
sitefile-command-empty = このコマンドは空にできません
sitefile-ssh-no-host = サーバのアドレスを指定してください：`host = "…"`
sitefile-timeout-zero = 0 秒のタイムアウトでは待つことができません：1 以上を指定してください
sitefile-timeout-too-long = { $seconds } 秒は一週間（{ $max } 秒）を超えています：それ以下を指定してください
sitefile-jump-loop = 踏み台サーバが循環しています：{ $chain }
sitefile-unknown-jump-suggest = 踏み台サーバ `{ $name }` はありません。`{ $suggestion }` のことですか？
sitefile-unknown-jump = 踏み台サーバ `{ $name }` はありません。`[jumps.{ $name }]` テーブルで定義してください
sitefile-too-many-hops = 経路上の踏み台サーバが { $max } 台を超えています
sitefile-hop-twice = 経路が踏み台サーバ `{ $name }` を二度通ります（{ $chain }）：それぞれ一度だけ書いてください
sitefile-range-backwards = 範囲 `{ $range }` が逆向きです
sitefile-range-too-large = 範囲 `{ $range }` から作られる名前が { $max } を超えます
sitefile-range-field = `{ $value }` の `{ $field }`：`{ $name }` の名前にある範囲は { $count } 個です
sitefile-range-server-twice = サーバ `{ $server }` が二度定義されています（`{ $range }` による）
sitefile-server-twice = サーバ `{ $server }` が二度定義されています

## runbook.rs
sitefile-guard-plain-names = { $what } を拒否しました：{ $place } の中の単純な名前だけが使えます
sitefile-cannot-read-path = `{ $path }` を読めません：{ $error }
sitefile-guard-outside = { $what } を拒否しました：`{ $folder }` の外（`{ $target }`）を指しています
sitefile-guard-refused = { $what } を拒否しました：{ $why }
sitefile-script-not-file = `{ $name }` は通常のファイルではありません
sitefile-script-too-large = `{ $name }` は { $size } バイトあり、スクリプトの上限 { $max } バイトを超えています
sitefile-script-over-limit = `{ $name }` はスクリプトの上限 { $max } バイトを超えています
sitefile-not-utf8 = `{ $name }` は UTF-8 のテキストではありません
sitefile-no-stdlib-runbook-suggest = 標準ランブック `{ $name }` はありません：`stdlib:{ $suggestion }` のことですか？標準ランブックは { $runbooks } です
sitefile-no-stdlib-runbook = 標準ランブック `{ $name }` はありません：標準ランブックは { $runbooks } です
sitefile-not-runbook-name = `{ $name }` はランブック名ではありません：ランブック名は `.rhai` を付けない単純なファイル名です（スクリプトはパスで指定します。例：`./x.rhai`）
sitefile-no-runbook-suggest = ランブック `{ $name }` はありません：`{ $suggestion }` のことですか？（スクリプトはパスで指定します。例：`./x.rhai`）
sitefile-no-runbook = ランブック `{ $name }` はありません：標準ランブックは { $runbooks } です（スクリプトはパスで指定します。例：`./x.rhai`）
sitefile-site-runbook = サイトのランブック `{ $name }`
sitefile-site-folder = サイトフォルダ
sitefile-cannot-use = { $what }（`{ $path }`）を使えません：{ $error }
sitefile-source-not-planned = `{ $path }` は手順書の指紋を取ったときに読まれていません（名前を計算して import していませんか）。手順書からの実行では、指紋が含むスクリプトだけを使います
sitefile-cannot-read-runbook = ランブック `{ $name }` を読めません：{ $error }
sitefile-no-param-suggest = ランブック `{ $runbook }` にパラメタ `{ $name }` はありません：`{ $suggestion }` のことですか？
sitefile-no-param-none = ランブック `{ $runbook }` にパラメタ `{ $name }` はありません：このランブックはパラメタを取りません
sitefile-no-param = ランブック `{ $runbook }` にパラメタ `{ $name }` はありません：取るパラメタは { $params } です

## import.rs
sitefile-csv-empty = CSV ファイルが空です
sitefile-csv-header = CSV の見出し行には列 `name`、`role`、`address` が必要です
sitefile-csv-no-name = { $line } 行目：名前がありません
sitefile-csv-no-role = { $line } 行目：役割がありません
sitefile-csv-no-address = { $line } 行目：アドレスがありません
sitefile-csv-bad-port = { $line } 行目：ポート `{ $port }` が数値ではありません
sitefile-csv-twice = { $line } 行目：`{ $name }` が二度書かれています
sitefile-inventory-line = { $line } 行目：{ $message }
sitefile-inventory-bad-port = { $line } 行目：ansible_port `{ $port }` が数値ではありません
sitefile-inventory-two-places = { $line } 行目：`{ $host }` が二か所（{ $first } と { $second }）にあります：サーバの役割は一つ、サーバグループは多くとも一つです
sitefile-membership-too-large = `{ $file }` は { $mib } MiB を超えています：サーバグループの一覧ではありません
sitefile-inventory-missing = インベントリに載っていません：インベントリに追加してください
sitefile-role-of-group = `{ $group }` の { $role }
sitefile-membership-member = `{ $name }`：インベントリでは { $said } ですが、管理サーバは `{ $group }` に載せています：`{ $group }` のサーバ（member）として書きました
sitefile-membership-reserve = `{ $name }`：インベントリでは { $said } ですが、管理サーバはどのサーバグループにも載せていません：リザーブサーバ（reserve）として書きました
sitefile-import-no-server = `{ $file }` にはサーバが一台もありません
sitefile-membership-error = 管理サーバのサーバグループ一覧：{ $message }
sitefile-import-exists = `{ $file }` はすでにあります：kuroko site import は新しいファイルにだけ書き込みます
sitefile-import-note = 注記：{ $note }
sitefile-import-written = { $count } 台のサーバを `{ $file }` に書き込みました

## cli.rs
sitefile-cli-bad-wait = `--wait { $text }`：{ $error }（`90s` や `10m` のように時間を指定してください）
sitefile-cli-bad-lang = `--lang { $lang }`：`ja`（日本語）または `en` を使ってください
sitefile-cli-only-run-runbook = ランブックを取るのは `run` だけです
sitefile-cli-run-needs-runbook = `run` にはランブックが必要です：`kuroko batch TARGETS run RUNBOOK`
sitefile-cli-forks-zero = `--forks` は 1 以上にしてください
sitefile-cli-csv-or-ansible = `--csv FILE` または `--ansible FILE` を指定してください
sitefile-cli-pattern-needs-membership = `--membership-pattern` は `--membership` のファイルを読むためのものです：ファイルを指定してください
sitefile-cli-format-needs-pattern = `--membership-format pattern` には `--membership-pattern REGEX` が必要です
sitefile-cli-prune-needs-policy = `backups prune` には保持の方針が必要です：`--keep-generations N` と `--keep-days D` の一方または両方を指定してください
sitefile-cli-keep-zero = `--keep-generations 0` では何も残りません：最新の完全な世代は常に残るので、1 以上を指定してください
sitefile-cli-param-form = パラメタ `{ $param }` は NAME=VALUE の形で指定してください（例：`-p server=rs-01`）
sitefile-cli-param-twice = パラメタ `{ $name }` が二度指定されています
sitefile-cli-not-overridable = { $rule } は例外にできません：例外にできるのは R4（計画停止）と R7（世代のずれ）だけです

## check.rs
sitefile-no-function-suggest = 関数 `{ $name }` はありません：`{ $suggestion }` のことですか？
sitefile-no-function = 関数 `{ $name }` はありません
