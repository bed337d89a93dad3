"""Background job: execute an import run (the upload page enqueues it; ImmediateBackend in tests)."""

from django.tasks import task


@task()
def run_import(run_pk: int) -> str:
    from opencmo.data.models import ImportRun
    from opencmo.data.services import importrun_execute

    run = ImportRun.objects.select_related("workspace", "created_by").filter(pk=run_pk).first()
    if run is None:
        return "gone"
    return importrun_execute(run=run).status
