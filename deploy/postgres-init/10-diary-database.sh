#!/bin/sh
# Run once by the postgres image on an empty data volume: the diary (notes) gets
# its own database beside Rasa's tracker store (POSTGRES_DB).
set -eu
if [ -n "${DIARY_DB_NAME:-}" ] && [ "${DIARY_DB_NAME}" != "${POSTGRES_DB}" ]; then
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB}" \
    -c "CREATE DATABASE \"${DIARY_DB_NAME}\""
fi
