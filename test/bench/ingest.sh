#!/usr/bin/env bash
# Ingest benchmark: 20,000 tracked videos (1,000 Display creators x 20)
# fetched from the simulator and stored, by the background worker and by a
# Python baseline (ingest_baseline.py: requests + psycopg2, one call per
# 20 videos, one INSERT per snapshot), measured in the same run against
# the same simulator and server.  Prints snapshots per second and CPU
# seconds per 1,000 snapshots (worker process; baseline client + its
# server backend).  The simulator's own CPU counts for neither.
# LATENCY_MS makes the simulator answer that much later, like a real
# network to TikTok (default 0: the simulator's own speed is the limit).
#   CREATORS=1000 VIDEOS=20 LATENCY_MS=50 test/bench/ingest.sh
bench_name=ingest
source "$(dirname "$0")/worker_common.sh"
creators=${CREATORS:-1000}
videos=${VIDEOS:-20}
total=$((creators * videos))

latency=${LATENCY_MS:-0}
start_sim --latency-ms "$latency"
start_cluster "$(sim_settings)
tiktrack.worker_enabled = off
tiktrack.interval = '1d'
tiktrack.early_interval = '1d'
tiktrack.display_requests_per_minute = 0
tiktrack.batch_size = 2000
tiktrack.http_max_parallel = 32"

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

# ---- the worker ----
wpid=$(worker_pid)
cpu0=$(cpu_seconds "$wpid")
t0=$(date +%s.%N)
psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
while [ "$(psql_ -d postgres -c 'SELECT count(*) FROM tiktrack.snapshots')" -lt "$total" ]; do
	sleep 0.05
done
t1=$(date +%s.%N)
cpu1=$(cpu_seconds "$wpid")
psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
w_requests=$(psql_ -d postgres -c "SELECT count(*) FROM tiktrack.fetch_log WHERE endpoint = '/v2/video/query/'")

# ---- the Python baseline ----
read -r b_n b_s b_client b_backend < <("${as_owner[@]}" /usr/bin/python3 test/bench/ingest_baseline.py \
	"host=$out port=$port dbname=baseline user=postgres" "$sim" "$out/seed.json")

/usr/bin/python3 - "$total" "$t0" "$t1" "$cpu0" "$cpu1" "$w_requests" "$b_n" "$b_s" "$b_client" "$b_backend" "$latency" <<'PY'
import sys
total, t0, t1, c0, c1, wreq, bn, bs, bc, bb = sys.argv[1:11]
total, bn, wreq = int(total), int(bn), int(wreq)
ws, wcpu = float(t1) - float(t0), float(c1) - float(c0)
bs, bcpu = float(bs), float(bc) + float(bb)
print(f"ingest of {total} videos (Display API, 20 ids per request, simulator latency {sys.argv[11]} ms)")
print(f"  worker:   {total} snapshots in {ws:7.2f} s = {total / ws:8.0f} snapshots/s, "
      f"{wreq / ws:6.0f} requests/s, CPU {wcpu:6.2f} s = {1000 * wcpu / total:.3f} s per 1000 snapshots")
print(f"  baseline: {bn} snapshots in {bs:7.2f} s = {bn / bs:8.0f} snapshots/s, "
      f"{bn / 20 / bs:6.0f} requests/s, CPU {bcpu:6.2f} s = {1000 * bcpu / bn:.3f} s per 1000 snapshots "
      f"(client {float(bc):.2f} s + backend {float(bb):.2f} s)")
print(f"  ratio:    worker/baseline throughput {(total / ws) / (bn / bs):.2f}, "
      f"CPU per snapshot {(wcpu / total) / (bcpu / bn):.2f}")
PY
