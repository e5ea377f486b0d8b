"""Forms and services together: a form shapes and checks the input, a service applies
the rules; these put the service's refusal back on the form."""

from django import forms
from django.core.exceptions import ValidationError


def errors_from(form: forms.Form, exc) -> None:
    """Put a service's ValidationError on the form: on its field when the form has
    one, otherwise on the form as a whole."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def submit(form: forms.Form, call):
    """Run `call(**form.cleaned_data)`, a service, if the form is valid, and return
    what it returns; None when the form or the service refused (the service's
    ValidationError is then on the form)."""
    if not form.is_valid():
        return None
    try:
        return call(**form.cleaned_data)
    except ValidationError as exc:
        errors_from(form, exc)
        return None


def needed(field: forms.Field, when: str) -> forms.Field:
    """Mark an optional field that a later rule needs, with when it is needed ("needed
    before the pilot starts"): the form says so instead of "optional"."""
    field.needed = when
    return field
