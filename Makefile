# Two commands matter: `make run` and `make test`. The rest are steps they use.
SHELL := /bin/bash
APP := .venv/app/bin/python
RASA := ../.venv/bot/bin/rasa
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
# SCALED=1: the back-office chores below act on `make run-scaled`'s PostgreSQL (while it runs).
DB_ENV = $(if $(SCALED),DATABASE_URL="$$($(APP) -m app.cli.scaled database-url)" )

.PHONY: setup test-setup run run-scaled test lint typecheck train validate reset bench nlu-compare soak soak-lifecycle verify-audit kill-switch-on kill-switch-off staff-add

setup:  ## create both environments (idempotent)
	@bash scripts/setup.sh

test-setup: setup  ## what only the tests need: Debian's chromium, npm dev packages, the injection corpus (idempotent)
	@bash scripts/setup-test.sh

train: setup  ## train the Rasa model unless the cached one matches data, config and Rasa version
	@$(APP) -m app.cli.train_model

validate: setup  ## Rasa's own data checks, warnings included
	@cd bot && $(RASA) data validate --fail-on-warnings --quiet

run: setup  ## migrate, seed, train if needed, then start Rasa, the action server and the web app (BSS=tmf: against the TMF reference BSS over HTTP)
	@$(APP) -m app.cli.run

run-scaled: setup  ## the same, scaled out on the same ports: PostgreSQL, Redis, nginx, two replicas each of Rasa, the action server and the web app
	@bash scripts/setup-test.sh --servers-only
	@$(APP) -m app.cli.run_scaled

reset: setup  ## restore the demo back office (and the TMF reference BSS, if used) to the seed; claims, notes, console sessions and the webhook outbox go too (SCALED=1: make run-scaled's)
	@$(DB_ENV)$(APP) -m app.cli.db reset

verify-audit: setup  ## check the hash chain of decisions and transitions; exit 1 at a break
	@$(DB_ENV)$(APP) -m app.cli.audit

kill-switch-on: setup  ## pause every bot-applied adjustment (effective immediately; SCALED=1: on make run-scaled)
	@$(DB_ENV)$(APP) -m app.cli.db kill-switch on

kill-switch-off: setup
	@$(DB_ENV)$(APP) -m app.cli.db kill-switch off

staff-add: setup  ## create or re-password a console user of the policy's staff table: make staff-add NAME=alex [DISPLAY="Alex Doe"]
	@test -n "$(NAME)" || { echo 'usage: make staff-add NAME=<user on the policy staff table> [DISPLAY="Full Name"]' >&2; exit 2; }
	@$(DB_ENV)$(APP) -m app.cli.staff add "$(NAME)" $(if $(DISPLAY),--name "$(DISPLAY)")

lint: setup
	@bash scripts/setup-test.sh --npm-only
	@$(APP) -m ruff check .
	@npx --no-install eslint app/web/widget app/web/console/static

typecheck: setup
	@$(APP) -m mypy domain actions app billing_adapters

test: setup test-setup lint typecheck validate train  ## everything CI checks
	@$(APP) -m pytest -p no:cacheprovider tests

bench: setup train  ## a plain `rasa init` bot, the embedded and the scaled stack side by side (~10 min; BENCH_SCALE, BENCH_STACKS); table, then one JSON document last
	@$(if $(findstring scaled,$(or $(BENCH_STACKS),scaled)),bash scripts/setup-test.sh --servers-only)
	@$(APP) -m app.cli.bench

nlu-compare: setup train  ## compare NLU pipelines on the held-out sets (several minutes; not in make test)
	@$(APP) -m app.cli.nlu_compare $(if $(ONLY),--only $(ONLY))

soak: setup train  ## 10 minutes of chat and phone calls with retries on a scaled stack of its own (SOAK_SECONDS); one JSON line last
	@bash scripts/setup-test.sh --servers-only
	@$(APP) -m app.cli.soak

soak-lifecycle: setup  ## the lifecycle property test at 10x the steps of `make test`
	@LIFECYCLE_STEPS_SCALE=10 $(APP) -m pytest -p no:cacheprovider -q tests/integration/test_lifecycle_property.py
