"""The insight digest: counts and changes on a hand-worked example, unchanged when rerun, a suggested tag counted
once accepted, delivery to exactly the right marketers once, the API and the page, and bad input named."""

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Notification
from crm.choices import TagStatus
from crm.models import CallReport, CallReportTag, Campaign, Collateral, Company, Responsibility, Tag
from funnel.insight.delivery import digest_deliver
from funnel.insight.models import Digest, DigestCount, DigestDelivery, InsightResponse
from funnel.insight.services import digest_compute
from funnel.tasks import insight_digest_weekly
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

WEEK1, WEEK2 = date(2026, 11, 9), date(2026, 11, 16)  # the previous week and the digest's week
LONG_NOTE = "Too expensive compared to Acme. " + "They compare line by line. " * 20

# The hand-worked example: 9 reports over two weeks (+1 the week before, outside both), three segments, two
# products, two campaigns, one suggested tag (residency). Columns: day, segment, stage, campaign, tags, notes.
REPORTS = [
    # week 1 (the previous period)
    (date(2026, 11, 10), "enterprise", "intent", "c1", ["price", "acme", "core"], ""),
    (date(2026, 11, 12), "smb", "interest", None, ["price", "timing", "analytics"], ""),
    (date(2026, 11, 14), "enterprise", "evaluation", "c1", ["budget", "core", "analytics"], ""),
    # week 2 (the digest's period)
    (date(2026, 11, 16), "enterprise", "intent", "c1", ["price", "acme", "core"], LONG_NOTE),
    (date(2026, 11, 17), "enterprise", "evaluation", "c1", ["price", "globex", "core"], "  Price   came up\n again. "),
    (date(2026, 11, 18), "smb", "interest", None, ["price", "residency", "analytics"], "Asked where data lives."),
    (date(2026, 11, 19), "mid_market", "intent", "c2", ["timing", "acme", "reporting", "core"], "Next year, maybe."),
    (date(2026, 11, 21), "enterprise", "intent", "c1", ["budget", "residency", "core", "analytics"], ""),
    (date(2026, 11, 22), "", "", None, ["price", "performance"], "Slow dashboards."),
    # the week before week 1: in neither period
    (date(2026, 11, 8), "enterprise", "intent", "c1", ["price", "globex", "core"], "Out of range."),
]


@pytest.fixture
def world(people):
    return build_world(people)


def build_world(people) -> dict:
    """The tags, campaigns and REPORTS in the database; returns the tags and campaigns by name."""
    tags = {
        "price": seeded("objection", "price_value", "Price / value"),
        "budget": seeded("objection", "budget", "No budget"),
        "timing": seeded("objection", "timing", "Timing"),
        "reporting": seeded("need", "reporting", "Reporting"),
        "performance": seeded("feedback", "performance", "Performance"),
        "core": seeded("product", "core", "Core CRM"),
        "analytics": seeded("product", "analytics", "Analytics add-on"),
        "acme": Tag.objects.create(kind="competitor", slug="acme", label="Acme CRM"),
        "globex": Tag.objects.create(kind="competitor", slug="globex", label="Globex"),
        "residency": Tag.objects.create(
            kind="objection", slug="data_residency", label="Data residency", status=TagStatus.SUGGESTED
        ),
    }
    campaigns = {
        "c1": Campaign.objects.create(name="Enterprise roadshow", channel="event", owner=people["marketer"]),
        "c2": Campaign.objects.create(name="Mid-market webinar", channel="webinar", owner=people["marketer"]),
    }
    company = Company.objects.create(name="Buyer Ltd")
    for day, segment, stage, campaign, names, notes in REPORTS:
        report = CallReport.objects.create(
            company=company,
            author=people["rep"],
            occurred_on=day,
            channel="call",
            outcome="Talked",
            notes=notes,
            segment=segment,
            lead_stage=stage,
            campaign=campaigns[campaign] if campaign else None,
        )
        CallReportTag.objects.bulk_create([CallReportTag(report=report, tag=tags[name]) for name in names])
    return {"tags": tags, "campaigns": campaigns}


