"""Alembic migrations of the store's schema (bot/store/schema.py); run them with `trolyso db upgrade`
(bot/store/migrate.py builds the Alembic configuration in code: there is no alembic.ini)."""
