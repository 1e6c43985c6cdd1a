# Local state: MariaDB (the RDS MySQL stand-in) and Redis (ElastiCache, and Celery's broker here:
# there is no SQS stand-in) on 127.0.0.1, from Debian's packages, installed when root.
.PHONY: local-db local-db-stop integration-state

# Migrated and loaded with www's fixtures; prints the variables that point www at it. Idempotent.
local-db: venv
	tools/local-db fixtures

local-db-stop:
	tools/local-db stop

# Its own MariaDB and Redis on free ports: www's migrations, a play through MySQL and Redis, and
# the Celery worker tallying it, all in the www image.
integration-state: venv images
	$(BIN)/python -m pytest tests/integration/state -q

INTEGRATION_TARGETS += integration-state
