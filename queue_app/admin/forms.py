"""The forms of /admin (Flask-WTF: every POST carries the CSRF token). Messages are Ukrainian first, translated
through the app's catalogue: lazy_gettext (_l) for what is built at import time (labels, choices, validator
messages), gettext (_) for what runs in a request."""
import re
from datetime import time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from scheduling.calendar import WEEKDAYS

from ..calendars import FIRST_DATE, LAST_DATE

REQUIRED = _l("Це поле обов'язкове.")
WEEKDAY_NAMES = {"mon": _l("Понеділок"), "tue": _l("Вівторок"), "wed": _l("Середа"), "thu": _l("Четвер"),
                 "fri": _l("П'ятниця"), "sat": _l("Субота"), "sun": _l("Неділя")}
# The short names are also the syntax of the «special days» field (parse_nth): data, not translated.
WEEKDAY_SHORT = {"mon": "пн", "tue": "вт", "wed": "ср", "thu": "чт", "fri": "пт", "sat": "сб", "sun": "нд"}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def required():
    return DataRequired(message=REQUIRED)


def number(lo: int, hi: int, what=None):
    return NumberRange(min=lo, max=hi, message=_l("%(what)s має бути від %(lo)s до %(hi)s.",
                                                  what=what or _l("Значення"), lo=lo, hi=hi))


class IntField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Введіть ціле число.")) from None


class DayField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Введіть дату у форматі РРРР-ММ-ДД.")) from None
        if self.data is not None and not FIRST_DATE <= self.data <= LAST_DATE:
            self.data = None
            raise ValueError(_("Дата має бути між %(first)s і %(last)s.", first=FIRST_DATE.isoformat(),
                               last=LAST_DATE.isoformat()))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {c[0] for c in self.choices}
        if any(v not in known for v in self.data or []):
            raise ValidationError(_("Оберіть значення зі списку."))


class AdminForm(FlaskForm):
    pass


def hhmm_or_empty(_form, field):
    if field.data and not HHMM.match(field.data.strip()):
        raise ValidationError(_("Час у форматі ГГ:ХХ, наприклад 15:30."))


class OfficeForm(AdminForm):
    name = StringField(_l("Назва"), validators=[required(), Length(2, 200, _l("Від 2 до 200 символів."))])
    address = StringField(_l("Адреса"), validators=[required(), Length(5, 300, _l("Від 5 до 300 символів."))])
    cabinet = StringField(_l("Кабінет"),
                          validators=[Optional(), Length(max=20, message=_l("Не більше 20 символів."))])
    honour_holidays = BooleanField(_l("Враховувати державні свята (вихідні дні)"))
    min_notice_min = IntField(_l("Мінімальний час до запису, хв"),
                              validators=[InputRequired(REQUIRED), number(0, 10080, _l("Час до запису"))])
    horizon_days = IntField(_l("Запис наперед, днів"),
                            validators=[InputRequired(REQUIRED), number(1, 365, _l("Горизонт"))])
    retention_days = IntField(_l("Строк зберігання персональних даних, днів (порожньо — як у центрі)"),
                              validators=[Optional()])


class RetentionForm(AdminForm):
    retention_days = IntField(_l("Строк зберігання персональних даних у центрі, днів"),
                              validators=[InputRequired(REQUIRED)])


class PauseForm(AdminForm):
    reason = StringField(_l("Причина паузи"),
                         validators=[Optional(), Length(max=300, message=_l("Не більше 300 символів."))])


class WindowForm(AdminForm):
    number = IntField(_l("Номер вікна"), validators=[InputRequired(REQUIRED), number(1, 999, _l("Номер вікна"))])
    active = BooleanField(_l("Працює"), default=True)
    services = MultiCheckboxField(_l("Послуги, які надає вікно"), coerce=int)

    def validate_services(self, field):
        if self.active.data and not field.data:
            raise ValidationError(_("Оберіть хоча б одну послугу для вікна, що працює."))


