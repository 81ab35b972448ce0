#!/usr/bin/env bash
# tiktrack demo (`make demo` / `make demo-stop`).
#
#   demo.sh start   install what is missing, build and install tiktrack,
#                   start a throwaway PostgreSQL server in test/demo/run/
#                   with the library preloaded, connect creators, create a
#                   campaign of about a hundred posts, show the background
#                   worker filling in snapshots live, then the campaign's
#                   KPIs; the server keeps running for you to explore.
#   demo.sh stop    stop the server (and the simulator) and remove run/.
#
# Without TikTok credentials in the environment the demo runs against the
# local TikTok simulator (test/sim/tiktok_sim.py), and says so.  With real
# ones it talks to TikTok:
#   TIKTRACK_CLIENT_KEY, TIKTRACK_CLIENT_SECRET          Login Kit app (Display API)
#   TIKTRACK_BUSINESS_APP_ID, TIKTRACK_BUSINESS_APP_SECRET  Business API app
#   TIKTRACK_CREATORS_FILE  lines "display|business ACCESS_TOKEN REFRESH_TOKEN"
#   TIKTRACK_POSTS_FILE     optional: post URLs to track (default: every
#                           video the connected creators listed)
# Other knobs: TIKTRACK_DEMO_PORT (default: a free port), TIKTRACK_DEMO_CREATORS
# (simulated creators, default 34), TIKTRACK_DEMO_VIDEOS (per creator, default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
run="$top/test/demo/run"
mode=${1:-start}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
	# PostgreSQL refuses to run as root.
	as_owner=(runuser -u postgres --)
fi

bindir() { "$(command -v pg_config)" --bindir; }

stop_demo() {
	if [ -f "$run/data/postmaster.pid" ]; then
		"${as_owner[@]}" "$(bindir)/pg_ctl" -D "$run/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -f "$run/sim.pid" ]; then
		kill "$(cat "$run/sim.pid")" 2>/dev/null || true
	fi
	rm -rf "$run"
}

if [ "$mode" = stop ]; then
	stop_demo
	say "demo stopped and removed"
	exit 0
fi
[ "$mode" = start ] || { echo "usage: $0 start|stop" >&2; exit 2; }

say "installing what is missing (Debian packages)"
test/tools/install-deps.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

say "building and installing tiktrack"
make -s >/dev/null
exec 9>/tmp/tiktrack-install.lock
flock 9
$SUDO make -s install >/dev/null
flock -u 9
exec 9>&-

