"""Forms of the settings page: they validate; the writes go through accounts.actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from solidground.accounts.models import Role


class OwnPasswordForm(PasswordChangeForm):
    """Django's password change, without autofocus: it is one section of the settings page,
    and focus jumping to it would scroll past the account and configuration above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class NewUserForm(UserCreationForm):
    """Username (unique, also ignoring case), email, role and an initial password checked
    with the project's validators; each error is shown at its field."""

    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, initial=Role.ACCOUNT_MANAGER.value
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password1"].label = _("Initial password")
        self.fields["password2"].label = _("Initial password (again)")
        self.order_fields(["username", "email", "role", "password1", "password2"])


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
    )
