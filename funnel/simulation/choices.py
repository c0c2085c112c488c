from django.db import models


class SimulationKind(models.TextChoices):
    DEFINITION = "definition", "A proposed definition version"
    RULE = "rule", "A proposed or changed handoff rule"


class SimulationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RuleState(models.TextChoices):
    DRAFT = "draft", "Draft (not evaluated)"
    SHADOW = "shadow", "Shadow (evaluated and recorded, never refuses or routes)"
    ENFORCED = "enforced", "Enforced"
    RETIRED = "retired", "Retired"
