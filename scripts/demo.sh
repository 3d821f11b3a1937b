#!/usr/bin/env bash
# The main job on a fresh rehearsal site: take a site backup, expand group G1 with the
# reserve server rs-01, back up again (the definitions changed), then let ms-02 fail and
# recover it. Usage: scripts/demo.sh [DIR]   (DIR must be new or empty)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-$(mktemp -d /tmp/kuroko-demo.XXXXXX)}
cargo build --release --quiet
kuroko() { ./target/release/kuroko "$@"; }
export KUROKO_SITE="$dir/site.toml"

kuroko rehearsal create "$dir"
kuroko status
echo; echo "### back up the whole site as one generation (§2.3)"
kuroko run backup-site
echo; echo "### expand group G1 with reserve server rs-01 (§2.1)"
kuroko run expand -p group=G1 -p server=rs-01
kuroko run backup-site
echo; echo "### ms-02 fails; it is repaired; recover it (§2.2)"
kuroko rehearsal fail "$dir" ms-02
kuroko rehearsal repair "$dir" ms-02
kuroko run recover -p server=ms-02 --yes
echo; kuroko status
kuroko backups verify
echo; echo "the rehearsal site is in $dir"
