"""Fill in a Django admin page as an administrator does: what the page shows, plus the changes."""

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.test import Client


def field_values(form: forms.BaseForm) -> dict:
    """The POST data a browser sends for a form exactly as the page shows it."""
    data: dict = {}
    for field in form:
        widget = field.field.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        value = field.value()
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list | tuple) else widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts, strict=True):
                data[field.html_name + suffix] = "" if part is None else str(part)
        elif isinstance(widget, forms.CheckboxInput):
            if widget.check_test(value):
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(item) for item in value]
        else:
            data[field.html_name] = "" if value is None else str(value)
        if field.field.show_hidden_initial and field.html_name in data:
            # The page's hidden copy of a callable default, against which changes are told.
            data[field.html_initial_name] = data[field.html_name]
    return data


def page_values(client: Client, url: str) -> dict:
    """Every field of an admin add or change page, inlines included, as the page shows them."""
    response = client.get(url)
    assert response.status_code == 200, response
    data = field_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(field_values(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(field_values(form))
    return data


def save(client: Client, url: str, **changes) -> dict:
    """Submit an admin page with some fields changed; the changes' values are POST values."""
    response = client.post(url, {**page_values(client, url), **changes})
    assert response.status_code == 302, admin_errors(response)
    return response


def admin_errors(response) -> object:
    context = response.context or {}
    if "adminform" in context:
        return context["adminform"].form.errors, [
            inline.formset.errors for inline in context["inline_admin_formsets"]
        ]
    return response.content[:2000]


def bulk_delete(client: Client, changelist_url: str, pks: list[int]):
    """The changelist's "Delete selected" action, confirmed."""
    return client.post(
        changelist_url,
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in pks], "post": "yes"},
    )
