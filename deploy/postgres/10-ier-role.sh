#!/bin/sh
# Runs once, when the Postgres container first creates its data directory: the service's own
# role and database. The role is neither a superuser nor BYPASSRLS (row-level security must
# apply to it); CREATEROLE lets its first migration make the ERO-scope role `ier_ero_scope`
# and grant it to itself. (A stricter setup makes `ier_ero_scope` here and grants it, and
# leaves CREATEROLE out.)
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ier LOGIN PASSWORD '${IER_DB_PASSWORD}' NOSUPERUSER NOBYPASSRLS CREATEROLE;
CREATE DATABASE ier OWNER ier;
SQL
