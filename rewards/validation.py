"""What a reward may hold: checked when an owner saves it (Reward.clean(), which the
dashboard's form calls; errors by field)."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from rewards.models import Reward


def reward_validate(reward: "Reward") -> None:
    """Check the reward's values by field. A free item has no value: whatever was sent
    for it (the form hides the field for that type) is cleared to 0, not refused."""
    from rewards.models import Reward

    if reward.kind == Reward.Kind.FREE_ITEM:
        reward.value = Decimal("0")
    errors: dict[str, str] = {}
    value = reward.value
    if reward.kind == Reward.Kind.PERCENT_DISCOUNT and value is not None:
        if not Decimal("0") < value <= Decimal("100"):
            errors["value"] = _("A percent discount is more than 0 and at most 100.")
    elif reward.kind == Reward.Kind.FIXED_DISCOUNT and value is not None and value <= 0:
        errors["value"] = _("A fixed discount is more than 0.")
    if reward.per_member_limit is not None and reward.per_member_limit < 1:
        errors["per_member_limit"] = _("At least 1; leave it empty for no limit.")
    if reward.valid_from and reward.valid_to and reward.valid_to <= reward.valid_from:
        errors["valid_to"] = _("The end is after the start.")
    if errors:
        raise ValidationError({field: ValidationError(text) for field, text in errors.items()})
