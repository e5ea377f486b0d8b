"""People, as the forms' pickers offer them."""

from django.db.models import Q, QuerySet

from portfolio.models import User

# At most this many people in a picker's filtered options.
PEOPLE_SHOWN = 50


def people_matching(*, text: str) -> QuerySet[User]:
    """Active people whose name or email contains each word of `text`, by name."""
    people = User.objects.filter(is_active=True)
    for word in text.split()[:5]:
        people = people.filter(Q(name__icontains=word) | Q(email__icontains=word))
    return people.order_by("name", "email")[:PEOPLE_SHOWN]
