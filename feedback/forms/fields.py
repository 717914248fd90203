"""Fields shared by the forms."""

from wtforms import SelectMultipleField


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes. Choices are checked by the service, which knows the survey version."""

    def pre_validate(self, form) -> None:
        return None
