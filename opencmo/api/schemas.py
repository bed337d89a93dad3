"""Response bodies of the REST API."""

from ninja import Schema

from opencmo.api.common import Input


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


class RaciEntryOut(Schema):
    letter: str
    person_id: int | None
    role_key: str | None

    @staticmethod
    def resolve_role_key(obj) -> str | None:
        return obj.role.key if obj.role_id else None


class ActivityOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    creates_leads: bool
    restricted: bool
    is_open: bool
    entries: list[RaciEntryOut]
    people: dict[str, list[int]]  # letter -> person ids, roles expanded to the people wearing them

    @staticmethod
    def resolve_entries(obj) -> list:
        return list(obj.raci.all())

    @staticmethod
    def resolve_people(obj) -> dict[str, list[int]]:
        from opencmo.org.raci import resolve

        return {letter: sorted(ids) for letter, ids in resolve(obj).items()}


class FindingOut(Schema):
    severity: str
    code: str
    message: str
    activity_id: int | None
    person_id: int | None
    role_key: str | None


class RaciSetIn(Input):
    person_id: int | None = None
    role_id: int | None = None
    letters: str


class RaciSetOut(Schema):
    letters: list[str]
    findings: list[FindingOut]
