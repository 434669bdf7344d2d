"""Read replicas (core/replicas.py): the router, and read-your-writes on a real
streaming replica of a primary started for this module (tests/pgcluster.py)."""

import time

from django.core import signing
from django.core.cache import cache
from django.test import Client

from core.middleware import ReplicaReadsMiddleware
from core.replicas import PrimaryReplicaRouter, replica_reads_allowed
from ratings.models import Rating
from tests.factories import TitleFactory, UserFactory
from tests.pgcluster import use_cluster_databases


def test_router_is_a_no_op_without_replicas(settings):
    settings.REPLICA_DATABASES = []
    router = PrimaryReplicaRouter()
    token = replica_reads_allowed.set(True)
    try:
        assert router.db_for_read(Rating) is None
        assert router.db_for_write(Rating) is None
        assert router.allow_migrate("default", "ratings") is None
    finally:
        replica_reads_allowed.reset(token)


def test_router_sends_reads_to_a_replica_only_when_the_request_allows_it(settings):
    settings.REPLICA_DATABASES = ["replica_1"]
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Rating) == "default"  # worker, commands: the primary
    token = replica_reads_allowed.set(True)
    try:
        assert router.db_for_read(Rating) == "replica_1"
        assert router.db_for_write(Rating) == "default"
    finally:
        replica_reads_allowed.reset(token)
    assert router.allow_migrate("default", "ratings") is True
    assert router.allow_migrate("replica_1", "ratings") is False


def test_reads_go_to_the_replica_and_a_member_reads_their_own_writes(
    cluster, settings, django_db_blocker
):
    settings.REPLICA_DATABASES = ["replica_1"]
    settings.REPLICA_STICKY_SECONDS = 30
    with django_db_blocker.unblock(), use_cluster_databases(cluster):
        rater, reader = UserFactory(username="rater"), UserFactory(username="reader")
        title = TitleFactory(name="Replicated")
        rater_client, reader_client = Client(), Client()
        rater_client.force_login(rater)
        reader_client.force_login(reader)
        cluster.wait_for_replay()
        # From here on the replica lags: whatever is written now is on the primary only.
        cluster.execute(cluster.replica_port, "SELECT pg_wal_replay_pause()")

        response = rater_client.post(f"/titles/{title.pk}/rating/edit/", {"score": "83"})
        assert response.status_code == 302
        assert Rating.objects.using("default").filter(user=rater, title=title).exists()
        assert ReplicaReadsMiddleware.COOKIE in response.cookies
        assert response.cookies[ReplicaReadsMiddleware.COOKIE]["max-age"] == 30

        # The rater, within REPLICA_STICKY_SECONDS of the write, reads the primary.
        page = rater_client.get(title.get_absolute_url())
        assert page.context["viewer_rating"].score == 83
        assert page.context["title"].ratings_count == 1

        # Another member reads the replica, which has not replayed the rating yet. (The
        # rater's request cached the title's shared sections, fresh from the primary;
        # emptied, this request must read the title itself, from the replica.)
        cache.clear()
        page = reader_client.get(title.get_absolute_url())
        assert page.status_code == 200
        assert page.context["title"].ratings_count == 0
        assert page.context["viewer_rating"] is None

        # Once the sticky period is over (a cookie whose time has passed), the rater
        # reads the replica too.
        expired = signing.get_cookie_signer(
            salt=ReplicaReadsMiddleware.COOKIE + ReplicaReadsMiddleware.SALT
        ).sign(str(time.time() - 1))
        rater_client.cookies[ReplicaReadsMiddleware.COOKIE] = expired
        assert rater_client.get(title.get_absolute_url()).context["viewer_rating"] is None
        # A forged cookie (not signed with the site's key) pins nothing either.
        rater_client.cookies[ReplicaReadsMiddleware.COOKIE] = str(time.time() + 60)
        assert rater_client.get(title.get_absolute_url()).context["viewer_rating"] is None

        cluster.execute(cluster.replica_port, "SELECT pg_wal_replay_resume()")
        cluster.wait_for_replay()
        cache.clear()
        page = reader_client.get(title.get_absolute_url())
        assert page.context["title"].ratings_count == 1
        assert Rating.objects.using("replica_1").filter(user=rater, title=title).exists()
