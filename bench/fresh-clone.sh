#!/bin/bash
# Issue 8 part 6: a fresh clone, the README's first command, and the time until the page shows messages.
#   bench/fresh-clone.sh            (clones this repository's last commit into a temporary directory)
# Needs /usr/bin/chromium. Prints the times in ms, then stops the demo with Ctrl-C (SIGINT) and checks that
# nothing is left running. Not run by `npm run bench` (it takes minutes: the install compiles better-sqlite3).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
WAIT="$REPO/bench/_wait-page.mjs"
D=$(mktemp -d /tmp/dingbot-fresh-XXXXXX)
ms() { date +%s%3N; }
T0=$(ms)
git clone -q "$REPO" "$D/repo" || exit 1
T1=$(ms)
cd "$D/repo"
npm install > "$D/install.log" 2>&1; RC=$?
T2=$(ms)
echo "clone_ms=$((T1-T0)) install_ms=$((T2-T1)) install_rc=$RC"
if [ $RC -ne 0 ]; then tail -30 "$D/install.log"; exit 1; fi
setsid npm start > "$D/start.log" 2>&1 &
PG=$!
# playwright-core resolves next to _wait-page.mjs (this repository's node_modules).
(cd "$D/repo" && node "$WAIT" http://127.0.0.1:8089/ "$T2"); PAGE_RC=$?
T3=$(ms)
echo "start_to_page_ms=$((T3-T2)) total_ms=$((T3-T0))"
# Into bench/results/fresh-clone.json, for the summary table of bench/RESULTS.md (bench/_goals.mjs).
if [ $PAGE_RC -eq 0 ]; then
  START_S=$(( (T3-T2+50)/100 )); TOTAL_S=$(( (T3-T0+500)/1000 )); INSTALL_S=$(( (T2-T1+500)/1000 ))
  node --input-type=module -e "
    import { recordGoal } from '$REPO/bench/_goals.mjs';
    recordGoal({
      bench: 'fresh-clone',
      id: 'start-to-page',
      issue: 8,
      figure: 'fresh clone: \`npm start\` after \`npm install\` → the page shows messages (headless Chromium)',
      value: $START_S / 10,
      unit: 's',
      goal: { op: '<=', target: 60, text: 'page within a minute of the install' },
      detail: 'clone → page $TOTAL_S s, of which npm install $INSTALL_S s',
      command: 'bench/fresh-clone.sh',
    });"
fi
kill -INT -- -"$PG"
sleep 5
if kill -0 -- -"$PG" 2>/dev/null; then echo "STILL RUNNING after Ctrl-C"; kill -KILL -- -"$PG"; else echo "stopped cleanly"; fi
grep -i "warn" "$D/install.log" | sort | uniq -c
cat "$D/start.log"
rm -rf "$D"
