from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portfolio.models import Function, Role
from portfolio.services.people import user_create


class Command(BaseCommand):
    help = "Add a Pilotgate user who signs in with their email address."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--function", default=Function.BUSINESS, choices=Function.values)
        parser.add_argument(
            "--password",
            default=None,
            help="without it the user has no usable password and sets one by password reset",
        )

    def handle(self, *args, email, name, role, function, password, **options):
        try:
            user = user_create(
                email=email, name=name, role=role, function=function, password=password
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Added {user.name} <{user.email}> ({role})."))
