from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from incidents.forms import datetime_local_field


class ExerciseForm(forms.Form):
    """Set up a scenario: its title, its start and the agency that plays each role."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    starts_at = datetime_local_field(_("Start"), _("In your time zone."))

    def __init__(self, *args, scenario, **kwargs):
        super().__init__(*args, **kwargs)
        self.scenario = scenario
        self.fields["title"].widget.attrs["placeholder"] = scenario.title
        self.fields["starts_at"].required = True
        agencies = Agency.objects.filter(is_active=True).order_by("country", "short_name")
        for role in scenario.roles:
            self.fields[f"role_{role['key']}"] = forms.ModelChoiceField(
                queryset=agencies,
                label=role["label"],
                empty_label=_("Choose an agency"),
            )

    def role_fields(self):
        return [self[f"role_{role['key']}"] for role in self.scenario.roles]

    def agencies(self):
        return {
            role["key"]: self.cleaned_data.get(f"role_{role['key']}")
            for role in self.scenario.roles
        }


class LessonForm(forms.Form):
    body = forms.CharField(
        label=_("Lesson learned"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What worked, what slowed you down, what to change before a real case."),
    )
