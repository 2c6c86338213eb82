#!/usr/bin/env bash
# The MPI runner end to end: real `mpirun` jobs of the built runner-host (docs/runners.md).
# Each case starts its own job and checks rank 0's output and exit status; mpirun ends every
# rank it started, and the trap kills what a failed case may have left.
# Usage: mpi_runner.sh BUILD_DIR
set -uo pipefail
build="$1"
host="$build/bin/runner-host"
tasks="$build/tests/plugins/libmpi_tasks.so"
demo="$build/lib/libdemo.so"
scratch="$(mktemp -d)"
export RUNNER_HOST_HOME="$scratch/home"
mkdir -p "$RUNNER_HOST_HOME"
trap 'pkill -KILL -f "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
failures=0

fail() {
  echo "FAIL: $1" >&2
  failures=$((failures + 1))
}

# mpirun NP ARGS...: a job of NP ranks of runner-host, output in $out, status in $status.
job() {
  local np="$1"
  shift
  out="$(timeout 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp -np "$np" \
    "$@" 2>&1)"
  status=$?
}

# Without mpirun: one rank, refused with a one-line reason and the usage status.
out="$("$host" --runner mpi --plugin "$demo" --no-store 2>&1)"
status=$?
[ "$status" -eq 2 ] || fail "one rank: exit status $status, not 2"
[ "$out" = "runner-host: runner 'mpi': the MPI runner needs worker ranks: run under mpirun -np N, N >= 2" ] ||
  fail "one rank: said '$out'"

# config NAME JSON: a config file every rank reads (stdin reaches rank 0 only).
config() {
  printf '%s\n' "$2" >"$scratch/$1.json"
  echo "$scratch/$1.json"
}

# Bad options are refused on every rank alike, naming the option.
job 3 "$host" --plugin "$demo" --no-store --config "$(config bad '{"runner": {"name": "mpi", "slots": 2}}')"
[ "$status" -ne 0 ] || fail "an unknown option: exit status 0"
grep -q "unknown option 'slots'" <<<"$out" || fail "an unknown option is not named: $out"

# Rank 0 refusing the run (an unknown flow) ends the job with its status; the worker ranks
# leave quietly.
job 3 "$host" --runner mpi --plugin "$demo" --flow nope --no-store
[ "$status" -eq 2 ] || fail "unknown flow: exit status $status, not 2: $out"
grep -q "runner-host: unknown flow 'nope' (flows: pipeline)" <<<"$out" || fail "unknown flow: $out"
grep -q "runner-host worker" <<<"$out" && fail "unknown flow: a worker rank complained: $out"

# The demo on 3 ranks: the same end as on any runner (one task fails by design: status 1).
job 3 "$host" --runner mpi --plugin "$demo" --no-store --no-progress
[ "$status" -eq 1 ] || fail "demo: exit status $status, not 1: $out"
grep -q "3 task runs: 2 .*Completed.*, 1 .*Failed" <<<"$out" || fail "demo: no run table: $out"
grep -q 'flow pipeline (pipeline-[0-9a-f]*) .*Completed.*: {"b":13,"c_state":"Failed"}' <<<"$out" ||
  fail "demo: not the flow's result: $out"

# 200 runs on 4 ranks reach every worker rank.
job 4 "$host" --plugin "$tasks" --flow spread --params '{"n": 200, "ms": 2}' --no-store --no-progress \
  --config "$(config one_slot '{"runner": {"name": "mpi", "slots_per_rank": 1}}')"
[ "$status" -eq 0 ] || fail "spread: exit status $status: $out"
grep -q "flow spread (spread-[0-9a-f]*) .*Completed.*: 3$" <<<"$out" || fail "spread: not 3 worker ranks: $out"

# A task on a worker rank submits runs and waits for them: they go to rank 0's engine.
job 3 "$host" --runner mpi --plugin "$tasks" --flow nested --params '{"n": 6}' --no-store --no-progress
[ "$status" -eq 0 ] || fail "nested: exit status $status: $out"
grep -q "flow nested (nested-[0-9a-f]*) .*Completed.*: 6$" <<<"$out" || fail "nested: $out"

# A worker rank killed mid-run, with --enable-recovery: its attempts go to the ranks left.
job 4 --enable-recovery "$host" --plugin "$tasks" --flow survive \
  --params "{\"n\": 30, \"marker\": \"$scratch/died\"}" --no-store --no-progress \
  --config "$(config recovery '{"runner": {"name": "mpi", "heartbeat_seconds": 0.2, "slots_per_rank": 1}}')"
