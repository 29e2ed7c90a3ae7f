# Colibri: `make run` starts the assistant, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv/bin
RASA := SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore::DeprecationWarning $(VENV)/rasa

.PHONY: help venv db train run test lint validate pytest browser web-assets test-core test-nlu lock clean bench bench-nlu inbox kpi run-prod nginx retention erase docker-compose bench-load

help:
	@echo "make run    start the assistant (chat page on http://localhost:8080)"
	@echo "make run-prod  the production configuration here: PostgreSQL, Redis, RabbitMQ, 2 Rasa + 2 action servers behind nginx (docs/deploy.md)"
	@echo "make test   lint, validate the data, train, run every test"
	@echo "make train  train the model if the data or config changed"
	@echo "make inbox  export the messages Colibri missed (tracker store) to results/inbox/nlu_inbox.yml"
	@echo "make kpi    KPIs for managers, printed and as CSV in results/kpi/ (KPI_ARGS=\"--from 2026-11-01 --to 2026-11-30 --channel socketio\")"
	@echo "make retention  forget conversations older than RETENTION_DAYS (default 365); RETENTION_ARGS=\"--days 180 --dry-run\""
	@echo "make erase      erase a customer's data: ERASE_ARGS=\"--email x@example.fr\" or \"--conversation ID\" (docs/privacy.md)"
	@echo "make bench  every benchmark (bench-nlu, bench-load), figures in results/bench/"
	@echo "make bench-load  load: Colibri on 1 and 2 Rasa servers vs Rasa's starter bot (~25 min, docs/performance.md)"
	@echo "make bench-nlu  NLU on the held-out file: ours vs Rasa's default vs TF-IDF, 5-fold CV (~40 min)"

venv:
	@scripts/bootstrap.sh

db: venv
	@$(VENV)/python -m actions.seed --reset-if-outdated

train: venv
	@echo "==> Training (skipped by Rasa when data and config are unchanged)"
	@$(RASA) train --num-threads 2

run: venv db train web-assets
	@scripts/run.sh

# Production configuration on this machine (docs/deploy.md): variables from the environment,
# else deploy/production.env, else this machine's PostgreSQL, Redis and RabbitMQ.
run-prod: venv nginx train web-assets
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 $(VENV)/python -m production

# Debian's nginx, the load balancer of `make run-prod` and of its tests.
nginx:
	@if ! command -v nginx > /dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  echo "==> Installing Debian's nginx-light"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends nginx-light \
	    || { apt-get update && apt-get install -y --no-install-recommends nginx-light; }; \
	fi

# Debian's docker-compose 1.29 (no Docker daemon needed): tests/deploy runs `docker-compose config`.
docker-compose:
	@if ! command -v docker-compose > /dev/null; then \
	  echo "==> Installing Debian's docker-compose"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends docker-compose \
	    || { apt-get update && apt-get install -y --no-install-recommends docker-compose; }; \
	fi

inbox: venv
	@echo "==> What Colibri missed, masked, for the trainers (docs/nlu.md)"
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 $(VENV)/python -m trainers.inbox

# KPI_ARGS: --from AAAA-MM-JJ --to AAAA-MM-JJ --channel rest|socketio|facebook --tracker-url URL (docs/kpi.md)
kpi: venv
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 $(VENV)/python -m kpi $(KPI_ARGS)

# RETENTION_ARGS: --days N --dry-run --tracker-url URL (docs/privacy.md)
retention: venv
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 $(VENV)/python -m privacy retention $(RETENTION_ARGS)

# ERASE_ARGS: --email ADDRESS / --conversation SENDER_ID (repeatable), --dry-run (docs/privacy.md)
erase: venv
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 $(VENV)/python -m privacy erase $(ERASE_ARGS)

lint: venv
	@echo "==> ruff"
	@$(VENV)/ruff check .

validate: venv
	@echo "==> rasa data validate (strict)"
	@$(VENV)/python scripts/validate_data.py

# Debian's Chromium (/usr/bin/chromium) for the browser tests; Playwright drives it, never downloads one.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "==> Installing Debian's chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium chromium-driver \
	    || { apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; }; \
	fi

# The chat widget's socket.io client (package.json / package-lock.json), served from web/vendor/.
web-assets:
	@echo "==> npm ci: socket.io client for the chat widget (web/vendor/)"
	@npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p web/vendor
	@cp node_modules/socket.io-client/dist/socket.io.min.js web/vendor/socket.io.min.js

pytest: venv browser nginx docker-compose web-assets
	@echo "==> pytest (actions, carrier, web page, end-to-end)"
	@$(VENV)/python -m pytest

test-core: venv
	@echo "==> rasa test: test stories"
	@$(RASA) test core --stories tests/stories --out results/core --fail-on-prediction-errors

test-nlu: venv
	@echo "==> rasa test nlu: held-out examples"
	@$(RASA) test nlu --nlu tests/nlu/heldout.yml --out results/nlu
	@$(VENV)/python scripts/nlu_floor.py results/nlu/intent_report.json

test: lint validate train pytest test-core test-nlu
	@echo "==> all tests passed"

bench-nlu: venv
	@echo "==> NLU benchmark (BENCH_FOLDS=$${BENCH_FOLDS:-5} cross-validation folds)"
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore::DeprecationWarning \
	  $(VENV)/python -m bench.nlu

# BENCH_LOAD_ARGS: --customers 20 --interval 2 --duration 60 --targets one,two,starter (docs/performance.md)
bench-load: venv nginx train
	@echo "==> Load benchmark: Colibri on 1 and 2 Rasa servers, Rasa's starter bot"
	@SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore::DeprecationWarning \
	  $(VENV)/python -m bench.load --max-rate $(BENCH_LOAD_ARGS)

bench: bench-nlu bench-load

lock: venv
	@{ echo "# Exact versions of every package, as tested (pip freeze). Regenerate with 'make lock'."; \
	  $(VENV)/pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf models results .pytest_cache .ruff_cache
