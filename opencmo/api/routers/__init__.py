"""One router per domain; the tag of each operation is the token scope domain it needs."""

from opencmo.api.routers import (
    analytics,
    approvals,
    budget,
    campaigns,
    crm,
    data,
    mmm,
    org,
    reviews,
    strategy,
    work,
    workspaces,
)

ROUTERS = [
    ("", workspaces.router),
    ("", org.router),
    ("", strategy.router),
    ("", campaigns.router),
    ("", work.router),
    ("", approvals.router),
    ("", budget.router),
    ("", crm.router),
    ("", data.router),
    ("", analytics.router),
    ("", reviews.router),
    ("", mmm.router),
]
