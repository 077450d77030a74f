"""Sessions kept in the database, read through the "sessions" cache (its own Redis database).

Django's ``cached_db`` engine names the cache entry after the session key, so anyone who
can list the keys in Redis could read session ids and sign in as their owners. Here the
entry is named after a keyed hash of the session key instead (HMAC under ``SECRET_KEY``):
the name finds the entry, but does not give the cookie back.

The database stays the record: losing the cache (a Redis restart, a rotated
``SECRET_KEY``, a value that fails its signature) only costs a query.
"""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.utils.crypto import salted_hmac

KEY_SALT = "coordination.sessions.SessionStore"


class SessionStore(CachedDBStore):
    cache_key_prefix = "session:"

    def _cache_key_of(self, session_key):
        digest = salted_hmac(KEY_SALT, session_key, algorithm="sha256").hexdigest()
        return self.cache_key_prefix + digest

    @property
    def cache_key(self):
        return self._cache_key_of(self._get_or_create_session_key())

    async def acache_key(self):
        return self._cache_key_of(await self._aget_or_create_session_key())

    # Django's own versions of the four below build the key from the bare session key.
    def exists(self, session_key):
        return bool(session_key) and (
            self._cache_key_of(session_key) in self._cache
            or super(CachedDBStore, self).exists(session_key)
        )

    async def aexists(self, session_key):
        return bool(session_key) and (
            await self._cache.ahas_key(self._cache_key_of(session_key))
            or await super(CachedDBStore, self).aexists(session_key)
        )

    def delete(self, session_key=None):
        super(CachedDBStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache.delete(self._cache_key_of(session_key))

    async def adelete(self, session_key=None):
        await super(CachedDBStore, self).adelete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self._cache.adelete(self._cache_key_of(session_key))
