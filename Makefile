# Two commands for a newcomer: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint fmt typecheck pytest simulator bench chaos clean i18n container-check \
	screenshots

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Three workers, each taking whole modules (they share one fake Telegram and simulator per
# module): the end-to-end tests spend much of their time waiting on sockets and bot processes,
# so on two cores three side by side finish first (2 workers: 189 s, 3: 161 s, 4: 172 s).
pytest: $(STAMP)
	$(VENV)/bin/pytest -n 3 --dist loadfile

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

simulator: $(STAMP)
	$(PY) -m simulators.panel --port 8800 --key demo

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# The Dockerfile's install, start, HEALTHCHECK and stop, run in a fresh virtualenv (~40 s;
# images cannot be pulled here). tests/test_container.py.
container-check: $(STAMP)
	$(VENV)/bin/pytest -m container

# The Mini App's main screens, light and dark, on a 360 px phone: docs/screenshots/*.png
# (tests/screenshots.py; needs Chromium: apt-get install chromium fonts-noto-color-emoji).
screenshots: $(STAMP)
	$(PY) -m tests.screenshots

# Races, kill -9, SIGTERM, panel and Telegram faults, fuzz: the real bot process, full sizes.
# Small sizes run in `make test` (tests/test_chaos.py). Replay a run: $(PY) -m chaos --seed N.
chaos: $(STAMP)
	$(PY) -m chaos --full

# Texts -> shop/locales/messages.pot -> each language's messages.po (created when missing).
# The app compiles the .po files in memory at start-up; no .mo file is kept.
# A new language: `make i18n ADD=de`, then translate shop/locales/de/LC_MESSAGES/messages.po.
LOCALES := shop/locales
LANGUAGES := $(sort en $(patsubst $(LOCALES)/%/LC_MESSAGES/messages.po,%,$(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)) $(ADD))

i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k ngettext:1,2 -k __ -k N_ \
		--add-comments=TRANSLATORS: --add-location=file --sort-by-file --no-wrap \
		--project=smm-shop-bot -o $(LOCALES)/messages.pot bot handlers miniapp shop
	for lang in $(LANGUAGES); do \
		$(VENV)/bin/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang \
			--init-missing --no-wrap --ignore-pot-creation-date || exit 1; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
