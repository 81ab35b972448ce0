#!/usr/bin/env bash
# Ingest benchmark: 20,000 tracked videos (1,000 Display creators x 20)
# fetched from the simulator and stored by the background worker: a first
# fetch (captions and posting times written too), then the steady state
# (the same videos again, on the worker's own cadence: from its queue of
# held videos) STEADY_PASSES times (default 5; the median pass is the
# figure).  Prints snapshots per second and the
# worker process's CPU per snapshot (it runs its SQL itself, so the
# database work is in it; the simulator's CPU is not) for both passes,
# the simulator's own capacity measured in the same run with the worker's
# parallelism (sim_capacity.py) and which side limited the throughput, and,
# when psycopg2 and requests are installed, a Python baseline
# (ingest_baseline.py: one call per 20 videos, one INSERT per snapshot).
# TIKTRACK_PG_ROOT=DIR runs against the private PostgreSQL copy that
# test/tools/run-tests.sh made there.
# LATENCY_MS makes the simulator answer that much later, like a real
# network to TikTok (default 0: the simulator's own speed is the limit).
# PROFILE=1 also prints the worker's statements of the last steady pass
# by time (pg_stat_statements, nested statements included), in
# microseconds per snapshot.
#   CREATORS=1000 VIDEOS=20 LATENCY_MS=50 test/bench/ingest.sh
bench_name=ingest
source "$(dirname "$0")/worker_common.sh"
creators=${CREATORS:-1000}
videos=${VIDEOS:-20}
total=$((creators * videos))

latency=${LATENCY_MS:-0}
# Every video is fetched again this many seconds after its fetch; a pass
# takes about one second.
cadence=${CADENCE_S:-6}
start_sim --latency-ms "$latency"
start_cluster "$(sim_settings)
tiktrack.worker_enabled = off
tiktrack.interval = '${cadence}s'
tiktrack.early_interval = '${cadence}s'
tiktrack.display_requests_per_minute = 0
tiktrack.batch_size = 2000
tiktrack.http_max_parallel = 32
$([ -n "${PROFILE:-}" ] && printf '%s\n' "shared_preload_libraries = 'tiktrack,pg_stat_statements'" \
	"pg_stat_statements.track = all")"

for db in postgres baseline; do
	[ $db = baseline ] && psql_ -d postgres -c "CREATE DATABASE baseline"
	psql_ -d $db -c "CREATE EXTENSION tiktrack"
done
echo "seeding $creators creators x $videos videos in the simulator and tracking them"
seed_and_connect "$creators" "$videos" postgres
psql_ -d baseline -f "$out/connect.sql" >/dev/null
# Creator stats are not part of this job.
for db in postgres baseline; do
	psql_ -d $db -c "UPDATE tiktrack.creators SET stats_next_fetch_at = now() + interval '1 day'"
done

# ---- the worker: a first fetch of every video, then the same videos again ----
wpid=$(worker_pid)
# run_pass N: enables the worker until N snapshots exist; prints "seconds cpu requests"
run_pass() {
	local cpu0 t0 t1 cpu1 r0 r1
	r0=$(psql_ -d postgres -c "SELECT count(*) FROM tiktrack.fetch_log WHERE endpoint = '/v2/video/query/'")
	cpu0=$(cpu_seconds "$wpid")
	t0=$(date +%s.%N)
	psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
	while [ "$(snapshots_written)" -lt "$1" ]; do
		sleep 0.05
	done
	t1=$(date +%s.%N)
	cpu1=$(cpu_seconds "$wpid")
	psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
	r1=$(psql_ -d postgres -c "SELECT count(*) FROM tiktrack.fetch_log WHERE endpoint = '/v2/video/query/'")
	echo "$(echo "$t1 - $t0" | bc -l) $(echo "$cpu1 - $cpu0" | bc -l) $((r1 - r0))"
}
read -r first_s first_cpu first_req < <(run_pass "$total")
# The steady state: every video due again on the worker's cadence (same
# captions: no metadata change), STEADY_PASSES times; the figure is the
# median pass.  Between passes the worker is paused until every video is
# due again (the cadence after the previous pass), so that a pass fetches
# each video once, from the worker's own queue as in production: its
# schedule rows are out of the due indexes and their updates are HOT.
# Each pass starts after a VACUUM, as a real one does: a video is fetched
# again an hour later (tiktrack.interval), and autovacuum visits a table
# whose rows all changed within the hour many times in between, so the
# previous fetch's row versions are gone.
passes=${STEADY_PASSES:-5}
[ -n "${PROFILE:-}" ] && psql_ -d postgres -c "CREATE EXTENSION pg_stat_statements" >/dev/null
steady=()
for p in $(seq "$passes"); do
	paused_at=$(date +%s.%N)
	psql_ -d postgres -c "VACUUM" -c "CHECKPOINT" >/dev/null
	sleep "$(echo "$cadence + 0.5 - ($(date +%s.%N) - $paused_at)" | bc -l | sed 's/^-.*/0/')"
	[ -n "${PROFILE:-}" ] && psql_ -d postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
	steady+=("$(run_pass $(((p + 1) * total)))")
