from django.contrib import admin

from opencmo.org.models import Person, Role, RoleAssignment


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ["role"]
    readonly_fields = ["role"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # hats are changed in the app, where the change is validated and audited


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "title", "organisation", "reports_to", "is_active"]
    list_filter = ["workspace", "is_active"]
    search_fields = ["name", "email", "title"]
    inlines = [RoleAssignmentInline]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "workspace", "is_builtin"]
    list_filter = ["workspace", "is_builtin"]
