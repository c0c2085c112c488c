"""The digest's concurrency claims with real concurrent transactions: two computes of one period leave one
digest with the hand-worked rows; two deliveries of one digest send each marketer one e-mail."""

import pytest
from django.core import mail

from funnel.insight.delivery import digest_deliver
from funnel.insight.models import Digest, DigestCount, DigestDelivery
from funnel.insight.services import digest_compute
from tests.funnel.test_concurrency import run_together
from tests.funnel.test_insight import WEEK2, WEEK2_COUNTS, build_world, expected, rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _defaults(funnel_defaults):
    pass


@pytest.mark.parametrize("attempt", range(3))
def test_two_computes_of_one_period_leave_one_digest_with_the_same_rows(people, attempt):
    world = build_world(people)
    results = run_together(*[lambda: digest_compute(period_kind="week", period_start=WEEK2)] * 2)
    assert all(isinstance(r, Digest) for r in results), results
    assert Digest.objects.count() == 1 and DigestCount.objects.count() == 42
    assert rows(Digest.objects.get()) == expected(world, WEEK2_COUNTS)


def test_two_deliveries_of_one_digest_send_each_marketer_once(people):
    build_world(people)
    digest = digest_compute(period_kind="week", period_start=WEEK2)
    sent = run_together(*[lambda: digest_deliver(digest_id=digest.pk)] * 2)
    assert sorted(sent) == [0, 1], sent  # the marketing manager: one run sends, the other finds it sent
    assert DigestDelivery.objects.count() == 1 and len(mail.outbox) == 1
