from django.contrib import admin

from otklik.workspace.models import AnswerTemplate


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "is_intermediate", "is_active", "position")
    list_filter = ("is_active", "is_intermediate", "category")
    search_fields = ("title", "body")
    autocomplete_fields = ()
