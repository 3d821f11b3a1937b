#!/usr/bin/env bash
# Batch-operation benchmark: kuroko against raw `ssh` and Ansible on N loopback sshd servers
# (and an admin server), measured side by side in the same run on the same cores:
#   (a) back up every server: each contender stops it, copies its resources on its own
#       disk, starts it, then brings the copy here and hashes it (as kuroko does)
#   (b) one status command on every server
#   (c) a runbook of ten steps on every server
#   (d) the whole site: the servers as members of groups of two, backed up with the admin
#       server, one member of a group down at a time (R4), the groups side by side Prints figures and ratios; it
# asserts nothing (these machines are shared and noisy).
#
#   benches/fanout.sh              # N = 1, 8 and 32
#   benches/fanout.sh 8            # one N
#   SAMPLES=5 benches/fanout.sh    # samples per contender (default 3), medians printed
#
# Like with like: raw `ssh` and Ansible use the key exchange kuroko's libssh2 uses
# (curve25519-sha256, not OpenSSH's default post-quantum one); the servers offer
# `Subsystem sftp`, so Ansible transfers files its usual way; the contenders take turns
# in a rotating order; every process the benchmark started is stopped at the end
# (sshd sessions and Ansible's connection masters too).
#
# Needs root (sshd on 127.0.0.x), openssh-server, python3 (Ansible is installed from PyPI
# into target/bench-venv on first use). Each server holds MB megabytes in FILES files:
# 50 MB / 2500 files up to N = 8, 20 MB / 1000 files at N = 32 (the machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 8 32)

