"""What each signed-in user may see of teams and interventions.

The room's roles (dispatchers, operators, supervisors, administrators) see the whole city. A
field crew sees its own team and the interventions its team is or was sent to, as its phone's
live stream does (supervision/live/streams.py `for_team`): nothing of another team's work or
whereabouts. One place decides it, for the API and the pages alike.
"""

from django.db.models import QuerySet

from interventions.models import Assignment, Intervention, Team

FIELD = "interventions.report_progress"
DISPATCH = "interventions.dispatch_intervention"


def is_field_crew(user) -> bool:
    """A crew member, who works only for their own team (a dispatcher reports for any)."""
    return user.has_perm(FIELD) and not user.has_perm(DISPATCH)


def crew_team_id(user) -> int | None:
    officer = getattr(user, "officer", None)
    return officer.team_id if officer is not None else None


def visible_teams(user, teams: QuerySet[Team]) -> QuerySet[Team]:
    if not is_field_crew(user):
        return teams
    team_id = crew_team_id(user)
    return teams.filter(pk=team_id) if team_id else teams.none()


def visible_interventions(user, interventions: QuerySet[Intervention]) -> QuerySet[Intervention]:
    if not is_field_crew(user):
        return interventions
    team_id = crew_team_id(user)
    if not team_id:
        return interventions.none()
    sent_to = Assignment.objects.filter(team_id=team_id).values("intervention_id")
    return interventions.filter(pk__in=sent_to)
