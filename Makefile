.PHONY: run test bench lint format lab-up lab-down lab-status

run:
	@deploy/dev/run

test:
	@deploy/dev/test

bench:
	@deploy/dev/bench

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

lab-up:
	@deploy/lab/up

lab-down:
	@deploy/lab/down

lab-status:
	@deploy/lab/status