def seeded(kind: str, slug: str, label: str) -> Tag:
    """A default taxonomy term (crm migration 0010); a transactional test's flush removed it, so it is put back."""
    return Tag.objects.get_or_create(kind=kind, slug=slug, defaults={"label": label})[0]


def rows(digest) -> set[tuple]:
    return set(
        DigestCount.objects.filter(digest=digest).values_list("dimension", "value", "tag_id", "count", "previous_count")
    )


def expected(world, table: dict) -> set[tuple]:
    """{(dimension, value): {tag name: (count, previous)}} → rows, product and campaign values as ids."""
    ids = {**{k: str(t.pk) for k, t in world["tags"].items()}, **{k: str(c.pk) for k, c in world["campaigns"].items()}}
    return {
        (dimension, ids.get(value, value), world["tags"][name].pk, count, previous)
        for (dimension, value), counts in table.items()
        for name, (count, previous) in counts.items()
    }


# Worked by hand from REPORTS: (reports of week 2, reports of week 1) carrying each tag.
WEEK2_COUNTS = {
    ("all", ""): {
        "price": (4, 2),
        "budget": (1, 1),
        "timing": (1, 1),
        "acme": (2, 1),
        "globex": (1, 0),
        "reporting": (1, 0),
        "performance": (1, 0),
    },
    ("segment", "enterprise"): {"price": (2, 1), "acme": (1, 1), "globex": (1, 0), "budget": (1, 1)},
    ("segment", "smb"): {"price": (1, 1), "timing": (0, 1)},
    ("segment", "mid_market"): {"timing": (1, 0), "acme": (1, 0), "reporting": (1, 0)},
    ("stage", "intent"): {"price": (1, 1), "acme": (2, 1), "timing": (1, 0), "reporting": (1, 0), "budget": (1, 0)},
    ("stage", "evaluation"): {"price": (1, 0), "globex": (1, 0), "budget": (0, 1)},
    ("stage", "interest"): {"price": (1, 1), "timing": (0, 1)},
    ("campaign", "c1"): {"price": (2, 1), "acme": (1, 1), "globex": (1, 0), "budget": (1, 1)},
    ("campaign", "c2"): {"timing": (1, 0), "acme": (1, 0), "reporting": (1, 0)},
    ("product", "core"): {
        "price": (2, 1),
        "acme": (2, 1),
        "globex": (1, 0),
        "timing": (1, 0),
        "reporting": (1, 0),
        "budget": (1, 1),
    },
    ("product", "analytics"): {"price": (1, 1), "budget": (1, 1), "timing": (0, 1)},
}
# Once "Data residency" is accepted: reports 6 (smb, interest, analytics) and 8 (enterprise, intent, c1, core
# and analytics) of week 2 count; none of week 1 carried it.
RESIDENCY_COUNTS = {
    ("all", ""): {"residency": (2, 0)},
    ("segment", "enterprise"): {"residency": (1, 0)},
    ("segment", "smb"): {"residency": (1, 0)},
    ("stage", "intent"): {"residency": (1, 0)},
    ("stage", "interest"): {"residency": (1, 0)},
    ("campaign", "c1"): {"residency": (1, 0)},
    ("product", "core"): {"residency": (1, 0)},
    ("product", "analytics"): {"residency": (2, 0)},
}


def test_the_digest_counts_each_accepted_tag_by_slice_against_the_previous_week(world):
    digest = digest_compute(period_kind="week", period_start=WEEK2)
    assert (digest.period_end, digest.report_count, digest.previous_report_count) == (date(2026, 11, 23), 6, 3)
    assert len(rows(digest)) == 42
    assert rows(digest) == expected(world, WEEK2_COUNTS)


def test_recomputing_a_period_writes_the_same_rows_and_quotes(world):
    first = digest_compute(period_kind="week", period_start=WEEK2)
    before, quotes = rows(first), first.quotes
    again = digest_compute(period_kind="week", period_start=WEEK2)
    assert again.pk == first.pk and Digest.objects.count() == 1
    assert rows(again) == before and again.quotes == quotes
    assert DigestCount.objects.count() == 42


