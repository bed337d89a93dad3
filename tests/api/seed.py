"""API objects for the tenant-isolation walk: a token, and an approval request on the seeded task
(approvals are routed in the API by `approvalrequest_pk`)."""

from opencmo.api.models import ApiToken
from opencmo.api.tokens import hash_secret
from opencmo.org.models import ApprovalRequest


def seed(workspace, admin, context) -> None:
    ApiToken.objects.create(
        workspace=workspace,
        user=admin,
        name=f"{workspace.name} BI",
        prefix="ocmo_seed",
        token_hash=hash_secret(f"ocmo_seed-{workspace.slug}"),
        scopes=["read"],
    )
    if not ApprovalRequest.objects.filter(workspace=workspace).exists():
        ApprovalRequest.objects.create(
            workspace=workspace,
            activity=context["task"].activity,
            kind="content",
            summary=f"{workspace.name} banner copy",
            requested_by=context["specialist"],
            approver=context["boss"],
            status=ApprovalRequest.Status.PENDING,
        )
