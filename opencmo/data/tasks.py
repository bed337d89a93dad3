"""Background job: execute an import run (the upload page enqueues it; ImmediateBackend in tests)."""

from django.tasks import task


@task()
def run_import(run_pk: int) -> str:
    from opencmo.data.models import ImportRun
    from opencmo.data.services import importrun_execute, importruns_recover_stale

    run = ImportRun.objects.select_related("workspace", "created_by").filter(pk=run_pk).first()
    if run is None:
        return "gone"
    # a worker starting a job also clears the workspace's runs whose worker died
    importruns_recover_stale(workspace=run.workspace)
    return importrun_execute(run=run).status
