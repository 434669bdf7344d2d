"""Keep title aggregates and percentiles exact when a user or a title is deleted.

A plain database cascade would drop the ratings without adjusting the aggregates of
the titles a deleted user rated, or the percentiles of the people who rated a deleted
title; these receivers route both through the percentile service first.
"""

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from catalog.models import Title
from ratings import services


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="ratings_user_pre_delete")
def remove_ratings_of_deleted_user(sender, instance, **kwargs):
    services.delete_user_ratings(instance)


@receiver(pre_delete, sender=Title, dispatch_uid="ratings_title_pre_delete")
def remove_ratings_of_deleted_title(sender, instance, **kwargs):
    services.delete_title_ratings(instance)