def test_quotes_are_the_latest_three_trimmed_notes_of_the_top_objections_and_competitors(world):
    digest = digest_compute(period_kind="week", period_start=WEEK2)
    tags = world["tags"]
    texts = {name: [q["text"] for q in digest.quotes.get(str(tags[name].pk), [])] for name in tags}
    # price: reports 9, 6, 5 (report 4 is the fourth most recent); budget's only report has no notes.
    assert texts["price"] == ["Slow dashboards.", "Asked where data lives.", "Price came up again."]
    assert texts["timing"] == ["Next year, maybe."]
    assert texts["globex"] == ["Price came up again."]
    assert texts["budget"] == [] and texts["reporting"] == []  # needs are not quoted
    latest, trimmed = texts["acme"]
    assert latest == "Next year, maybe."
    assert len(trimmed) == 280 and trimmed.startswith("Too expensive compared to Acme.") and trimmed.endswith("…")
    assert [q["on"] for q in digest.quotes[str(tags["price"].pk)]] == ["2026-11-22", "2026-11-18", "2026-11-17"]


def test_a_suggested_tag_counts_only_once_accepted(world):
    residency = world["tags"]["residency"]
    digest = digest_compute(period_kind="week", period_start=WEEK2)
    assert not DigestCount.objects.filter(tag=residency).exists()
    residency.status = TagStatus.ACCEPTED
    residency.save()
    digest = digest_compute(period_kind="week", period_start=WEEK2)
    assert rows(digest) == expected(world, WEEK2_COUNTS) | expected(world, RESIDENCY_COUNTS)
    assert len(rows(digest)) == 50


def test_a_month_digest_counts_the_month_against_the_one_before(world):
    digest = digest_compute(period_kind="month", period_start=date(2026, 11, 1))
    assert (digest.period_end, digest.report_count, digest.previous_report_count) == (date(2026, 12, 1), 10, 0)
    price = DigestCount.objects.get(digest=digest, dimension="all", tag=world["tags"]["price"])
    assert (price.count, price.previous_count) == (7, 0)


@pytest.fixture
def marketers(people):
    def line(marketer=None, **fields):
        return Responsibility.objects.create(
            marketer=marketer, confirmed_at=timezone.now(), confirmed_by=people["admin"], **fields
        )

    team = people["marketer"].team
    found = {name: UserFactory(username=name, role=Role.MARKETER, team=team) for name in ("ent", "smb", "mid", "any")}
    gone = UserFactory(username="gone", role=Role.MARKETER, team=team, is_active=False)
    line(found["ent"], segment="enterprise")
    line(found["smb"], segment="smb")
    line(found["mid"], segment="mid_market", territory="EMEA")
    line(found["any"], territory="APAC")  # a blank segment concerns every segment
    line(gone, segment="enterprise", territory="NA-East")
    line(rep=people["rep"], segment="smb", territory="EMEA")  # names no marketer
    return {**found, "manager": people["marketing_manager"]}


def test_delivery_reaches_exactly_the_marketers_of_the_digests_segments_once(world, marketers, people):
    digest = digest_compute(period_kind="week", period_start=WEEK2)
    assert digest_deliver(digest_id=digest.pk) == 5
    sent = {d.recipient.username: d.segments for d in DigestDelivery.objects.filter(digest=digest)}
    assert sent == {
        "ent": ["enterprise"],
        "smb": ["smb"],
        "mid": ["mid_market"],
        "any": ["enterprise", "mid_market", "smb"],
        "mktmgr": ["enterprise", "mid_market", "smb"],
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        marketers[n].email for n in ("ent", "smb", "mid", "any", "manager")
    )
    by_name = {m.to[0]: m for m in mail.outbox}
    ent, mid = by_name[marketers["ent"].email], by_name[marketers["mid"].email]
    assert "- Price / value: 2 (+1)" in ent.body and "- Globex: 1 (new)" in ent.body
    assert "- Timing: 1 (new)" in mid.body and "Price / value" not in mid.body
    assert "/insights/?period_kind=week&period_start=2026-11-16" in mid.body
    html, mime = mid.alternatives[0]
    assert mime == "text/html" and "<td>Timing</td>" in html
    assert Notification.objects.filter(kind="insight_digest", subject_id=digest.pk).count() == 5
    assert digest_deliver(digest_id=digest.pk) == 0
    assert len(mail.outbox) == 5 and DigestDelivery.objects.count() == 5


