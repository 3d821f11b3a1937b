# kuroko messages (transport: connections, host keys, archives, manifests, server paths), ja. Same ids in the same order as the other language (a test checks).

## known_hosts.rs
transport-kh-host-unwritable = ホスト `{ $host }` はそのままでは known_hosts に書けません（空白、または , * ? ! [ ] | # @ のいずれかを含みます）
transport-kh-no-key-type = サーバのホスト鍵から鍵の種類を読み取れません
transport-kh-cannot-update = `{ $path }` を更新できません：{ $error }
transport-kh-shared-line = { $line } 行目は、パターン `{ $hosts }` でこのホストに同じ種類の別の鍵を登録しています。このパターンはほかのホストにも当てはまることがあるため、kuroko はこの行を変更しません。手で編集してください
transport-kh-not-regular = 通常のファイルではありません
transport-kh-not-regular-bounded = `{ $path }` は { $max } バイト以下の通常のファイルではありません

## transport/mod.rs
transport-nul-byte = 値に NUL バイトが含まれており、シェルに渡せません：何も実行していません
transport-exit-code = 終了コード { $code }：{ $text }
transport-command-failed = { $what }：失敗しました（`{ $command }`）。{ $failure }

## transport/local.rs
transport-local-no-root = ルートフォルダ `{ $root }` がありません（サイトファイルの `root` を確認してください）
transport-local-cannot-run-sh = `sh` を実行できません：{ $error }
transport-command-lost = コマンド `{ $command }` を見失いました：{ $error }
transport-stream-broke = `{ $command }` の出力の受け取りが途切れました：{ $error }

## transport/ssh.rs
transport-ssh-lost-via = { $what }に { $host }:{ $port }（踏み台サーバ `{ $jump }` 経由）への接続が切れました：{ $error }
transport-ssh-lost = { $what }に { $host }:{ $port } への接続が切れました：{ $error }
transport-ssh-key-algorithms = 提示するホスト鍵のアルゴリズムを設定できません：{ $error }
transport-ssh-handshake = { $target } との SSH ハンドシェイクに失敗しました：{ $error }
transport-ssh-no-host-key = サーバがホスト鍵を送ってきませんでした
transport-ssh-host-key-no-type = サーバが送ってきたホスト鍵から鍵の種類を読み取れません
transport-ssh-cannot-read-known-hosts = known_hosts `{ $path }` を読めません：{ $error }。何も実行していません。
transport-ssh-revoked-not-pinned = { $host }:{ $port } のホスト鍵 { $fingerprint }（{ $kind }）は `{ $file }` で @revoked とされています：この鍵を拒否し、登録しませんでした。`{ $file }` は変更していません。
transport-ssh-revoked-nothing-run = { $host }:{ $port } のホスト鍵 { $fingerprint }（{ $kind }）は `{ $file }` で @revoked とされています：この鍵を拒否し、何も実行していません。
transport-ssh-revoked-hint = サーバには新しいホスト鍵が必要です。サーバのコンソールで確認してから `kuroko trust { $name }` を実行してください
transport-ssh-key-changed = { $host }:{ $port } のホスト鍵が変わりました：{ $kind } の鍵が { $fingerprint } になっており、`{ $file }` にはありません。何も実行していません。
transport-ssh-key-changed-hint = 攻撃の可能性があります。サーバを再インストールしたのであれば、そのコンソールでフィンガープリントを確認してから `kuroko trust { $name } --replace` を実行してください
transport-ssh-pin-failed = { $error }。何も実行していません。
transport-ssh-pinned-new = 警告：`{ $name }` の新しいホスト鍵（{ $kind } { $fingerprint }）を `{ $file }` に登録しました（accept_new）
transport-ssh-other-types-accept-new = このホストにはほかの種類の鍵（{ $types }）が登録されていますが、サーバはそのどれも提示しませんでした。accept_new が鍵を登録するのは最初の接続のときだけです
transport-ssh-other-types = このホストにはほかの種類の鍵（{ $types }）が登録されていますが、サーバはそのどれも提示しませんでした
transport-ssh-unknown-key = { $host }:{ $port } のホスト鍵 { $fingerprint }（{ $kind }）は未知です（`{ $file }` にありません）：何も実行していません。
transport-ssh-unknown-key-hint = このフィンガープリントがサーバのものであれば、`kuroko trust { $name }` で登録してください
transport-ssh-no-key-file = 鍵ファイル `{ $key }` がありません（`identity` を確認してください）
transport-ssh-auth-key-refused-detail = 鍵 `{ $key }` による `{ $user }` としての認証が拒否されました：{ $detail }
transport-ssh-auth-key-refused = 鍵 `{ $key }` による `{ $user }` としての認証が拒否されました
transport-ssh-auth-agent-refused-detail = ssh-agent による `{ $user }` としての認証が拒否されました（`identity` の指定なし）：{ $detail }
transport-ssh-auth-agent-refused = ssh-agent による `{ $user }` としての認証が拒否されました（`identity` の指定なし）
transport-while-opening-channel = チャネルを開いている最中
transport-while-starting-command = コマンドを開始している最中
transport-ssh-cannot-read-input = `{ $server }` への入力を読めません：{ $error }
transport-while-sending-input = 入力を送っている最中
transport-ssh-cannot-store-output = `{ $server }` の出力を保存できません：{ $error }
transport-while-reading-output = 出力を読んでいる最中
transport-while-reading-errors = エラー出力を読んでいる最中
transport-ssh-idle-timeout = { $host }:{ $port } が応答しなくなりました：{ $seconds } 秒間何も届いていません（idle_timeout）
transport-ssh-command-timeout = コマンドの実行が { $seconds } 秒を超えました（command_timeout）
transport-while-closing-command = コマンドを終えている最中
transport-while-reading-exit-status = 終了ステータスを読んでいる最中
transport-ssh-killed-by-signal = （シグナル { $signal } で強制終了されました）
transport-trust-not-ssh = `{ $name }` には SSH で接続しません：信頼するホスト鍵がありません
transport-trust-edit-failed = { $error }。`{ $file }` は変更していません
transport-trust-already = `{ $name }` はすでに信頼済みです：{ $kind } { $fingerprint }
transport-trust-changed = { $kind } のホスト鍵が { $fingerprint } に変わりました。サーバのコンソールで確認してから `kuroko trust { $name } --replace` を実行してください
transport-trust-removed-line = { $line } 行目（`{ $hosts }`）
transport-trust-replaced = `{ $name }`（{ $host }:{ $port }）の { $kind } { $fingerprint } を `{ $file }` に登録しました。置き換えた行：{ $removed }
transport-trust-pinned = `{ $name }`（{ $host }:{ $port }）の { $kind } { $fingerprint } を `{ $file }` に登録しました

