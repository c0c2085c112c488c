import pytest

from crm.models import Company
from funnel.services.intake import lead_create
from leads.exceptions import DuplicateLead
from leads.services import domain_normalize, email_normalize, lead_update


def test_email_normalisation_lowercases_and_drops_plus_tags():
    assert email_normalize("  Jane.Doe+Webinar@ACME.com ") == "jane.doe@acme.com"
    assert email_normalize("") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("https://www.Acme.com/about", "acme.com"), ("ACME.COM.", "acme.com"), ("acme.com:443", "acme.com"), ("", "")],
)
def test_domain_normalisation(raw, expected):
    assert domain_normalize(raw) == expected


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
