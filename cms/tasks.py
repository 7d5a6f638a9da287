"""Background work for the whole platform: the retention schedule."""

from django_tasks import task


@task()
def apply_retention() -> dict[str, int]:
    from cms.platform import personal_data

    return personal_data.apply_retention()
