"""System check: every shipped scenario file validates (``manage.py check`` names the faults)."""

from django.core import checks


@checks.register()
def scenarios_validate(app_configs, **kwargs):
    from coordination.exercises import scenarios

    errors = []
    for path in sorted(scenarios.SCENARIO_DIR.glob("*.yaml")):
        try:
            scenarios.load_file(path)
        except scenarios.ScenarioError as exc:
            errors.append(checks.Error(str(exc), id="exercises.E001"))
    return errors