cargo build --release --quiet
K=$PWD/target/release/kuroko
venv=$PWD/target/bench-venv
if [ ! -x "$venv/bin/ansible-playbook" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet ansible-core
fi
export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_PIPELINING=True ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=1
samples=${SAMPLES:-3}
kex=curve25519-sha256
# The servers are reached as an account with a plain shell: root's shell start-up here
# (pyenv) would add ~100 ms to every SSH command of every contender and hide the rest.
user=kuroko-bench
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
# A new account is locked ("!"), which sshd refuses without PAM: "*" means no password.
usermod -p "*" "$user"
python=/usr/bin/python3

work=$(mktemp -d /tmp/kuroko-bench.XXXXXX)
chmod 755 "$work"
# Ansible's connection masters live in the benchmark's folder, where they can be found.
export ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp
sshd_pids=()
# Every listener with its sessions, and Ansible's connection masters.
stop_servers() {
  for pid in "${sshd_pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for pid in "${sshd_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  sshd_pids=()
  pkill -f -- "$work/cp" 2>/dev/null || true
}
cleanup() {
  stop_servers
  [ -n "${KUROKO_BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
mkdir -p -m 0755 /run/sshd
ssh-keygen -q -t ed25519 -N "" -f "$work/id"
chmod 644 "$work/id.pub"
cp "$work/id.pub" "$work/authorized_keys"
ssh_opts=(-i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/known_hosts" -o ControlMaster=no -o "KexAlgorithms=$kex" -p 22022)

now() { date +%s.%N; }
fail() { echo "$1 failed:" >&2; tail -20 "$work/$1.log" >&2; exit 1; }
elapsed() { echo "$(now) - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One server's worth of resources: a rehearsal server plus MB megabytes in FILES files.
template() {
  local mb=$1 files=$2 dir=$work/template-$1
  [ -d "$dir" ] && { echo "$dir"; return; }
  "$K" rehearsal create "$work/tpl-$mb" >/dev/null
  mv "$work/tpl-$mb/servers/ss-01" "$dir"
  "$python" - "$dir/var/opt/FJSVisjee/data" "$mb" "$files" <<'PY'
import os, sys
root, mb, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = mb * 1024 * 1024 // count
for i in range(count):
    d = os.path.join(root, f"d{i % 50:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.dat"), "wb") as f:
        f.write(os.urandom(size))
PY
  echo "$dir"
}

# A site of N servers, each served by its own sshd on 127.0.0.(10+i), and an Ansible inventory.
setup() {
  local n=$1 mb=$2 files=$3 site=$work/site-$1 tpl
  tpl=$(template "$mb" "$files")
  "$K" rehearsal create "$work/adm-$n" >/dev/null
  mkdir -p "$site/servers" "$site/sshd"
  mv "$work/adm-$n/servers/adm" "$site/servers/adm"
  echo "group B" > "$site/servers/adm/etc/opt/FJSVisgui/site/groups.conf"
  ssh-keygen -q -t ed25519 -N '' -f "$site/sshd/host"
  : > "$work/known_hosts"
  cat > "$site/site.toml" <<TOML
site = "bench"
store = "backups"
groups = ["B"]

[ssh]
user = "$user"
identity = "$work/id"
known_hosts = "$work/known_hosts"

[commands]
group_list = "{root}/opt/FJSVisas/bin/isgrouplist"

[servers.adm]
role = "admin"
address = "192.0.2.10"
hostname = "adm.bench.test"
transport = "ssh"
root = "$site/servers/adm"
[servers.adm.ssh]
host = "127.0.0.10"
port = 22022
TOML
  printf '[all:vars]\nansible_user=%s\nansible_port=22022\nansible_ssh_private_key_file=%s\nansible_ssh_common_args="-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o KexAlgorithms=%s"\nansible_python_interpreter=%s\n[all]\n' \
    "$user" "$work/id" "$work/known_hosts" "$kex" "$python" > "$site/inventory"
  chown -R "$user" "$site/servers/adm"
  serve adm 127.0.0.10 "$site"
  echo "adm ansible_host=127.0.0.10 root=$site/servers/adm" > "$site/admin"
  for i in $(seq 1 "$n"); do
    local name=b-$(printf %02d "$i") address=127.0.0.$((10 + i)) root=$site/servers/b-$(printf %02d "$i")
    cp -a "$tpl" "$root"
    chown -R "$user" "$root"
    serve "$name" "$address" "$site"
    cat >> "$site/site.toml" <<TOML

[servers.$name]
role = "single"
address = "192.0.2.$((100 + i))"
hostname = "$name.bench.test"
transport = "ssh"
root = "$root"
[servers.$name.ssh]
host = "$address"
port = 22022
TOML
    echo "$name ansible_host=$address root=$root" >> "$site/inventory"
  done
  for i in $(seq 0 "$n"); do
    until (exec 3<>"/dev/tcp/127.0.0.$((10 + i))/22022") 2>/dev/null; do sleep 0.05; done
  done
}

# An sshd of its own for server NAME on ADDRESS:22022, and its host key in known_hosts.
serve() {
  local name=$1 address=$2 site=$3
    cat > "$site/sshd/$name.conf" <<CONF
ListenAddress $address
Port 22022
HostKey $site/sshd/host
PidFile $site/sshd/$name.pid
AuthorizedKeysFile $work/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
PermitRootLogin prohibit-password
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel ERROR
CONF
    /usr/sbin/sshd -D -e -f "$site/sshd/$name.conf" 2>/dev/null &
    sshd_pids+=($!)
    echo "[$address]:22022 $(cut -d' ' -f1,2 "$site/sshd/host.pub")" >> "$work/known_hosts"
}

# The same N servers as members of groups of two (P1 … P(N/2); with N odd, P1 has three),
# with the admin server: the site `backup-site` and a batch of member backups work on,
# R4 in force. Writes site-groups.toml, the admin's group list, and an inventory in
# waves (the admin and each group's first member, then each group's second, …).
grouped() {
  local n=$1 site=$2 groups=$(( $1 / 2 )) i g w
  python3 - "$site/site.toml" "$site/site-groups.toml" "$groups" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
groups = int(sys.argv[3])
text = text.replace('groups = ["B"]', f'groups = ["P[1:{groups}]"]', 1)
def member(m):
    i = int(m.group(1))
    return f'[servers.b-{m.group(1)}]\nrole = "member"\ngroup = "P{(i - 1) % groups + 1}"'
text = re.sub(r'\[servers\.b-(\d+)\]\nrole = "single"', member, text)
open(sys.argv[2], 'w').write(text)
PY
  {
    for g in $(seq 1 "$groups"); do echo "group P$g"; done
    for i in $(seq 1 "$n"); do echo "member P$(( (i - 1) % groups + 1 )) b-$(printf %02d "$i")"; done
  } > "$site/servers/adm/etc/opt/FJSVisgui/site/groups.conf"
  head -n -"$n" "$site/inventory" > "$site/inventory-groups"
  for w in $(seq 0 $(( (n - 1) / groups ))); do
    echo "[wave$w]" >> "$site/inventory-groups"
    [ "$w" = 0 ] && cat "$site/admin" >> "$site/inventory-groups"
    for i in $(seq $(( w * groups + 1 )) $(( (w + 1) * groups ))); do
      [ "$i" -le "$n" ] && grep "^b-$(printf %02d "$i") " "$site/inventory" >> "$site/inventory-groups"
    done
  done
  echo "$(( (n - 1) / groups + 1 ))" > "$site/waves"
}

# Runs "$@" once per server in parallel; {addr} and {root} are filled per server.
raw_parallel() {
  local site=$1; shift
  local pids=()
  while read -r name host root; do
    [ "$name" = "[all]" ] || [ "$name" = "[all:vars]" ] && continue
    case "$name" in ansible_*|"") continue ;; esac
    local address=${host#ansible_host=} dir=${root#root=}
    ( "$@" "$address" "$dir" ) &
    pids+=($!)
  done < "$site/inventory"
  for pid in "${pids[@]}"; do wait "$pid"; done
}

# A backup as kuroko takes one: stop, a copy on the server's disk, start, then the copy
# streamed and hashed here, and removed.
raw_backup() {
  ssh "${ssh_opts[@]}" "$user@$1" "cd $2 && opt/FJSVisas/bin/isstop -f > /dev/null && tar cf /tmp/kb-copy-$1.tar etc/opt/FJSV* var/opt/FJSV*; opt/FJSVisas/bin/isstart > /dev/null"
  ssh "${ssh_opts[@]}" "$user@$1" "cat /tmp/kb-copy-$1.tar && rm -f /tmp/kb-copy-$1.tar" | sha256sum > "$work/raw-$1.sum"
}
# The site's backup by hand: the admin server, and each group's members one after another
# (R4: one member of a group down at a time), the groups side by side.
raw_site() {
  local site=$1 groups=$(( $2 / 2 )) g pids=()
  raw_backup 127.0.0.10 "$site/servers/adm" & pids+=($!)
  for g in $(seq 1 "$groups"); do
    (
      while read -r name host root; do
        case "$name" in b-*) ;; *) continue ;; esac
        local i=$((10#${name#b-}))
        [ $(( (i - 1) % groups + 1 )) = "$g" ] && raw_backup "${host#ansible_host=}" "${root#root=}"
      done < "$site/inventory"
      true
    ) & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}
raw_status() { ssh "${ssh_opts[@]}" "$user@$1" "$2/opt/FJSVisas/bin/isstat" > /dev/null; }
raw_steps() {
  local s=(ssh "${ssh_opts[@]}" "$user@$1") r=$2
  "${s[@]}" "$r/opt/FJSVisas/bin/isstat" > /dev/null
  "${s[@]}" "$r/opt/FJSVisas/bin/isstop -f" > /dev/null
  "${s[@]}" "$r/opt/FJSVisas/bin/isstart" > /dev/null
  "${s[@]}" "mkdir -p $r/var/tmp/bench && echo one > $r/var/tmp/bench/a.txt"
  "${s[@]}" "echo two > $r/var/tmp/bench/b.txt"
  "${s[@]}" "cat $r/var/tmp/bench/a.txt" > /dev/null
  "${s[@]}" "cat $r/var/tmp/bench/b.txt" > /dev/null
  "${s[@]}" "cat $r/etc/opt/FJSVisas/isas.conf" > /dev/null
  "${s[@]}" "echo three > $r/var/tmp/bench/c.txt"
  "${s[@]}" "$r/opt/FJSVisas/bin/isstat" > /dev/null
}

cat > "$work/backup.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: stop
      ansible.builtin.command: "{{ root }}/opt/FJSVisas/bin/isstop -f"
    - name: archive
      ansible.builtin.shell: cd {{ root }} && tar cf /tmp/kb-{{ inventory_hostname }}.tar etc/opt/FJSV* var/opt/FJSV*
    - name: start
      ansible.builtin.command: "{{ root }}/opt/FJSVisas/bin/isstart"
    - name: fetch
      ansible.builtin.fetch: src=/tmp/kb-{{ inventory_hostname }}.tar dest={{ out }}/{{ inventory_hostname }}.tar flat=yes
    - name: checksum
      ansible.builtin.stat: path={{ out }}/{{ inventory_hostname }}.tar checksum_algorithm=sha256
      delegate_to: localhost
    - name: remove
      ansible.builtin.file: path=/tmp/kb-{{ inventory_hostname }}.tar state=absent
YML
# The site's backup: one play per wave (the admin and one member of each group, then the
# next member of each group, …), as R4 allows.
: > "$work/site.yml"
for w in 0 1 2; do
  sed "s/^- hosts: all$/- hosts: wave$w/" "$work/backup.yml" >> "$work/site.yml"
done
cat > "$work/steps.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.command: "{{ root }}/opt/FJSVisas/bin/isstat"
    - ansible.builtin.command: "{{ root }}/opt/FJSVisas/bin/isstop -f"
    - ansible.builtin.command: "{{ root }}/opt/FJSVisas/bin/isstart"
    - ansible.builtin.shell: mkdir -p {{ root }}/var/tmp/bench && echo one > {{ root }}/var/tmp/bench/a.txt
    - ansible.builtin.shell: echo two > {{ root }}/var/tmp/bench/b.txt
    - ansible.builtin.command: cat {{ root }}/var/tmp/bench/a.txt
    - ansible.builtin.command: cat {{ root }}/var/tmp/bench/b.txt
    - ansible.builtin.command: cat {{ root }}/etc/opt/FJSVisas/isas.conf
    - ansible.builtin.shell: echo three > {{ root }}/var/tmp/bench/c.txt
    - ansible.builtin.command: "{{ root }}/opt/FJSVisas/bin/isstat"
YML
cat > "$work/steps.rhai" <<'RHAI'
//! Ten steps on every server: what a procedure does.
//! param forks: servers at once
let forks = parse_int(param("forks"));
let result = batch("b-*", #{ forks: forks }, |s| {
    status(s);
    stop_interstage(s);
    start_interstage(s);
    write_file(s, "var/tmp/bench/a.txt", "one\n");
    write_file(s, "var/tmp/bench/b.txt", "two\n");
    read_file(s, "var/tmp/bench/a.txt");
    read_file(s, "var/tmp/bench/b.txt");
    read_file(s, "etc/opt/FJSVisas/isas.conf");
    write_file(s, "var/tmp/bench/c.txt", "three\n");
    status(s);
});
if result.failed.len() > 0 { throw `failed: ${result.failed}`; }
RHAI

printf '\nmedians of %s samples per contender\n%-4s %-10s %9s %9s %9s %11s %13s\n' "$samples" N operation kuroko raw-ssh ansible kuroko/raw ansible/kuroko
results=()
for n in "${counts[@]}"; do
  if [ "$n" -ge 32 ]; then mb=20 files=1000; else mb=50 files=2500; fi
  setup "$n" "$mb" "$files"
  site=$work/site-$n
  export KUROKO_SITE=$site/site.toml
  ansible=("$venv/bin/ansible" all -i "$site/inventory" -f "$n")
  playbook=("$venv/bin/ansible-playbook" -i "$site/inventory" -f "$n")

  # Each operation: SAMPLES rounds; in each, the three contenders in a rotating order.
  measure() {  # measure OP: sets k, r, a to the medians of kuroko, raw ssh and Ansible
    local op=$1 round who t
    : > "$work/t.kuroko"; : > "$work/t.raw"; : > "$work/t.ansible"
    for round in $(seq 0 $((samples - 1))); do
      for who in $(printf 'kuroko\nraw\nansible\nkuroko\nraw\n' | tail -n +$((round % 3 + 1)) | head -3); do
        t=$(now)
        case "$op,$who" in
          a,kuroko) rm -rf "$site/backups"; mkdir -p "$site/backups"
                    /usr/bin/time -f %M -o "$work/rss" "$K" batch 'b-*' backup --forks "$n" > "$work/kuroko.log" 2>&1 || fail kuroko ;;
          a,raw) raw_parallel "$site" raw_backup ;;
          a,ansible) rm -rf "$work/fetched"; mkdir -p "$work/fetched"
                     "${playbook[@]}" -e "out=$work/fetched" "$work/backup.yml" > "$work/ansible.log" 2>&1 || fail ansible ;;
          b,kuroko) "$K" batch 'b-*' status --forks "$n" > "$work/kuroko.log" 2>&1 || fail kuroko ;;
          b,raw) raw_parallel "$site" raw_status ;;
          b,ansible) "${ansible[@]}" -m ansible.builtin.command -a "{{ root }}/opt/FJSVisas/bin/isstat" > "$work/ansible.log" 2>&1 || fail ansible ;;
          c,kuroko) "$K" run "$work/steps.rhai" -p "forks=$n" > "$work/kuroko.log" 2>&1 || fail kuroko ;;
          c,raw) raw_parallel "$site" raw_steps ;;
          c,ansible) "${playbook[@]}" "$work/steps.yml" > "$work/ansible.log" 2>&1 || fail ansible ;;
          d,kuroko) rm -rf "$site/backups"; mkdir -p "$site/backups"
                    KUROKO_SITE=$site/site-groups.toml "$K" batch all backup --forks "$((n + 1))" > "$work/kuroko.log" 2>&1 || fail kuroko ;;
          d,raw) raw_site "$site" "$n" ;;
          d,ansible) rm -rf "$work/fetched"; mkdir -p "$work/fetched"
                     "$venv/bin/ansible-playbook" -i "$site/inventory-groups" -f "$((n + 1))" -e "out=$work/fetched" "$work/site.yml" > "$work/ansible.log" 2>&1 || fail ansible ;;
        esac
        elapsed "$t" >> "$work/t.$who"
        rm -rf "$work/fetched" /tmp/kb-*.tar
      done
    done
    k=$(median < "$work/t.kuroko"); r=$(median < "$work/t.raw"); a=$(median < "$work/t.ansible")
  }
  # (a) back up every server, (b) one trivial status command on every server, (c) a
  # runbook of ten steps on every server.
  measure a; a_k=$k a_r=$r a_a=$a; rss=$(cat "$work/rss")
  measure b; b_k=$k b_r=$r b_a=$a
  measure c; c_k=$k c_r=$r c_a=$a
  # (d) the whole site: the admin server and every member, groups of two, R4 in force.
  if [ "$n" -ge 2 ]; then grouped "$n" "$site"; measure d; d_k=$k d_r=$r d_a=$a; fi

  printf '%-4s %-10s %8.2fs %8.2fs %8.2fs %10.2fx %12.2fx\n' "$n" "(a) backup" "$a_k" "$a_r" "$a_a" "$(ratio "$a_k" "$a_r")" "$(ratio "$a_a" "$a_k")"
  printf '%-4s %-10s %8.2fs %8.2fs %8.2fs %10.2fx %12.2fx\n' "$n" "(b) status" "$b_k" "$b_r" "$b_a" "$(ratio "$b_k" "$b_r")" "$(ratio "$b_a" "$b_k")"
  printf '%-4s %-10s %8.2fs %8.2fs %8.2fs %10.2fx %12.2fx\n' "$n" "(c) steps" "$c_k" "$c_r" "$c_a" "$(ratio "$c_k" "$c_r")" "$(ratio "$c_a" "$c_k")"
  [ "$n" -lt 2 ] || printf '%-4s %-10s %8.2fs %8.2fs %8.2fs %10.2fx %12.2fx\n' "$n" "(d) site" "$d_k" "$d_r" "$d_a" "$(ratio "$d_k" "$d_r")" "$(ratio "$d_a" "$d_k")"
  printf '%-4s controller peak memory during (a): %d MB (%s servers x %s MB)\n' "$n" "$((rss / 1024))" "$n" "$mb"
  stop_servers
  rm -rf "$site"
done
echo
echo "targets: (a) kuroko/raw <= 1.3, (b) kuroko/raw <= 1.2, (c) kuroko/raw <= 0.5 and ansible/kuroko >= 5, peak memory < 100 MB at N = 32"
