"""Case work on an incident: tasks, their assignees, the agencies' owners, case templates."""
