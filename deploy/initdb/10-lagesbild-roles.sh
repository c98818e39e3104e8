#!/bin/sh
# Runs once, when the database volume is first initialised (postgres image,
# /docker-entrypoint-initdb.d). The service's own role needs a password to log in
# over TCP; the migrations create the owner role (and this one, were it missing).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$LAGESBILD_DB_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE lagesbild_service LOGIN PASSWORD :'pw';
SQL