def test_a_digest_goes_only_to_marketers_of_the_segments_it_concerns(world, marketers):
    digest = digest_compute(period_kind="week", period_start=WEEK1)  # enterprise and smb only
    assert digest_deliver(digest_id=digest.pk) == 4
    assert set(DigestDelivery.objects.values_list("recipient__username", flat=True)) == {"ent", "smb", "any", "mktmgr"}


def test_the_weekly_job_computes_last_week_and_its_month_and_delivers_the_week(world, marketers):
    ids = insight_digest_weekly(today="2026-11-23")
    digests = Digest.objects.filter(pk__in=ids)
    assert {(d.period_kind, d.period_start) for d in digests} == {("week", WEEK2), ("month", date(2026, 11, 1))}
    assert set(DigestDelivery.objects.values_list("digest__period_kind", flat=True)) == {"week"}
    assert len(mail.outbox) == 5
    week = Digest.objects.get(period_kind="week")
    assert rows(week) == expected(world, WEEK2_COUNTS)
    insight_digest_weekly(today="2026-11-23")
    assert len(mail.outbox) == 5 and Digest.objects.count() == 2 and rows(week) == expected(world, WEEK2_COUNTS)


def test_the_api_returns_a_period_and_a_slice(world, people, api):
    digest_compute(period_kind="week", period_start=WEEK2)
    client = api(people["rep"])
    body = client.get("/api/v1/digests/period/?period_kind=week&period_start=2026-11-16").json()
    assert (body["report_count"], body["previous_report_count"], len(body["counts"])) == (6, 3, 42)
    response = client.get(
        "/api/v1/digests/period/?period_kind=week&period_start=2026-11-16&dimension=segment&value=smb"
    )
    counts = {
        (c["tag_slug"], c["count"], c["previous_count"], c["change"], c["is_new"]) for c in response.json()["counts"]
    }
    assert counts == {("price_value", 1, 1, 0, False), ("timing", 0, 1, -1, False)}
    listed = client.get("/api/v1/digests/?period_kind=week").json()["results"]
    assert [d["period_start"] for d in listed] == ["2026-11-16"]
    detail = client.get(f"/api/v1/digests/{listed[0]['id']}/?dimension=all").json()
    assert {c["tag_slug"]: c["change"] for c in detail["counts"]}["price_value"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period_kind=week&period_start=2026-11-17", "period_start"),  # a Tuesday
        ("period_kind=month&period_start=2026-11-16", "period_start"),  # not the first
        ("period_kind=week&period_start=2026-02-30", "period_start"),
        ("period_kind=week&period_start=yesterday", "period_start"),
        ("period_kind=week&period_start=0001-01-01", "period_start"),
        ("period_kind=week&period_start=2026-11-16%00", "period_start"),
        ("period_kind=week&period_start=9999-12-27", "period_start"),  # the future
        ("period_kind=fortnight&period_start=2026-11-16", "period_kind"),
        ("period_start=2026-11-16", "period_kind"),
        ("period_kind=week&period_start=2026-11-16&dimension=colour", "dimension"),
        (f"period_kind=week&period_start=2026-11-16&dimension=segment&value={'x' * 100_000}", "value"),
    ],
)
def test_bad_period_input_is_a_400_naming_it(people, api, query, field):
    response = api(people["marketer"]).get(f"/api/v1/digests/period/?{query}")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"], response.json()


