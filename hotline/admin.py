from django.contrib import admin

from .models import Article, Call, Category, Referral


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "shortcut", "position", "active"]
    list_editable = ["shortcut", "position", "active"]
    search_fields = ["name", "code"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "key", "version", "category", "source", "valid_from", "valid_until"]
    list_filter = ["source", "category"]
    search_fields = ["title", "key", "body"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["started_at", "category", "channel", "outcome", "agent"]
    list_filter = ["category", "channel", "outcome"]
    search_fields = ["question"]
    date_hierarchy = "started_at"
    raw_id_fields = ["intervention", "article"]
    list_select_related = ["category", "agent"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["person_name", "status", "district", "consent", "created_at"]
    list_filter = ["status", "consent", "district"]
    search_fields = ["person_name"]
    raw_id_fields = ["call"]
