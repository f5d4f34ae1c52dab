"""The forms of /admin (Flask-WTF: every POST carries the CSRF token). Messages are Ukrainian."""
import re
from datetime import time

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from scheduling.calendar import WEEKDAYS

REQUIRED = "Це поле обов'язкове."
WEEKDAY_NAMES = {"mon": "Понеділок", "tue": "Вівторок", "wed": "Середа", "thu": "Четвер", "fri": "П'ятниця",
                 "sat": "Субота", "sun": "Неділя"}
WEEKDAY_SHORT = {"mon": "пн", "tue": "вт", "wed": "ср", "thu": "чт", "fri": "пт", "sat": "сб", "sun": "нд"}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def required():
    return DataRequired(message=REQUIRED)


def number(lo: int, hi: int, what: str = "Значення"):
    return NumberRange(min=lo, max=hi, message=f"{what} має бути від {lo} до {hi}.")


class IntField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Введіть ціле число.") from None


class DayField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Введіть дату у форматі РРРР-ММ-ДД.") from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {c[0] for c in self.choices}
        if any(v not in known for v in self.data or []):
            raise ValidationError("Оберіть значення зі списку.")


class AdminForm(FlaskForm):
    pass


def hhmm_or_empty(_form, field):
    if field.data and not HHMM.match(field.data.strip()):
        raise ValidationError("Час у форматі ГГ:ХХ, наприклад 15:30.")


class OfficeForm(AdminForm):
    name = StringField("Назва", validators=[required(), Length(2, 200, "Від 2 до 200 символів.")])
    address = StringField("Адреса", validators=[required(), Length(5, 300, "Від 5 до 300 символів.")])
    cabinet = StringField("Кабінет", validators=[Optional(), Length(max=20, message="Не більше 20 символів.")])
    honour_holidays = BooleanField("Враховувати державні свята (вихідні дні)")
    min_notice_min = IntField("Мінімальний час до запису, хв",
                              validators=[InputRequired(REQUIRED), number(0, 10080, "Час до запису")])
    horizon_days = IntField("Запис наперед, днів", validators=[InputRequired(REQUIRED), number(1, 365, "Горизонт")])
    retention_days = IntField("Строк зберігання персональних даних, днів (порожньо — як у центрі)",
                              validators=[Optional()])


class RetentionForm(AdminForm):
    retention_days = IntField("Строк зберігання персональних даних у центрі, днів",
                              validators=[InputRequired(REQUIRED)])


class PauseForm(AdminForm):
    reason = StringField("Причина паузи", validators=[Optional(), Length(max=300, message="Не більше 300 символів.")])


class WindowForm(AdminForm):
    number = IntField("Номер вікна", validators=[InputRequired(REQUIRED), number(1, 999, "Номер вікна")])
    active = BooleanField("Працює", default=True)
    services = MultiCheckboxField("Послуги, які надає вікно", coerce=int)

    def validate_services(self, field):
        if self.active.data and not field.data:
            raise ValidationError("Оберіть хоча б одну послугу для вікна, що працює.")


class OfficeServiceForm(AdminForm):
    bookable = BooleanField("Можна записатися заздалегідь")
    walk_in_share = IntField("Частка часу для живої черги, %",
                             validators=[InputRequired(REQUIRED), number(0, 100, "Частка")])
    daily_cap = IntField("Ліміт талонів живої черги на день (порожньо — без ліміту)",
                         validators=[Optional(), number(1, 2000, "Ліміт")])
    last_ticket_time = StringField("Останній талон о (ГГ:ХХ, порожньо — до кінця прийому)",
                                   validators=[Optional(), hhmm_or_empty])


class ServiceForm(AdminForm):
    name = StringField("Назва", validators=[required(), Length(3, 500, "Від 3 до 500 символів.")])
    duration_min = IntField("Тривалість обслуговування, хв",
                            validators=[InputRequired(REQUIRED), number(1, 480, "Тривалість")])
    letter = StringField("Літера талона (порожньо — літера категорії)", validators=[
        Optional(), Regexp(r"^[А-ЯЄІЇҐA-Z]{1,2}$", message="Одна-дві великі літери, наприклад Р.")])
    documents = TextAreaField("Документи (з картки; кожен з нового рядка)",
                              validators=[Length(max=8000, message="Не більше 8000 символів.")])


class PriorityForm(AdminForm):
    code = StringField("Код", validators=[required(), Regexp(r"^[a-z0-9_-]{2,40}$",
                                                              message="Латиниця в нижньому регістрі, цифри, _ або -.")])
    name = StringField("Назва", validators=[required(), Length(2, 200, "Від 2 до 200 символів.")])
    name_en = StringField("Назва англійською", validators=[Optional(), Length(max=200, message="Не більше 200.")])
    active = BooleanField("Діє", default=True)


class ClosureForm(AdminForm):
    scope = SelectField("Для кого", choices=[("office", "Цей офіс"), ("centre", "Увесь центр")])
    date_from = DayField("З дати", validators=[InputRequired(REQUIRED)])
    date_to = DayField("По дату (включно)", validators=[InputRequired(REQUIRED)])
    reason = StringField("Причина", validators=[required(), Length(2, 300, "Від 2 до 300 символів.")])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError("Кінцева дата не може бути раніше початкової.")
            if (field.data - self.date_from.data).days > 365:
                raise ValidationError("Не більше 366 днів за один раз.")


