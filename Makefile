# Bulwark's two entry points, each setting up what it needs on a fresh machine:
#   make demo   runs the end-to-end demo on a local anvil, then the fraud scenario and its replay page
#   make test   runs every test: forge (unit, fuzz, vectors) and cargo (engine, e2e on anvil and Hardhat's node)

NPM_STAMP := node_modules/.installed
ARTIFACTS := out/Rollup.sol/Rollup.json
SOL_SOURCES := $(shell find contracts script -name '*.sol' 2>/dev/null)
CARGO ?= cargo

.PHONY: demo test test-forge test-cargo lint build browser bench gas clean

demo: build
	$(CARGO) run -p bulwark -- demo
	@echo
	@echo "== an auditor's view: the fraud scenario file, and its game replayed as a page (docs/SCENARIOS.md) =="
	$(CARGO) run -q -p bulwark -- scenario run scenarios/fraud-challenge.toml --record target/replay/fraud-challenge.json
	$(CARGO) run -q -p bulwark -- dispute replay --record target/replay/fraud-challenge.json --html target/replay/fraud-challenge.html

test: test-forge test-cargo

test-forge: $(NPM_STAMP)
	npx forge test

test-cargo: build browser
	$(CARGO) test --workspace

# The dispute replay's HTML page is opened in headless Chromium by its test (Debian's package).
browser:
	tools/install-chromium.sh

# Formatting and lints, as CI runs them: rustfmt (rustfmt.toml), clippy with warnings denied, forge fmt.
lint: build
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	npx forge fmt --check

build: $(ARTIFACTS)

bench: build
	$(CARGO) bench -p bulwark-engine
	$(CARGO) bench -p bulwark-actors --bench system

# forge's gas snapshot, then every figure from receipts on anvil (transfers per commit, the happy path,
# the escape hatch, whole dispute games at T = 16, 256, 1,024), printed and written to target/gas.json;
# fails if a transaction reaches 2^24 gas or a figure misses its target.
gas: build
	npx forge snapshot
	$(CARGO) run -p bulwark -- gas --json target/gas.json

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ARTIFACTS): $(NPM_STAMP) $(SOL_SOURCES) foundry.toml
	npx forge build
	touch $@

clean:
	rm -rf out cache target
