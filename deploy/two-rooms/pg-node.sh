#!/bin/sh
# One pg_auto_failover process: the monitor (ROLE=monitor) or a data node (ROLE=node, NAME
# its site), created on the first start, then run; its keeper restarts PostgreSQL and follows
# the monitor's orders (promotion, rejoining as standby with pg_rewind).
set -eu
if [ ! -f "$PGDATA/postgresql.conf" ]; then
  if [ "$ROLE" = monitor ]; then
    pg_autoctl create monitor --pgdata "$PGDATA" --pgport 5432 --hostname "$HOSTNAME_PUBLIC" \
      --auth "${AUTH:-scram-sha-256}" --ssl-self-signed
    # Two rooms on one campus network: a silent primary is given up on in seconds, not in
    # the WAN defaults' 20 + 30 s (README, "Two rooms").
    pg_autoctl run --pgdata "$PGDATA" & keeper=$!
    until psql -d pg_auto_failover -c 'select 1' >/dev/null 2>&1; do sleep 1; done
    psql -d pg_auto_failover -v ON_ERROR_STOP=1 <<'SQL'
ALTER SYSTEM SET pgautofailover.health_check_period = 1000;
ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000;
ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1;
ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500;
ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 2000;
ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 2000;
SELECT pg_reload_conf();
SQL
    wait "$keeper"
    exit
  fi
  pg_autoctl create postgres --pgdata "$PGDATA" --pgport 5432 --hostname "$HOSTNAME_PUBLIC" \
    --name "$NAME" --monitor "$MONITOR_URL" --dbname ondijon --auth "${AUTH:-scram-sha-256}" \
    --ssl-self-signed
  pg_autoctl config set --pgdata "$PGDATA" timeout.prepare_promotion_walreceiver 1
fi
exec pg_autoctl run --pgdata "$PGDATA"
