"""Managed taxonomies: autocomplete over labels, slugs and synonyms; a rep's suggestion (near-duplicates
refused by name); curators accept, reject and merge; client values resolved to terms or refused with the list."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from config.errors import NotAllowed, NotPending
from crm.models import CallReport, CallReportTag, Tag
from crm.services.taxonomy import tag_accept, tag_merge, tag_reject, tag_resolve, tag_search, tag_suggest

pytestmark = pytest.mark.django_db


def _company_report(people, *tags):
    from crm.models import Company

    company, _ = Company.objects.get_or_create(name="Acme", domain="acme.example")
    report = CallReport.objects.create(
        company=company, author=people["rep"], occurred_on=date(2026, 11, 2), channel="visit", outcome="Visit"
    )
    CallReportTag.objects.bulk_create(CallReportTag(report=report, tag=tag) for tag in tags)
    return report


def test_search_finds_a_term_by_synonym_in_any_case_accepted_first_then_my_suggestions(people):
    mine = tag_suggest(user=people["rep"], kind="objection", label="Procurement freeze")
    tag_suggest(user=people["rep2"], kind="objection", label="Procurement cycle too slow")
    assert [t.slug for t in tag_search(kind="objection", q="TOO EXPENSIVE")] == ["price_value"]
    assert [t.slug for t in tag_search(kind="objection", q="Budg", user=people["rep"])] == ["budget"]
    found = tag_search(kind="objection", q="pro", user=people["rep"])
    # "Missing capability" (slug product_gap) is accepted, so it comes before my own suggestion; rep2's is not mine.
    assert [(t.slug, t.status) for t in found] == [("product_gap", "accepted"), (mine.slug, "suggested")]


def test_a_suggestion_close_to_a_label_or_synonym_is_refused_naming_the_term(people):
    with pytest.raises(ValidationError) as label:
        tag_suggest(user=people["rep"], kind="objection", label="price / VALUE")
    assert (
        "“Price / value”" in label.value.message_dict["label"][0]
        and "use price_value" in label.value.message_dict["label"][0]
    )
    with pytest.raises(ValidationError) as synonym:
        tag_suggest(user=people["rep"], kind="objection", label="Too expensive!")
    assert "which also goes by “too expensive”" in synonym.value.message_dict["label"][0]
    first = tag_suggest(user=people["rep"], kind="competitor", label="Salesforce")
    with pytest.raises(ValidationError, match="already suggested: use salesforce"):
        tag_suggest(user=people["rep2"], kind="competitor", label="SalesForce.com")
    assert (first.slug, first.status, first.suggested_by) == ("salesforce", "suggested", people["rep"])
    assert Tag.objects.filter(kind="competitor").count() == 1


def test_a_curators_suggestion_is_accepted_at_once(people):
    tag = tag_suggest(user=people["sales_manager"], kind="competitor", label="HubSpot", synonyms=["hub spot", "HS"])
    assert (tag.status, tag.decided_by, tag.synonyms) == ("accepted", people["sales_manager"], ["hub spot", "HS"])


def test_curators_accept_and_reject_once_and_reps_cannot(people):
    tag = tag_suggest(user=people["rep"], kind="need", label="SSO")
    other = tag_suggest(user=people["rep"], kind="need", label="Audit log")
    with pytest.raises(NotAllowed):
        tag_accept(user=people["rep2"], tag_id=tag.pk)
    assert tag_accept(user=people["marketing_manager"], tag_id=tag.pk).status == "accepted"
    with pytest.raises(NotPending):
        tag_accept(user=people["admin"], tag_id=tag.pk)
    with pytest.raises(NotPending):
        tag_reject(user=people["admin"], tag_id=tag.pk)
    rejected = tag_reject(user=people["admin"], tag_id=other.pk)
    assert (rejected.status, rejected.decided_by) == ("rejected", people["admin"])


def test_merge_moves_report_links_without_duplicates_and_keeps_the_wording_as_a_synonym(people):
    price = Tag.objects.get(kind="objection", slug="price_value")
    pricey = tag_suggest(user=people["rep"], kind="objection", label="Licence fees", synonyms=["per-seat cost"])
    both = _company_report(people, price, pricey)
    only_new = _company_report(people, pricey)
    merged = tag_merge(user=people["sales_manager"], tag_id=pricey.pk, into_id=price.pk)
    assert merged.synonyms[-2:] == ["Licence fees", "per-seat cost"]
    assert not Tag.objects.filter(pk=pricey.pk).exists()
    assert sorted(CallReportTag.objects.filter(tag=price).values_list("report_id", flat=True)) == sorted(
        [both.pk, only_new.pk]
    )
    assert CallReportTag.objects.filter(report=both).count() == 1
    assert [t.slug for t in tag_search(kind="objection", q="licence")] == ["price_value"]


def test_merge_refuses_another_kind_a_suggestion_target_and_a_rep(people):
    suggestion = tag_suggest(user=people["rep"], kind="objection", label="Legal review")
    other_suggestion = tag_suggest(user=people["rep"], kind="objection", label="Security questionnaire")
    need = Tag.objects.get(kind="need", slug="reporting")
    with pytest.raises(NotAllowed):
        tag_merge(user=people["rep"], tag_id=suggestion.pk, into_id=Tag.objects.get(slug="timing").pk)
    for target in (need, other_suggestion):
        with pytest.raises(ValidationError, match="Merge into an accepted objection term"):
            tag_merge(user=people["admin"], tag_id=suggestion.pk, into_id=target.pk)
    assert Tag.objects.get(pk=suggestion.pk).status == "suggested"


def test_resolve_takes_slugs_and_ids_once_each_and_refuses_unknown_with_the_allowed_list(people):
    timing = Tag.objects.get(kind="objection", slug="timing")
    tags = tag_resolve(kind="objection", values=["BUDGET", timing.pk, "budget"])
    assert [t.slug for t in tags] == ["budget", "timing"]
    with pytest.raises(ValidationError) as refused:
        tag_resolve(kind="objection", values=["budget", "too_pricey"], field="objections")
    message = refused.value.message_dict["objections"][0]
    assert message.startswith("Unknown objection 'too_pricey': the allowed ones are authority, budget, competitor, ")
    assert "POST /api/v1/tags/" in message
    # A need's slug is no objection.
    with pytest.raises(ValidationError) as wrong_kind:
        tag_resolve(kind="objection", values=["reporting"])
    assert wrong_kind.value.message_dict["objection"][0].startswith("Unknown objection 'reporting'")


def test_a_rejected_term_cannot_be_used_but_a_suggestion_can(people):
    suggestion = tag_suggest(user=people["rep"], kind="competitor", label="Pipedrive")
    assert tag_resolve(kind="competitor", values=["pipedrive"]) == [suggestion]
    tag_reject(user=people["sales_manager"], tag_id=suggestion.pk)
    with pytest.raises(ValidationError, match="there is no accepted competitor yet"):
        tag_resolve(kind="competitor", values=["pipedrive"])
    with pytest.raises(ValidationError, match="which curators rejected"):
        tag_suggest(user=people["rep2"], kind="competitor", label="pipedrive")


# The API


def test_the_api_autocompletes_suggests_and_curates(people, api):
    rep, manager = api(people["rep"]), api(people["sales_manager"])
    found = rep.get("/api/v1/tags/?kind=objection&q=no%20money").json()
    assert [t["slug"] for t in found] == ["budget"]
    created = rep.post("/api/v1/tags/", {"kind": "competitor", "label": "Zoho"})
    assert created.status_code == 201 and created.json()["status"] == "suggested"
    tag_id = created.json()["id"]
    # Another rep does not see it in the autocomplete; curators see it among the suggestions.
    assert api(people["rep2"]).get("/api/v1/tags/?kind=competitor").json() == []
    queue = manager.get("/api/v1/tags/?status=suggested").json()
    assert [t["label"] for t in queue] == ["Zoho"]
    assert rep.post(f"/api/v1/tags/{tag_id}/accept/").status_code == 403
    assert manager.post(f"/api/v1/tags/{tag_id}/accept/").json()["status"] == "accepted"
    again = manager.post(f"/api/v1/tags/{tag_id}/reject/")
    assert (again.status_code, again.json()["code"]) == (409, "not_pending")


def test_the_api_refuses_a_duplicate_a_bad_kind_and_bad_input_by_name(people, api):
    rep = api(people["rep"])
    duplicate = rep.post("/api/v1/tags/", {"kind": "objection", "label": "not now"})
    assert duplicate.status_code == 400
    assert "use timing" in duplicate.json()["errors"]["label"][0]
    assert rep.get("/api/v1/tags/?kind=nonsense").json()["errors"].keys() == {"kind"}
    assert rep.post("/api/v1/tags/", {"kind": "need", "label": "x" * 100_000}).json()["errors"].keys() == {"label"}
    assert rep.post("/api/v1/tags/", {"kind": "need", "label": "a\x00b"}).status_code == 400
    assert rep.post("/api/v1/tags/abc/accept/").status_code == 404
    suggestion = rep.post("/api/v1/tags/", {"kind": "need", "label": "Data residency"}).json()
    merge = api(people["admin"]).post(f"/api/v1/tags/{suggestion['id']}/merge/", {"into": "x"})
    assert merge.json()["errors"].keys() == {"into"}
    nested = rep.post("/api/v1/tags/", '{"kind": ' + "[" * 5000 + "]" * 5000 + "}", content_type="application/json")
    assert nested.status_code == 400
    assert not Tag.objects.filter(kind="need", label__startswith="x").exists()


def test_the_tag_list_costs_the_same_queries_for_five_terms_or_fifty(people, api, django_assert_max_num_queries):
    client = api(people["sales_manager"])
    with django_assert_max_num_queries(20) as few:
        assert len(client.get("/api/v1/tags/?kind=product").json()) == 2
    Tag.objects.bulk_create(
        Tag(kind="product", slug=f"module_{n}", label=f"Module {n}", suggested_by=people["rep"]) for n in range(48)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/tags/?kind=product").json()) == 50


# The curation page


def test_managers_curate_on_the_taxonomy_page_and_reps_may_not(people, client):
    suggestion = tag_suggest(user=people["rep"], kind="objection", label="Licence fees")
    other = tag_suggest(user=people["rep"], kind="need", label="Data residency")
    _company_report(people, suggestion, Tag.objects.get(slug="budget"))
    client.force_login(people["rep"])
    assert client.get("/taxonomy/").status_code == 403
    assert client.post(f"/taxonomy/{suggestion.pk}/accept/").status_code == 403
    client.force_login(people["sales_manager"])
    page = client.get("/taxonomy/").content.decode()
    assert "Licence fees" in page and "Data residency" in page and "1 report" in page
    assert 'href="/taxonomy/"' in page  # the managers' navigation has it
    price = Tag.objects.get(slug="price_value")
    assert client.post(f"/taxonomy/{suggestion.pk}/merge/", {"into": price.pk}).status_code == 302
    assert "Licence fees" in Tag.objects.get(pk=price.pk).synonyms
    client.post(f"/taxonomy/{other.pk}/reject/")
    assert Tag.objects.get(pk=other.pk).status == "rejected"
    again = client.post(f"/taxonomy/{other.pk}/accept/", follow=True)
    assert "already decided" in again.content.decode()
    assert client.post("/taxonomy/999999/accept/", follow=True).status_code == 200
    assert client.post(f"/taxonomy/{other.pk}/merge/", {"into": "abc"}, follow=True).status_code == 200
    added = client.post("/taxonomy/new/", {"kind": "competitor", "label": "Zoho", "synonyms": "Zoho CRM, zcrm"})
    assert added.status_code == 302
    assert Tag.objects.get(kind="competitor").synonyms == ["Zoho CRM", "zcrm"]
    duplicate = client.post("/taxonomy/new/", {"kind": "competitor", "label": "zoho"})
    assert duplicate.status_code == 400 and "Too close to the competitor" in duplicate.content.decode()


def test_the_call_report_list_shows_each_reports_terms(people, client):
    _company_report(people, Tag.objects.get(slug="budget"), Tag.objects.get(slug="integration"))
    client.force_login(people["rep"])
    page = client.get("/call-reports/").content.decode()
    assert "No budget" in page and "Integration" in page and "(account)" in page
