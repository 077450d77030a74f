from django import forms

from coordination.notifications.choices import CONFIGURABLE_EVENTS, Delivery


class PreferencesForm(forms.Form):
    """One choice per event kind: email now, daily digest, or in the app only."""

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        for event in CONFIGURABLE_EVENTS:
            self.fields[event.value] = forms.ChoiceField(
                label=event.label,
                choices=Delivery.choices,
                initial=current.get(event.value, Delivery.IMMEDIATE),
                widget=forms.RadioSelect,
            )
