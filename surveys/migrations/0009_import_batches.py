"""Every upload of aggregated counts becomes an import batch that can be removed or replaced.

Counts imported before batches were recorded go into one legacy batch per survey (its file name
and checksum are unknown), so they can be removed or replaced like any later import. The waves
it is taken to have created are the survey's imported waves that hold its counts. The link stays
nullable: counts written outside the import page (a shell, a test fixture) have no batch.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def legacy_batches(apps, schema_editor):
    AggregatedCount = apps.get_model("surveys", "AggregatedCount")
    CountImportBatch = apps.get_model("surveys", "CountImportBatch")
    Wave = apps.get_model("surveys", "Wave")
    survey_ids = (
        AggregatedCount.objects.values_list("wave__survey_id", flat=True).order_by().distinct()
    )
    for survey_id in survey_ids:
        counts = AggregatedCount.objects.filter(wave__survey_id=survey_id)
        years = sorted(set(counts.values_list("wave__year", flat=True)))
        created = sorted(
            Wave.objects.filter(survey_id=survey_id, imported=True, year__in=years).values_list(
                "year", flat=True
            )
        )
        batch = CountImportBatch.objects.create(
            survey_id=survey_id,
            legacy=True,
            rows=counts.count(),
            counts=counts.count(),
            years=years,
            created_years=created,
        )
        counts.update(batch=batch)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0008_survey_drafts_and_hidden_participation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CountImportBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("imported_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("file_name", models.CharField(blank=True, max_length=200)),
                ("rows", models.PositiveIntegerField(default=0)),
                ("counts", models.PositiveIntegerField(default=0)),
                ("checksum", models.CharField(blank=True, db_index=True, max_length=64)),
                ("legacy", models.BooleanField(default=False)),
                ("years", models.JSONField(blank=True, default=list)),
                ("created_years", models.JSONField(blank=True, default=list)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("active", "In use"),
                            ("removed", "Removed"),
                            ("replaced", "Replaced"),
                        ],
                        default="active",
                        max_length=8,
                    ),
                ),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "imported_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "replaced_by",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replaces",
                        to="surveys.countimportbatch",
                    ),
                ),
                (
                    "survey",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="count_batches",
                        to="surveys.survey",
                    ),
                ),
            ],
            options={
                "verbose_name": "count import",
                "ordering": ["survey", "-imported_at", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="aggregatedcount",
            name="batch",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="aggregated_counts",
                to="surveys.countimportbatch",
            ),
        ),
        migrations.RunPython(legacy_batches, migrations.RunPython.noop),
    ]
