"""Forms of the moderators' management of dialogue sessions."""
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateTimeLocalField, FieldList, FileField, FormField, HiddenField, SelectField,
                     StringField, TextAreaField, URLField, ValidationError)
from wtforms.validators import Length, Optional

from forms import BaseForm, max_length, required

from . import media

MAX_OFFICIALS = 10
SPARE_OFFICIAL_ROWS = 3  # empty rows offered for new officials: adding one needs no JavaScript


class VietnamDateTimeField(DateTimeLocalField):
    """A date and time in Vietnam time as <input type="datetime-local"> sends it; typed dd/mm/yyyy hh:mm works too."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validators=[required()],
                         format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
                         invalid_value_message=_l("Enter a date and time, for example 21/11/2026 09:00."), **kwargs)

    def process_formdata(self, valuelist):
        """An empty box is a missing value (for the required message), not an unreadable one."""
        text = " ".join(valuelist or []).strip()
        if not text:
            self.data = None
            return
        super().process_formdata([text])


class OfficialForm(BaseForm):
    """One official taking part: name and position; a row left empty is no official."""

    class Meta:
        csrf = False  # a row of the session form, which carries the token

    official_id = HiddenField()
    name = StringField(_l("Name"), validators=[Optional(), max_length(120)])
    position = StringField(_l("Position"), validators=[Optional(), max_length(200)])

    def validate(self, extra_validators=None):
        """Each field, then: a name needs a position and a position a name."""
        valid = super().validate(extra_validators)
        if bool(self.name.data) != bool(self.position.data):
            missing = self.position if self.name.data else self.name
            missing.errors = [*missing.errors, _l("Give both the name and the position.")]
            return False
        return valid

    @property
    def is_empty(self):
        """Whether both boxes are empty."""
        return not self.name.data and not self.position.data


class SessionForm(BaseForm):
    """Create or edit a session; dates and times are in Vietnam time."""

    title = StringField(_l("Title"), validators=[
        required(), Length(min=5, max=200, message=_l("Between %(min)d and %(max)d characters.", min=5, max=200))])
    topic = SelectField(_l("Field"), coerce=int, validate_choice=False)
    host_agency = SelectField(_l("Host agency"), coerce=int, validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Optional(), max_length(20000)])
    starts_at = VietnamDateTimeField(_l("Starts at"))
    ends_at = VietnamDateTimeField(_l("Ends at"))
    questions_open_at = VietnamDateTimeField(_l("Questions accepted from"))
    questions_close_at = VietnamDateTimeField(_l("Questions accepted until"))
    officials = FieldList(FormField(OfficialForm), max_entries=MAX_OFFICIALS)
    stream_url = URLField(_l("Video stream link"), validators=[Optional(), max_length(300)])
    cover = FileField(_l("Cover image"))
    # An image already received with a form sent back for other errors: it need not be chosen again.
    pending_cover = HiddenField()
    remove_cover = BooleanField(_l("Remove the cover image"))

    def __init__(self, *args, answered_official_ids=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.answered_official_ids = {str(n) for n in answered_official_ids}
        self.checked_cover = None

    def validate_topic(self, field):
        """A field from the list is needed."""
        if not field.data or field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose the field of the session."))

    def validate_host_agency(self, field):
        """A host agency from the list is needed."""
        if not field.data or field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose the agency that hosts the session."))

    def validate_ends_at(self, field):
        """The session ends after it starts."""
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_questions_open_at(self, field):
        """Questions open before the session ends (they may open days before it starts)."""
        if field.data and self.ends_at.data and field.data >= self.ends_at.data:
            raise ValidationError(_l("Questions must open before the session ends."))

    def validate_questions_close_at(self, field):
        """The window closes after it opens, and by the end of the session."""
        if field.data and self.questions_open_at.data and field.data <= self.questions_open_at.data:
            raise ValidationError(_l("Questions must close after they open."))
        if field.data and self.ends_at.data and field.data > self.ends_at.data:
            raise ValidationError(_l("Questions must close by the end of the session."))

    def validate_stream_url(self, field):
        """Only links to the allowed video hosts."""
        if field.data:
            try:
                media.check_stream_url(field.data)
            except media.MediaError as error:
                raise ValidationError(str(error))

    def validate_cover(self, field):
        """A PNG or JPEG image of at most 2 MB, judged by its content."""
        if field.data and getattr(field.data, "filename", None):
            try:
                self.checked_cover = media.check_cover(field.data)
            except media.MediaError as error:
                raise ValidationError(str(error))

    def validate_pending_cover(self, field):
        """Forget an image name that is not one we stored (the field is hidden, but sent by the browser)."""
        if field.data and not media.is_stored_cover(field.data):
            field.data = ""

    def validate(self, extra_validators=None):
        """Each field, then: an official who has answered cannot be removed (the transcript names them)."""
        valid = super().validate(extra_validators)
        for entry in self.officials.entries:
            row = entry.form
            if row.is_empty and row.official_id.data in self.answered_official_ids:
                row.name.errors = [*row.name.errors, _l("This official has answered questions and cannot be "
                                                        "removed; correct the name or position instead.")]
                valid = False
        if any(entry.errors for entry in self.officials.entries):
            # The list's own error list was made before the check above: make it again.
            self.officials.errors = [entry.errors for entry in self.officials.entries]
        return valid

    def add_spare_rows(self):
        """Offer empty rows for new officials, up to the maximum."""
        while len(self.officials.entries) < min(MAX_OFFICIALS, self._filled_rows() + SPARE_OFFICIAL_ROWS):
            self.officials.append_entry()

    def _filled_rows(self):
        """How many rows hold an official (or something typed)."""
        return sum(1 for entry in self.officials.entries if not entry.form.is_empty or entry.form.official_id.data)