def test_unknown_digests_are_404s(people, api):
    client = api(people["marketer"])
    assert client.get("/api/v1/digests/period/?period_kind=week&period_start=2026-11-16").status_code == 404
    assert client.get("/api/v1/digests/abc/").status_code == 404
    assert client.get("/api/v1/digests/999999/").status_code == 404
    assert client.get("/api/v1/digests/?period_start=2026-13-01").status_code == 400


def test_a_marketer_links_an_objection_to_collateral_and_the_page_shows_it(world, people, api, client):
    digest_compute(period_kind="week", period_start=WEEK2)
    price = world["tags"]["price"]
    deck = Collateral.objects.create(title="ROI calculator", kind="deck", owner=people["marketer"])
    response = api(people["marketer"]).post(
        "/api/v1/insight-responses/", {"tag": price.pk, "collateral": deck.pk, "note": "An ROI one-pager for reps"}
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["tag_label"], response.json()["collateral_title"]) == ("Price / value", "ROI calculator")
    client.force_login(people["rep"])
    page = client.get("/insights/?period_kind=week&period_start=2026-11-16")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Price / value</strong> · 4 reports" in html and ">+2<" in html and ">new<" in html
    assert "ROI calculator" in html and "An ROI one-pager for reps" in html
    assert "Slow dashboards." in html
    sliced = client.get("/insights/?period_kind=week&period_start=2026-11-16&slice=segment:mid_market").content.decode()
    assert "Timing</strong> · 1 report" in sliced and "Price / value</strong>" not in sliced


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tag": 999999, "campaign": None}, "tag"),
        ({"tag": "abc"}, "tag"),
        ({"note": "x"}, "tag"),
        ({"tag": "PRICE"}, "collateral"),  # neither collateral nor campaign
        ({"tag": "PRICE", "campaign": 999999}, "campaign"),
        ({"tag": "CORE", "campaign": "C1"}, "tag"),  # a product is not an insight
        ({"tag": "PRICE", "campaign": "C1", "note": "x" * 100_000}, "note"),
        ({"tag": "PRICE", "campaign": "C1", "note": "bad\x00note"}, "note"),
    ],
)
def test_bad_responses_are_refused_naming_the_field(world, people, api, payload, field):
    ids = {"PRICE": world["tags"]["price"].pk, "CORE": world["tags"]["core"].pk, "C1": world["campaigns"]["c1"].pk}
    payload = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    response = api(people["marketer"]).post("/api/v1/insight-responses/", payload)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"]
    assert not InsightResponse.objects.exists()


def test_deeply_nested_json_is_a_400(people, api):
    body = "[" * 5000 + "]" * 5000
    response = api(people["marketer"]).generic(
        "POST", "/api/v1/insight-responses/", body, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_rep_reads_responses_but_cannot_record_one(world, people, api, token_client_for):
    client = api(people["rep"])
    response = client.post(
        "/api/v1/insight-responses/", {"tag": world["tags"]["price"].pk, "campaign": world["campaigns"]["c1"].pk}
    )
    assert response.status_code == 403
    assert client.get("/api/v1/insight-responses/").status_code == 200
    write_only = token_client_for(people["marketer"], scopes=("call_reports:write",))
    assert write_only.get("/api/v1/insight-responses/").status_code == 403
    assert write_only.get("/api/v1/digests/").status_code == 403


def test_list_query_counts_do_not_grow_with_page_size(world, people, api, django_assert_max_num_queries):
    for n in range(6):
        InsightResponse.objects.create(
            tag=world["tags"]["price"], campaign=world["campaigns"]["c1"], note=f"n{n}", created_by=people["marketer"]
        )
    for start in (date(2026, 10, 26), date(2026, 11, 2), WEEK1, WEEK2):
        digest_compute(period_kind="week", period_start=start)
    client = api(people["marketer"])
    for url in ("/api/v1/insight-responses/", "/api/v1/digests/"):
        with django_assert_max_num_queries(20) as one:
            assert len(client.get(f"{url}?page_size=1").json()["results"]) == 1
        with django_assert_max_num_queries(len(one.captured_queries)):
            assert len(client.get(f"{url}?page_size=50").json()["results"]) >= 4


def test_the_page_says_when_no_digest_exists_and_a_manager_computes_it(world, people, client):
    client.force_login(people["sales_manager"])
    page = client.get("/insights/?period_kind=week&period_start=2026-11-16").content.decode()
    assert "No digest has been computed for this week yet." in page and "Compute now" in page
    response = client.post("/insights/compute/", {"period_kind": "week", "period_start": "2026-11-16"})
    assert response.status_code == 302
    assert rows(Digest.objects.get()) == expected(world, WEEK2_COUNTS)
    client.force_login(people["rep"])
    assert "Compute now" not in client.get("/insights/?period_kind=month&period_start=2026-11-01").content.decode()
    client.post("/insights/compute/", {"period_kind": "month", "period_start": "2026-11-01"})
    assert Digest.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    [
        "period_kind=week&period_start=2026-11-17",
        "period_kind=week&period_start=2026-02-30",
        "period_kind=year",
        "period_kind=week&period_start=2026-11-16&slice=colour:red",
        "period_kind=week&period_start=2026-11-16%00",
    ],
)
def test_the_page_answers_bad_periods_with_a_400_naming_them(people, client, query):
    client.force_login(people["marketer"])
    response = client.get(f"/insights/?{query}")
    assert response.status_code == 400
    assert "That period or slice does not exist" in response.content.decode()