## transport/jump.rs
transport-cannot-resolve = `{ $target }` の名前を解決できません：{ $error }
transport-resolves-to-nothing = `{ $target }` はどのアドレスにも解決されません
transport-cannot-connect-lan = { $seconds } 秒以内に { $target } へ接続できません：{ $error }（そこで sshd が動いていますか？`host`/`port` を確認してください。管理 LAN 上のサーバには `jump`（踏み台サーバ）が必要なことがあります）
transport-cannot-connect = { $seconds } 秒以内に { $target } へ接続できません：{ $error }（そこで sshd が動いていますか？`host`/`port` を確認してください）
transport-jump-cannot-reach = 踏み台サーバ `{ $jump }` から { $host }:{ $port } に到達できません：{ $why }（そこで sshd が動いていますか？`host`/`port` を確認してください）
transport-jump-no-channel = 踏み台サーバ `{ $jump }` は接続タイムアウトまでに { $host }:{ $port } へのチャネルを開けませんでした（サーバは踏み台サーバに応答していますか？）
transport-jump-no-channel-why = 踏み台サーバ `{ $jump }` は接続タイムアウトまでに { $host }:{ $port } へのチャネルを開けませんでした：{ $why }
transport-jump-on-the-way = 踏み台サーバ `{ $jump }` を経由する途中で：{ $message }
transport-jump-tried-ago = { $message }（{ $seconds } 秒前に試行）
transport-jump-login-wait-timeout = ほかのサーバがまだログイン中のまま接続タイムアウトが過ぎました
transport-jump-relay-not-started = 中継を開始できません：{ $error }
transport-jump-relay-ended-in-login = ログイン中に中継が終了しました
transport-jump-closed = 踏み台サーバ `{ $jump }` が接続を閉じました
transport-jump-broke = 踏み台サーバ `{ $jump }` への接続が切れました：{ $error }
transport-jump-relay-failed = 中継に失敗しました：{ $error }
transport-jump-channel-hung = { $host }:{ $port } へのチャネルのオープンが止まったため、後続のサーバは新しい接続を使いました
transport-jump-failed = 踏み台サーバ `{ $jump }` への接続に失敗しました：{ $error }
transport-jump-relay-ended = 中継が終了しました

## server_path.rs
transport-path-absolute = `{ $path }` は絶対パスです：サーバのルートからの相対パスを指定してください
transport-path-dotdot = `{ $path }` に `..` が含まれています：サーバのルートの下を指す単純なパスを指定してください
transport-path-not-plain = `{ $path }` は単純な相対パスではありません（絶対パスであるか、空、`.`、`..` の要素があります）
transport-path-empty = 空のパスはサーバのルートそのものを指します
transport-path-too-long = `{ $path }…` は長すぎます
transport-path-control = `{ $path }` に制御文字が含まれています

