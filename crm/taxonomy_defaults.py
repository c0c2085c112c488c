"""The taxonomies a fresh installation starts with: REFERENCE §7's objection classes and a few needs, product
feedback terms and products, which administrators curate from there. The migration that seeds them and the demo
(whose data a test database may have flushed) both call `default_terms_ensure`."""

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


def default_terms_ensure(tag_model) -> None:
    """Adds the default terms that are missing (by kind and slug); leaves existing ones, edited or not, alone.
    Takes the model so the migration can pass its historical one."""
    for kind, terms in DEFAULTS.items():
        for slug, label, synonyms in terms:
            tag_model.objects.get_or_create(kind=kind, slug=slug, defaults={"label": label, "synonyms": synonyms})
