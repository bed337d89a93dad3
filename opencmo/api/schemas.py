"""Response bodies of the REST API."""

from ninja import Schema


class WorkspaceOut(Schema):
    slug: str
    name: str
    currency: str
    access: str


class RoleOut(Schema):
    id: int
    key: str
    name: str
    description: str
    is_builtin: bool


class PersonOut(Schema):
    id: int
    name: str
    email: str
    title: str
    organisation: str
    reports_to_id: int | None
    roles: list[str]
    is_active: bool

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return [role.key for role in obj.roles.all()]


class ErrorOut(Schema):
    detail: str
