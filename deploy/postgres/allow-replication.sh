#!/bin/sh
# Run once by the postgres image when the primary's volume is first created: lets the
# `replica` service (docker compose --profile scale) stream from it with the site's
# user (a superuser in this image, so it may replicate), by password.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
