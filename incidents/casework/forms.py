"""Forms of the task panel and the case template pages. The rules live in actions.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.casework.actions import assignable_users
from incidents.choices import TaskStatus
from incidents.forms import datetime_local_field
from incidents.models import CaseTemplate, CaseTemplateStep


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        agency = user.agency.short_name if user.agency_id else "—"
        return f"{user.display_name} ({agency})"


def assignee_field(incident):
    return AssigneeField(
        label=_("Assignee"),
        queryset=assignable_users(incident),
        required=False,
        empty_label=_("No one yet"),
        help_text=_("A user of any agency taking part in the incident."),
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_at = datetime_local_field(_("Due"), _("In your time zone. Leave empty for no due date."))

    def __init__(self, *args, incident, **kwargs):
        kwargs.setdefault("prefix", "task")
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = assignee_field(incident)


class TaskEditForm(forms.Form):
    """A task's own words and due date; assignee and status have their own forms."""

    title = TaskForm.base_fields["title"]
    description = TaskForm.base_fields["description"]
    due_at = TaskForm.base_fields["due_at"]


class AssignForm(forms.Form):
    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = assignee_field(incident)


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)


class MoveForm(forms.Form):
    offset = forms.TypedChoiceField(
        label=_("Move"), choices=[("-1", _("Up")), ("1", _("Down"))], coerce=int
    )


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("No one")
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agency.users.filter(is_active=True).order_by(
            "last_name", "first_name", "username"
        )


class CaseTemplateForm(forms.ModelForm):
    class Meta:
        model = CaseTemplate
        fields = ["name", "category", "is_active"]


StepFormSet = forms.inlineformset_factory(
    CaseTemplate,
    CaseTemplateStep,
    fields=["title", "description", "due_after_hours", "position"],
    widgets={"description": forms.Textarea(attrs={"rows": 2})},
    extra=2,
    can_delete=True,
)
