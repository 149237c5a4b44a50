from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from equipment.api.views import GEOJSON_SCHEMA
from interventions import access, dispatch, services
from interventions.api.serializers import (
    CandidatesSerializer,
    FieldAssignmentSerializer,
    FieldStepSerializer,
    InterventionSerializer,
    PositionBatchSerializer,
    PositionSerializer,
    StepSerializer,
    TeamChoiceSerializer,
    TeamSerializer,
)
from interventions.filtersets import InterventionFilterSet, TeamFilterSet
from interventions.models import Intervention, Team
from ondijon import bus
from ondijon.api.errors import Conflict
from ondijon.api.geojson import geojson_response, point_feature
from ondijon.api.viewsets import ServiceModelViewSet, service_action

DISPATCH = ["interventions.dispatch_intervention"]
FIELD = "interventions.report_progress"
TRACK = "interventions.track_fleet"
# Checked in the action itself: field teams act only for their own team.
ANY_SIGNED_IN: list[str] = []


def own_team(user) -> Team:
    """The team of the signed-in officer; refused when the user is not in a team."""
    officer = getattr(user, "officer", None)
    if not user.has_perm(FIELD) or officer is None or officer.team_id is None:
        raise PermissionDenied(_("Only a field team member can do this, for their own team."))
    return officer.team


class TeamViewSet(ServiceModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    search_fields = ["call_sign", "vehicle"]
    ordering_fields = ["call_sign", "status", "position_at"]
    action_permissions = {
        "position": ANY_SIGNED_IN,
        "positions": [TRACK],
        "mine": [FIELD],
    }
    create_service = services.create_team
    update_service = services.update_team
    delete_service = services.delete_team

    def get_queryset(self):
        # A crew sees its own team only: other teams' whereabouts are the room's.
        return access.visible_teams(self.request.user, super().get_queryset())

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        teams = self.filter_queryset(self.get_queryset()).exclude(latitude=None)
        return geojson_response(
            point_feature(
                team.pk,
                team.longitude,
                team.latitude,
                {"call_sign": team.call_sign, "service": team.service, "status": team.status},
            )
            for team in teams
        )

    @extend_schema(request=PositionSerializer, responses={202: None})
    @action(detail=True, methods=["post"])
    @service_action
    def position(self, request, pk=None):
        """One position of this team (the crew's phone; a tracker gateway for any team)."""
        team = get_object_or_404(Team, pk=pk)
        if not request.user.has_perm(TRACK) and own_team(request.user).pk != team.pk:
            raise PermissionDenied(_("A field team reports only its own position."))
        serializer = PositionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.report_team_position(
            team, data["latitude"], data["longitude"], data.get("time"), actor=request.user
        )
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=PositionBatchSerializer, responses={202: dict})
    @action(detail=False, methods=["post"])
    @service_action
    def positions(self, request):
        """A batch of positions from a vehicle tracker gateway: `{"positions": [{"team":
        call sign, "latitude", "longitude", "time"}]}`, up to 5,000, all or nothing."""
        serializer = PositionBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        now = services.timezone.now()
        reports = [
            services.PositionReport(
                row["team_id"], row["latitude"], row["longitude"], row.get("time") or now
            )
            for row in serializer.validated_data["positions"]
        ]
        moved = services.report_positions(reports, actor=request.user)
        return Response({"accepted": len(reports), "moved": moved}, status.HTTP_202_ACCEPTED)

    @extend_schema(responses=FieldAssignmentSerializer)
    @action(detail=False)
    def mine(self, request):
        """The signed-in crew's team, its current intervention and directions to it, and the
        events log number this is current to (the field page follows `/ws/field/` from it)."""
        seq = bus.last_seq()  # before the reads: what changes meanwhile is replayed over them
        team = own_team(request.user)
        assignment = services.active_assignment(team)
        intervention = assignment.intervention if assignment else None
        context = {"request": request}
        return Response(
            {
                "team": TeamSerializer(team, context=context).data,
                "intervention": InterventionSerializer(intervention, context=context).data
                if intervention
                else None,
                "directions": dispatch.directions_text(team, intervention) if intervention else "",
                "road": dispatch.road_directions(team, intervention) if intervention else None,
                "seq": seq,
            }
        )


# What the candidates of an intervention are ranked from (interventions.dispatch.rank_teams_for).
CANDIDATES_READ = ("pk", "latitude", "longitude", "service", "required_skills", "status")