[ "$status" -eq 0 ] || fail "survive: exit status $status: $out"
[ -f "$scratch/died" ] || fail "survive: no rank died"
grep -q "was silent for more than 3 heartbeats (0.6 s); its attempts go to the ranks left" <<<"$out" ||
  fail "survive: the lost rank is not said: $out"
grep -q 'flow survive (survive-[0-9a-f]*) .*Completed.*: {"die_once":"survived","where":30}' <<<"$out" ||
  fail "survive: $out"

# isolate: a task that segfaults on a worker rank costs its worker process and its run
# (Crashed, the signal named), never the rank; the runs after it complete.
job 3 "$host" --plugin "$build/tests/plugins/libcli_hazards.so" --flow then_bad --no-store --no-progress \
  --report "$scratch/isolated.json" \
  --config "$(config isolated '{"runner": {"name": "mpi", "isolate": true, "slots_per_rank": 1}}')"
[ "$status" -eq 1 ] || fail "isolate: exit status $status, not 1: $out"
grep -q 'flow then_bad (then_bad-[0-9a-f]*) .*Completed.*: "survived"' <<<"$out" || fail "isolate: $out"
crashed="$(jq -r '.task_runs[] | select(.task == "segfault") | .state.name + ": " + .state.message' \
  "$scratch/isolated.json")"
[[ "$crashed" =~ ^Crashed:\ rank\ [12]\ \(.*\)\ slot\ 0:\ worker\ 1\ \(pid\ [0-9]+\)\ was\ killed\ by\ signal\ 11\ \(SIGSEGV\)\ while\ this\ attempt\ ran\ on\ it$ ]] ||
  fail "isolate: the segfault's run: $crashed"
[ "$(jq '[.task_runs[] | select(.state.name == "Completed")] | length' "$scratch/isolated.json")" -eq 6 ] ||
  fail "isolate: not 6 runs Completed"

# Without --enable-recovery a dead rank aborts the job; rank 0's store has what completed,
# and --resume last goes on without running it again.
store_args=(--store "$scratch/store.db" --no-progress)
job 3 "$host" --runner mpi --plugin "$tasks" --flow abort_midway \
  --params "{\"n\": 8, \"marker\": \"$scratch/aborted\"}" "${store_args[@]}"
[ "$status" -ne 0 ] || fail "abort: the job did not fail"
[ -f "$scratch/aborted" ] || fail "abort: no rank died"
job 3 "$host" --runner mpi --plugin "$tasks" --resume last "${store_args[@]}"
[ "$status" -eq 0 ] || fail "resume: exit status $status: $out"
grep -q "8 completed task run(s) will not run again" <<<"$out" || fail "resume: not 8 runs kept: $out"
grep -q "9 task runs: 8 .*Cached.*, 1 .*Completed" <<<"$out" || fail "resume: not 8 Cached and 1 Completed: $out"
grep -q 'flow abort_midway (abort_midway-[0-9a-f]*) .*Completed.*: "survived"' <<<"$out" || fail "resume: $out"

# SIGTERM to rank 0 ends the whole job: its runs stop, the report is written, every rank
# ends, and the status is 130.
sleepers="$build/tests/plugins/libcli_sleepers.so"
timeout 120 mpirun --allow-run-as-root --oversubscribe -np 3 "$host" --runner mpi --plugin "$sleepers" \
  --flow sleepers --params '{"naps": 2, "waiters": 1, "seconds": 60}' --no-store --no-progress \
  --report "$scratch/interrupted.json" >"$scratch/interrupted.out" 2>&1 &
job_pid=$!
for _ in $(seq 300); do grep -q "nap 1 running" "$scratch/interrupted.out" && break; sleep 0.1; done
rank0=""
for pid in $(pgrep -f "$sleepers"); do
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=0" && rank0="$pid"
done
[ -n "$rank0" ] || fail "interrupt: no rank 0 found: $(cat "$scratch/interrupted.out")"
[ -n "$rank0" ] && kill -TERM "$rank0"
wait "$job_pid"
status=$?
out="$(cat "$scratch/interrupted.out")"
[ "$status" -eq 130 ] || fail "interrupt: exit status $status, not 130: $out"
grep -q "flow sleepers (sleepers-[0-9a-f]*) .*Cancelled" <<<"$out" || fail "interrupt: the flow is not Cancelled: $out"
[ "$(jq -r '.flow.state.name' "$scratch/interrupted.json" 2>/dev/null)" = Cancelled ] || fail "interrupt: no report"
sleep 0.5
[ -z "$(pgrep -f "$sleepers")" ] || fail "interrupt: ranks left behind: $(pgrep -af "$sleepers")"

if [ "$failures" -ne 0 ]; then
  echo "$failures case(s) failed" >&2
  exit 1
fi
echo "all MPI runner cases passed"