## manifest.rs（R8 の拒否理由：「バックアップ X：<理由>」）
transport-manifest-format = マニフェストの項目 `format` が { $found } です。kuroko が読めるのは { $expected } です
transport-manifest-generation = マニフェストの項目 `generation` が世代 ID ではありません
transport-manifest-server = マニフェストの項目 `server` または `site` が正しい名前ではありません
transport-manifest-site-id = マニフェストの項目 `site_id` がサイト ID ではありません
transport-manifest-id = マニフェストの項目 `id` が GENERATION/SERVER の形ではありません
transport-manifest-group = マニフェストの項目 `group` が正しいサーバグループ名ではありません
transport-manifest-address = マニフェストの項目 `address` または `hostname` が単純なアドレスまたはホスト名ではありません
transport-manifest-facts = マニフェストの項目 `facts` に長すぎる値または制御文字があります
transport-manifest-definitions = マニフェストの項目 `definitions` または `archive.sha256` が sha256 ではありません
transport-manifest-archive-name = マニフェストの項目 `archive.name` は `{ $name }` でなければなりません
transport-manifest-unit-path = マニフェストのユニット：{ $why }
transport-manifest-unit-unmatched = マニフェストの項目 `units` にある `{ $unit }` は、サイトのバックアップパス（{ $patterns }）のどれにも一致しません
transport-manifest-too-many-units = マニフェストの項目 `units` に { $max } を超えるユニットがあります
transport-manifest-unit-twice = マニフェストの項目 `units` で `{ $unit }` が重複しているか、別のユニットの中にあります
transport-manifest-certificate-path = マニフェストの証明書環境のパス：{ $why }
transport-manifest-file-path = マニフェストのファイル一覧：{ $why }
transport-manifest-files = マニフェストの項目 `files` で `{ $path }` が重複しているか、sha256 が正しくありません

## archive.rs（R8 の拒否理由：「バックアップ X：<理由>」）
transport-archive-outside = 危険なエントリ `{ $path }`：サイトのどのバックアップパス（{ $patterns }）にも含まれません
transport-archive-twice = 危険なエントリ `{ $path }`：アーカイブに二度含まれています
transport-archive-must-be-folder = 危険なエントリ `{ $path }`：前のエントリがこの中にあるため、フォルダでなければなりません
transport-archive-behind-link = 危険なエントリ `{ $path }`：シンボリックリンク `{ $link }` の先にあります
transport-archive-parent-file = 危険なエントリ `{ $path }`：`{ $parent }` はフォルダではなくファイルです
transport-archive-link-absolute = 危険なエントリ `{ $path }`：`{ $target }` へのシンボリックリンクが相対パスではありません
transport-archive-link-climbs = 危険なエントリ `{ $path }`：`{ $target }` へのシンボリックリンクが名前のあとで上の階層（`..`）に上がります
transport-archive-link-not-normal = 危険なエントリ `{ $path }`：`{ $target }` へのシンボリックリンクが正規の形ではありません
transport-archive-link-too-deep = 危険なエントリ `{ $path }`：`{ $target }` へのシンボリックリンクがたどるリンクが多すぎます
transport-archive-link-leaves = 危険なエントリ `{ $path }`：`{ $target }` へのシンボリックリンクがユニット `{ $unit }` の外に出ます
transport-archive-size-damaged = エントリのサイズが単純な 8 進数ではありません（base-256 または破損）
transport-archive-size-not-octal = エントリのサイズが単純な 8 進数ではありません
transport-archive-hard-links = 危険なエントリ `{ $path }`：ハードリンクは受け付けません（バックアップが保存するのはファイルで、ファイル間のリンクではありません）
transport-archive-devices = 危険なエントリ `{ $path }`：デバイスファイルは受け付けません
transport-archive-named-pipes = 危険なエントリ `{ $path }`：名前付きパイプは受け付けません
transport-archive-contiguous = 危険なエントリ `{ $path }`：連続ファイル（contiguous）は受け付けません
transport-archive-pax = 危険なエントリ `{ $path }`：PAX 拡張ヘッダは受け付けません（スパースファイルや長い名前を、kuroko は GNU tar と同じには読めません）
transport-archive-sparse = 危険なエントリ `{ $path }`：スパースファイルは受け付けません
transport-archive-gnu-special = 危険なエントリ `{ $path }`：GNU の増分、マルチボリューム、ラベルのエントリは受け付けません
transport-archive-unknown-type = 危険なエントリ `{ $path }`：未知の種類 `{ $kind }` のエントリは受け付けません
transport-archive-target-not-utf8 = 危険なエントリ：リンク先が UTF-8 ではありません（`{ $text }`）
transport-archive-name-not-utf8 = 危険なエントリ：名前が UTF-8 ではありません（`{ $text }`）
transport-archive-not-tar = 壊れたアーカイブ：tar アーカイブではありません：{ $error }
transport-archive-unreadable-entry = 壊れたアーカイブ：tar のエントリを読めません：{ $error }
transport-archive-v7-header = 壊れたアーカイブ：古い形式（v7）のヘッダのエントリがあります
transport-archive-long-name = 危険なアーカイブ：GNU の長い名前が重複しているか、大きすぎます
transport-archive-corrupt = 壊れたアーカイブ：{ $error }
transport-archive-hostile-path = 危険なエントリ：{ $why }
transport-archive-data-in-folder = 危険なエントリ `{ $path }`：データを持つフォルダまたはリンクです
transport-archive-corrupt-entry = 壊れたアーカイブ：`{ $path }`：{ $error }
transport-archive-setuid = 危険なエントリ `{ $path }`：set-uid、set-gid のファイルは受け付けません
transport-cannot-read = `{ $path }` を読めません：{ $error }
transport-archive-cut-short = 壊れたアーカイブ：`{ $path }` が途中で切れています
transport-archive-cannot-write = 正規化したアーカイブを書けません：{ $error }
transport-archive-link-no-target = リンク `{ $path }` にリンク先がありません
transport-archive-dangling-long-name = 壊れたアーカイブ：GNU の長い名前に対応するエントリがありません
transport-archive-cannot-read = アーカイブを読めません：{ $error }
transport-archive-trailing-data = 危険なアーカイブ：アーカイブ終端の印のあとにデータがあります
transport-cannot-open = `{ $path }` を開けません：{ $error }
transport-not-regular-file = `{ $path }` は通常のファイルではありません
transport-file-too-large = `{ $path }` は { $max } バイトより大きいです
transport-archive-size-mismatch = アーカイブは { $actual } バイトですが、マニフェストでは { $expected } バイトです：壊れています
transport-archive-sha-mismatch = アーカイブの sha256 は { $sha256 }（{ $size } バイト）ですが、マニフェストでは { $expected_sha256 }（{ $expected_size } バイト）です：壊れています
transport-archive-unlisted-file = `{ $path }` はアーカイブにありますが、マニフェストにはありません
transport-archive-file-mismatch = `{ $path }` がマニフェストの sha256 と一致しません
transport-archive-missing-file = `{ $path }` はマニフェストにありますが、アーカイブにはありません
transport-archive-units-mismatch = マニフェストのユニット（{ $listed }）が、アーカイブに含まれるユニット（{ $held }）と一致しません

