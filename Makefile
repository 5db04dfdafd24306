# The two commands of the README:
#   make dev    set everything up and run Karvdash on the embedded dev cluster
#   make test   set everything up and run every check and test (what CI runs)
.PHONY: setup dev test lint unit

setup:
	bash scripts/setup.sh

dev: setup
	.venv/bin/karvdash dev

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

test: setup lint
	.venv/bin/python -m pytest
