from django.contrib import admin

from solidground.customers.models import Contact, Customer, CustomerReference


class CustomerReferenceInline(admin.TabularInline):
    model = CustomerReference
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "email", "role", "is_decision_maker", "language")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "subdivision", "seats", "endpoints", "customer_since")
    list_filter = ("status", "country", "subdivision")
    search_fields = ("name", "references__external_id")
    inlines = [CustomerReferenceInline, ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "role", "is_decision_maker", "email")
    list_filter = ("is_decision_maker",)
    search_fields = ("name", "email", "customer__name")
    list_select_related = ("customer",)