class InterventionViewSet(ServiceModelViewSet):
    queryset = Intervention.objects.prefetch_related("equipment", "assignments__team")
    serializer_class = InterventionSerializer
    filterset_class = InterventionFilterSet
    search_fields = ["reference", "title", "address"]
    ordering_fields = ["reported_at", "priority", "status", "target_at"]
    action_permissions = {
        "candidates": DISPATCH,
        "assign": DISPATCH,
        "release": DISPATCH,
        "qualify": DISPATCH,
        "resolve": DISPATCH,
        "close": DISPATCH,
        "cancel": DISPATCH,
        "en_route": ANY_SIGNED_IN,
        "on_site": ANY_SIGNED_IN,
        "done": ANY_SIGNED_IN,
    }
    create_service = services.create_intervention
    update_service = services.update_intervention
    delete_service = services.delete_intervention

    def get_queryset(self):
        # The ranking reads the intervention's place, service, skills and status, none of the
        # equipment and teams the other answers prefetch: two queries fewer on the desk's
        # most frequent read.
        queryset = (
            Intervention.objects.only(*CANDIDATES_READ)
            if self.action == "candidates"
            else super().get_queryset()
        )
        # A crew sees the work its team is or was sent to, as its phone's stream does.
        return access.visible_interventions(self.request.user, queryset)

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        interventions = self.filter_queryset(
            access.visible_interventions(request.user, Intervention.objects.all())
        )
        return geojson_response(
            point_feature(
                item.pk,
                item.longitude,
                item.latitude,
                {
                    "reference": item.reference,
                    "title": item.title,
                    "priority": item.priority,
                    "status": item.status,
                    "overdue": services.is_overdue(item),
                },
            )
            for item in interventions
        )

    def _respond(self, intervention: Intervention) -> Response:
        intervention = self.get_queryset().get(pk=intervention.pk)
        return Response(self.get_serializer(intervention).data)

    @extend_schema(responses=CandidatesSerializer)
    @action(detail=True)
    def candidates(self, request, pk=None):
        """The nearest available teams of the intervention's service, with their ETA."""
        intervention = self.get_object()
        ranking = dispatch.rank_teams_for(intervention)
        return Response(
            {
                "candidates": [c.as_dict() for c in ranking.candidates],
                "stale": [c.as_dict() for c in ranking.stale],
                "assignable": intervention.status in services.ASSIGNABLE,
            }
        )

    @extend_schema(request=TeamChoiceSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def assign(self, request, pk=None):
        """Send a team (409 if it is no longer available, e.g. another dispatcher took it)."""
        serializer = TeamChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.assign_team(
            self.get_object(), serializer.validated_data["team"], actor=request.user
        )
        return self._respond(assignment.intervention)

    @extend_schema(request=TeamChoiceSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def release(self, request, pk=None):
        """Call a team back from the intervention (it becomes available again)."""
        serializer = TeamChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intervention = services.release_team(
            self.get_object(), serializer.validated_data["team"], actor=request.user
        )
        return self._respond(intervention)

    def _change_status(self, request, to_status: str) -> Response:
        serializer = StepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intervention = services.change_status(
            self.get_object(), to_status, request.user, serializer.validated_data["note"]
        )
        return self._respond(intervention)

    @extend_schema(request=StepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def qualify(self, request, pk=None):
        return self._change_status(request, Intervention.Status.QUALIFIED)

    @extend_schema(request=StepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def resolve(self, request, pk=None):
        return self._change_status(request, Intervention.Status.RESOLVED)

    @extend_schema(request=StepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def close(self, request, pk=None):
        return self._change_status(request, Intervention.Status.CLOSED)

    @extend_schema(request=StepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def cancel(self, request, pk=None):
        return self._change_status(request, Intervention.Status.CANCELLED)

    def _field_step(self, request, step: str) -> Response:
        intervention = self.get_object()
        serializer = FieldStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = serializer.validated_data.get("team")
        if team is None or not request.user.has_perms(DISPATCH):
            team = own_team(request.user)
        assignment = services.active_assignment(team)
        if assignment is None or assignment.intervention_id != intervention.pk:
            raise Conflict(
                _("%(call_sign)s is not assigned to %(reference)s.")
                % {"call_sign": team.call_sign, "reference": intervention.reference},
                code="not_assigned",
            )
        services.report_progress(team, step, request.user, serializer.validated_data["note"])
        return self._respond(intervention)

    @extend_schema(request=FieldStepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"], url_path="en-route")
    @service_action
    def en_route(self, request, pk=None):
        """The team has left for the intervention."""
        return self._field_step(request, "en_route")

    @extend_schema(request=FieldStepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"], url_path="on-site")
    @service_action
    def on_site(self, request, pk=None):
        """The team has arrived."""
        return self._field_step(request, "on_site")

    @extend_schema(request=FieldStepSerializer, responses=InterventionSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def done(self, request, pk=None):
        """The team has finished (with a note); the last team done resolves it."""
        return self._field_step(request, "done")
