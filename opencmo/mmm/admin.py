from django.contrib import admin

from opencmo.mmm.models import ModelRun, Recommendation


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "workspace", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "workspace"]
    readonly_fields = ["fingerprint", "results", "error", "started_at", "finished_at"]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["pk", "workspace", "run", "period_start", "period_end", "total", "requested_at"]
    list_filter = ["workspace"]
