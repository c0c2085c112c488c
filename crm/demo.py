"""The demo company's customers: companies across segments and territories, with a contact or two each."""

import random

from django.db import transaction

from crm.choices import Segment
from crm.models import Company, Contact

COMPANIES = [
    ("Northwind Logistics", "northwind.example", "Logistics", Segment.ENTERPRISE, "EMEA", 4200),
    ("Acme Robotics", "acme-robotics.example", "Manufacturing", Segment.ENTERPRISE, "NA-East", 9800),
    ("Blue Fjord Energy", "bluefjord.example", "Energy", Segment.ENTERPRISE, "EMEA", 2600),
    ("Cedar Health", "cedarhealth.example", "Healthcare", Segment.MID_MARKET, "NA-West", 850),
    ("Delta Freight", "deltafreight.example", "Logistics", Segment.MID_MARKET, "NA-East", 640),
    ("Evergreen Foods", "evergreenfoods.example", "Retail", Segment.MID_MARKET, "EMEA", 1200),
    ("Fable Studios", "fable.example", "Media", Segment.SMB, "NA-West", 60),
    ("Granite Legal", "granitelegal.example", "Professional services", Segment.SMB, "EMEA", 35),
    ("Harbor Fintech", "harborfin.example", "Finance", Segment.MID_MARKET, "APAC", 430),
    ("Iris Biotech", "irisbio.example", "Healthcare", Segment.ENTERPRISE, "APAC", 3100),
    ("Juniper Schools", "juniper.example", "Education", Segment.SMB, "NA-East", 120),
    ("Kestrel Aerospace", "kestrel.example", "Manufacturing", Segment.ENTERPRISE, "NA-West", 12000),
]
FIRST = ["Alex", "Bea", "Chen", "Dana", "Eli", "Farah", "Goran", "Hana", "Ivan", "Jo", "Kai", "Lena", "Omar", "Priya"]
LAST = ["Andersen", "Brooks", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski"]
TITLES = ["Head of Operations", "CFO", "IT Director", "VP Sales", "Procurement Lead", "COO", "Office Manager"]


@transaction.atomic
def seed_companies(*, seed: int = 7) -> list[Company]:
    rng = random.Random(seed)
    companies = []
    for name, domain, industry, segment, territory, employees in COMPANIES:
        company, created = Company.objects.get_or_create(
            domain=domain,
            defaults={
                "name": name,
                "industry": industry,
                "segment": segment,
                "territory": territory,
                "employees": employees,
            },
        )
        if created:
            for _ in range(rng.randint(1, 2)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                Contact.objects.create(
                    company=company,
                    first_name=first,
                    last_name=last,
                    email=f"{first.lower()}.{last.lower()}@{domain}",
                    title=rng.choice(TITLES),
                )
        companies.append(company)
    return companies
