"""Coordinator accounts: usernames, scrypt password hashes and the chosen page language.

Key schema (connection injected; an account lives until it is removed, so these keys carry no TTL):
  hl:coord:{username}   hash   hash salt n r p (scrypt, hex), locale, name, created, updated
The optional `name` is the coordinator's name in the institution file: a callback taken on the page
is taken under that name, so the alert worker knows who took it (and does not tell them "taken by").
  hl:coords             set    every username, for `helpline coordinators list`
There is no default account and no default password: accounts are made with
`helpline coordinators add`. Changing or removing an account ends its sessions (helpline.dashboard.auth).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import redis

from helpline.errors import Conflict, HelplineError, NotFound

ACCOUNT_KEY = "hl:coord:{username}"
INDEX_KEY = "hl:coords"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}  # about 16 MiB and some tens of ms per check
DKLEN = 32


class InvalidAccount(HelplineError):
    """A username or password that the rules refuse; the message says which rule."""


@dataclass(frozen=True)
class Account:
    """A coordinator who may sign in to the page."""

    username: str
    locale: str
    name: str = ""

    @property
    def display_name(self) -> str:
        """Who takes callbacks: the institution file's name when linked, else the username."""
        return self.name or self.username


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DKLEN, maxmem=64 * 1024 * 1024)


def check_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise InvalidAccount("a username is 2 to 32 characters: lowercase letters, digits, '.', '_' or '-'")
    return username


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidAccount(f"a password has at least {MIN_PASSWORD} characters")
    return password


class Accounts:
    """Create, check, change and remove coordinator accounts."""

    _DUMMY = {"hash": "00" * DKLEN, "salt": "00" * 16, **{k: str(v) for k, v in SCRYPT.items()}}

    def __init__(self, client: redis.Redis):
        self.client = client

    def _fields(self, password: str) -> dict:
        salt = secrets.token_bytes(16)
        digest = _derive(check_password(password), salt, **SCRYPT)
        return {"hash": digest.hex(), "salt": salt.hex(), **{k: str(v) for k, v in SCRYPT.items()},
                "updated": repr(time.time())}

    def add(self, username: str, password: str, locale: str = "fr", name: str = "") -> Account:
        username = check_username(username)
        key = ACCOUNT_KEY.format(username=username)
        name = " ".join(name.split())[:80]
        fields = {**self._fields(password), "locale": locale, "name": name, "created": repr(time.time())}
        if not self.client.hsetnx(key, "created", fields["created"]):
            raise Conflict(f"coordinator {username!r} already exists")
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping=fields)
            pipe.sadd(INDEX_KEY, username)
            pipe.execute()
        return Account(username, locale, name)

    def set_password(self, username: str, password: str) -> None:
        key = ACCOUNT_KEY.format(username=check_username(username))
        fields = self._fields(password)
        if not self.client.exists(key):
            raise NotFound(f"no coordinator {username!r}")
        self.client.hset(key, mapping=fields)

    def remove(self, username: str) -> None:
        username = check_username(username)
        with self.client.pipeline() as pipe:
            pipe.delete(ACCOUNT_KEY.format(username=username))
            pipe.srem(INDEX_KEY, username)
            deleted, _ = pipe.execute()
        if not deleted:
            raise NotFound(f"no coordinator {username!r}")

    def get(self, username: str) -> Account | None:
        try:
            username = check_username(username)
        except InvalidAccount:
            return None
        locale, name = self.client.hmget(ACCOUNT_KEY.format(username=username), "locale", "name")
        return Account(username, locale, name or "") if locale else None

    def names(self) -> list[str]:
        return sorted(self.client.smembers(INDEX_KEY))

    def set_locale(self, username: str, locale: str) -> None:
        key = ACCOUNT_KEY.format(username=username)
        if self.client.exists(key):
            self.client.hset(key, "locale", locale)

    def verify(self, username: str, password: str) -> Account | None:
        """The account if the password matches; the same work is done for an unknown username."""
        try:
            username = check_username(username)
            data = self.client.hgetall(ACCOUNT_KEY.format(username=username))
        except InvalidAccount:
            data = {}
        stored = data if data.get("hash") else self._DUMMY
        digest = _derive(password or "", bytes.fromhex(stored["salt"]),
                         int(stored["n"]), int(stored["r"]), int(stored["p"]))
        if hmac.compare_digest(digest.hex(), stored["hash"]) and stored is not self._DUMMY:
            return Account(username, data.get("locale", "fr"))
        return None