class PlanForm(AdminForm):
    date_from = DayField("З дати", validators=[InputRequired(REQUIRED)])
    date_to = DayField("По дату", validators=[InputRequired(REQUIRED)])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError("Кінцева дата не може бути раніше початкової.")
            if (field.data - self.date_from.data).days > 62:
                raise ValidationError("План складається не більше ніж на 63 дні.")


class StaffForm(AdminForm):
    username = StringField("Ім'я користувача", validators=[required(), Regexp(
        r"^[A-Za-z0-9._-]{3,80}$", message="Від 3 до 80 латинських літер, цифр, крапок, _ або -.")])
    password = PasswordField("Пароль (щонайменше 8 символів; порожньо — не змінювати)",
                             validators=[Optional(), Length(8, 200, "Пароль — щонайменше 8 символів.")])
    role = SelectField("Роль", choices=[("operator", "Адміністратор вікна (оператор)"),
                                        ("manager", "Керівник офісу"), ("admin", "Адміністратор центру")])
    office_id = SelectField("Офіс", coerce=int)
    active = BooleanField("Обліковий запис діє", default=True)
    skills = MultiCheckboxField("Навички (послуги; жодної — усі послуги офісу)", coerce=int)


def _hours_field(label: str):
    return StringField(label, validators=[Optional(), Length(max=200, message="Не більше 200 символів.")])


class RegimeForm(AdminForm):
    key = StringField("Ключ (латиницею)", validators=[required(), Regexp(
        r"^[a-z0-9_-]{2,40}$", message="Від 2 до 40 латинських літер у нижньому регістрі, цифр, _ або -.")])
    name = StringField("Назва режиму", validators=[required(), Length(2, 200, "Від 2 до 200 символів.")])
    valid_from = DayField("Діє з (порожньо — без обмеження)", validators=[Optional()])
    valid_to = DayField("Діє по (порожньо — без обмеження)", validators=[Optional()])
    appointment_only = BooleanField("Лише за попереднім записом")
    priority = IntField("Пріоритет (більший переважає)", default=0,
                        validators=[InputRequired(REQUIRED), number(0, 100, "Пріоритет")])
    nth = TextAreaField("Особливі дні місяця (рядок: «сб 4 | 08:30-17:00 | 09:00-16:00 | 12:30-13:00»; "
                        "номер -1 — остання така)", validators=[Length(max=2000, message="Не більше 2000 символів.")])

    def validate_valid_to(self, field):
        if self.valid_from.data and field.data and field.data < self.valid_from.data:
            raise ValidationError("Кінцева дата не може бути раніше початкової.")


for _wd in WEEKDAYS:
    setattr(RegimeForm, f"{_wd}_open", _hours_field("Робочі години"))
    setattr(RegimeForm, f"{_wd}_reception", _hours_field("Прийом"))
    setattr(RegimeForm, f"{_wd}_breaks", _hours_field("Перерви"))


class ReportForm(FlaskForm):
    """The filter of /admin/reports: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    date_from = DayField("З дати", name="from", validators=[InputRequired(REQUIRED)])
    date_to = DayField("По дату", name="to", validators=[InputRequired(REQUIRED)])
    office = SelectField("Офіс", default="")
    category = SelectField("Категорія", default="")

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError("Кінцева дата не може бути раніше початкової.")
            if (field.data - self.date_from.data).days > 730:
                raise ValidationError("Звіт охоплює не більше двох років.")


# ---------------------------------------------------------------- hours in text form

def parse_intervals(text: str | None) -> list[list[str]]:
    """«08:30-12:30, 13:00-17:00» -> [["08:30","12:30"], ["13:00","17:00"]]; ValueError with a Ukrainian message."""
    out = []
    for part in re.split(r"[,;]", text or ""):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$", part)
        if not m:
            raise ValueError(f"«{part}»: час у форматі ГГ:ХХ-ГГ:ХХ, наприклад 09:00-16:00.")
        a, b = (x.zfill(5) for x in m.groups())
        for x in (a, b):
            if not HHMM.match(x):
                raise ValueError(f"«{x}»: такого часу немає.")
        if time.fromisoformat(a) >= time.fromisoformat(b):
            raise ValueError(f"«{part}»: початок має бути раніше кінця.")
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
            raise ValueError(f"Рядок {n}: почніть з дня тижня і номера, наприклад «сб 4» або «пт -1».")
        k = int(head[1])
        if k not in (-1, 1, 2, 3, 4, 5):
            raise ValueError(f"Рядок {n}: номер дня в місяці — від 1 до 5 або -1 (останній).")
        cells += [""] * (4 - len(cells))
        rules.append({"weekday": SHORT_TO_WD[head[0].lower()], "n": k, "open": parse_intervals(cells[1]),
                      "reception": parse_intervals(cells[2]), "breaks": parse_intervals(cells[3])})
    return rules


def format_nth(rules) -> str:
    return "\n".join(f"{WEEKDAY_SHORT[r['weekday']]} {r['n']} | {format_intervals(r.get('open'))} | "
                     f"{format_intervals(r.get('reception'))} | {format_intervals(r.get('breaks'))}"
                     for r in rules or [])
