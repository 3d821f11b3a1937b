#!/usr/bin/env bash
# One controller, a whole site: 100, 1,000 and 10,000 small rehearsal servers on the local
# transport (groups of 100 members and an admin server), timed on what an operator runs
# every day: `kuroko status`, `kuroko run backup-site --dry-run` and
# `kuroko batch all status --forks 50`. Prints seconds, peak memory (MB) and the growth
# from one size to the next (×10 servers each time); asserts nothing.
# Usage: benches/scale.sh [GROUPS…]   (default 1 10 100, i.e. 100, 1,000, 10,000 servers)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
kuroko=$PWD/target/release/kuroko
sizes=("${@:-1 10 100}")
read -r -a sizes <<< "${sizes[*]}"
work=$(mktemp -d /tmp/kuroko-scale.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
"$kuroko" rehearsal create "$work/base" > /dev/null

# Seconds and peak resident MB of a command (GNU time), its output discarded.
measure() {
  /usr/bin/time -o "$work/time" -f '%e %M' "$@" > /dev/null 2> "$work/stderr" || {
    echo "failed: $* (exit $?)" >&2; tail -5 "$work/stderr" >&2
  }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}

declare -A seconds memory
for groups in "${sizes[@]}"; do
  n=$((groups * 100))
  site="$work/site-$n"
  mkdir -p "$site/servers"
  cp -a "$work/base/servers/adm" "$site/servers/adm"
  # Small servers: what `status` needs (the status command, hard-linked, and the state).
  template="$work/base/servers/ms-01/opt/FJSVisas/bin/isstat"
  {
    for g in $(seq 1 "$groups"); do echo "group G$g"; done
    for g in $(seq 1 "$groups"); do for m in $(seq -w 1 100); do echo "member G$g m-$g-$m"; done; done
  } > "$site/servers/adm/etc/opt/FJSVisgui/site/groups.conf"
  for g in $(seq 1 "$groups"); do
    for m in $(seq -w 1 100); do
      root="$site/servers/m-$g-$m"
      mkdir -p "$root/opt/FJSVisas/bin" "$root/run"
      ln "$template" "$root/opt/FJSVisas/bin/isstat"
      echo running > "$root/run/interstage.state"
    done
  done
  cat > "$site/site.toml" <<TOML
site = "scale-$n"
store = "backups"
groups = ["G[1:$groups]"]

[commands]
group_list = "{root}/opt/FJSVisas/bin/isgrouplist"
group_add = "{root}/opt/FJSVisas/bin/isgroupadd {group} {server}"
group_remove = "{root}/opt/FJSVisas/bin/isgroupremove {group} {server}"

[servers.adm]
role = "admin"
address = "10.255.0.1"
hostname = "adm.scale.test"
transport = "local"
root = "servers/adm"

[servers."m-[1:$groups]-[001:100]"]
role = "member"
group = "G{n1}"
address = "10.{n1}.0.{n2}"
hostname = "{name}.scale.test"
transport = "local"
root = "servers/{name}"
TOML
  export KUROKO_SITE="$site/site.toml"
  # The floor, measured in the same run: every server's status command alone, 32 at a
  # time, as the servers themselves cost it (no controller).
  ls -d "$site"/servers/m-* "$site/servers/adm" > "$work/roots"
  read -r s m < <(measure xargs -P 32 -I{} /bin/sh -c 'cd "$1" && ./opt/FJSVisas/bin/isstat' _ {} < "$work/roots")
  seconds[floor,$n]=$s; memory[floor,$n]=$m
  read -r s m < <(measure "$kuroko" status); seconds[status,$n]=$s; memory[status,$n]=$m
  read -r s m < <(measure "$kuroko" run backup-site --dry-run); seconds[dry,$n]=$s; memory[dry,$n]=$m
  read -r s m < <(measure "$kuroko" batch all status --forks 50); seconds[batch,$n]=$s; memory[batch,$n]=$m
  [ -n "${KEEP:-}" ] || rm -rf "$site"
done

printf '\n%-34s' "servers"
for groups in "${sizes[@]}"; do printf '%16s' "$((groups * 100 + 1))"; done
printf '%12s\n' "growth"
for what in floor status dry batch; do
  case $what in
    floor) label="status commands alone (floor)" ;;
    status) label="kuroko status" ;;
    dry) label="run backup-site --dry-run" ;;
    batch) label="batch all status --forks 50" ;;
  esac
  printf '%-34s' "$label"
  previous=
  growth=
  for groups in "${sizes[@]}"; do
    n=$((groups * 100))
    printf '%10s s %3s MB' "${seconds[$what,$n]}" "${memory[$what,$n]}"
    if [ -n "$previous" ]; then
      growth="$growth $(awk -v a="$previous" -v b="${seconds[$what,$n]}" 'BEGIN { if (a > 0) printf "x%.1f", b / a; else printf "-" }')"
    fi
    previous=${seconds[$what,$n]}
  done
  printf '  %s\n' "${growth:- -}"
done
printf '\n%-34s' "status / floor"
for groups in "${sizes[@]}"; do
  n=$((groups * 100))
  printf '%16s' "$(awk -v a="${seconds[status,$n]}" -v b="${seconds[floor,$n]}" 'BEGIN { if (b > 0) printf "x%.2f", a / b; else printf "-" }')"
done
echo