done
if [ -n "${PROFILE:-}" ]; then
	echo "steady state, per statement: us per snapshot | calls | rows | statement"
	psql_ -d postgres -c "SELECT round((1000 * total_exec_time / $total)::numeric, 2), calls, rows,
		left(regexp_replace(query, '\s+', ' ', 'g'), 100)
		FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
		ORDER BY total_exec_time DESC LIMIT 15"
fi
# every pass fetched every video exactly once
stored=$(psql_ -d postgres -c "SELECT count(*) FROM tiktrack.snapshots")
if [ "$stored" -ne $(((passes + 1) * total)) ]; then
	echo "ingest: expected $(((passes + 1) * total)) snapshots, found $stored" >&2
	exit 1
fi

# ---- the simulator's capacity with the worker's parallelism ----
sim_rps=$("${as_owner[@]}" /usr/bin/python3 test/bench/sim_capacity.py "$sim" "$out/seed.json" 32 5)

# ---- the Python baseline (needs psycopg2 and requests) ----
baseline="none"
if /usr/bin/python3 -c 'import psycopg2, requests' 2>/dev/null; then
	baseline=$("${as_owner[@]}" /usr/bin/python3 test/bench/ingest_baseline.py \
		"host=$out port=$port dbname=baseline user=postgres" "$sim" "$out/seed.json")
fi

/usr/bin/python3 - "$total" "$first_s" "$first_cpu" "$first_req" "$(IFS=';'; echo "${steady[*]}")" \
	"$sim_rps" "$latency" "$baseline" <<'PY'
import sys
total = int(sys.argv[1])
steady = sorted((tuple(map(float, p.split())) for p in sys.argv[5].split(";")), key=lambda p: p[1])
passes = [("first fetch", *map(float, sys.argv[2:5])), ("steady state", *steady[(len(steady) - 1) // 2])]
sim_rps, latency, baseline = float(sys.argv[6]), sys.argv[7], sys.argv[8]
print(f"ingest of {total} videos (Display API, 20 ids per request, simulator latency {latency} ms)")
print(f"  steady-state passes, worker CPU per snapshot: "
      + ", ".join(f"{1e6 * cpu / total:.1f}" for _, cpu, _ in steady)
      + f" us (the median pass below; best {1e6 * steady[0][1] / total:.1f} us)")
for name, secs, cpu, req in passes:
    print(f"  worker, {name + ':':14s} {total} snapshots in {secs:7.2f} s = {total / secs:8.0f} snapshots/s, "
          f"{req / secs:6.0f} requests/s, worker CPU {cpu:6.2f} s = {1e6 * cpu / total:6.1f} us per snapshot")
print(f"  simulator capacity: {sim_rps:.0f} requests/s = {20 * sim_rps:.0f} snapshots/s "
      f"(32 parallel keep-alive clients, 20 ids per request)")
for name, secs, cpu, req in passes:
    share = (req / secs) / sim_rps if sim_rps else 0
    side = "the simulator" if share >= 0.8 else "the worker"
    print(f"  {name}: the worker used {100 * share:.0f} % of the simulator's capacity: {side} limited the throughput")
if baseline != "none":
    bn, bs, bc, bb = baseline.split()
    bn, bs, bcpu = int(bn), float(bs), float(bc) + float(bb)
    print(f"  python baseline: {bn} snapshots in {bs:7.2f} s = {bn / bs:8.0f} snapshots/s, "
          f"CPU {bcpu:6.2f} s = {1e6 * bcpu / bn:6.1f} us per snapshot "
          f"(client {float(bc):.2f} s + backend {float(bb):.2f} s)")
else:
    print("  python baseline: skipped (psycopg2 or requests not installed)")
PY
