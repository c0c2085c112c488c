"""The shared target ("the number"): revenue targets per period, signed by both sides, and their splits."""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_routing_availability"),
        ("funnel", "0014_metrics_spans"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RevenueTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "period_kind",
                    models.CharField(
                        choices=[("month", "Month"), ("quarter", "Quarter"), ("year", "Year")], max_length=8
                    ),
                ),
                ("period_start", models.DateField(help_text="The first day of the month, quarter or year.")),
                ("period_end", models.DateField(help_text="Exclusive: the first day after the period.")),
                ("amount", models.DecimalField(decimal_places=2, help_text="The revenue to reach.", max_digits=14)),
                ("currency", models.CharField(default="USD", help_text="Only purchases in it count.", max_length=3)),
                ("note", models.TextField(blank=True, help_text="Why this number: what it assumes.", max_length=2000)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("proposed", "Proposed (awaiting sign-off)"),
                            ("active", "Active"),
                            ("superseded", "Superseded"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="proposed",
                        max_length=12,
                    ),
                ),
                ("proposed_at", models.DateTimeField(auto_now_add=True)),
                ("marketing_signed_at", models.DateTimeField(blank=True, null=True)),
                ("sales_signed_at", models.DateTimeField(blank=True, null=True)),
                ("activated_at", models.DateTimeField(blank=True, null=True)),
                (
                    "marketing_approver",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "sales_approver",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-period_start", "period_kind", "-id"],
            },
        ),
        migrations.CreateModel(
            name="TargetSplit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "segment",
                    models.CharField(
                        blank=True,
                        choices=[("enterprise", "Enterprise"), ("mid_market", "Mid-market"), ("smb", "Small business")],
                        max_length=16,
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                (
                    "target",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="splits", to="funnel.revenuetarget"
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.team",
                    ),
                ),
            ],
            options={
                "ordering": ["target", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="revenuetarget",
            index=models.Index(fields=["status", "period_start"], name="target_status_start"),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "active")),
                fields=("period_kind", "period_start"),
                name="target_one_active_per_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_kind__in", ["month", "quarter", "year"])), name="target_kind_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["proposed", "active", "superseded", "withdrawn"])),
                name="target_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_end__gt", models.F("period_start"))), name="target_period_forward"
            ),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="target_amount_positive"),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("currency__regex", "^[A-Z]{3}$")), name="target_currency_iso"
            ),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("note"), 2000
                ),
                name="target_note_length",
            ),
        ),
        migrations.AddConstraint(
            model_name="revenuetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "active"), _negated=True),
                    models.Q(
                        ("marketing_approver__isnull", False),
                        ("sales_approver__isnull", False),
                        models.Q(("marketing_approver", models.F("sales_approver")), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="target_active_needs_two_signatures",
            ),
        ),
        migrations.AddConstraint(
            model_name="targetsplit",
            constraint=models.UniqueConstraint(
                fields=("target", "team", "segment"), name="target_split_once", nulls_distinct=False
            ),
        ),
        migrations.AddConstraint(
            model_name="targetsplit",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="target_split_positive"),
        ),
        migrations.AddConstraint(
            model_name="targetsplit",
            constraint=models.CheckConstraint(
                condition=models.Q(("team__isnull", False), models.Q(("segment", ""), _negated=True), _connector="OR"),
                name="target_split_names_one",
            ),
        ),
        migrations.AddConstraint(
            model_name="targetsplit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("segment", ""), ("segment__in", ["enterprise", "mid_market", "smb"]), _connector="OR"
                ),
                name="target_split_segment",
            ),
        ),
    ]
