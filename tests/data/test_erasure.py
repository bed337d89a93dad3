"""GDPR erasure (opencmo.crm) reaches the analytics store and stored import files."""

import datetime as dt
import os

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from opencmo.analytics.store import Store
from opencmo.crm.gdpr import contact_erase
from opencmo.crm.services import contact_identify
from opencmo.data.models import ImportRun


def rows(store: Store, table: str, column: str, key: str) -> int:
    return store.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [key]).fetchone()[0]  # noqa: S608


@pytest.mark.django_db
def test_erasure_removes_store_rows_and_import_files(alice, acme):
    contact = contact_identify(
        actor=alice,
        workspace=acme,
        email="siri.berg@kunde.example",
        anonymous_id="visitor-1234567890",
        first_touch={"utm_source": "newsletter"},
    )
    path = Store.for_workspace(settings.DATA_DIR / "analytics", acme.pk).path
    with Store(path) as store:
        store.migrate()
        with store.transaction() as con:
            for user in ("visitor-1234567890", "visitor-someone-else"):
                con.execute(
                    "INSERT INTO touchpoints (user_key, ts, channel) VALUES (?, ?, 'Email')",
                    [user, dt.datetime(2026, 5, 1)],
                )
                con.execute(
                    "INSERT INTO conversions (user_key, ts, kind) VALUES (?, ?, 'purchase')",
                    [user, dt.datetime(2026, 5, 2)],
                )
    mentioning = ImportRun(
        workspace=acme,
        kind="crm_contacts",
        filename="contacts.csv",
        fingerprint="1" * 64,
        status="done",
        created_by=alice,
    )
    mentioning.source.save("contacts.csv", ContentFile(b"email,name\nsiri.berg@kunde.example,Siri Berg\n"))
    other = ImportRun(
        workspace=acme,
        kind="crm_contacts",
        filename="others.csv",
        fingerprint="2" * 64,
        status="done",
        created_by=alice,
    )
    other.source.save("others.csv", ContentFile(b"email\nola@kunde.example\n"))
    stored = mentioning.source.path

    contact_erase(actor=alice, contact=contact, reason="Data subject request")

    with Store(path, read_only=True) as store:
        assert rows(store, "touchpoints", "user_key", "visitor-1234567890") == 0
        assert rows(store, "conversions", "user_key", "visitor-1234567890") == 0
        assert rows(store, "touchpoints", "user_key", "visitor-someone-else") == 1
    mentioning.refresh_from_db()
    other.refresh_from_db()
    assert not mentioning.source and not os.path.exists(stored)
    assert other.source  # files that do not mention the person stay
