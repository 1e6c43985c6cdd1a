"""The show catalogue the site lists. A fixed list: the stand-in site has no database of its own."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Show:
    slug: str
    title: str
    channel: str
    episodes: int


CATALOGUE = (
    Show("night-desk", "The Night Desk", "news", 212),
    Show("pitch-side", "Pitch Side", "sport", 48),
    Show("small-kitchens", "Small Kitchens", "food", 36),
)


def all_shows() -> list[dict]:
    return [asdict(show) for show in CATALOGUE]


def find(slug: str) -> dict | None:
    return next((asdict(show) for show in CATALOGUE if show.slug == slug), None)