stop_demo
mkdir -p "$run"
[ "$(id -u)" -eq 0 ] && chown postgres "$run"
pgbin=$(bindir)
port=${TIKTRACK_DEMO_PORT:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

real=0
if [ -n "${TIKTRACK_CLIENT_KEY:-}${TIKTRACK_BUSINESS_APP_ID:-}" ] && [ -n "${TIKTRACK_CREATORS_FILE:-}" ]; then
	real=1
fi

if [ $real -eq 0 ]; then
	say "no TikTok credentials configured (TIKTRACK_CLIENT_KEY / TIKTRACK_BUSINESS_APP_ID and TIKTRACK_CREATORS_FILE): using the local TikTok simulator instead of TikTok"
	# Over TLS with a throwaway CA, as the tests do, so that TikTok's web
	# hosts (short links, the Login Kit page) can be routed to the simulator
	# by tiktrack.connect_to while keeping their names for TLS.
	sh test/sim/gen_cert.sh "$run/certs"
	chmod a+rx "$run/certs"
	chmod a+r "$run/certs/ca.crt"
	/usr/bin/python3 test/sim/tiktok_sim.py --port 0 --port-file "$run/sim.port" --quiet --seed 2026 \
		--tls-cert "$run/certs/server.crt" --tls-key "$run/certs/server.key" \
		>"$run/sim.log" 2>&1 &
	echo $! >"$run/sim.pid"
	for _ in $(seq 100); do [ -s "$run/sim.port" ] && break; sleep 0.1; done
	[ -s "$run/sim.port" ] || { cat "$run/sim.log"; exit 1; }
	simport=$(cat "$run/sim.port")
	sim="https://127.0.0.1:$simport"
	say "simulator listening on $sim"
	api_settings="tiktrack.api_base_url = '$sim'
tiktrack.business_api_base_url = '$sim'
tiktrack.ca_file = '$run/certs/ca.crt'
tiktrack.connect_to = 'vm.tiktok.com:443:127.0.0.1:$simport,vt.tiktok.com:443:127.0.0.1:$simport,www.tiktok.com:443:127.0.0.1:$simport'
tiktrack.client_key = 'demo-client-key'
tiktrack.client_secret = 'demo-client-secret'
tiktrack.business_app_id = 'demo-app-id'
tiktrack.business_app_secret = 'demo-app-secret'"
else
	say "TikTok credentials found: the demo talks to the real TikTok APIs"
	api_settings="tiktrack.client_key = '${TIKTRACK_CLIENT_KEY:-}'
tiktrack.client_secret = '${TIKTRACK_CLIENT_SECRET:-}'
tiktrack.business_app_id = '${TIKTRACK_BUSINESS_APP_ID:-}'
tiktrack.business_app_secret = '${TIKTRACK_BUSINESS_APP_SECRET:-}'"
fi

say "starting a throwaway PostgreSQL server in $run (port $port)"
"${as_owner[@]}" "$pgbin/initdb" -D "$run/data" -A trust -U postgres >/dev/null
if [ $real -eq 0 ]; then
	# The simulator has no rate limit of its own to fear: snapshots every
	# 10 seconds so the demo is lively.  Against TikTok keep the defaults.
	cadence="tiktrack.early_interval = '10s'
tiktrack.interval = '10s'"
else
	cadence=""
fi
cat >>"$run/data/postgresql.conf" <<EOF
port = $port
listen_addresses = ''
unix_socket_directories = '$run'
shared_preload_libraries = 'tiktrack'
tiktrack.database = 'postgres'
timezone = 'UTC'
$cadence
$api_settings
EOF
"${as_owner[@]}" "$pgbin/pg_ctl" -D "$run/data" -l "$run/server.log" -w start >/dev/null
psql=("${as_owner[@]}" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$port" -U postgres -d postgres)
"${psql[@]}" -c 'CREATE EXTENSION tiktrack'

# ---- creators and posts ----
sqlfile="$run/setup.sql"
if [ $real -eq 0 ]; then
	say "connecting ${TIKTRACK_DEMO_CREATORS:-34} simulated creators (Display and Business API)"
	/usr/bin/python3 - "$sim" "${TIKTRACK_DEMO_CREATORS:-34}" "${TIKTRACK_DEMO_VIDEOS:-3}" "$run/certs/ca.crt" >"$sqlfile" <<'PY'
import json, random, ssl, sys, time, urllib.request
sim, ncreators, nvideos, ca = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tls = ssl.create_default_context(cafile=ca)
def admin(path, body):
    req = urllib.request.Request(sim + path, method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, context=tls))
creators = admin("/_sim/seed", {"creators": ncreators, "videos_per_creator": nvideos,
                                "business_share": 0.3, "prefix": "creator"})
# For README's tour: a creator who has not authorized tiktrack yet, with two
# posts outside the demo campaign, the second behind a short link.
now = int(time.time())
admin("/_sim/creators", {"handle": "newcreator", "api": "display", "display_name": "New Creator",
                         "videos": [{"id": "7999000000000000001", "create_time": now - 7200,
                                     "caption": "Unboxing the spring drop #spring #ad"},
                                    {"id": "7999000000000000002", "create_time": now - 3600,
                                     "caption": "Day two with it #spring"}]})
admin("/_sim/shortlinks", {"code": "ZMdemo01", "video_id": "7999000000000000002"})
q = lambda s: "'" + s.replace("'", "''") + "'"
print("\\set ON_ERROR_STOP 1")
for c in creators:
    print(f"SELECT tiktrack.connect_creator({q(c['access_token'])}, {q(c['refresh_token'])}, 86400, 31536000, {q(c['api'])});")
rnd = random.Random(7)
posts = [{"url": f"https://www.tiktok.com/@{c['handle']}/video/{v['id']}",
          "creator_handle": c["handle"], "fee_cents": rnd.choice([15000, 25000, 40000, 75000])}
         for c in creators for v in c["videos"]]
print(f"\\set posts {q(json.dumps(posts))}")
print(f"\\set handles {q(json.dumps([c['handle'] for c in creators]))}")
PY
else
	say "connecting the creators listed in $TIKTRACK_CREATORS_FILE"
	/usr/bin/python3 - "$TIKTRACK_CREATORS_FILE" "${TIKTRACK_POSTS_FILE:-}" >"$sqlfile" <<'PY'
import json, sys
q = lambda s: "'" + s.replace("'", "''") + "'"
print("\\set ON_ERROR_STOP 1")
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) >= 3 and not parts[0].startswith("#"):
        print(f"SELECT tiktrack.connect_creator({q(parts[1])}, {q(parts[2])}, 86400, 31536000, {q(parts[0])});")
posts = [{"url": l.strip()} for l in open(sys.argv[2])] if sys.argv[2] else []
print(f"\\set posts {q(json.dumps(posts))}")
print("\\set handles '[]'")
PY
fi
chmod a+r "$sqlfile"

