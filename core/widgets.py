"""Admin autocomplete widgets that ignore a submitted value which is not an id.

Django's AutocompleteSelect re-renders a refused form by querying the submitted ids, so
"abc" in an autocomplete field fails with ValueError instead of showing the error.
"""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


class _ReadableIdsOnly:
    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(remote.field_name)
        kept = []
        for item in value:
            try:
                target.run_validators(target.to_python(item))
            except (ValidationError, TypeError, ValueError):
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class SafeAutocompleteSelect(_ReadableIdsOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ReadableIdsOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteAdminMixin:
    """Mix into a ModelAdmin or inline with ``autocomplete_fields``."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        inner = getattr(widget, "widget", widget)
        if type(inner) is AutocompleteSelect:
            inner.__class__ = SafeAutocompleteSelect
        elif type(inner) is AutocompleteSelectMultiple:
            inner.__class__ = SafeAutocompleteSelectMultiple
        return formfield
