"""What a reward may hold: checked when an owner saves it (Reward.clean(), which the
dashboard's form calls; errors by field)."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from rewards.models import Reward


def reward_validate(reward: "Reward") -> None:
    from rewards.models import Reward

    errors: dict[str, str] = {}
    value = reward.value
    if reward.kind == Reward.Kind.PERCENT_DISCOUNT and value is not None:
        if not Decimal("0") < value <= Decimal("100"):
            errors["value"] = _("A percent discount is more than 0 and at most 100.")
    elif reward.kind == Reward.Kind.FIXED_DISCOUNT and value is not None and value <= 0:
        errors["value"] = _("A fixed discount is more than 0.")
    elif value is not None and value < 0:
        errors["value"] = _("The value cannot be negative.")
    if reward.per_member_limit is not None and reward.per_member_limit < 1:
        errors["per_member_limit"] = _("At least 1; leave it empty for no limit.")
    if reward.valid_from and reward.valid_to and reward.valid_to <= reward.valid_from:
        errors["valid_to"] = _("The end is after the start.")
    if errors:
        raise ValidationError({field: ValidationError(text) for field, text in errors.items()})
