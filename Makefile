# The two commands of the README:
#   make run    set everything up, ingest the sample articles, launch the app
#   make test   set everything up, run the tests
.PHONY: run test setup setup-dev bench

# quiet once set up: the app's own lines only (nothing to install, the samples already stored)
run: setup
	@.venv/bin/python ingest.py --quiet --only-changes data/samples
	@.venv/bin/python app.py

test: setup-dev
	.venv/bin/python -m pytest

setup:
	@scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev

bench: setup-dev
	.venv/bin/python bench/ingest.py
