#!/usr/bin/env bash
# hubtop wait in a CI-style script: start the simulator (reordering orchestrator events as the real server does;
# frozen, so only our request moves anything), start a stopped VM through the server's own control endpoint with
# curl, and wait for it to run with `hubtop wait` instead of polling REST in a loop.
#
#   scripts/wait-demo.sh            (uses .venv/bin/hubtop, or HUBTOP=... to point elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
HUBTOP=${HUBTOP:-.venv/bin/hubtop}
TOKEN=wait-demo-token
LOG=$(mktemp)
cleanup() { [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null; rm -f "$LOG"; }
trap cleanup EXIT

"$HUBTOP" simulate --port 0 --hosts 3 --vms 4 --seed 5 --frozen --token "$TOKEN" >"$LOG" 2>&1 &
SIM_PID=$!
for _ in $(seq 100); do grep -q '^token:' "$LOG" && break; sleep 0.1; done
URL=$(grep -o 'hubtop simulator on [^ ]*' "$LOG" | awk '{print $4}')
echo "simulator: $URL (pid $SIM_PID)"
export HUBTOP_URL=$URL HUBTOP_TOKEN=$TOKEN

# a stopped VM on a healthy host, by name
VM=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/orchestrator/hosts" >"$LOG.hosts" &&
     curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/orchestrator/machines" |
     python3 -c 'import json,sys; hosts={h["id"] for h in json.load(open(sys.argv[1])) if h.get("state")=="healthy"}
print(next(m["Name"] for m in json.load(sys.stdin) if m["State"]=="stopped" and m["host_id"] in hosts))' "$LOG.hosts")
rm -f "$LOG.hosts"
echo "VM: $VM"

"$HUBTOP" wait vm "$VM" --state stopped --timeout 10 && echo "wait: $VM is stopped (from the snapshot, at once)"

echo "start: $(curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" "$URL/api/v1/orchestrator/machines/$VM/start")"
started=$(date +%s.%N)
if "$HUBTOP" wait vm "$VM" --state running --timeout 60 --json; then
  printf 'wait: %s is running after %.1f s (exit 0)\n' "$VM" "$(echo "$(date +%s.%N) - $started" | bc)"
else
  echo "wait: exit $?"; exit 1
fi

set +e
"$HUBTOP" wait vm "$VM" --state stopped --timeout 2
echo "wait for a stop nobody asked for: exit $? (1: timed out)"
"$HUBTOP" wait vm "$VM" --gone --timeout 2
echo "wait for it to be gone: exit $?"
HUBTOP_URL=http://127.0.0.1:9 "$HUBTOP" wait vm "$VM" --state running --timeout 2
echo "no server: exit $? (3: cannot connect)"
