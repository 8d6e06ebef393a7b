"""The scale-out store: several bot instances share conversations through one Redis.

Layout (all keys are opaque hashes handed in by the adapter):

    tc:conv:<key>   HASH v=version d=JSON u=user, expires by Redis TTL
    tc:user:<user>  SET of tc:conv:* keys, so /forget finds a user's rows without SCAN
    tc:person:<user> STRING JSON the person's record (country, recent completion times), expires by Redis TTL
    tc:chat:<chat>  STRING JSON group settings, no TTL
    tc:seen:<id>    STRING, an update handled (or recorded on arrival), expires after the dedup window
    tc:claim:<id>   STRING, an update a replica is handling, expires with its lease if that replica dies
    tc:reminders    SORTED SET of users with a follow-up, scored by when to send it (run_at: the due
                    time, or when a claim's lease ends, or a retry, all on Redis's clock); no TTL,
                    sending or cancelling removes it
    tc:remind:<user> HASH c=chat id f=flow d=due time k=claim token (empty when unclaimed)
                    s=being sent until (0: not), no TTL

Writes that read-then-write run as Lua scripts, which Redis executes atomically. The
scripts touch keys named inside the data (a user set's members), so they assume a
single Redis (or a primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any, Final

import redis.asyncio as aioredis

from bot.engine.conversation import Conversation
from bot.storage.base import (
    DEDUP_TTL_SECONDS,
    DEFAULT_TTL_SECONDS,
    SENDING_POLL_SECONDS,
    SENDING_SECONDS,
    Reminder,
    UpdateClaim,
    check_bumped,
)

CONV_PREFIX = "tc:conv:"
USER_PREFIX = "tc:user:"
CHAT_PREFIX = "tc:chat:"
PERSON_PREFIX = "tc:person:"
SEEN_PREFIX = "tc:seen:"
CLAIM_PREFIX = "tc:claim:"
REMINDERS_KEY = "tc:reminders"
REMINDER_PREFIX = "tc:remind:"

# KEYS: conversation, user set. ARGV: expected version ('' = must be absent), new version,
# JSON, user, ttl ms. The user set lives as long as its newest member, so it never outlives them all.
_SAVE = """
local stored = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if stored then return 0 end
elseif stored ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3], 'u', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""

# KEYS: conversation. ARGV: user-set prefix.
_DELETE = """
local user = redis.call('HGET', KEYS[1], 'u')
if user then redis.call('SREM', ARGV[1] .. user, KEYS[1]) end
return redis.call('DEL', KEYS[1])
"""

# KEYS: user set. ARGV: user. A key re-saved under another user is that user's now, so skip it.
_FORGET = """
local gone = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HGET', key, 'u') == ARGV[1] then gone = gone + redis.call('DEL', key) end
end
redis.call('DEL', KEYS[1])
return gone
"""

# KEYS: user set. Drops members whose conversation Redis already expired.
_PRUNE = """
local pruned = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', KEYS[1], key)
    pruned = pruned + 1
  end
end
return pruned
"""


# KEYS: seen, claim. ARGV: lease seconds. Returns an index into _CLAIM_RESULTS.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 2 end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return 0 end
return 1
"""
# Every reminder script reads "now" from Redis's own clock (TIME), never a replica's: a replica whose
# clock runs ahead must not see another's lease as over. ARGV[1] is '' but in tests, which pass their clock.
_NOW = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
"""

# KEYS: reminders zset. ARGV: now (tests only), limit, lease seconds, reminder hash prefix,
# claim prefix (random per call).
# A claim moves the member's score to the lease's end, so it is due again if its replica dies.
_CLAIM_REMINDERS = (
    _NOW
    + """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local lease_end = now + tonumber(ARGV[3])
local out = {}
for i, user in ipairs(due) do
  local key = ARGV[4] .. user
  local fields = redis.call('HMGET', key, 'c', 'f', 'd')
  if fields[1] then
    local claim = ARGV[5] .. i
    redis.call('HSET', key, 'k', claim)
    redis.call('ZADD', KEYS[1], lease_end, user)
    table.insert(out, {user, fields[1], fields[2], fields[3], claim})
  else
    redis.call('ZREM', KEYS[1], user)
  end
end
return out
"""
)

# KEYS: reminders zset, reminder hash. ARGV: now (tests only), user, claim, lease seconds, seconds
# marked as being sent ('0': not). The fence before a send.
_RENEW_REMINDER = (
    _NOW
    + """
local claim = redis.call('HGET', KEYS[2], 'k')
if not claim or claim == '' or claim ~= ARGV[3] then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
local sending = tonumber(ARGV[5])
redis.call('HSET', KEYS[2], 's', sending > 0 and now + sending or 0)
return 1
"""
)

