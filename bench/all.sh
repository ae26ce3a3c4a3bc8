#!/usr/bin/env bash
# Every benchmark in turn (numbers printed, nothing asserted). Each script also runs alone with
# its own options, e.g. node dist/bench/snomed.js --concepts 350000.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== engine on a synthetic code system"; node dist/bench/run.js
echo; echo "== imports of Socialstyrelsen's releases"; node dist/bench/imports.js
echo; echo "== Snomed CT scale (synthetic RF2)"; node dist/bench/snomed.js --concepts "${SNOMED_CONCEPTS:-350000}"
echo; echo "== register submission validation"; node dist/bench/submission.js
echo; echo "== scale out: direct vs nginx to two followers, follower synchronisation"; node dist/bench/scaleout.js --concepts "${SNOMED_CONCEPTS:-350000}"
echo; echo "== terminology client caches: inline resources vs a cache vs stored content"; node dist/bench/client-cache.js
