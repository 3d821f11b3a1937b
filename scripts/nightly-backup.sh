#!/bin/sh
# Nightly `backup-site` without a terminal, for systemd (scripts/systemd/) or cron.
#
#   KUROKO_SITE   the site file (required)
#   KUROKO_WAIT   how long to wait for another run to let go of the site (default 2h)
#   KUROKO        the kuroko binary (default: kuroko on PATH)
#
# Prints one summary line for the system log or a monitoring system and exits with
# kuroko's own exit code: 0 done, 1 a step failed, 3 refused by a rule, 75 the site stayed
# busy past KUROKO_WAIT. The full record is the run's journal: `kuroko report RUN`.
set -u
site=${KUROKO_SITE:?set KUROKO_SITE to the site file}
wait=${KUROKO_WAIT:-2h}
kuroko=${KUROKO:-kuroko}
out=$(mktemp "${TMPDIR:-/tmp}/kuroko-nightly.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
# A stop (SIGTERM to the whole service) is kuroko's to handle: it runs R11 and ends; this
# script waits for it, then still says how it ended.
trap ':' HUP INT TERM
"$kuroko" --site "$site" run backup-site --yes --wait "$wait" </dev/null >"$out" 2>&1
code=$?
run=$(sed -n 's/^run `\([^`]*\)` of .*/\1/p; s/.*this run is `\([^`]*\)`.*/\1/p' "$out" | head -n 1)
generation=$(sed -n 's/^generation `*\([^ `]*\)`* is complete.*/\1/p' "$out" | head -n 1)
first_error=$(grep -m 1 '^error: ' "$out" | cut -c 8-200)
# Success is kuroko saying so, not only an exit code of 0.
if [ "$code" -eq 0 ] && ! grep -q '^runbook `backup-site` completed' "$out"; then
  code=1
  first_error="kuroko ended without saying the runbook completed"
fi
case $code in
  0) echo "kuroko backup-site: ok, run ${run:--}, generation ${generation:--}" ;;
  75) echo "kuroko backup-site: BUSY (exit 75): the site stayed locked past ${wait}: ${first_error}" ;;
  *) if [ -n "$run" ]; then hint="see kuroko report $run"; else hint="no run was journalled"; fi
     echo "kuroko backup-site: FAILED (exit $code), run ${run:--}: ${first_error:-$hint}" ;;
esac
exit "$code"
