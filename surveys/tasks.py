from django_tasks import task


@task()
def send_invitation_batch(*, batch_id: int) -> dict:
    from surveys import services

    batch = services.invitation_batch_send(batch_id=batch_id)
    return {"sent": batch.sent, "failed": batch.failed}


@task()
def release_survey_responses() -> dict[str, int]:
    from surveys import services

    released = {str(wave): count for wave, count in services.closed_waves_release().items()}
    deleted = {f"deleted {kind}": n for kind, n in services.closed_waves_tidy().items()}
    return {**released, **deleted}
