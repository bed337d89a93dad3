from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_secure_delete(sender, connection, **kwargs) -> None:
    """GDPR erasure must not leave the erased person in the free pages of a SQLite database file:
    secure_delete overwrites deleted content with zeros (docs/gdpr.md)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


class CrmConfig(AppConfig):
    name = "opencmo.crm"
    label = "crm"
    verbose_name = "Customers"

    def ready(self) -> None:
        connection_created.connect(_sqlite_secure_delete, dispatch_uid="opencmo.crm.secure_delete")
