"""NGSI-LD API endpoints (/ngsi-ld/v1/…): thin callers of query.py and subscriptions.py.

Read access per ondijon/standards.py ("ngsi_ld": public, API key or off). Errors are the
standard's ProblemDetails (RFC 7807) with its error types.
"""

import json

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, NotFound, ParseError, Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ondijon import standards
from ondijon.api.parsers import JSONParser
from supervision.models import NgsiSubscription
from supervision.ngsi_ld import context as contexts
from supervision.ngsi_ld import entities as model
from supervision.ngsi_ld import query as queries
from supervision.ngsi_ld import subscriptions, temporal

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
LD_JSON = "application/ld+json"


class LinkedDataParser(JSONParser):
    media_type = LD_JSON


class NgsiView(standards.StandardView, APIView):
    standard = "ngsi_ld"
    # NGSI-LD has its own OpenAPI document (ETSI GS CIM 009): it stays out of ondijon's.
    schema = None
    parser_classes = [LinkedDataParser, JSONParser]

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type

    def reply(self, body, status: int = 200, headers: dict | None = None) -> HttpResponse:
        """JSON-LD with the @context in the body when asked for, else JSON with a Link."""
        url = self.request.build_absolute_uri(reverse("ngsi-ld-context"))
        linked = LD_JSON in self.request.headers.get("Accept", "")
        if linked:
            items = body if isinstance(body, list) else [body]
            for item in items:
                if isinstance(item, dict):
                    item["@context"] = url
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type=LD_JSON if linked else "application/json",
        )
        if not linked:
            response["Link"] = (
                f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="{LD_JSON}"'
            )
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def problem(self, status: int, kind: str, detail: str) -> HttpResponse:
        body = {"type": kind, "title": kind.rsplit("/", 1)[-1], "detail": detail}
        return HttpResponse(json.dumps(body), status=status, content_type="application/json")

    def handle_exception(self, exc) -> HttpResponse:
        if isinstance(exc, queries.BadQuery | ParseError):
            return self.problem(400, ERRORS + "BadRequestData", str(exc))
        if isinstance(exc, ValidationError):
            detail = "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
            exists = any(e.code == "exists" for errors in exc.error_dict.values() for e in errors)
            if exists:
                return self.problem(409, ERRORS + "AlreadyExists", detail)
            return self.problem(400, ERRORS + "BadRequestData", detail)
        if isinstance(exc, NotFound):
            return self.problem(404, ERRORS + "ResourceNotFound", str(exc.detail))
        if isinstance(exc, Throttled):
            response = self.problem(429, "about:blank", str(exc.detail))
            if exc.wait is not None:
                response["Retry-After"] = str(int(exc.wait) + 1)
            return response
        if isinstance(exc, APIException):
            return self.problem(exc.status_code, "about:blank", str(exc.detail))
        raise exc

    def owner(self) -> str:
        return subscriptions.owner_of(standards.api_key_of(self.request))


class EntityList(NgsiView):
    def get(self, request) -> HttpResponse:
        query = queries.parse(request.query_params)
        page, count = queries.run(query)
        if "keyValues" in request.query_params.get("options", "").split(",") or (
            request.query_params.get("format") == "simplified"
        ):
            page = [model.key_values(entity) for entity in page]
        headers = {}
        if request.query_params.get("count") == "true":
            headers["NGSILD-Results-Count"] = str(count)
        return self.reply(page, headers=headers)


class EntityDetail(NgsiView):
    def get(self, request, entity_id: str) -> HttpResponse:
        entity = queries.entity_named(entity_id)
        if entity is None:
            raise NotFound(_("No entity has this id."))
        attrs = queries._listed(request.query_params.get("attrs"))
        entity = queries.project(entity, attrs)
        if "keyValues" in request.query_params.get("options", "").split(","):
            entity = model.key_values(entity)
        return self.reply(entity)


class TemporalEntityList(NgsiView):
    def get(self, request) -> HttpResponse:
        return self.reply(temporal.temporal_entities(request.query_params))


class TypeList(NgsiView):
    def get(self, request) -> HttpResponse:
        return self.reply(
            {
                "id": "urn:ngsi-ld:EntityTypeList:ondijon",
                "type": "EntityTypeList",
                "typeList": model.TYPES,
            }
        )


class SubscriptionList(NgsiView):
    def get(self, request) -> HttpResponse:
        mine = NgsiSubscription.objects.filter(owner=self.owner())
        return self.reply([subscriptions.subscription_record(s) for s in mine])

    def post(self, request) -> HttpResponse:
        created = subscriptions.create_subscription(request.data, owner=self.owner())
        location = reverse("ngsi-ld-subscription", args=[created.subscription_id])
        return HttpResponse(status=201, headers={"Location": location})


class SubscriptionDetail(NgsiView):
    def _mine(self, subscription_id: str) -> NgsiSubscription:
        found = NgsiSubscription.objects.filter(
            subscription_id=subscription_id, owner=self.owner()
        ).first()
        if found is None:
            raise NotFound(_("No subscription has this id."))
        return found

    def get(self, request, subscription_id: str) -> HttpResponse:
        return self.reply(subscriptions.subscription_record(self._mine(subscription_id)))

    def delete(self, request, subscription_id: str) -> HttpResponse:
        subscriptions.delete_subscription(self._mine(subscription_id))
        return HttpResponse(status=204)


class Context(NgsiView):
    """The @context the entities use, served here (the room may have no internet)."""

    permission_classes = []  # terms, not the city's data

    def get(self, request) -> HttpResponse:
        if standards.access(self.standard) == standards.OFF:
            raise NotFound()
        return HttpResponse(json.dumps(contexts.CONTEXT, indent=1), content_type=LD_JSON)