class OfficeServiceForm(AdminForm):
    bookable = BooleanField(_l("Можна записатися заздалегідь"))
    walk_in_share = IntField(_l("Частка часу для живої черги, %"),
                             validators=[InputRequired(REQUIRED), number(0, 100, _l("Частка"))])
    daily_cap = IntField(_l("Ліміт талонів живої черги на день (порожньо — без ліміту)"),
                         validators=[Optional(), number(1, 2000, _l("Ліміт"))])
    last_ticket_time = StringField(_l("Останній талон о (ГГ:ХХ, порожньо — до кінця прийому)"),
                                   validators=[Optional(), hhmm_or_empty])


class ServiceForm(AdminForm):
    name = StringField(_l("Назва"), validators=[required(), Length(3, 500, _l("Від 3 до 500 символів."))])
    duration_min = IntField(_l("Тривалість обслуговування, хв"),
                            validators=[InputRequired(REQUIRED), number(1, 480, _l("Тривалість"))])
    letter = StringField(_l("Літера талона (порожньо — літера категорії)"), validators=[
        Optional(), Regexp(r"^[А-ЯЄІЇҐA-Z]{1,2}$", message=_l("Одна-дві великі літери, наприклад Р."))])
    documents = TextAreaField(_l("Документи (з картки; кожен з нового рядка)"),
                              validators=[Length(max=8000, message=_l("Не більше 8000 символів."))])


class PriorityForm(AdminForm):
    code = StringField(_l("Код"), validators=[required(), Regexp(
        r"^[a-z0-9_-]{2,40}$", message=_l("Латиниця в нижньому регістрі, цифри, _ або -."))])
    name = StringField(_l("Назва"), validators=[required(), Length(2, 200, _l("Від 2 до 200 символів."))])
    name_en = StringField(_l("Назва англійською"),
                          validators=[Optional(), Length(max=200, message=_l("Не більше 200."))])
    active = BooleanField(_l("Діє"), default=True)


class ClosureForm(AdminForm):
    scope = SelectField(_l("Для кого"), choices=[("office", _l("Цей офіс")), ("centre", _l("Увесь центр"))])
    date_from = DayField(_l("З дати"), validators=[InputRequired(REQUIRED)])
    date_to = DayField(_l("По дату (включно)"), validators=[InputRequired(REQUIRED)])
    reason = StringField(_l("Причина"), validators=[required(), Length(2, 300, _l("Від 2 до 300 символів."))])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_("Кінцева дата не може бути раніше початкової."))
            if (field.data - self.date_from.data).days > 365:
                raise ValidationError(_("Не більше 366 днів за один раз."))


class PlanForm(AdminForm):
    date_from = DayField(_l("З дати"), validators=[InputRequired(REQUIRED)])
    date_to = DayField(_l("По дату"), validators=[InputRequired(REQUIRED)])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_("Кінцева дата не може бути раніше початкової."))
            if (field.data - self.date_from.data).days > 62:
                raise ValidationError(_("План складається не більше ніж на 63 дні."))


class StaffForm(AdminForm):
    username = StringField(_l("Ім'я користувача"), validators=[required(), Regexp(
        r"^[A-Za-z0-9._-]{3,80}$", message=_l("Від 3 до 80 латинських літер, цифр, крапок, _ або -."))])
    password = PasswordField(_l("Пароль (щонайменше 8 символів; порожньо — не змінювати)"),
                             validators=[Optional(), Length(8, 200, _l("Пароль — щонайменше 8 символів."))])
    role = SelectField(_l("Роль"), choices=[("operator", _l("Адміністратор вікна (оператор)")),
                                            ("manager", _l("Керівник офісу")), ("admin", _l("Адміністратор центру"))])
    office_id = SelectField(_l("Офіс"), coerce=int)
    active = BooleanField(_l("Обліковий запис діє"), default=True)
    skills = MultiCheckboxField(_l("Навички (послуги; жодної — усі послуги офісу)"), coerce=int)


def _hours_field(label: str):
    return StringField(label, validators=[Optional(), Length(max=200, message=_l("Не більше 200 символів."))])


