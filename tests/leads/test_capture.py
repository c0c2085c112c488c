import pytest
from django.core.exceptions import ValidationError

from crm.models import Company
from funnel.services.intake import lead_create
from leads.exceptions import DuplicateLead
from leads.imports.services import import_job_create, import_job_run
from leads.services import company_domain_normalize, email_normalize, lead_update


def test_email_normalisation_lowercases_and_drops_plus_tags():
    assert email_normalize("  Jane.Doe+Webinar@ACME.com ") == "jane.doe@acme.com"
    assert email_normalize("") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("https://www.Acme.com/about", "acme.com"), ("ACME.COM.", "acme.com"), ("acme.com:443", "acme.com"), ("", "")],
)
def test_domain_normalisation(raw, expected):
    assert company_domain_normalize(raw) == expected


NOT_A_DOMAIN = ["not a domain", "a" * 300, "acme", "acme_corp.com"]


@pytest.mark.parametrize("domain", NOT_A_DOMAIN)
def test_a_lead_whose_company_domain_is_not_a_domain_is_refused_naming_it(people, api, domain):
    response = api(people["marketer"]).post("/api/v1/leads/", {"last_name": "A", "company_domain": domain})
    assert response.status_code == 400, response.content
    assert "is not a web domain; write it like acme.com." in response.data["errors"]["company_domain"][0]
    assert not Company.objects.exists()


@pytest.mark.parametrize("domain", NOT_A_DOMAIN)
def test_capture_and_edit_refuse_a_company_domain_that_is_not_a_domain(people, domain):
    with pytest.raises(ValidationError) as refused:
        lead_create(actor=people["admin"], data={"last_name": "A", "company_domain": domain})
    assert set(refused.value.message_dict) == {"company_domain"}
    lead = lead_create(actor=people["admin"], data={"last_name": "B"})
    with pytest.raises(ValidationError) as refused:
        lead_update(lead=lead, fields={"company_domain": domain})
    assert set(refused.value.message_dict) == {"company_domain"}
    assert not Company.objects.exists()


def test_the_import_refuses_a_company_domain_as_capture_does(people):
    content = b"email,last_name,company.domain\na@x.example,A,not a domain\n"
    job = import_job_create(actor=people["marketer"], content=content, filename="f.csv", dry_run=False)
    row = import_job_run(job_id=job.pk).rows.get()
    with pytest.raises(ValidationError) as refused:
        company_domain_normalize("not a domain")
    assert row.errors == {"company.domain": refused.value.message_dict["company_domain"][0]}


@pytest.mark.django_db
def test_leads_of_one_domain_share_one_company(people):
    a = lead_create(actor=people["admin"], data={"last_name": "A", "company_domain": "www.globex.example"})
    b = lead_create(actor=people["admin"], data={"last_name": "B", "company_domain": "https://GLOBEX.example/"})
    assert a.company_id == b.company_id
    assert Company.objects.get().domain == "globex.example"


@pytest.mark.django_db
def test_duplicate_email_is_refused_on_create_and_update(people):
    first = lead_create(actor=people["admin"], data={"last_name": "A", "email": "a@x.example"})
    with pytest.raises(DuplicateLead) as info:
        lead_create(actor=people["admin"], data={"last_name": "A2", "email": "A+2@X.example"})
    assert info.value.existing == first
    second = lead_create(actor=people["admin"], data={"last_name": "B", "email": "b@x.example"})
    with pytest.raises(DuplicateLead):
        lead_update(lead=second, fields={"email": "a@x.example"})
    second.refresh_from_db()
    assert second.email == "b@x.example"


@pytest.mark.django_db
def test_invalid_field_values_are_refused_by_name(people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        lead_create(actor=people["admin"], data={"last_name": "A", "currency": "dollars", "email": "not-an-email"})
    assert set(info.value.message_dict) == {"currency", "email"}
