"""Regrade requests carry their grade's assignment and course, backfilled from the grade, for the queue."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Grade = apps.get_model("grading", "Grade")
    RegradeRequest = apps.get_model("grading", "RegradeRequest")
    of_grade = Grade.objects.filter(pk=OuterRef("grade_id"))
    RegradeRequest.objects.update(
        assignment_id=Subquery(of_grade.values("assignment_id")[:1]),
        course_id=Subquery(of_grade.values("assignment__course_id")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0007_import_jobs"),
        ("grading", "0003_export_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="regraderequest",
            name="assignment",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="courses.assignment",
                db_index=False,
            ),
        ),
        migrations.AddField(
            model_name="regraderequest",
            name="course",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="courses.course",
                db_index=False,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="regraderequest",
            name="assignment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="courses.assignment",
                db_index=False,
            ),
        ),
        migrations.AlterField(
            model_name="regraderequest",
            name="course",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="courses.course",
                db_index=False,
            ),
        ),
        migrations.AddIndex(
            model_name="regraderequest",
            index=models.Index(
                fields=["course", "state", "created_at", "id"], include=("student",), name="regrade_queue_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="regraderequest",
            index=models.Index(fields=["assignment", "state"], name="regrade_assignment_state_idx"),
        ),
    ]