# KEYS: reminders zset, reminder hash. ARGV: now (tests only), user, claim, seconds until the retry ('' = sent: delete).
_SETTLE_REMINDER = (
    _NOW
    + """
local claim = redis.call('HGET', KEYS[2], 'k')
if not claim or claim == '' or claim ~= ARGV[3] then return 0 end
if ARGV[4] == '' then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  redis.call('HSET', KEYS[2], 'k', '', 's', 0)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
end
return 1
"""
)

# KEYS: reminders zset, reminder hash. ARGV: now (tests only), user. -1: being sent now, try again soon.
_CANCEL_REMINDER = (
    _NOW
    + """
local sending = tonumber(redis.call('HGET', KEYS[2], 's') or '0')
if sending > now then return -1 end
redis.call('ZREM', KEYS[1], ARGV[2])
return redis.call('DEL', KEYS[2])
"""
)

_CLAIM_RESULTS: Final[tuple[UpdateClaim, UpdateClaim, UpdateClaim]] = ("claimed", "busy", "seen")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class RedisStore:
    """A `ConversationStore` on redis.asyncio; time to live is Redis's own key expiry."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        dedup_ttl_seconds: int = DEDUP_TTL_SECONDS,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Reminders read Redis's clock (TIME); `clock` replaces it, for tests only."""
        if ttl_seconds <= 0 or dedup_ttl_seconds <= 0:
            raise ValueError("ttl_seconds and dedup_ttl_seconds must be positive")
        self._redis = client
        self._ttl_ms = ttl_seconds * 1000
        self._dedup_ttl = dedup_ttl_seconds
        self._save = client.register_script(_SAVE)
        self._delete = client.register_script(_DELETE)
        self._forget = client.register_script(_FORGET)
        self._prune = client.register_script(_PRUNE)
        self._claim = client.register_script(_CLAIM)
        self._claim_reminders = client.register_script(_CLAIM_REMINDERS)
        self._settle_reminder = client.register_script(_SETTLE_REMINDER)
        self._renew_reminder = client.register_script(_RENEW_REMINDER)
        self._cancel_reminder = client.register_script(_CANCEL_REMINDER)
        self._clock = clock

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        dedup_ttl_seconds: int = DEDUP_TTL_SECONDS,
        clock: Callable[[], float] | None = None,
    ) -> RedisStore:
        """Connect to `url` and PING, so a wrong URL fails at startup, not on the first message."""
        client = aioredis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            await client.ping()
            return cls(client, ttl_seconds=ttl_seconds, dedup_ttl_seconds=dedup_ttl_seconds, clock=clock)
        except BaseException:
            await client.aclose()
            raise

    async def load(self, key: str) -> Conversation | None:
        """Return the live conversation under `key`, or None."""
        data = await self._redis.hget(CONV_PREFIX + key, "d")
        return Conversation.from_dict(json.loads(data)) if data is not None else None

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        """Write `conversation` if the stored version is `expected_version` (None: nothing live)."""
        check_bumped(conversation, expected_version)
        expected = "" if expected_version is None else str(expected_version)
        data = _dumps(conversation.to_dict())
        args: list[str | int] = [expected, str(conversation.version), data, user, self._ttl_ms]
        return bool(await self._save(keys=[CONV_PREFIX + key, USER_PREFIX + user], args=args))

    async def delete(self, key: str) -> None:
        """Drop one conversation and its entry in the user's set."""
        await self._delete(keys=[CONV_PREFIX + key], args=[USER_PREFIX])

    async def forget_user(self, user: str) -> int:
        """Delete the user's conversations; chat settings belong to chats, not users."""
        removed = int(await self._forget(keys=[USER_PREFIX + user], args=[user]))
        await self._redis.delete(PERSON_PREFIX + user)
        await self.cancel_reminder(user)
        return removed

    async def purge_expired(self) -> int:
        """Return 0: Redis deletes expired conversations itself; this only prunes stale set members.

        The user sets can keep names of conversations that already expired while the user
        has a newer one; pruning keeps them small. Nothing is left for us to delete.
        """
        async for user_set in self._redis.scan_iter(match=USER_PREFIX + "*", count=500):
            await self._prune(keys=[user_set])
        return 0

    async def mark_update_seen(self, update_id: int) -> bool:
        """Record `update_id` for the dedup window; False if it is already recorded."""
        return bool(await self._redis.set(f"{SEEN_PREFIX}{update_id}", b"1", nx=True, ex=self._dedup_ttl))

    async def claim_update(self, update_id: int, lease_seconds: int) -> UpdateClaim:
        """'seen' if handled within the dedup window, 'busy' while another claim's lease lasts, else claim it."""
        keys = [f"{SEEN_PREFIX}{update_id}", f"{CLAIM_PREFIX}{update_id}"]
        return _CLAIM_RESULTS[int(await self._claim(keys=keys, args=[lease_seconds]))]

    async def settle_update(self, update_id: int, handled: bool) -> None:
        """Drop the claim; if `handled`, record the update as seen for the dedup window (both at once)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            if handled:
                pipe.set(f"{SEEN_PREFIX}{update_id}", b"1", ex=self._dedup_ttl)
            pipe.delete(f"{CLAIM_PREFIX}{update_id}")
            await pipe.execute()

    async def load_person(self, user: str) -> dict[str, Any]:
        """The person's live record, or {}."""
        data = await self._redis.get(PERSON_PREFIX + user)
        return dict(json.loads(data)) if data is not None else {}

    async def save_person(self, user: str, data: dict[str, Any]) -> None:
        """Replace the person's record, to expire after the store's TTL from now."""
        await self._redis.set(PERSON_PREFIX + user, _dumps(data), px=self._ttl_ms)

    async def load_chat_settings(self, chat: str) -> dict[str, Any]:
        """Return a group's settings, or {}."""
        data = await self._redis.get(CHAT_PREFIX + chat)
        return dict(json.loads(data)) if data is not None else {}

    async def save_chat_settings(self, chat: str, settings: dict[str, Any]) -> None:
        """Replace a group's settings."""
        await self._redis.set(CHAT_PREFIX + chat, _dumps(settings))

    async def schedule_reminder(self, reminder: Reminder) -> None:
        """Store the user's one reminder, replacing an earlier one (and any claim on it), in one transaction."""
        r = reminder
        key = REMINDER_PREFIX + r.user
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"c": r.chat_id, "f": r.flow, "d": repr(r.due_at), "k": ""})
            pipe.zadd(REMINDERS_KEY, {r.user: r.due_at})
            await pipe.execute()

    async def load_reminder(self, user: str) -> Reminder | None:
        """The user's reminder, or None."""
        chat, flow, due = await self._redis.hmget(REMINDER_PREFIX + user, ["c", "f", "d"])
        if chat is None or flow is None or due is None:
            return None
        return Reminder(user, int(chat), float(due), _text(flow))

    async def cancel_reminder(self, user: str) -> bool:
        """Delete the user's reminder, after the send under way if there is one; True if there was one."""
        keys = [REMINDERS_KEY, REMINDER_PREFIX + user]
        deadline = asyncio.get_running_loop().time() + SENDING_SECONDS
        while (deleted := int(await self._cancel_reminder(keys=keys, args=[self._now(), user]))) < 0:
            if asyncio.get_running_loop().time() > deadline:  # cannot happen with Redis's clock; a test's may stop
                break
            await asyncio.sleep(SENDING_POLL_SECONDS)
        return deleted > 0

    async def claim_due_reminders(self, limit: int, lease_seconds: float) -> list[Reminder]:
        """Claim up to `limit` due reminders, earliest first, in one script (so no two replicas share one).

        Due and the lease are read on Redis's clock (TIME), so replicas' clocks do not matter.
        """
        claim_prefix = secrets.token_hex(8) + ":"
        args: list[str | int] = [self._now(), limit, repr(lease_seconds), REMINDER_PREFIX, claim_prefix]
        rows = await self._claim_reminders(keys=[REMINDERS_KEY], args=args)
        claimed = [Reminder(_text(u), int(c), float(d), _text(f), _text(k)) for u, c, f, d, k in rows]
        return sorted(claimed, key=lambda r: r.due_at)

    async def renew_reminder(self, reminder: Reminder, lease_seconds: float, *, sending: bool = False) -> bool:
        """Extend the lease to `lease_seconds` from now (Redis's clock), only with the current claim."""
        keys = [REMINDERS_KEY, REMINDER_PREFIX + reminder.user]
        marked = repr(SENDING_SECONDS) if sending else "0"
        args = [self._now(), reminder.user, reminder.claim, repr(lease_seconds), marked]
        return bool(await self._renew_reminder(keys=keys, args=args))

    async def settle_reminder(self, reminder: Reminder, retry_in: float | None = None) -> bool:
        """Delete a sent reminder, or make an unsent one due `retry_in` from now; only with the current claim."""
        keys = [REMINDERS_KEY, REMINDER_PREFIX + reminder.user]
        retry = "" if retry_in is None else repr(retry_in)
        args = [self._now(), reminder.user, reminder.claim, retry]
        return bool(await self._settle_reminder(keys=keys, args=args))

    def _now(self) -> str:
        """ARGV[1] of the reminder scripts: '' (read Redis's TIME), or the test's clock."""
        return "" if self._clock is None else repr(self._clock())

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
