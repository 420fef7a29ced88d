# 112 Dispatch Bridge. `make run` and `make test` bootstrap everything they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SYS_PACKAGES := mumble-server espeak-ng sox libopus0 ffmpeg openssl
# Only for the console's browser test (make test): Debian's browser, driven by Playwright, and emoji.
TEST_PACKAGES := chromium fonts-noto-color-emoji postgresql

.PHONY: run test bench chaos lint sysdeps testdeps venv clean

$(VENV)/.stamp: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $@

venv: $(VENV)/.stamp

sysdeps:
	@missing=""; \
	command -v murmurd >/dev/null 2>&1 || [ -x /usr/sbin/murmurd ] || missing="$$missing mumble-server"; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null 2>&1 || missing="$$missing sox"; \
	command -v ffmpeg >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	ldconfig -p 2>/dev/null | grep -q 'libopus.so.0' || missing="$$missing libopus0"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYS_PACKAGES) >/dev/null; \
	fi

testdeps: sysdeps
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PACKAGES) >/dev/null; \
	fi

run: venv sysdeps
	$(PY) run.py

test: venv testdeps
	$(PY) -m tests.suites

bench: venv testdeps
	$(PY) -m tests.bench

chaos: venv sysdeps
	CHAOS_KILLS=50 CHAOS_OUTAGE=60 $(PY) -m pytest -q tests/test_faults.py tests/test_e2e_hostile.py

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy routing bot web

clean:
	rm -rf $(VENV) var
