# The two commands of the README:
#   make run    set everything up, ingest the sample articles, launch the app
#   make test   set everything up, run the tests
.PHONY: run test setup setup-dev bench

# quiet once set up: the app's own lines only (nothing to install, the samples already stored)
run: setup
	@.venv/bin/python ingest.py --quiet --only-changes data/samples
	@.venv/bin/python app.py

# the fast tests on both cores (scripted models: nothing spins), then those with the real models one at a time
# (llama.cpp's threads spin: two at once slow each 3-8x)
test: setup-dev
	.venv/bin/python -m pytest -m "not slow" -n 2
	.venv/bin/python -m pytest -m slow

setup:
	@scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev

bench: setup-dev
	.venv/bin/python bench/ingest.py
