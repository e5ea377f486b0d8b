"""Admin behaviour that both apps share. It imports Django alone, so `gates.admin` can
use it without loading any of portfolio's views, forms or services."""


class ReadOnlyAdminMixin:
    """For records written only through the services (the pilot pages, the stall jobs,
    the links in emails): the admin shows them and never adds, edits or deletes one.

    Mixed into a ModelAdmin or an inline; `obj` is optional because a ModelAdmin asks
    `has_add_permission(request)` and an inline `has_add_permission(request, obj)`.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
