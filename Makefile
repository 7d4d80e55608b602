# faxgate — the two commands: `make run` and `make test`.
SHELL := /bin/bash
NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(if $(NODE_BIN),$(NODE_BIN):)$(CURDIR)/node_modules/.bin:$(PATH)

TEST_FILES := 'libs/*/src/**/*.test.ts' 'libs/*/test/**/*.test.ts' 'services/*/src/**/*.test.ts' 'services/*/test/**/*.test.ts'
# Most integration tests wait on real time (fax calls over T.38, SIP audio and modems, retries),
# not on the CPU: six files at once took 725 s against 903 s at four on a 2-core machine, all
# passing. With the suite grown to 5,700 s of test files (clean run 2026-12-06, 1,347 tests),
# six at once took 1,073 s: eight, longest first (test/run-tests.ts), bring the bound to ~710 s.
TEST_CONCURRENCY ?= 8

.PHONY: run test typecheck unit bench chaos setup-run setup-test

run: setup-run
	scripts/run-single-machine.sh

# A hung test fails after 2 minutes with its evidence; the tests that carry real-time fax calls
# set their own, longer timeouts beside a comment saying why. Each test file is ended once its
# tests are done (node's forceExit): a failed test that leaves a server or socket open must not
# keep its file (and the whole run) waiting for ever; test/flush-before-force-exit.ts makes that
# exit wait for the file's last results to reach the runner, which otherwise drops some
# (nodejs/node#64833). test/run-tests.ts is node's own runner with the longest files started
# first (times in test/durations.json; `make test TEST_RECORD=1` measures them again).
TEST_TIMEOUT_MS ?= 120000

test: setup-test typecheck
	node test/run-tests.ts --concurrency=$(TEST_CONCURRENCY) --timeout=$(TEST_TIMEOUT_MS) $(if $(TEST_RECORD),--record) $(TEST_FILES)

typecheck:
	tsc -p tsconfig.json

bench: setup-test
	node bench/run.ts

# Issue 17's long chaos run: 1,000 faxes while every role and Redis are killed at random.
chaos: setup-test
	node bench/chaos.ts

# Issue 19: docker/Dockerfile built with buildah on a debootstrapped bookworm base, then the
# built image runs the gateway as user 10001 with /app read-only and a mail is faxed through it
# (scripts/image-check.sh; docs/kubernetes.md). Needs root; CI runs it after the tests.
.PHONY: image-check
image-check:
	@scripts/setup.sh image-check
	scripts/image-check.sh

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test