have_kpi=$("${psql[@]}" -At -c "SELECT count(*) FROM pg_proc WHERE proname = 'add_posts' AND pronamespace = 'tiktrack'::regnamespace")
cat >>"$sqlfile" <<'SQL'
SELECT tiktrack.wake_worker_on_commit();
SQL
if [ "$have_kpi" != 0 ]; then
	cat >>"$sqlfile" <<'SQL'
\set QUIET 1
SELECT tiktrack.create_campaign('Demo launch', 'USD', agency_fee_cents => 500000,
								budget_cents => 5000000) AS campaign \gset
SELECT count(*) FILTER (WHERE status <> 'rejected') AS added FROM tiktrack.add_posts(:campaign, :'posts'::jsonb) \gset
-- Sales attributed to two creators in three (40 orders of $20 to $110
-- each), so that ROI and ROAS look like a campaign that paid off.
SELECT count(tiktrack.record_conversion(:campaign, h, 2000 + (abs(hashtext(h || g)) % 9000), now() - g * interval '1 hour',
										'order-' || h || '-' || g))
FROM jsonb_array_elements_text(:'handles'::jsonb) h, generate_series(1, 40) g
WHERE abs(hashtext(h)) % 3 <> 0;
SQL
else
	# Before the campaign functions exist: plain rows.
	cat >>"$sqlfile" <<'SQL'
INSERT INTO tiktrack.campaigns (name, currency, agency_fee_cents, budget_cents)
	VALUES ('Demo launch', 'USD', 500000, 5000000);
INSERT INTO tiktrack.campaign_posts (campaign_id, video_id, creator_id, fee_cents)
SELECT 1, tiktrack.track(p ->> 'url', '30 days'), c.id, (p ->> 'fee_cents')::bigint
FROM jsonb_array_elements(:'posts'::jsonb) p
JOIN tiktrack.creators c ON c.handle = p ->> 'creator_handle';
SQL
fi
"${psql[@]}" -f "$sqlfile" >/dev/null
nposts=$("${psql[@]}" -At -c "SELECT count(*) FROM tiktrack.campaign_posts")
say "campaign 'Demo launch' created with $nposts posts; the background worker fetches them now"

