# The two commands of the README:
#   make dev    set everything up and run Karvdash on the embedded dev cluster
#   make test   set everything up and run every check and test (what CI runs)
.PHONY: setup dev test lint unit

setup:
	bash scripts/setup.sh

dev: setup
	.venv/bin/karvdash dev

# jlpm comes with JupyterLab in .venv
JLPM = cd labextension && PATH="$(CURDIR)/.venv/bin:$$PATH" jlpm

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	$(JLPM) lint

test: setup lint
	$(JLPM) test
	.venv/bin/python -m pytest
