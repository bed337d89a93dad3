"""Contacts, companies, lifecycle, consent and feedback (see the CRM issue)."""
