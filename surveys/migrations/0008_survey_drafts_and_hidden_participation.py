"""Survey drafts leave the sign-in session for their own sealed table; a wave can hide who
answered, and the board's evaluation does so by default.

Draft answers already kept in sessions (beside ``_auth_user_id`` for anyone signed in) are
removed, and a session that held nothing else is deleted. Board evaluation waves that have not
closed and have sent nothing yet start hiding participation. Reversing removes the new table and
field; the drafts removed from sessions do not come back.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.db import migrations, models
from django.utils import timezone

OLD_DRAFTS_KEY = "survey_drafts"


def drafts_out_of_sessions(apps, schema_editor):
    Session = apps.get_model("sessions", "Session")
    codec = SessionStore()  # its signing salt names the class: the same as the db engines'
    cache = caches[settings.SESSION_CACHE_ALIAS]
    # Read first, then write: SQLite does not isolate a table being iterated from writes to it.
    holding = {}
    for key, data in Session.objects.values_list("session_key", "session_data").iterator():
        decoded = codec.decode(data)
        if OLD_DRAFTS_KEY in decoded:
            decoded.pop(OLD_DRAFTS_KEY)
            holding[key] = decoded
    for key, rest in holding.items():
        # A cached copy (cached_db engine) would otherwise be saved back with the drafts in it.
        cache.delete(KEY_PREFIX + key)
        if rest:
            Session.objects.filter(pk=key).update(session_data=codec.encode(rest))
        else:
            Session.objects.filter(pk=key).delete()


def board_evaluations_hide_participation(apps, schema_editor):
    Wave = apps.get_model("surveys", "Wave")
    Wave.objects.filter(
        survey__kind="board_evaluation",
        closes_on__gte=timezone.localdate(),
        invitations__isnull=True,
        invitation_batches__isnull=True,
    ).update(participation="hidden")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0007_full_response_export_permission"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="wave",
            name="participation",
            field=models.CharField(
                choices=[
                    ("standard", "Standard: reminders go only to those who have not answered"),
                    ("hidden", "Hidden: nobody can tell who answered, even from the database"),
                ],
                default="standard",
                editable=False,
                help_text="Set on the wave's invitations page until the first invitation is queued.",
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="SurveyDraft",
            fields=[
                (
                    "id",
                    models.CharField(
                        editable=False, max_length=64, primary_key=True, serialize=False
                    ),
                ),
                ("sealed", models.TextField(editable=False)),
                ("expires_on", models.DateField()),
                (
                    "wave",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="surveys.wave",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["expires_on"], name="surveys_sur_expires_d0d4ec_idx")
                ],
            },
        ),
        migrations.CreateModel(
            name="WaveInvitee",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                (
                    "wave",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitees",
                        to="surveys.wave",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("wave", "email"), name="one_invitee_per_wave_address"
                    )
                ],
            },
        ),
        migrations.RunPython(drafts_out_of_sessions, migrations.RunPython.noop),
        migrations.RunPython(board_evaluations_hide_participation, migrations.RunPython.noop),
    ]
