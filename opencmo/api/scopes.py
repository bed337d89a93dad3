"""Token scopes. A scope is `read` or `write` (every domain) or `<domain>:read` / `<domain>:write`.
Write implies read. Scopes only narrow what the token's user may do: the user's current workspace
access (viewer, member, administrator) and RACI rights still apply to every request."""

DOMAINS: dict[str, str] = {
    "workspace": "Workspace and its members",
    "org": "People, roles, RACI and activities",
    "strategy": "Objectives, KPIs and actuals",
    "campaigns": "Campaigns and channels",
    "work": "Tasks and deliverables",
    "approvals": "Approval requests",
    "budget": "Budget plans, lines, spend and reallocations",
    "crm": "Contacts and consent",
    "data": "Imports",
    "analytics": "Analytics results",
    "reviews": "Reviews",
    "mmm": "Marketing-mix model runs",
}
LEVELS = ("read", "write")
ALL_SCOPES: tuple[str, ...] = LEVELS + tuple(f"{d}:{level}" for d in DOMAINS for level in LEVELS)


def allows(scopes: list[str], domain: str, *, write: bool) -> bool:
    """Whether `scopes` cover `domain` for reading (or writing)."""
    needed = ("write",) if write else ("read", "write")
    return any(s in scopes for level in needed for s in (level, f"{domain}:{level}"))


def clean(scopes) -> list[str]:
    """Validated, de-duplicated scopes in canonical order; raises ValueError naming an unknown one."""
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"Unknown scope {unknown[0]!r}; use read, write or <domain>:read|write.")
    return [s for s in ALL_SCOPES if s in set(scopes)]
