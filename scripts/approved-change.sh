#!/usr/bin/env bash
# A change the way a Japanese operations team files it, on a fresh rehearsal site:
# alice writes the procedure document (手順書) of `expand`, bob approves it with his SSH
# key, alice runs exactly what was approved, and the run's report (エビデンス) is written
# as Markdown and printable HTML. With chromium installed, the report is also printed to
# PDF and photographed (PNG) as a reviewer would see it.
# Usage: scripts/approved-change.sh [DIR] [LANG]   (DIR new or empty; LANG ja or en, default ja)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-$(mktemp -d /tmp/kuroko-change.XXXXXX)}
lang=${2:-ja}
cargo build --release --quiet
kuroko() { ./target/release/kuroko --lang "$lang" "$@"; }
export KUROKO_SITE="$dir/site.toml"

kuroko rehearsal create "$dir"
mkdir -p "$dir/keys"
: > "$dir/approvers"
for who in alice bob; do
  ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$dir/keys/$who"
  echo "$who $(cut -d' ' -f1,2 "$dir/keys/$who.pub")" >> "$dir/approvers"
done
# The site names its approvers and runs only approved plans.
{ echo 'approval_signers = "approvers"'; echo 'require_approval = true'; cat "$dir/site.toml"; } > "$dir/site.new"
mv "$dir/site.new" "$dir/site.toml"

echo; echo "### the site backup the change starts from (an approved plan of its own)"
kuroko plan backup-site -o "$dir/backup.md" --key "$dir/keys/alice"
kuroko approve "$dir/backup.md" --key "$dir/keys/bob"
kuroko run --plan "$dir/backup.md"

echo; echo "### alice writes the procedure document of expanding G1 with rs-01"
kuroko plan expand -p group=G1 -p server=rs-01 -o "$dir/expand.md" --html "$dir/expand.html" --key "$dir/keys/alice"
echo; echo "### alice cannot approve her own plan (four eyes)"
if kuroko approve "$dir/expand.md" --key "$dir/keys/alice"; then echo "approved by its author!" >&2; exit 1; fi
echo; echo "### bob approves it"
kuroko approve "$dir/expand.md" --key "$dir/keys/bob"
echo; echo "### alice runs exactly what was approved"
kuroko run --plan "$dir/expand.md"

run=$(kuroko runs | awk '/expand/ { id = $1 } END { print id }')
kuroko report "$run" > "$dir/report.md"
kuroko report "$run" --html > "$dir/report.html"
echo; echo "the plan: $dir/expand.md, $dir/expand.html; the report: $dir/report.md, $dir/report.html"
if command -v chromium >/dev/null; then
  profile=$(mktemp -d)
  flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
         --disable-background-networking --disable-component-update --disable-sync
         --user-data-dir="$profile" --no-pdf-header-footer)
  chromium "${flags[@]}" --print-to-pdf="$dir/report.pdf" "file://$dir/report.html" 2>/dev/null
  chromium "${flags[@]}" --window-size=1400,2000 --screenshot="$dir/report.png" "file://$dir/report.html" 2>/dev/null
  rm -rf "$profile"
  echo "printed: $dir/report.pdf; photographed: $dir/report.png"
fi