# ---- live progress ----
deadline=$((SECONDS + 120))
while :; do
	line=$("${psql[@]}" -At -F ' ' -c "
		SELECT (SELECT count(DISTINCT s.video_id) FROM tiktrack.latest_snapshots s
				JOIN tiktrack.campaign_posts p ON p.video_id = s.video_id),
			   (SELECT count(*) FROM tiktrack.snapshots),
			   (SELECT coalesce(sum(views), 0) FROM tiktrack.latest_snapshots),
			   w.requests_last_minute, w.state,
			   (SELECT count(*) FROM tiktrack.creator_stats)
		FROM tiktrack.worker_status w")
	read -r done snaps views reqs state cstats <<<"$line"
	printf '\r  posts with data %3s/%s | snapshots %5s | creator stats %3s | views %12s | requests/min %4s | worker: %-12s' \
		"$done" "$nposts" "$snaps" "$cstats" "$views" "$reqs" "$state"
	if [ "$done" -ge "$nposts" ] && [ "$snaps" -ge $((2 * nposts)) ]; then
		break
	fi
	if [ $SECONDS -ge $deadline ]; then
		echo
		say "still filling in after 2 minutes; see tiktrack.worker_status and tiktrack.videos.last_error"
		break
	fi
	sleep 1
done
echo

# ---- KPIs ----
if [ "$have_kpi" != 0 ]; then
	# Money is stored in minor units of the campaign's currency; shown here
	# in currency units, divided by 10^minor_units of tiktrack.currencies.
	money="SELECT k.id AS campaign, k.currency, power(10::numeric, cur.minor_units) AS unit
		FROM tiktrack.campaigns k JOIN tiktrack.currencies cur ON cur.code = k.currency
		WHERE k.name = 'Demo launch' \\gset"
	say "campaign KPIs (tiktrack.campaign_metrics), money in currency units"
	"${psql[@]}" -P pager=off -x <<SQL
$money
SELECT currency, round(spend_cents / :unit, 2) AS spend, round(gmv_cents / :unit, 2) AS gmv,
	   round(roi::numeric, 3) AS roi, round(roas::numeric, 3) AS roas,
	   round((cpm_cents / :unit)::numeric, 2) AS cpm, round((cpv_cents / :unit)::numeric, 4) AS cpv,
	   total_views, total_engagement, round(engagement_rate::numeric, 4) AS engagement_rate,
	   posts_published, posts_pending, top_hashtags
FROM tiktrack.campaign_metrics(:campaign);
SQL
	say "top posts (tiktrack.campaign_posts), fee and CPM in currency units"
	"${psql[@]}" -P pager=off <<SQL
$money
SELECT creator_handle, video_id, views, likes, round(engagement_rate::numeric, 4) AS engagement_rate,
	   round(fee_cents / :unit, 2) AS fee, round((cpm_cents / :unit)::numeric, 2) AS cpm, views_trend
FROM tiktrack.campaign_posts(:campaign) ORDER BY views DESC NULLS LAST LIMIT 5;
SQL
	say "top creators (tiktrack.campaign_creators), fees and GMV in currency units"
	"${psql[@]}" -P pager=off <<SQL
$money
SELECT creator_handle, posts, views, engagement, round(creator_fee_cents / :unit, 2) AS fees,
	   round(gmv_cents / :unit, 2) AS gmv, round(roi::numeric, 3) AS roi
FROM tiktrack.campaign_creators(:campaign) ORDER BY views DESC NULLS LAST LIMIT 5;
SQL
	say "pictures: SVG charts (tiktrack.campaign_chart_svg, tiktrack.chart_svg)"
	"${psql[@]}" -At -c "SELECT tiktrack.campaign_chart_svg(k.id) FROM tiktrack.campaigns k WHERE k.name = 'Demo launch'" \
		>"$run/demo_campaign_views.svg"
	"${psql[@]}" -At -c "
		SELECT tiktrack.chart_svg(array_agg(p.video_id ORDER BY p.views DESC NULLS LAST))
		FROM (SELECT s.video_id, s.views FROM tiktrack.campaign_post_stats s
			  JOIN tiktrack.campaigns k ON k.id = s.campaign_id
			  WHERE k.name = 'Demo launch' ORDER BY s.views DESC NULLS LAST LIMIT 5) p" \
		>"$run/demo_top_posts_views.svg"
	echo "  the campaign's views over time:  $run/demo_campaign_views.svg"
	echo "  its 5 most viewed posts:         $run/demo_top_posts_views.svg"
	echo "  (open them in a browser)"
else
	say "campaign totals"
	"${psql[@]}" -P pager=off -c "
		SELECT count(*) AS posts, sum(l.views) AS views, sum(l.likes) AS likes,
			   (sum(p.fee_cents) / 100.0)::numeric(14,2) AS creator_fees
		FROM tiktrack.campaign_posts p LEFT JOIN tiktrack.latest_snapshots l USING (video_id)"
	say "top posts"
	"${psql[@]}" -P pager=off -c "
		SELECT c.handle, p.video_id, l.views, l.likes, (p.fee_cents / 100.0)::numeric(12,2) AS fee
		FROM tiktrack.campaign_posts p JOIN tiktrack.creators c ON c.id = p.creator_id
		LEFT JOIN tiktrack.latest_snapshots l USING (video_id)
		ORDER BY l.views DESC NULLS LAST LIMIT 5"
fi
say "the worker (tiktrack.worker_status)"
"${psql[@]}" -P pager=off -x -c "SELECT * FROM tiktrack.worker_status"
# rate_limit_waits looks alarming on a healthy demo: explain it.
"${psql[@]}" -At -F ' ' -c "
	SELECT coalesce(w.rate_limit_waits_last_hour, 0),
		   (SELECT coalesce(sum(r.throttles), 0) FROM tiktrack.rate_limits() r),
		   (SELECT string_agg(r.limiter || ' ' || r.limits, '; ' ORDER BY r.limiter)
			FROM tiktrack.rate_limits() r WHERE r.waits > 0)
	FROM tiktrack.worker_status w" | {
	read -r waits throttles limits || true
	if [ "${waits:-0}" -gt 0 ]; then
		echo "  rate_limit_waits_last_hour = $waits: not an error. The worker paces itself to stay"
		echo "  within tiktrack's own request budget per API and endpoint (tiktrack.rate_limits(),"
		echo "  set by tiktrack.display_requests_per_minute and tiktrack.business_requests_per_*),"
		echo "  and the demo makes ~100 posts due together every 10 s, so fetches queue for the"
		echo "  budget (waited on: ${limits:-none}). TikTok throttled us $throttles times;"
		echo "  errors_last_hour and rate_limited_until are what signal trouble."
	fi
}

say "the server keeps running; explore with:"
echo "    psql \"host=$run port=$port dbname=postgres user=postgres\""
[ "$(id -u)" -eq 0 ] && echo "    (as root: runuser -u postgres -- psql \"host=$run port=$port dbname=postgres user=postgres\")"
echo "    then follow README.md's tour (it uses this demo's creators, posts and short link)"
echo "stop and remove it with: make demo-stop"