## shell.rs
transport-pattern-invalid = `{ $pattern }` は `etc/opt/FJSV*` のような、サーバのルートからの単純な相対パスでなければなりません（使えるのは英字、数字、`.`、`_`、`-`、`*` だけで、`.` で始まる要素は使えません）
transport-placeholder-suggest = `{ $text }` に未知のプレースホルダ `{ $placeholder }` があります。`{ $suggestion }` のことですか？（文字どおりの `{ $placeholder }` は `{ $literal }` と書きます）
transport-placeholder-none = `{ $text }` に未知のプレースホルダ `{ $placeholder }` があります。このコマンドはプレースホルダを取りません（文字どおりの `{ $placeholder }` は `{ $literal }` と書きます）
transport-placeholder-list = `{ $text }` に未知のプレースホルダ `{ $placeholder }` があります。使えるのは { $allowed } です（文字どおりの `{ $placeholder }` は `{ $literal }` と書きます）

## site_lock.rs
transport-lock-taking = 管理サーバでのサイトのロックの取得
transport-lock-replacing = 管理サーバでの古いサイトのロックの置き換え
transport-lock-stale-replaced = 警告：管理サーバ `{ $admin }` には、このマシン上のもう存在しない kuroko のサイトのロックが残っていました：{ $holder }
transport-lock-stale-replaced-after = このロックは置き換えました
transport-lock-no-holder = （保持者の記録なし）
transport-lock-busy = 別の kuroko がこのサイトで作業中です（管理サーバ `{ $admin }` 上のロック）：{ $holder }
transport-lock-busy-wait = 二つの実行が同時に動くと、それぞれが同じサーバグループのサーバを停止するおそれがあります（R4）。終わるまで待ってください（`--wait DURATION` でその後ろに並べます）。
transport-lock-busy-remove = そのコントローラがもう存在しないなら、確認してから `{ $admin }` 上の `{ $lock }` を削除してください
transport-lock-releasing = 管理サーバでのサイトのロックの解放
transport-plan-marking = 管理サーバでの承認済み手順書の実行済みの記録
transport-lock-not-released = 警告：管理サーバ `{ $admin }` のサイトのロックを解放できませんでした：{ $error }
