# The two README commands (and `make dev`). They create/use .venv with the python3 of the machine.
.PHONY: run test dev

run:
	./scripts/run.sh

test:
	./scripts/test.sh $(ARGS)

dev:
	./scripts/dev.sh
