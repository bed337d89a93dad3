"""Routes under /w/<ws>/customers/: overview, contacts, companies, hand-off to sales, segments, feedback,
GDPR and settings."""

from django.urls import path

from opencmo.crm import gdpr_views, settings_views, views

urlpatterns = [
    path("", views.crm_home, name="crm_home"),
    # contacts
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/export.csv", views.contact_export, name="contact_export"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/import/", views.contact_import, name="contact_import"),
    path("contacts/<int:contact_pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_pk>/stage/", views.contact_stage, name="contact_stage"),
    path("contacts/<int:contact_pk>/events/", views.contact_event_add, name="contact_event_add"),
    path("contacts/<int:contact_pk>/rescore/", views.contact_rescore, name="contact_rescore"),
    path("contacts/<int:contact_pk>/consents/", views.contact_consent_add, name="contact_consent_add"),
    path("contacts/<int:contact_pk>/bases/", views.contact_basis_set, name="contact_basis_set"),
    path("contacts/<int:contact_pk>/access/", gdpr_views.contact_access, name="contact_access"),
    path("contacts/<int:contact_pk>/access.json", gdpr_views.contact_access_json, name="contact_access_json"),
    path("contacts/<int:contact_pk>/erase/", gdpr_views.contact_erase, name="contact_erase"),
    path("consents/<int:consentrecord_pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("bases/<int:contactbasis_pk>/object/", views.basis_object, name="basis_object"),
    path("bases/<int:contactbasis_pk>/remove/", views.basis_remove, name="basis_remove"),
    # companies
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<int:company_pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:company_pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:company_pk>/delete/", views.company_delete, name="company_delete"),
    # hand-off to sales
    path("handoffs/", views.handoff_list, name="handoff_list"),
    path("handoffs/report/", views.handoff_report, name="handoff_report"),
    path("handoffs/report.csv", views.handoff_export, name="handoff_export"),
    path("handoffs/<int:handoff_pk>/decide/", views.handoff_decide, name="handoff_decide"),
    path("handoffs/<int:handoff_pk>/reassign/", views.handoff_reassign, name="handoff_reassign"),
    # segments
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/<int:contactsegment_pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:contactsegment_pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:contactsegment_pk>/export.csv", views.segment_export, name="segment_export"),
    path("segments/<int:contactsegment_pk>/delete/", views.segment_delete, name="segment_delete"),
    # feedback
    path("feedback/", views.feedback_list, name="feedback_list"),
    path("feedback/new/", views.feedback_create, name="feedback_create"),
    path("feedback/import/", views.feedback_import, name="feedback_import"),
    path("feedback/trend.csv", views.feedback_export, name="feedback_export"),
    path("feedback/<int:feedback_pk>/delete/", views.feedback_delete, name="feedback_delete"),
    # GDPR
    path("gdpr/", gdpr_views.gdpr_home, name="gdpr_home"),
    path("gdpr/retention/", gdpr_views.retention_run, name="retention_run"),
    path("gdpr/register/", gdpr_views.purpose_list, name="purpose_list"),
    path("gdpr/register.csv", gdpr_views.register_export, name="register_export"),
    path("gdpr/register/new/", gdpr_views.purpose_create, name="purpose_create"),
    path("gdpr/register/<int:purpose_pk>/edit/", gdpr_views.purpose_edit, name="purpose_edit"),
    path("gdpr/register/<int:purpose_pk>/delete/", gdpr_views.purpose_delete, name="purpose_delete"),
    # settings (administrators)
    path("setup/", settings_views.crm_settings, name="crm_settings"),
    path("setup/stages/", settings_views.stage_list, name="stage_list"),
    path("setup/stages/<int:lifecyclestage_pk>/edit/", settings_views.stage_edit, name="stage_edit"),
    path("setup/stages/<int:lifecyclestage_pk>/delete/", settings_views.stage_delete, name="stage_delete"),
    path("setup/fields/", settings_views.customfield_list, name="customfield_list"),
    path("setup/fields/<int:customfield_pk>/edit/", settings_views.customfield_edit, name="customfield_edit"),
    path(
        "setup/fields/<int:customfield_pk>/delete/",
        settings_views.customfield_delete,
        name="customfield_delete",
    ),
    path("setup/scoring/", settings_views.scoring_rules, name="scoring_rules"),
    path("setup/scoring/rescore/", settings_views.rescore_all, name="rescore_all"),
    path(
        "setup/scoring/<int:scoringrule_pk>/edit/",
        settings_views.scoringrule_edit,
        name="scoringrule_edit",
    ),
    path(
        "setup/scoring/<int:scoringrule_pk>/delete/",
        settings_views.scoringrule_delete,
        name="scoringrule_delete",
    ),
    path("setup/assignment/", settings_views.assignment_rules, name="assignment_rules"),
    path(
        "setup/assignment/<int:assignmentrule_pk>/edit/",
        settings_views.assignmentrule_edit,
        name="assignmentrule_edit",
    ),
    path(
        "setup/assignment/<int:assignmentrule_pk>/delete/",
        settings_views.assignmentrule_delete,
        name="assignmentrule_delete",
    ),
]
