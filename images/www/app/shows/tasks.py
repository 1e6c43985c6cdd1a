from celery import shared_task
from django.db.models import Count, Sum

from shows import catalogue
from shows.models import Show


@shared_task
def count_episodes() -> int:
    """Total episodes in the catalogue: the kind of report 2015 ran on Celery workers."""
    return Show.objects.aggregate(total=Sum("episodes"))["total"] or 0


@shared_task
def count_plays(show_id: int) -> int:
    """Tally a show's plays into Show.play_count and drop its cached copy; returns the tally."""
    show = Show.objects.annotate(total=Count("plays")).values("slug", "total").get(pk=show_id)
    Show.objects.filter(pk=show_id).update(play_count=show["total"])
    catalogue.forget(show["slug"])
    return show["total"]
