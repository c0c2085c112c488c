"""The defaults both teams start from: stages and their owners, the allowed moves, the MQL/SAL/SQL levels
(without versions: criteria only count once both sides sign them off) and the rejection reason codes."""

from django.db import migrations

STAGES = [
    # key, position, owning function, outcome
    ("awareness", 1, "marketing", False),
    ("interest", 2, "marketing", False),
    ("consideration", 3, "shared", False),
    ("intent", 4, "sales", False),
    ("evaluation", 5, "sales", False),
    ("purchase", 6, "sales", False),
    ("lost", 7, "sales", True),
    ("nurture", 8, "marketing", True),
]
FUNNEL = ["awareness", "interest", "consideration", "intent", "evaluation"]
MOVES = (
    # Forward one stage at a time; back one stage (sales feeding back up); any open stage out to lost or
    # nurture; nurture re-enters the top of the funnel; lost can be recycled to nurture.
    [(a, b) for a, b in zip(FUNNEL, [*FUNNEL[1:], "purchase"], strict=True)]
    + [(b, a) for a, b in zip(FUNNEL, FUNNEL[1:], strict=False)]
    + [(stage, "lost") for stage in FUNNEL]
    + [(stage, "nurture") for stage in FUNNEL]
    + [("nurture", "awareness"), ("nurture", "interest"), ("nurture", "consideration"), ("lost", "nurture")]
)
LEVELS = [
    ("MQL", "Marketing-qualified lead", "Meets the agreed fit and engagement bar; marketing hands it on.", 1),
    ("SAL", "Sales-accepted lead", "Sales reviewed it within the SLA and committed to work it.", 2),
    ("SQL", "Sales-qualified lead", "A conversation confirmed qualification; an opportunity exists.", 3),
]
REASONS = [
    # code, label, procedural, note required
    ("bad_data", "Bad or incomplete data", True, False),
    ("duplicate", "Duplicate of another lead", True, False),
    ("existing_opportunity", "Already an open opportunity", True, False),
    ("wrong_routing", "Routed to the wrong person or team", True, False),
    ("out_of_territory", "Out of territory", True, False),
    ("not_icp_fit", "Not our ideal customer profile", False, False),
    ("no_authority", "Contact has no authority", False, False),
    ("no_need", "No need for the product", False, False),
    ("no_budget", "No budget", False, False),
    ("bad_timing", "Bad timing", False, False),
    ("unreachable", "Unreachable after repeated attempts", False, False),
    ("competitor", "Competitor", False, False),
    ("student_or_job_seeker", "Student or job seeker", False, False),
    ("other", "Other (say why)", False, True),
]


def forwards(apps, schema_editor):
    Stage = apps.get_model("funnel", "Stage")
    StageMove = apps.get_model("funnel", "StageMove")
    LeadDefinition = apps.get_model("funnel", "LeadDefinition")
    RejectionReason = apps.get_model("funnel", "RejectionReason")
    for key, position, function, outcome in STAGES:
        Stage.objects.create(key=key, position=position, owning_function=function, is_outcome=outcome)
    for a, b in MOVES:
        StageMove.objects.create(from_stage_id=a, to_stage_id=b)
    for code, name, description, rank in LEVELS:
        LeadDefinition.objects.create(code=code, name=name, description=description, rank=rank)
    for code, label, procedural, note_required in REASONS:
        RejectionReason.objects.create(code=code, label=label, procedural=procedural, note_required=note_required)


def backwards(apps, schema_editor):
    for model in ("StageMove", "Stage", "LeadDefinition", "RejectionReason"):
        apps.get_model("funnel", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("funnel", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
