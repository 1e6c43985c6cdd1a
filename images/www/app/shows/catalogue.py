"""The show catalogue: rows in the database, one show at a time through the cache (cache-aside)."""

from django.core.cache import cache

from shows.models import Show

# A show changes when its plays are tallied (count_plays drops its entry); the TTL bounds the rest.
SHOW_TTL_SECONDS = 300
FIELDS = ("slug", "title", "channel", "episodes")


def cache_key(slug: str) -> str:
    return f"show:{slug}"


def all_shows() -> list[dict]:
    return list(Show.objects.values(*FIELDS))


def find(slug: str) -> tuple[dict | None, bool]:
    """The show as the API returns it, and whether it came from the cache."""
    cached = cache.get(cache_key(slug))
    if cached is not None:
        return cached, True
    row = Show.objects.filter(slug=slug).values("id", *FIELDS, "play_count").first()
    if row is None:
        return None, False
    show = {"id": row["id"], **{field: row[field] for field in FIELDS}, "plays": row["play_count"]}
    cache.set(cache_key(slug), show, SHOW_TTL_SECONDS)
    return show, False


def forget(slug: str) -> None:
    cache.delete(cache_key(slug))
