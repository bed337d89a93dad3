"""Background job: fit a marketing-mix model run (the new-run page enqueues it; ImmediateBackend in tests)."""

from django.tasks import task


@task()
def fit_model(run_pk: int) -> str:
    from opencmo.mmm.models import ModelRun
    from opencmo.mmm.services import modelrun_execute, modelruns_recover

    modelruns_recover()  # runs left "running" by a worker that died before this one started
    run = ModelRun.objects.select_related("workspace").filter(pk=run_pk).first()
    if run is None:
        return "gone"
    return modelrun_execute(run=run).status
