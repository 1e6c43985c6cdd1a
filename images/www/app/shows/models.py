from django.db import models


class Show(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    channel = models.CharField(max_length=50)
    episodes = models.PositiveIntegerField()
    # Tallied from Play rows by the count_plays task, so a read never counts a busy show's plays.
    play_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Play(models.Model):
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="plays")
    played_at = models.DateTimeField(auto_now_add=True, db_index=True)
