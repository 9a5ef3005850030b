"""Forms drawn inside the dashboards (unfold admin sites) get unfold's widgets.

Unfold styles the fields a model admin makes from model fields; a field a form
declares itself (a custom page's form, or an admin form's extra field) keeps Django's
plain widget, which the dashboards' stylesheet draws with no border and no background:
a label over nothing. Every such form goes through `widgets_unfold`, once, here:
custom pages' forms inherit `UnfoldForm` / `UnfoldModelForm`, and model admins with
forms of their own inherit `UnfoldWidgetsAdmin` (the merchant dashboard's `RoleAdmin`).
Templates draw the fields with "forms/fields.html" (unfold's own field template).
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.http import HttpRequest
from unfold import widgets as unfold
from unfold.admin import ModelAdmin

# Most specific first: EmailInput is a TextInput, SelectMultiple a Select...
_UNFOLD_WIDGET: list[tuple[type[forms.Widget], type[forms.Widget]]] = [
    (forms.PasswordInput, unfold.UnfoldAdminPasswordWidget),
    (forms.EmailInput, unfold.UnfoldAdminEmailInputWidget),
    (forms.URLInput, unfold.UnfoldAdminURLInputWidget),
    (forms.NumberInput, unfold.UnfoldAdminIntegerFieldWidget),
    (forms.DateInput, unfold.UnfoldAdminSingleDateWidget),
    (forms.TimeInput, unfold.UnfoldAdminSingleTimeWidget),
    (forms.TextInput, unfold.UnfoldAdminTextInputWidget),
    (forms.Textarea, unfold.UnfoldAdminTextareaWidget),
    (forms.CheckboxSelectMultiple, unfold.UnfoldAdminCheckboxSelectMultipleWidget),
    (forms.RadioSelect, unfold.UnfoldAdminRadioSelectWidget),
    (forms.NullBooleanSelect, unfold.UnfoldAdminNullBooleanSelectWidget),
    (forms.SelectMultiple, unfold.UnfoldAdminSelectMultipleWidget),
    (forms.Select, unfold.UnfoldAdminSelectWidget),
    (forms.CheckboxInput, unfold.UnfoldBooleanSwitchWidget),
]


def _unfold_widget(field: forms.Field) -> forms.Widget | None:
    """Unfold's widget for `field`, or None when it has one already (or is hidden)."""
    widget = field.widget
    if type(widget).__module__.startswith("unfold") or widget.is_hidden:
        return None
    if isinstance(widget, forms.FileInput):
        image = isinstance(field, forms.ImageField)
        kind = unfold.UnfoldAdminImageFieldWidget if image else unfold.UnfoldAdminFileFieldWidget
        return kind(attrs=widget.attrs)
    for django_kind, unfold_kind in _UNFOLD_WIDGET:
        if isinstance(widget, django_kind):
            made = unfold_kind(attrs=dict(widget.attrs))
            if hasattr(widget, "choices"):
                made.choices = widget.choices  # type: ignore[attr-defined]
            return made
    return None


def widgets_unfold(fields: Iterable[forms.Field]) -> None:
    """Give each field unfold's widget, keeping its attributes and choices."""
    for field in fields:
        made = _unfold_widget(field)
        if made is not None:
            made.is_required = field.required
            made.is_localized = field.localize
            field.widget = made


class UnfoldFormMixin:
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widgets_unfold(self.fields.values())


class UnfoldForm(UnfoldFormMixin, forms.Form):
    """A custom dashboard page's form."""


class UnfoldModelForm(UnfoldFormMixin, forms.ModelForm):
    """A custom dashboard page's model form."""


class UnfoldWidgetsAdmin(ModelAdmin):
    """A model admin whose forms' own declared fields get unfold's widgets too (the
    model's fields have them already, through unfold's formfield overrides)."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        widgets_unfold(form.base_fields.values())
        return form
