"""Keeping the Celery worker alive across a broker (Redis) restart.

kombu 5.7's Redis transport releases a lost connection's transport (its `client` becomes
None) before some of its channels are closed: the late close then puts the channel's
unacknowledged messages back through a new connection pool built from that missing client,
and fails with "AttributeError: 'NoneType' object has no attribute 'hostname'" — an error the
worker does not know as a connection loss, so it exits ("Unrecoverable error") instead of
reconnecting (the same failure as celery/kombu#582 and #970, never fixed in the Redis
transport). Until a kombu release fixes it, `keep_workers_alive_on_broker_loss` teaches the
transport two things:

- a channel of a released connection leaves its unacknowledged messages where they are: in
  Redis's unacked index, from which the visibility timeout delivers them again;
- any other use of such a channel is a connection error, which the worker answers by
  reconnecting.
"""

import functools
import logging

logger = logging.getLogger(__name__)


def connection_released(channel) -> bool:
    transport = getattr(channel, "connection", None)
    return transport is None or getattr(transport, "client", None) is None


def keep_workers_alive_on_broker_loss() -> None:
    """Patch kombu's Redis transport once (see the module's note)."""
    from kombu.transport import redis as redis_transport
    from redis.exceptions import ConnectionError as RedisConnectionError

    if getattr(redis_transport.Channel, "_ondijon_guarded", False):
        return
    restore_unacked = redis_transport.QoS.restore_unacked
    connparams = redis_transport.Channel._connparams

    @functools.wraps(restore_unacked)
    def restore_unless_released(self, client=None):
        if client is None and connection_released(self.channel):
            logger.warning(
                "Broker connection gone: %d unacknowledged message(s) left to the broker, "
                "delivered again after the visibility timeout",
                len(self._delivered),
            )
            self._delivered.clear()
            return None
        return restore_unacked(self, client)

    @functools.wraps(connparams)
    def connparams_of_live_connection(self, asynchronous=False):
        if connection_released(self):
            raise RedisConnectionError("the broker connection was closed")
        return connparams(self, asynchronous)

    redis_transport.QoS.restore_unacked = restore_unless_released
    redis_transport.Channel._connparams = connparams_of_live_connection
    redis_transport.Channel._ondijon_guarded = True
