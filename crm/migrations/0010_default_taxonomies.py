from django.db import migrations

# REFERENCE §7's default objection classes, and starting points for the other taxonomies that administrators
# curate from here on.
DEFAULTS = {
    "objection": [
        ("price_value", "Price / value", ["too expensive", "price", "cost", "roi"]),
        ("budget", "No budget", ["budget", "no money", "funding"]),
        ("no_need", "No need", ["not needed", "no use case"]),
        ("product_gap", "Missing capability", ["feature gap", "missing feature", "cannot do"]),
        ("timing", "Timing", ["not now", "next year", "later"]),
        ("authority", "Not the decision maker", ["authority", "boss decides", "no authority"]),
        ("status_quo", "Status quo / no decision", ["happy as is", "no decision", "spreadsheet"]),
        ("competitor", "Prefers a competitor", ["competition", "incumbent"]),
        ("trust_company", "Trust in us", ["trust", "references", "too small", "risk"]),
        ("other", "Other", []),
    ],
    "need": [
        ("lead_routing", "Lead routing", ["assignment", "round robin"]),
        ("reporting", "Reporting", ["dashboards", "analytics"]),
        ("integration", "Integration", ["api", "sync", "connector"]),
        ("alignment", "Sales–marketing alignment", ["silos", "handoff"]),
    ],
    "feedback": [
        ("ease_of_use", "Ease of use", ["ux", "usability", "easy"]),
        ("performance", "Performance", ["slow", "speed"]),
        ("mobile", "Mobile app", ["phone", "mobile"]),
    ],
    "product": [
        ("core", "Core CRM", ["crm", "base"]),
        ("analytics", "Analytics add-on", ["bi", "insights"]),
    ],
    "competitor": [],
}


def seed(apps, schema_editor):
    Tag = apps.get_model("crm", "Tag")
    for kind, terms in DEFAULTS.items():
        for slug, label, synonyms in terms:
            Tag.objects.get_or_create(kind=kind, slug=slug, defaults={"label": label, "synonyms": synonyms})


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_sales_side")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
