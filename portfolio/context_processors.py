"""What every page's navigation needs to know about the signed-in person."""

from rules import has_perm


def navigation(request) -> dict:
    # `rules.has_perm`, not the template tag: the tag asks every authentication backend,
    # and Django's model backend reads the user's permissions (two queries a page).
    return {"can_import": has_perm("portfolio.import_pilots", request.user)}
