# The two README commands. Both create/use .venv with the python3 of the machine.
.PHONY: run test

run:
	./scripts/run.sh

test:
	./scripts/test.sh $(ARGS)
