"""The migrations build the schema the models describe, from zero, on the engine under test."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from queue_app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diffs == []


def test_migrations_run_from_zero(app):
    # The per-test database was created by `upgrade()` from an empty one; it is at the head revision.
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    config = app.extensions["migrate"].migrate.get_config()
    assert current == ScriptDirectory.from_config(config).get_current_head()
    assert isinstance(app.extensions["migrate"].migrate, Migrate)
