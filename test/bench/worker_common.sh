# Shared by the worker benchmarks (ingest.sh, worker_memory.sh, claim.sh):
# builds and installs tiktrack, starts the simulator and a throwaway
# cluster under test/bench/out/<name>/, and cleans up on exit.
# Source it after setting $bench_name.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
top=$(pwd)
out="$top/test/bench/out/$bench_name"
pgbin=$(pg_config --bindir)
as_owner=()
[ "$(id -u)" -eq 0 ] && as_owner=(runuser -u postgres --)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# PROFILE is this script's switch, not PGXS's compiler flags
make -s PROFILE= >/dev/null
if [ -n "${TIKTRACK_PG_ROOT:-}" ]; then
	# a private copy of PostgreSQL (as test/tools/run-tests.sh makes it)
	root=$(realpath -m "$TIKTRACK_PG_ROOT")
	[ -x "$root$pgbin/postgres" ] || { echo "no PostgreSQL under $root: run test/tools/run-tests.sh once" >&2; exit 1; }
	make -s install PROFILE= DESTDIR="$root" >/dev/null
	pgbin="$root$pgbin"
else
	(
		flock 9
		$SUDO make -s install PROFILE= >/dev/null
	) 9>/tmp/tiktrack-install.lock
fi

rm -rf "$out"
mkdir -p "$out"
[ "$(id -u)" -eq 0 ] && chown postgres "$out"

cleanup() {
	[ -f "$out/data/postmaster.pid" ] && "${as_owner[@]}" "$pgbin/pg_ctl" -D "$out/data" -m immediate stop >/dev/null 2>&1 || true
	[ -f "$out/sim.pid" ] && kill "$(cat "$out/sim.pid")" 2>/dev/null || true
}
trap cleanup EXIT

start_sim() {
	/usr/bin/python3 test/sim/tiktok_sim.py --port 0 --port-file "$out/sim.port" --quiet --seed 11 "$@" \
		>"$out/sim.log" 2>&1 &
	echo $! >"$out/sim.pid"
	for _ in $(seq 100); do [ -s "$out/sim.port" ] && break; sleep 0.1; done
	sim="http://127.0.0.1:$(cat "$out/sim.port")"
}

# start_cluster "extra postgresql.conf lines"
start_cluster() {
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"${as_owner[@]}" "$pgbin/initdb" -D "$out/data" -A trust -U postgres >/dev/null
	cat >>"$out/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$out'
shared_preload_libraries = 'tiktrack'
tiktrack.database = 'postgres'
timezone = 'UTC'
shared_buffers = '1GB'
max_wal_size = '4GB'
$1
CONF
	"${as_owner[@]}" "$pgbin/pg_ctl" -D "$out/data" -l "$out/server.log" -w start >/dev/null 9>&-
}

psql_() { "${as_owner[@]}" "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$out" -p "$port" -U postgres "$@"; }

worker_pid() { psql_ -d postgres -c "SELECT pid FROM tiktrack.worker_status"; }

# Snapshots the worker has committed, from its counter in shared memory:
# polling count(*) of a table of 100,000s of rows every 50 ms would take a
# good part of a core of this 2-core machine away from the worker and the
# simulator while they are measured.
snapshots_written() {
	psql_ -d postgres -c "SELECT total FROM tiktrack.worker_counters() WHERE counter = 'snapshots'"
}

# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}

sim_settings() {
	cat <<CONF
tiktrack.api_base_url = '$sim'
tiktrack.business_api_base_url = '$sim'
tiktrack.allow_insecure_http = on
tiktrack.client_key = 'bench'
tiktrack.client_secret = 'bench'
tiktrack.business_app_id = 'bench'
tiktrack.business_app_secret = 'bench'
CONF
}

# seed_and_connect CREATORS VIDEOS_PER_CREATOR DB -> writes $out/seed.json
seed_and_connect() {
	/usr/bin/python3 - "$sim" "$1" "$2" >"$out/connect.sql" <<'PY'
import json, sys, urllib.request
sim, n, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
req = urllib.request.Request(sim + "/_sim/seed", method="POST",
    data=json.dumps({"creators": n, "videos_per_creator": v, "business_share": 0,
                     "prefix": "bench"}).encode(), headers={"Content-Type": "application/json"})
creators = json.load(urllib.request.urlopen(req))
q = lambda s: "'" + s.replace("'", "''") + "'"
for c in creators:
    print(f"SELECT tiktrack.connect_creator({q(c['access_token'])}, {q(c['refresh_token'])}, 86400, 31536000, 'display');")
print("BEGIN;")
for c in creators:
    for vid in c["videos"]:
        print(f"SELECT tiktrack.track('https://www.tiktok.com/@{c['handle']}/video/{vid['id']}', '30 days');")
print("COMMIT;")
PY
	/usr/bin/python3 -c "
import json, sys, urllib.request
print(urllib.request.urlopen('$sim/_sim/creators').read().decode())" >"$out/seed.json"
	chmod a+r "$out/connect.sql" "$out/seed.json"
	psql_ -d "$3" -f "$out/connect.sql" >/dev/null
}
