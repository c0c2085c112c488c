"""Indexes the metric families read a period through (issue 11's benchmark: a day's entries walked the whole
lead-ordered span index, each new-customer count read every earlier purchase span, each cost per MQL every move,
and the dashboard every row of its period's snapshot)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0016_diagnostic"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stagespan",
            index=models.Index(fields=["entered_at"], name="span_entered"),
        ),
        migrations.AddIndex(
            model_name="stagespan",
            index=models.Index(
                condition=models.Q(("stage", "purchase")),
                fields=["entered_at", "id"],
                include=["lead"],
                name="span_purchase",
            ),
        ),
        migrations.AddIndex(
            model_name="transition",
            index=models.Index(
                condition=models.Q(("definition_versions__contains", [{"code": "MQL"}])),
                fields=["occurred_at"],
                name="transition_mql_time",
            ),
        ),
        # One slice of a snapshot (the dashboard) instead of all its rows; it also serves what the plain snapshot
        # index did, which goes, so a recompute's inserts keep three indexes to maintain.
        migrations.AddIndex(
            model_name="metricvalue",
            index=models.Index(fields=["snapshot", "dimension", "dimension_value"], name="metric_value_slice"),
        ),
        migrations.AlterField(
            model_name="metricvalue",
            name="snapshot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="values",
                to="funnel.metricsnapshot",
            ),
        ),
    ]
