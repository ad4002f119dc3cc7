#!/usr/bin/env bash
# The README's test command (`npm test`). Two phases:
#   1. every *.test.ts but the lab and deploy tests, two files at a time (tap's config in
#      package.json);
#   2. the *.lab.test.ts files and test/deploys/ one at a time: a lab builds a multi-host
#      lab (network namespaces, one dockerd per host, sshd), and two labs starting dockerds
#      at once on two cores crowd each other out; a deploy test counts failed requests under
#      200+ requests/s through the ambassador while a rollout runs, and a second suite
#      sharing the two cores would make its backends miss health checks that no Dokkaa
#      behaviour failed.
# Ends with one combined tap-style closing line, "# { total: N, pass: N, fail: N }",
# and exits non-zero if either phase failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=$(mktemp /tmp/dokkaa-tests.XXXXXX)
trap 'rm -f "$out"' EXIT

npx tap --exclude='**/*.lab.test.ts' --exclude='test/deploys/**' "$@" 2>&1 | tee -a "$out"
first=${PIPESTATUS[0]}
npx tap --jobs=1 --include='**/*.lab.test.ts' --include='test/deploys/*.test.ts' "$@" 2>&1 | tee -a "$out"
second=${PIPESTATUS[0]}

# Sum the two closing lines ("# { total: 41, pass: 38, fail: 1, skip: 1 }").
# -a: a test may print a control character, and grep would then call the log binary and print nothing.
grep -aE '^# \{ total: [0-9]+' "$out" | awk '
  { for (i = 1; i <= NF; i++) { k = $i; gsub(/[{:,]/, "", k); v = $(i + 1); gsub(/[,}]/, "", v)
      if (k == "total" || k == "pass" || k == "fail" || k == "skip" || k == "todo") sum[k] += v } }
  END { printf "# { total: %d, pass: %d, fail: %d, skip: %d, todo: %d }\n", sum["total"], sum["pass"], sum["fail"], sum["skip"], sum["todo"] }'
((first == 0 && second == 0))
