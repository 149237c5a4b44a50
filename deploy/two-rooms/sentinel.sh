#!/bin/sh
# A sentinel of the master `ondijon` (redis-a first); its configuration must be writable
# (a sentinel records the current master and its peers in it): written once, then kept, so
# a restarted sentinel knows the master of now, not the first one.
set -eu
[ -f /data/sentinel.conf ] || cat > /data/sentinel.conf <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor ondijon redis-a 6379 2
sentinel down-after-milliseconds ondijon 2000
sentinel failover-timeout ondijon 10000
sentinel parallel-syncs ondijon 1
CONF
exec redis-sentinel /data/sentinel.conf