class RegimeForm(AdminForm):
    key = StringField(_l("Ключ (латиницею)"), validators=[required(), Regexp(
        r"^[a-z0-9_-]{2,40}$", message=_l("Від 2 до 40 латинських літер у нижньому регістрі, цифр, _ або -."))])
    name = StringField(_l("Назва режиму"), validators=[required(), Length(2, 200, _l("Від 2 до 200 символів."))])
    valid_from = DayField(_l("Діє з (порожньо — без обмеження)"), validators=[Optional()])
    valid_to = DayField(_l("Діє по (порожньо — без обмеження)"), validators=[Optional()])
    appointment_only = BooleanField(_l("Лише за попереднім записом"))
    priority = IntField(_l("Пріоритет (більший переважає)"), default=0,
                        validators=[InputRequired(REQUIRED), number(0, 100, _l("Пріоритет"))])
    nth = TextAreaField(_l("Особливі дні місяця (рядок: «сб 4 | 08:30-17:00 | 09:00-16:00 | 12:30-13:00»; "
                           "номер -1 — остання така)"),
                        validators=[Length(max=2000, message=_l("Не більше 2000 символів."))])

    def validate_valid_to(self, field):
        if self.valid_from.data and field.data and field.data < self.valid_from.data:
            raise ValidationError(_("Кінцева дата не може бути раніше початкової."))


for _wd in WEEKDAYS:
    setattr(RegimeForm, f"{_wd}_open", _hours_field(_l("Робочі години")))
    setattr(RegimeForm, f"{_wd}_reception", _hours_field(_l("Прийом")))
    setattr(RegimeForm, f"{_wd}_breaks", _hours_field(_l("Перерви")))


class ReportForm(FlaskForm):
    """The filter of /admin/reports: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    date_from = DayField(_l("З дати"), name="from", validators=[InputRequired(REQUIRED)])
    date_to = DayField(_l("По дату"), name="to", validators=[InputRequired(REQUIRED)])
    office = SelectField(_l("Офіс"), default="")
    category = SelectField(_l("Категорія"), default="")

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_("Кінцева дата не може бути раніше початкової."))
            if (field.data - self.date_from.data).days > 730:
                raise ValidationError(_("Звіт охоплює не більше двох років."))


# ---------------------------------------------------------------- hours in text form

def parse_intervals(text: str | None) -> list[list[str]]:
    """«08:30-12:30, 13:00-17:00» -> [["08:30","12:30"], ["13:00","17:00"]]; ValueError with a translated message."""
    out = []
    for part in re.split(r"[,;]", text or ""):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$", part)
        if not m:
            raise ValueError(_("«%(part)s»: час у форматі ГГ:ХХ-ГГ:ХХ, наприклад 09:00-16:00.", part=part))
        a, b = (x.zfill(5) for x in m.groups())
        for x in (a, b):
            if not HHMM.match(x):
                raise ValueError(_("«%(time)s»: такого часу немає.", time=x))
        if time.fromisoformat(a) >= time.fromisoformat(b):
            raise ValueError(_("«%(part)s»: початок має бути раніше кінця.", part=part))
        out.append([a, b])
    return out


def format_intervals(pairs) -> str:
    return ", ".join(f"{a}-{b}" for a, b in pairs or [])


SHORT_TO_WD = {v: k for k, v in WEEKDAY_SHORT.items()} | {k: k for k in WEEKDAYS}


def parse_nth(text: str | None) -> list[dict]:
    """Lines «сб 4 | open | reception | breaks» -> the `nth` list of Regime.to_dict()."""
    rules = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        head = cells[0].split()
        if len(head) != 2 or head[0].lower() not in SHORT_TO_WD or not re.match(r"^-?\d$", head[1]):
            raise ValueError(_("Рядок %(n)s: почніть з дня тижня і номера, наприклад «сб 4» або «пт -1».", n=n))
        k = int(head[1])
        if k not in (-1, 1, 2, 3, 4, 5):
            raise ValueError(_("Рядок %(n)s: номер дня в місяці — від 1 до 5 або -1 (останній).", n=n))
        cells += [""] * (4 - len(cells))
        rules.append({"weekday": SHORT_TO_WD[head[0].lower()], "n": k, "open": parse_intervals(cells[1]),
                      "reception": parse_intervals(cells[2]), "breaks": parse_intervals(cells[3])})
    return rules


def format_nth(rules) -> str:
    return "\n".join(f"{WEEKDAY_SHORT[r['weekday']]} {r['n']} | {format_intervals(r.get('open'))} | "
                     f"{format_intervals(r.get('reception'))} | {format_intervals(r.get('breaks'))}"
                     for r in rules or [])
