"""The "who to call" directory: the most specific line answers per role (key account > product > territory >
segment), people checked for their function, one line per slice, confirmation stamps, the API and the page."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from config.errors import NotAllowed
from crm.directory import directory_lookup
from crm.models import CallReport, CallReportTag, Company, Responsibility, Tag
from crm.services.directory import (
    responsibility_confirm,
    responsibility_create,
    responsibility_delete,
    responsibility_update,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _product(slug: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(kind="product", slug=slug, defaults={"label": slug.title()})
    return tag


@pytest.fixture
def world(people, teams):
    """A key account, two products, and a sales rep, marketer and liaison per level of the ladder."""

    def sales(name):
        return UserFactory(username=name, first_name=name.title(), role=Role.SALES_REP, team=teams["sales"])

    def marketing(name):
        return UserFactory(username=name, first_name=name.title(), role=Role.MARKETER, team=teams["marketing"])

    return {
        "acme": Company.objects.create(
            name="Acme",
            domain="acme.example",
            segment="enterprise",
            territory="EMEA",
            is_key_account=True,
            key_account_tier=1,
        ),
        "plain": Company.objects.create(name="Plain", domain="plain.example", segment="enterprise", territory="EMEA"),
        "core": _product("core"),
        "analytics": _product("analytics"),
        **{name: sales(name) for name in ("anyrep", "segrep", "terrep", "prodrep", "acctrep", "prodrep2")},
        **{name: marketing(name) for name in ("anymkt", "segmkt")},
    }


def _line(people, **fields) -> Responsibility:
    return responsibility_create(user=people["sales_manager"], **fields)


def _who(answers) -> dict:
    return {a.role: (a.person.username if a.person else None) for a in answers}


def test_each_dimension_beats_the_less_specific_ones(people, world):
    _line(people, rep=world["anyrep"], marketer=world["anymkt"], manager=people["sales_manager"])
    _line(people, segment="enterprise", rep=world["segrep"])
    _line(people, segment="enterprise", territory="EMEA", rep=world["terrep"])
    _line(people, territory="EMEA", product=world["core"], rep=world["prodrep"])
    _line(people, company=world["acme"], rep=world["acctrep"])

    def rep(**slice_):
        return _who(directory_lookup(**slice_))["rep"]

    assert rep(segment="smb", territory="APAC") == "anyrep"  # only the blank line matches
    assert rep(segment="enterprise", territory="APAC") == "segrep"
    assert rep(segment="enterprise", territory="EMEA") == "terrep"
    assert rep(segment="enterprise", territory="EMEA", product_ids=[world["core"].pk]) == "prodrep"
    assert rep(segment="smb", territory="EMEA", product_ids=[world["core"].pk]) == "prodrep"  # 4+2 > 2+1
    assert rep(segment="enterprise", territory="EMEA", product_ids=[world["analytics"].pk]) == "terrep"
    everything = {"segment": "enterprise", "territory": "EMEA", "product_ids": [world["core"].pk]}
    assert rep(company_id=world["acme"].pk, **everything) == "acctrep"
    assert rep(company_id=world["plain"].pk, **everything) == "prodrep"  # a line names Acme, not Plain


def test_a_role_missing_on_the_specific_line_falls_back_to_the_broader_line_for_that_role_only(people, world):
    _line(people, rep=world["anyrep"], marketer=world["anymkt"], liaison=people["sdr"], manager=people["leader"])
    _line(people, segment="enterprise", marketer=world["segmkt"], manager=people["sales_manager"])
    key = _line(people, company=world["acme"], rep=world["acctrep"])
    answers = {a.role: a for a in directory_lookup(segment="enterprise", territory="EMEA", company_id=world["acme"].pk)}
    assert _who(answers.values()) == {
        "rep": "acctrep",
        "marketer": "segmkt",
        "liaison": "sdr",
        "manager": "salesmgr",
    }
    assert (answers["rep"].line_id, answers["rep"].specificity, answers["rep"].line) == (key.pk, 8, "Acme")
    assert (answers["marketer"].specificity, answers["marketer"].line) == (1, "Enterprise")
    assert (answers["liaison"].specificity, answers["liaison"].line) == (0, "Everyone else")
    assert answers["rep"].confirmed_at == key.confirmed_at


def test_a_named_dimension_must_match_and_nobody_answers_without_a_line(people, world):
    _line(people, segment="enterprise", territory="EMEA", rep=world["terrep"])
    assert _who(directory_lookup(segment="", territory="EMEA")) == dict.fromkeys(
        ("rep", "marketer", "liaison", "manager")
    )
    assert [a.person for a in directory_lookup(segment="smb")] == [None] * 4


def test_equal_lines_answer_by_the_most_recent_confirmation(people, world):
    first = _line(people, product=world["core"], rep=world["prodrep"])
    second = _line(people, product=world["analytics"], rep=world["prodrep2"])
    both = [world["core"].pk, world["analytics"].pk]
    assert _who(directory_lookup(product_ids=both))["rep"] == "prodrep2"
    responsibility_confirm(user=people["leader"], responsibility_id=first.pk)
    assert _who(directory_lookup(product_ids=both))["rep"] == "prodrep"
    assert second.pk  # still there, just older


def test_products_come_from_the_lead_or_company_call_reports(people, world, make_lead):
    _line(people, product=world["analytics"], rep=world["prodrep"])
    lead = make_lead(segment="smb")
    report = CallReport.objects.create(
        lead=lead, author=people["rep"], occurred_on=timezone.localdate(), channel="call", outcome="Demo"
    )
    CallReportTag.objects.create(report=report, tag=world["analytics"])
    assert _who(directory_lookup(segment="smb"))["rep"] is None
    assert _who(directory_lookup(segment="smb", products_reported_for_lead=lead.pk))["rep"] == "prodrep"
    CallReport.objects.create(
        company=world["plain"], author=people["rep"], occurred_on=timezone.localdate(), channel="visit", outcome="Met"
    ).tag_links.create(tag=world["analytics"])
    assert _who(directory_lookup(products_reported_for_company=world["plain"].pk))["rep"] == "prodrep"


def test_the_lookup_is_one_query(people, world, django_assert_num_queries):
    _line(people, rep=world["anyrep"])
    _line(people, company=world["acme"], rep=world["acctrep"], marketer=world["anymkt"])
    directory_lookup(segment="smb")  # the first lookup on a connection also prepares the statement
    with django_assert_num_queries(1):
        directory_lookup(
            segment="enterprise",
            territory="EMEA",
            company_id=world["acme"].pk,
            product_ids=[world["core"].pk],
            products_reported_for_lead=1,
        )


# --- the services -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "who", "message"),
    [
        ("rep", "marketer", "marketer is not in sales"),
        ("marketer", "rep", "rep is not in marketing"),
        ("manager", "rep", "rep is a sales rep, not a manager"),
        ("liaison", "integration", "integration is not an active person"),
    ],
)
def test_people_are_checked_for_their_function(people, role, who, message):
    with pytest.raises(ValidationError) as caught:
        _line(people, segment="smb", **{role: people[who]})
    assert message in caught.value.message_dict[role][0]
    assert not Responsibility.objects.exists()


def test_an_inactive_person_is_refused(people, world):
    world["segrep"].is_active = False
    world["segrep"].save()
    with pytest.raises(ValidationError, match="segrep is not an active person"):
        _line(people, rep=world["segrep"])


def test_a_duplicate_slice_is_refused_naming_the_line_it_repeats(people, world):
    first = _line(people, segment="enterprise", territory="EMEA", rep=world["terrep"])
    with pytest.raises(ValidationError) as caught:
        _line(people, segment="enterprise", territory=" EMEA ", marketer=world["anymkt"])
    assert f"(#{first.pk}): edit that one instead" in caught.value.message_dict["segment"][0]
    second = _line(people, segment="enterprise", rep=world["segrep"])
    with pytest.raises(ValidationError, match="edit that one instead"):
        responsibility_update(user=people["leader"], responsibility_id=second.pk, territory="EMEA")
    assert Responsibility.objects.count() == 2


def test_bad_slices_are_refused_by_name(people, world):
    with pytest.raises(ValidationError, match="Plain is not a key account"):
        _line(people, company=world["plain"], rep=world["anyrep"])
    objection = Tag.objects.create(kind="objection", slug="too_dear", label="Too dear")
    with pytest.raises(ValidationError, match="'Too dear' is not a product"):
        _line(people, product=objection, rep=world["anyrep"])
    with pytest.raises(ValidationError, match="Name at least one person"):
        _line(people, segment="smb")
    with pytest.raises(ValidationError, match="'galactic' is not a segment"):
        _line(people, segment="galactic", rep=world["anyrep"])
    with pytest.raises(ValidationError, match="at most 50"):
        _line(people, territory="x" * 51, rep=world["anyrep"])
    assert not Responsibility.objects.exists()


@pytest.mark.parametrize("who", ["rep", "sdr", "marketer", "integration"])
def test_only_managers_leaders_and_admins_write(people, world, who):
    with pytest.raises(NotAllowed):
        responsibility_create(user=people[who], rep=world["anyrep"])
    line = _line(people, rep=world["anyrep"])
    for write in (responsibility_confirm, responsibility_delete):
        with pytest.raises(NotAllowed):
            write(user=people[who], responsibility_id=line.pk)
    with pytest.raises(NotAllowed):
        responsibility_update(user=people[who], responsibility_id=line.pk, note="mine now")
    for who_may in ("marketing_manager", "leader", "admin"):
        responsibility_confirm(user=people[who_may], responsibility_id=line.pk)


def test_confirming_and_editing_stamp_the_line(people, world):
    line = _line(people, segment="smb", rep=world["anyrep"], marketer=world["anymkt"])
    assert line.confirmed_by == people["sales_manager"]
    Responsibility.objects.filter(pk=line.pk).update(confirmed_at=timezone.now() - timedelta(days=200))
    confirmed = responsibility_confirm(user=people["leader"], responsibility_id=line.pk)
    assert confirmed.confirmed_by == people["leader"]
    assert timezone.now() - confirmed.confirmed_at < timedelta(seconds=5)
    again = responsibility_confirm(user=people["leader"], responsibility_id=line.pk)
    assert again.confirmed_at >= confirmed.confirmed_at and Responsibility.objects.count() == 1
    edited = responsibility_update(
        user=people["marketing_manager"], responsibility_id=line.pk, marketer=None, note=" Handover in May "
    )
    assert (edited.marketer, edited.note, edited.confirmed_by) == (None, "Handover in May", people["marketing_manager"])
    with pytest.raises(ValidationError, match="Name at least one person"):
        responsibility_update(user=people["leader"], responsibility_id=line.pk, rep=None)
    responsibility_delete(user=people["leader"], responsibility_id=line.pk)
    assert not Responsibility.objects.exists()


# --- the API -----------------------------------------------------------------------------------------------


def test_api_creates_edits_confirms_and_deletes_a_line(api, people, world):
    client = api(people["sales_manager"])
    created = client.post(
        "/api/v1/responsibilities/",
        {"segment": "enterprise", "territory": "EMEA", "rep": world["terrep"].pk, "manager": people["leader"].pk},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["slice"], body["rep"]["username"], body["manager"]["username"], body["stale"]) == (
        "Enterprise · EMEA",
        "terrep",
        "leader",
        False,
    )
    line = f"/api/v1/responsibilities/{body['id']}/"
    assert client.put(line, {"note": "x"}).status_code == 405
    patched = client.patch(line, {"marketer": world["anymkt"].pk, "rep": None})
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["rep"], patched.json()["marketer"]["username"]) == (None, "anymkt")
    confirmed = api(people["leader"]).post(f"{line}confirm/")
    assert (confirmed.status_code, confirmed.json()["confirmed_by"]["username"]) == (200, "leader")
    assert client.delete(line).status_code == 204
    assert client.get(line).status_code == 404


def test_api_refuses_bad_writes_by_name(api, people, world):
    client = api(people["sales_manager"])
    first = client.post("/api/v1/responsibilities/", {"segment": "smb", "rep": world["anyrep"].pk}).json()
    cases = [
        ({"segment": "smb", "marketer": world["anymkt"].pk}, "segment", f"#{first['id']}"),
        ({"rep": people["marketer"].pk}, "rep", "not in sales"),
        ({"rep": "abc"}, "rep", "Incorrect type"),
        ({"rep": 2**70}, "rep", ""),
        ({"territory": "x" * 100_000, "rep": world["anyrep"].pk}, "territory", "50"),
        ({"territory": "EM\x00EA", "rep": world["anyrep"].pk}, "territory", "NUL character"),
        ({"segment": "galactic", "rep": world["anyrep"].pk}, "segment", "not a valid choice"),
        ({"company": world["plain"].pk, "rep": world["anyrep"].pk}, "company", "not a key account"),
    ]
    for payload, field, words in cases:
        answer = client.post("/api/v1/responsibilities/", payload)
        assert answer.status_code == 400, (payload, answer.content)
        assert words in json.dumps(answer.json()["errors"][field]), answer.json()
    deep = "[" * 5000 + "]" * 5000
    answer = client.post("/api/v1/responsibilities/", deep, content_type="application/json")
    assert answer.status_code == 400
    assert api(people["rep"]).post("/api/v1/responsibilities/", {"rep": world["anyrep"].pk}).status_code == 403
    assert client.post("/api/v1/responsibilities/abc/confirm/").status_code == 404
    assert client.post(f"/api/v1/responsibilities/{2**63}/confirm/").status_code == 404
    assert Responsibility.objects.count() == 1


def test_api_lists_and_filters_lines(api, people, world):
    manager = api(people["sales_manager"])
    for body in (
        {"segment": "smb", "rep": world["anyrep"].pk},
        {"segment": "enterprise", "territory": "EMEA", "rep": world["terrep"].pk},
        {"product": world["core"].pk, "marketer": world["anymkt"].pk},
        {"company": world["acme"].pk, "rep": world["acctrep"].pk, "liaison": people["sdr"].pk},
    ):
        assert manager.post("/api/v1/responsibilities/", body).status_code == 201
    Responsibility.objects.filter(segment="smb").update(confirmed_at=timezone.now() - timedelta(days=181))
    client = api(people["rep"])  # everyone reads

    def slices(query=""):
        answer = client.get(f"/api/v1/responsibilities/{query}")
        assert answer.status_code == 200, answer.content
        return sorted(line["slice"] for line in answer.json()["results"])

    assert len(slices()) == 4
    assert slices("?segment=enterprise") == ["Enterprise · EMEA"]
    assert slices("?territory=emea") == ["Enterprise · EMEA"]
    assert slices(f"?product={world['core'].pk}") == [world["core"].label]
    assert slices(f"?company={world['acme'].pk}") == ["Acme"]
    assert slices(f"?person={people['sdr'].pk}") == ["Acme"]
    assert slices("?stale=true") == ["Small business"]
    for bad in ("?product=abc", "?company=1.5", f"?person={2**64}", "?segment=galactic", "?stale=perhaps"):
        assert client.get(f"/api/v1/responsibilities/{bad}").status_code == 400, bad


def test_list_query_count_does_not_grow_with_page_size(api, people, world):
    for n in range(30):
        _line(people, territory=f"T{n}", rep=world["anyrep"], marketer=world["anymkt"], liaison=people["sdr"])
    client = api(people["rep"])
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(f"/api/v1/responsibilities/?page_size={size}")
        assert answer.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_token_that_may_write_but_not_read_cannot_list(token_client_for, people):
    client = token_client_for(people["sales_manager"], scopes=["users:write"])
    assert client.get("/api/v1/responsibilities/").status_code == 403
    assert client.get("/api/v1/directory/lookup/?segment=smb").status_code == 403


def test_lookup_api_answers_for_a_lead_a_company_and_a_slice(api, people, world, make_lead):
    _line(people, segment="enterprise", rep=world["segrep"], marketer=world["segmkt"])
    _line(people, company=world["acme"], rep=world["acctrep"])
    lead = make_lead(company_domain="acme.example")
    client = api(people["marketer"])
    by_lead = client.get(f"/api/v1/directory/lookup/?lead={lead.pk}")
    assert by_lead.status_code == 200, by_lead.content
    answers = {a["role"]: a for a in by_lead.json()["answers"]}
    assert (answers["rep"]["person"]["username"], answers["rep"]["line"], answers["rep"]["specificity"]) == (
        "acctrep",
        "Acme",
        8,
    )
    assert answers["marketer"]["person"]["email"] == "segmkt@test.example"
    assert answers["liaison"]["person"] is None
    by_company = client.get(f"/api/v1/directory/lookup/?company={world['plain'].pk}").json()["answers"]
    assert by_company[0]["person"]["username"] == "segrep"
    by_slice = client.get("/api/v1/directory/lookup/?segment=enterprise&territory=APAC").json()["answers"]
    assert [a["person"]["username"] if a["person"] else None for a in by_slice] == ["segrep", "segmkt", None, None]


def test_lookup_api_refuses_bad_questions(api, people, world, make_lead):
    client = api(people["rep"])
    hidden = make_lead()  # the marketer's, in a marketing stage: a rep does not see it
    for query, status in (
        ("", 400),
        ("?lead=abc", 400),
        (f"?lead={2**64}", 400),
        ("?lead=1&company=1", 400),
        ("?lead=1&segment=smb", 400),
        ("?segment=galactic", 400),
        ("?product=abc", 400),
        ("?territory=" + "x" * 100_000, 400),
        ("?territory=EM%00EA", 400),
        ("?lead=999999", 404),
        ("?company=999999", 404),
    ):
        answer = client.get(f"/api/v1/directory/lookup/{query}")
        assert answer.status_code == status, (query[:40], answer.content[:300])
        assert answer.json()["detail"]
    # A lead the caller cannot see answers exactly like one that does not exist.
    assert client.get(f"/api/v1/directory/lookup/?lead={hidden.pk}").status_code == 404
    assert api(people["marketer"]).get(f"/api/v1/directory/lookup/?lead={hidden.pk}").status_code == 200


def test_the_schema_has_the_directory(api, people):
    schema = api(people["admin"]).get("/api/schema/?format=json").json()
    assert "/api/v1/directory/lookup/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/responsibilities/{id}/confirm/"]
    assert "put" not in schema["paths"]["/api/v1/responsibilities/{id}/"]


# --- the page ----------------------------------------------------------------------------------------------


def test_the_page_searches_and_flags_stale_lines(client, people, world):
    _line(people, segment="enterprise", territory="EMEA", rep=world["terrep"])
    old = _line(people, segment="smb", rep=world["anyrep"])
    Responsibility.objects.filter(pk=old.pk).update(confirmed_at=timezone.now() - timedelta(days=181))
    client.force_login(people["rep"])
    page = client.get(reverse("directory"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Enterprise · EMEA" in html and "Small business" in html
    assert html.count("over 180 days") == 1
    assert "Add a line" not in html and "Still true" not in html  # a rep reads only
    searched = client.get(reverse("directory"), {"segment": "enterprise", "territory": "EMEA"}).content.decode()
    assert "Who answers for this slice" in searched and "Terrep" in searched
    assert "<strong>Small business</strong>" not in searched and "<strong>Enterprise · EMEA</strong>" in searched
    assert client.get(reverse("directory"), {"product": "abc"}).status_code == 400
    assert client.get(reverse("directory"), {"territory": "x" * 100_000}).status_code == 400
    assert client.get(reverse("directory"), {"person": str(2**64)}).status_code == 400


def test_managers_add_edit_confirm_and_remove_lines_on_the_page(client, people, world):
    client.force_login(people["sales_manager"])
    added = client.post(reverse("directory-create"), {"segment": "smb", "rep": world["anyrep"].pk})
    assert added.status_code == 302
    line = Responsibility.objects.get()
    refused = client.post(reverse("directory-create"), {"segment": "smb", "marketer": world["anymkt"].pk})
    assert refused.status_code == 400 and "edit that one instead" in refused.content.decode()
    assert client.get(reverse("directory-edit", args=[line.pk])).status_code == 200
    edited = client.post(reverse("directory-edit", args=[line.pk]), {"segment": "smb", "rep": world["segrep"].pk})
    assert edited.status_code == 302
    Responsibility.objects.filter(pk=line.pk).update(confirmed_at=timezone.now() - timedelta(days=300))
    client.force_login(people["leader"])
    client.post(reverse("directory-confirm", args=[line.pk]))
    line.refresh_from_db()
    assert (line.rep, line.confirmed_by) == (world["segrep"], people["leader"])
    assert timezone.now() - line.confirmed_at < timedelta(seconds=5)
    client.post(reverse("directory-delete", args=[line.pk]))
    assert not Responsibility.objects.exists()
    assert client.post(reverse("directory-confirm", args=[999999])).status_code == 302  # "No such line"
    assert client.get(reverse("directory-edit", args=[999999])).status_code == 404


def test_a_rep_cannot_write_on_the_page(client, people, world):
    line = _line(people, segment="smb", rep=world["anyrep"])
    client.force_login(people["rep"])
    client.post(reverse("directory-create"), {"segment": "enterprise", "rep": world["anyrep"].pk})
    client.post(reverse("directory-delete", args=[line.pk]))
    assert list(Responsibility.objects.values_list("segment", flat=True)) == ["smb"]


def test_the_lead_page_shows_who_to_call(client, people, world, make_lead):
    _line(people, segment="enterprise", rep=world["segrep"], liaison=people["sdr"])
    lead = make_lead(segment="enterprise")
    client.force_login(people["marketer"])
    html = client.get(reverse("lead-detail", args=[lead.pk])).content.decode()
    assert "Who to call" in html and "mailto:segrep@test.example" in html
    assert "from the line for Enterprise" in html


def test_a_lead_without_owner_company_or_segment_gets_an_answer(people, world, make_lead):
    from funnel.directory import directory_for_lead
    from leads.models import Lead

    _line(people, rep=world["anyrep"])
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(segment="", territory="", company=None, owner=None)
    lead = Lead.objects.select_related("company").get(pk=lead.pk)
    assert _who(directory_for_lead(lead))["rep"] == "anyrep"


def test_the_company_page_shows_who_to_call(client, people, world):
    _line(people, company=world["acme"], rep=world["acctrep"])
    _line(people, segment="enterprise", marketer=world["segmkt"])
    client.force_login(people["rep"])
    html = client.get(reverse("company-detail", args=[world["acme"].pk])).content.decode()
    assert "Who to call" in html and "mailto:acctrep@test.example" in html and "mailto:segmkt@test.example" in html