def test_the_insights_item_is_in_marketing_and_manager_navigation(people, client):
    for role in ("marketer", "marketing_manager", "sales_manager", "leader"):
        client.force_login(people[role])
        assert 'href="/insights/"' in client.get("/insights/").content.decode(), role


def test_a_week_straddling_two_months_computes_both_and_delivers_the_finished_one(world, people):
    ids = insight_digest_weekly(today="2026-11-02")  # the week of 26 Oct – 1 Nov
    computed = {(d.period_kind, d.period_start) for d in Digest.objects.filter(pk__in=ids)}
    assert computed == {("week", date(2026, 10, 26)), ("month", date(2026, 10, 1)), ("month", date(2026, 11, 1))}
    delivered = set(DigestDelivery.objects.values_list("digest__period_kind", "digest__period_start"))
    assert delivered == {("week", date(2026, 10, 26)), ("month", date(2026, 10, 1))}  # November is not over
    assert set(DigestDelivery.objects.values_list("recipient__username", flat=True)) == {"mktmgr"}


def test_the_page_refuses_a_response_without_an_answer_or_from_a_rep(world, people, client):
    digest_compute(period_kind="week", period_start=WEEK2)
    form = {"period_kind": "week", "period_start": "2026-11-16", "tag": world["tags"]["price"].pk, "note": "x"}
    client.force_login(people["marketer"])
    response = client.post("/insights/responses/", form)
    assert response.status_code == 400
    assert "Name the collateral or the campaign that answers it" in response.content.decode()
    client.force_login(people["rep"])
    response = client.post("/insights/responses/", {**form, "campaign": world["campaigns"]["c1"].pk})
    assert response.status_code == 400
    assert "Only marketing (and the revenue leader) records" in response.content.decode()
    assert not InsightResponse.objects.exists()


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "django.core.mail.backends.console.EmailBackend"),
        ({"EMAIL_FILE_PATH": "/tmp/crm-mail"}, "django.core.mail.backends.filebased.EmailBackend"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"},
            "django.core.mail.backends.smtp.EmailBackend",
        ),
    ],
)
def test_mail_goes_to_the_console_by_default_to_files_with_a_path_and_smtp_when_told(env, backend):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    script = "from config import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_PORT, s.DEFAULT_FROM_EMAIL)"
    result = subprocess.run(
        [sys.executable, "-c", script], env={**clean, "DEBUG": "true", **env}, capture_output=True, text=True
    )
    assert result.stdout.split() == [backend, "25", "crm@localhost"], result.stderr[-500:]


def test_a_malformed_mail_port_stops_start_up_naming_it():
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "EMAIL_PORT": "smtp"}
    result = subprocess.run([sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "EMAIL_PORT='smtp' is not an integer" in result.stderr
