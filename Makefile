# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: venv demo test bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/suiqian migrate --noinput -v0
	$(BIN)/suiqian divisions load
	$(BIN)/suiqian seed load
	$(BIN)/suiqian collectstatic --noinput -v0
	$(BIN)/suiqian demo data
	$(BIN)/suiqian demo users
	@echo "平台地址：http://127.0.0.1:8000 （Ctrl-C 停止；后台任务进程随之停止）"
	$(BIN)/suiqian worker -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/suiqian runserver 127.0.0.1:8000

test: venv
	$(BIN)/pytest

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/suiqian.sqlite3* var/static
