"""What an inventory's rows are written against, read once for the whole file: its
business units and people (found or created through the services), the pilots its rows
name (by reference; without one, by title within the unit) and their success metrics.
"""

from collections import defaultdict

from django.db.models.functions import Lower

from portfolio.importer.reading import EMAIL_COLUMNS, Row
from portfolio.models import BusinessUnit, Pilot, Role, SuccessMetric, User
from portfolio.services.people import (
    business_units_get_or_create,
    unit_key,
    users_get_or_create_by_email,
)

BATCH = 500  # values of one query (within SQLite's variable limit)

Key = tuple[str, str]  # a pilot's title and its unit's name, case aside


class Known:
    """The file's units and people, and the pilots its rows may update: those named by
    reference, those of a row's title and unit, and those the file creates (`add`),
    kept under their title and unit as the rows change them (`moved`)."""

    def __init__(self, rows: list[Row], references: list[str]) -> None:
        self.units = business_units_get_or_create(
            names=[row.values["business_unit"] for row in rows]  # in the file's order
        )
        self.users = users_get_or_create_by_email(
            emails={
                row.values[column]
                for row in rows
                for column in EMAIL_COLUMNS
                if row.values.get(column)
            },
            role=Role.OWNER,
        )
        self.by_reference = {
            pilot.reference: pilot
            for pilot in _rows_in(Pilot.objects.all(), "reference", references)
        }
        self.by_key: dict[Key, list[Pilot]] = defaultdict(list)
        self._load_by_title([row for row in rows if not row.values.get("reference")])
        ids = [pilot.id for pilots in self.by_key.values() for pilot in pilots]
        ids += [pilot.id for pilot in self.by_reference.values()]
        self.metrics: dict[int, SuccessMetric] = {
            metric.pilot_id: metric
            for metric in _rows_in(SuccessMetric.objects.all(), "pilot_id", sorted(set(ids)))
        }

    def _load_by_title(self, rows: list[Row]) -> None:
        """The pilots of the title and unit of a row without a reference (one pilot
        named both by reference and by title is the same object)."""
        keys = {_row_key(row) for row in rows}
        titles = sorted({title for title, _ in keys})
        by_id = {pilot.id: pilot for pilot in self.by_reference.values()}
        candidates = Pilot.objects.annotate(title_key=Lower("title"))
        for pilot in _rows_in(candidates, "title_key", titles):
            pilot = by_id.get(pilot.id, pilot)
            if self.key_of(pilot) in keys:
                self.by_key[self.key_of(pilot)].append(pilot)

    def unit(self, name: str) -> BusinessUnit:
        return self.units[unit_key(name)]

    def user(self, email: str) -> User:
        return self.users[email.strip().lower()]

    def find(self, row: Row) -> Pilot | None:
        """The pilot a row updates: by its reference; without one, the one pilot of
        that title in that unit (none, or several: a new pilot)."""
        reference = row.values.get("reference")
        if reference:
            return self.by_reference.get(reference)
        matches = self.by_key.get(_row_key(row), [])
        return matches[0] if len(matches) == 1 else None

    @staticmethod
    def key_of(pilot: Pilot) -> Key:
        return pilot.title.lower(), pilot.business_unit.name.lower()

    def add(self, pilot: Pilot) -> None:
        """A pilot the file creates: later rows find it as if it were saved."""
        if pilot.reference:
            self.by_reference[pilot.reference] = pilot
        self.by_key[self.key_of(pilot)].append(pilot)

    def moved(self, pilot: Pilot, before: Key) -> None:
        """A pilot updated by a row, perhaps to another title or unit."""
        after = self.key_of(pilot)
        if after != before:
            if pilot in self.by_key.get(before, []):
                self.by_key[before].remove(pilot)
            self.by_key[after].append(pilot)


def _row_key(row: Row) -> Key:
    return row.values["title"].lower(), row.values["business_unit"].lower()


def _rows_in(queryset, field: str, values: list) -> list:
    """The rows of `queryset` whose `field` is one of `values`, a batch at a time."""
    if field != "pilot_id":
        queryset = queryset.select_related("business_unit")
    found = []
    for start in range(0, len(values), BATCH):
        found += queryset.filter(**{f"{field}__in": values[start : start + BATCH]})
    return found
