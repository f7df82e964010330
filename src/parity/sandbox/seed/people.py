"""The people of the demo site: its staff (WordPress users) and its commenters (pure).

Everything is deterministic: the staff is a fixed list, and a commenter is drawn from a
``random.Random`` the caller seeds, so the same seed gives the same people. The e-mail
addresses and IP addresses look real on purpose: they are what a refresh must scrub.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["STAFF", "Commenter", "StaffMember", "commenter", "user_agent"]


@dataclass(frozen=True)
class StaffMember:
    """A WordPress user of the demo site."""

    login: str
    first_name: str
    last_name: str
    role: str
    email: str
    registered: str
    bio: str

    @property
    def display_name(self) -> str:
        """First and last name, as WordPress shows it."""
        return f"{self.first_name} {self.last_name}"


#: The site's users besides ``admin``, in the order they were registered.
STAFF: tuple[StaffMember, ...] = (
    StaffMember(
        "maria.keller",
        "Maria",
        "Keller",
        "editor",
        "maria.keller@alphanode.io",
        "2019-01-14 08:12:31",
        "Managing editor. Keeps the release notes honest.",
    ),
    StaffMember(
        "jonas.becker",
        "Jonas",
        "Becker",
        "author",
        "jonas.becker@alphanode.io",
        "2019-03-02 17:40:05",
        "Backend engineer writing about databases and queues.",
    ),
    StaffMember(
        "aylin.demir",
        "Aylin",
        "Demir",
        "author",
        "aylin.demir@alphanode.io",
        "2020-06-21 10:03:44",
        "Site reliability, caching and the occasional postmortem.",
    ),
    StaffMember(
        "tom.okafor",
        "Tom",
        "Okafor",
        "contributor",
        "tom.okafor@alphanode.io",
        "2021-09-08 13:27:10",
        "Guest contributor from the platform team.",
    ),
    StaffMember(
        "lena.fischer",
        "Lena",
        "Fischer",
        "subscriber",
        "lena.fischer84@gmail.com",
        "2022-02-11 19:55:58",
        "",
    ),
)

_FIRST = (
    "Anna", "Ben", "Carla", "David", "Elif", "Felix", "Greta", "Hannes", "Ines", "Jan",
    "Kemal", "Laura", "Milan", "Nora", "Oskar", "Paula", "Rafael", "Sofia", "Timo", "Yara",
)  # fmt: skip
_LAST = (
    "Albrecht", "Brandt", "Costa", "Dietrich", "Engel", "Frank", "Graf", "Hartmann",
    "Ivanova", "Jansen", "Kraus", "Lorenz", "Moreau", "Nowak", "Ortiz", "Petrov",
)  # fmt: skip
_PROVIDERS = ("gmail.com", "outlook.com", "posteo.de", "proton.me", "web.de", "yahoo.com")
# First octets of ordinary public address space (no private, reserved or test ranges).
_OCTETS = (31, 37, 46, 62, 77, 78, 80, 81, 84, 85, 87, 91, 93, 94, 109, 176, 178, 185, 188, 212)
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
)


@dataclass(frozen=True)
class Commenter:
    """Someone who left a comment without an account."""

    name: str
    email: str
    url: str
    ip: str
    agent: str


def commenter(rng: random.Random) -> Commenter:
    """A commenter drawn from ``rng``.

    >>> commenter(random.Random("x")) == commenter(random.Random("x"))
    True
    """
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    style = rng.randrange(3)
    local = (
        f"{first}.{last}".lower()
        if style == 0
        else f"{first[0]}{last}".lower()
        if style == 1
        else f"{first}{rng.randrange(70, 99)}".lower()
    )
    url = f"https://{first.lower()}{last.lower()}.dev" if rng.random() < 0.25 else ""
    ip = ".".join([str(rng.choice(_OCTETS)), *(str(rng.randrange(1, 255)) for _ in range(3))])
    return Commenter(
        name=f"{first} {last}",
        email=f"{local}@{rng.choice(_PROVIDERS)}",
        url=url,
        ip=ip,
        agent=user_agent(rng),
    )


def user_agent(rng: random.Random) -> str:
    """A browser's User-Agent string drawn from ``rng``."""
    return rng.choice(_AGENTS)
