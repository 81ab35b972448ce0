#!/usr/bin/env bash
# The one test command (`make test`): installs dependencies, builds with
# warnings as errors, installs the extension, then runs every suite
# against throwaway servers of its own:
#   pg_regress (sql/ + expected/), isolation (test/isolation/), TAP
#   (test/t/), the simulator's own unit tests, and bounded fuzz runs.
# PostgreSQL refuses to run as root, so as root the suites run as the
# unprivileged "postgres" user in a scratch copy of the tree.
#
# Usage: run-tests.sh [suite ...]   (suites: regress isolation tap simulator
# fuzz; default all).  Installing and testing hold a lock on
# /tmp/tiktrack-install.lock, so several work trees on one machine take
# turns with the one PostgreSQL installation.  With TIKTRACK_PG_ROOT=DIR
# the extension goes instead into a private copy of PostgreSQL's files
# under DIR (made on first use; PostgreSQL's installation is relocatable),
# and the suites run against that copy without the lock, so work trees
# test in parallel.  TAP_ONLY="test/t/010_fetch.pl ..." runs only those
# TAP files.  Before the TAP suite, test/tools/build-citus.sh builds Citus
# (or reuses its cached build) and installs it into the PostgreSQL under
# test, for test/t/090_citus.pl and 091_citus_distribute.pl;
# TIKTRACK_SKIP_CITUS=1 skips them.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(regress isolation tap simulator fuzz)
want() { [[ " ${suites[*]} " == *" $1 "* ]]; }

test/tools/install-deps.sh

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
make -s clean >/dev/null
make -s >/dev/null

pg_config_args=()
if [ -n "${TIKTRACK_PG_ROOT:-}" ]; then
	root=$(realpath -m "$TIKTRACK_PG_ROOT")
	bindir=$(pg_config --bindir)
	sharedir=$(pg_config --sharedir)
	pkglibdir=$(dirname "$bindir")
	if [ ! -x "$root$bindir/postgres" ]; then
		mkdir -p "$root$(dirname "$pkglibdir")" "$root$(dirname "$sharedir")"
		cp -a "$pkglibdir" "$root$(dirname "$pkglibdir")/"
		cp -a "$sharedir" "$root$(dirname "$sharedir")/"
	fi
	make -s install DESTDIR="$root" >/dev/null
	pg_config_args=(PG_CONFIG="$root$bindir/pg_config")
else
	exec 9>/tmp/tiktrack-install.lock
	flock 9
	$SUDO make -s install >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /tmp/tiktrack-test.XXXXXX)
	trap '[ -n "${TIKTRACK_KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
	rsync -a --exclude .git --exclude /test/bench/out "$top/" "$work/"
	chown -R postgres:postgres "$work"
	as_user=(runuser -u postgres --)
else
	work="$top"
	as_user=()
fi

failed=0
suites_passed=0
suites_failed=0
run_suite() {
	local name=$1
	shift
	echo "=== $name ==="
	if (cd "$work" && "${as_user[@]}" "$@"); then
		suites_passed=$((suites_passed + 1))
	else
		suites_failed=$((suites_failed + 1))
		failed=1
		echo "*** $name failed"
		for f in "$work"/regression.diffs "$work"/output_iso/regression.diffs; do
			[ -s "$f" ] && { echo "--- $f"; head -n 200 "$f"; }
		done
		if ls "$work"/tmp_check/log/regress_log_* >/dev/null 2>&1 && [ "$name" = tap ]; then
			for f in "$work"/tmp_check/log/regress_log_*; do
				grep -q "not ok" "$f" && { echo "--- $f (tail)"; tail -n 60 "$f"; }
			done
		fi
	fi
}

# Citus for the TAP suite: built once per machine (about 1.5 minutes on 2
# cores), installed from the cache in a second.
if want tap && [ "${TIKTRACK_SKIP_CITUS:-}" != 1 ] &&
	{ [ -z "${TAP_ONLY:-}" ] || [[ "$TAP_ONLY" == *_citus* ]]; }; then
	echo "=== citus (build or reuse) ==="
	if ! test/tools/build-citus.sh ${TIKTRACK_PG_ROOT:+"$root"}; then
		suites_failed=$((suites_failed + 1))
		failed=1
		echo "*** citus build failed (TIKTRACK_SKIP_CITUS=1 skips Citus)"
	fi
fi

want regress && run_suite regress make -s installcheck-regress "${pg_config_args[@]}"
want isolation && run_suite isolation make -s installcheck-isolation "${pg_config_args[@]}"
tap_args=()
[ -n "${TAP_ONLY:-}" ] && tap_args=(PROVE_TESTS="$TAP_ONLY")
want tap && run_suite tap make -s installcheck-tap "${pg_config_args[@]}" "${tap_args[@]}"
want simulator && run_suite simulator /usr/bin/python3 -m unittest discover -s test/sim -p 'test_*.py'
want fuzz && run_suite fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" test/fuzz/run.sh

echo
echo "suites: $suites_passed passed, $suites_failed failed"
exit $failed
