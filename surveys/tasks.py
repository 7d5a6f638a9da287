from django_tasks import task


@task()
def send_invitation_batch(*, batch_id: int) -> dict:
    from surveys import services

    batch = services.invitation_batch_send(batch_id=batch_id)
    return {"sent": batch.sent, "failed": batch.failed}
