#!/usr/bin/env bash
# The outage of a member's backup over a management LAN (issue 12). ms-01 of a rehearsal
# site is reached over SSH in a network namespace of its own, behind a veth pair that
# `tc … tbf` shapes to a LAN's rate (default 100mbit; `off` is the unshaped link).
# Everything stays on this machine and is removed at the end.
#
# For each resource size (MB of random data besides the rehearsal's resources) and link,
# it prints the medians of SAMPLES runs, taken in alternating order:
#   kuroko           the outage (stop to start) and the whole backup, with its local copy
#   kuroko, no copy  the same with `[backup] local_copy = false` (streamed while stopped)
#   by hand          isstop; tar | ssh to this machine; isstart (the manual's way)
#   floor            isstop; tar to the server's own disk; isstart, in one command over
#                    an open connection: what a local-copy outage cannot beat
# and the ratios the issue sets targets for: kuroko's outage / floor (at most 1.2), and
# kuroko's outage on the slow link / on the fast one (within 10%).
# Usage: sudo benches/outage.sh   (SIZES="50 500" RATES="100mbit off" SAMPLES=3)
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "benches/outage.sh needs root (network namespaces, tc)" >&2; exit 1; }
cd "$(dirname "$0")/.."
cargo build --release --quiet
kuroko=$PWD/target/release/kuroko
read -r -a sizes <<< "${SIZES:-50 500}"
read -r -a rates <<< "${RATES:-100mbit off}"
samples=${SAMPLES:-3}
work=$(mktemp -d /tmp/kuroko-outage.XXXXXX)
id=$$
ns="kuroko-bo$id"; host_if="kbh$id"; ns_if="kbn$id"
host_ip=198.18.77.1; server_ip=198.18.77.2
sshd_pid=
cleanup() {
  [ -S "$work/master" ] && ssh -o ControlPath="$work/master" -O exit x 2>/dev/null || true
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip link add "$host_if" type veth peer name "$ns_if"
ip link set "$ns_if" netns "$ns"
ip addr add "$host_ip/24" dev "$host_if"
ip link set "$host_if" up
ip netns exec "$ns" ip addr add "$server_ip/24" dev "$ns_if"
ip netns exec "$ns" ip link set "$ns_if" up
ip netns exec "$ns" ip link set lo up
# The backup flows from the server to this machine: the server's side is shaped.
shape() {
  ip netns exec "$ns" tc qdisc del dev "$ns_if" root 2>/dev/null || true
  if [ "$1" != off ]; then
    ip netns exec "$ns" tc qdisc add dev "$ns_if" root tbf rate "$1" burst 256kb latency 100ms
  fi
}

ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
cp "$work/id.pub" "$work/authorized"
cat > "$work/sshd_config" <<CONF
ListenAddress $server_ip
Port 22
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
CONF
mkdir -p /run/sshd
# A server's own shell: bash reads root's ~/.bashrc for every command sshd runs, and this
# machine's runs `pyenv init` (about 70 ms a command), which no Interstage server would.
# The server's sshd sees an empty one, in a mount namespace of its own.
ip netns exec "$ns" unshare -m sh -c '[ ! -e "$HOME/.bashrc" ] || mount --bind /dev/null "$HOME/.bashrc"
  exec /usr/sbin/sshd -D -e -f "$1"' _ "$work/sshd_config" 2> "$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do grep -q "Server listening" "$work/sshd.log" && break; sleep 0.1; done
echo "$server_ip $(cut -d' ' -f1,2 "$work/host_key.pub")" > "$work/known_hosts"
# The same key exchange as kuroko's libssh2 session, for a like-with-like by-hand run.
# One connection kept open for all of them, as kuroko keeps its own: the times below are
# of the commands, not of logging in.
ssh_opts=(-i "$work/id" -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes
          -o KexAlgorithms=curve25519-sha256 -o BatchMode=yes
          -o ControlMaster=auto -o ControlPath="$work/master" -o ControlPersist=600)
on_server() { ssh "${ssh_opts[@]}" "root@$server_ip" "$@"; }
on_server true

site="$work/site"
"$kuroko" rehearsal create "$site" > /dev/null
root="$site/servers/ms-01"
python3 - "$site/site.toml" "$root" "$server_ip" "$work" <<'PY'
import sys
path, root, ip, work = sys.argv[1:]
text = open(path).read()
old = '[servers.ms-01]'
i = text.index(old)
j = text.index('root = "servers/ms-01"', i)
block = text[i:j].replace('transport = "local"', 'transport = "ssh"')
text = text[:i] + block + f'root = "{root}"\n[servers.ms-01.ssh]\nhost = "{ip}"\nport = 22\n' + text[j + len('root = "servers/ms-01"'):]
text = text.replace('[commands]', f'[ssh]\nuser = "root"\nidentity = "{work}/id"\nknown_hosts = "{work}/known_hosts"\n\n[commands]', 1)
open(path, 'w').write(text)
PY
export KUROKO_SITE="$site/site.toml"
echo 'backup("ms-01");' > "$work/one.rhai"
"$kuroko" status > /dev/null

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# kuroko's own figures: "[ms-01] out of service for X s of a Y s backup" (X to the
# millisecond: from just before the stop command to just after the start's check).
kuroko_backup() {
  local copy=$1 out
  sed -i '/^local_copy = /d' "$site/site.toml"
  if [ "$copy" = no ]; then
    grep -q '^\[backup\]' "$site/site.toml" || printf '\n[backup]\n' >> "$site/site.toml"
    sed -i 's/^\[backup\]$/[backup]\nlocal_copy = false/' "$site/site.toml"
  fi
  out=$("$kuroko" run "$work/one.rhai")
  echo "$out" | sed -n 's/^\[ms-01\] out of service for \([0-9.]*\) s of a \([0-9.]*\) s backup.*/\1 \2/p'
  # The backups themselves are not kept (500 MB each).
  find "$site/backups" -mindepth 1 -maxdepth 1 -name '2*' -exec rm -rf {} +
}
by_hand() {
  local t0 t1 t2
  t0=$(now)
  on_server "cd '$root' && opt/FJSVisas/bin/isstop" > /dev/null
  on_server "cd '$root' && tar -cf - etc/opt/FJSV* var/opt/FJSV*" > "$work/by-hand.tar"
  on_server "cd '$root' && opt/FJSVisas/bin/isstart" > /dev/null
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
floor() {
  local t0 t1
  t0=$(now)
  on_server "cd '$root' && opt/FJSVisas/bin/isstop > /dev/null && tar -cf /tmp/kuroko-floor.tar etc/opt/FJSV* var/opt/FJSV* && opt/FJSVisas/bin/isstart > /dev/null"
  t1=$(now)
  on_server "rm -f /tmp/kuroko-floor.tar"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

declare -A result
for size in "${sizes[@]}"; do
  head -c "${size}M" /dev/urandom > "$root/var/opt/FJSVisas/bench.bin"
  sync
  for rate in "${rates[@]}"; do
    shape "$rate"
    : > "$work/k.out"; : > "$work/k.total"; : > "$work/n.out"; : > "$work/h.out"; : > "$work/f.out"
    for _ in $(seq "$samples"); do
      read -r o t < <(kuroko_backup yes); echo "$o" >> "$work/k.out"; echo "$t" >> "$work/k.total"
      read -r o _ < <(kuroko_backup no); echo "$o" >> "$work/n.out"
      by_hand >> "$work/h.out"
      floor >> "$work/f.out"
    done
    result[k,$size,$rate]=$(median < "$work/k.out")
    result[kt,$size,$rate]=$(median < "$work/k.total")
    result[n,$size,$rate]=$(median < "$work/n.out")
    result[h,$size,$rate]=$(median < "$work/h.out")
    result[f,$size,$rate]=$(median < "$work/f.out")
  done
done
shape off

printf '\nmedians of %s samples, seconds (outage = stop to start)\n' "$samples"
printf '%-7s %-8s %14s %14s %16s %14s %10s %12s\n' size link "kuroko outage" "kuroko backup" "no-copy outage" "by-hand outage" floor "outage/floor"
for size in "${sizes[@]}"; do
  for rate in "${rates[@]}"; do
    k=${result[k,$size,$rate]}; f=${result[f,$size,$rate]}
    printf '%-7s %-8s %14s %14s %16s %14s %10s %12s\n' "${size}MB" "$rate" "$k" "${result[kt,$size,$rate]}" \
      "${result[n,$size,$rate]}" "${result[h,$size,$rate]}" "$f" \
      "$(awk -v a="$k" -v b="$f" 'BEGIN { if (b > 0) printf "x%.2f", a / b; else print "-" }')"
  done
  if [ "${#rates[@]}" -ge 2 ]; then
    slow=${result[k,$size,${rates[0]}]}; fast=${result[k,$size,${rates[1]}]}
    printf '%-7s kuroko outage on %s / on %s: %s\n' "${size}MB" "${rates[0]}" "${rates[1]}" \
      "$(awk -v a="$slow" -v b="$fast" 'BEGIN { if (b > 0) printf "x%.2f", a / b; else print "-" }')"
  fi
done
