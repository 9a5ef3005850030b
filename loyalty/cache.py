"""Django's Redis cache, with one Redis client object per cache instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around its
connection pool for every cache call; a client is thread-safe and cheap to keep, so it
is built once. The connection pool is Django's, as before."""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClientCacheClient

    @property
    def client(self) -> Any:
        """The `redis.Redis` client for commands the cache API has no word for."""
        return self._cache.get_client(write=True)
