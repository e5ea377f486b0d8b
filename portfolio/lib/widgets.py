"""Form widgets of the pages."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html


class PeopleSelect(forms.Select):
    """A people picker: the plain select, and before it a search box (shown by
    static/js/pilotgate.js) that replaces the select's options with the people matching
    what is typed, through htmx (`people_options`). Without JavaScript, the select."""

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        search = format_html(
            '<input type="search" class="people-search" name="q" hidden autocomplete="off" '
            'placeholder="Type a name to search" aria-label="Search people" '
            'hx-get="{}" hx-trigger="input changed delay:300ms, search" '
            'hx-target="next select" hx-swap="innerHTML" hx-include="this" hx-sync="this:replace">',
            reverse("people_options"),
        )
        return format_html('<span class="people-picker">{}{}</span>', search, select)
