#!/usr/bin/env bash
# `npm test`: the generated-file check and the rig's binaries first (the tests need both), then lint
# and the type check side by side with vitest — they need the CPU early, while the integration
# files mostly wait on controllers and timers. Fails when any of them failed; vitest's closing line
# (`N passed, N failed, N skipped`) is its last line of output unless lint or the type check failed.
set -uo pipefail
npm run -s verify || exit 1
npm run -s rig:binaries || exit 1
npm run -s lint &
lint=$!
npm run -s typecheck &
types=$!
vitest run "$@"
tests=$?
wait "$lint" || { echo "npm test: lint failed (see above)" >&2; tests=1; }
wait "$types" || { echo "npm test: the type check failed (see above)" >&2; tests=1; }
exit "$tests"
