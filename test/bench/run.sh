#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other, each on throwaway
# servers of its own; each prints its figures and its ratio against a
# baseline measured in the same run.  Not part of `make test`: together
# they take tens of minutes (10-million-row loads).
#
#   test/bench/run.sh                  all of them
#   test/bench/run.sh aggregates claim only these (names below)
set -euo pipefail
cd "$(dirname "$0")/../.."

all=(aggregates aggregates_instructions attribution caption_tags campaign_metrics claim ingest signals top_values top_values_instructions worker_memory)
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=("${all[@]}")

test/tools/install-deps.sh
if [[ " ${benches[*]} " == *" aggregates_instructions "* ]] && ! command -v valgrind >/dev/null; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi

status=0
for b in "${benches[@]}"; do
	echo
	echo "################ $b ################"
	if ! "test/bench/$b.sh"; then
		echo "*** benchmark $b failed"
		status=1
	fi
done
exit $status
