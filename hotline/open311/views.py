"""Open311 GeoReport v2 endpoints (/open311/v2/…​.xml or .json): thin callers of services.py.

Read access is the city's choice per standard (ondijon/standards.py: public, API key or off);
posting a request always needs an app's key issued in the admin (403 without one). Every
refusal is the spec's error list, in the format asked for.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, Throttled
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from hotline.open311 import formats, services
from ondijon import standards


class Open311Access(standards.StandardAccess):
    """Reads as the city set Open311 (a partner's token or an app's Open311 key when a key is
    asked); a post only with an app's active Open311 key."""

    def has_permission(self, request, view) -> bool:
        mode = standards.access(view.standard)
        if mode == standards.OFF:
            raise NotFound()
        key = standards.api_key_of(request)
        if request.method == "POST":
            return services.key_named(key) is not None
        if mode == standards.PUBLIC:
            return True
        return services.key_named(key) is not None or standards.api_key_valid(key)


class Open311View(standards.StandardView, APIView):
    standard = "open311"
    # GeoReport v2 is specified by its own documents (XML first): it stays out of ondijon's
    # OpenAPI document, whose readers would take it for ondijon's own shapes.
    schema = None
    permission_classes = [Open311Access]
    parser_classes = [FormParser, MultiPartParser]

    def perform_content_negotiation(self, request, force=False):
        # The format is the path's suffix (.xml or .json), whatever the Accept header says.
        return JSONRenderer(), JSONRenderer.media_type

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        jurisdiction = request.query_params.get("jurisdiction_id") or (
            request.POST.get("jurisdiction_id") if request.method == "POST" else None
        )
        if not services.jurisdiction_ok(jurisdiction):
            raise NotFound(_("Unknown jurisdiction_id."))

    @property
    def fmt(self) -> str:
        return self.kwargs.get("fmt", "xml")

    def handle_exception(self, exc) -> HttpResponse:
        if isinstance(exc, DjangoValidationError):
            messages = (
                [f"{field}: {' '.join(texts)}" for field, texts in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            return formats.errors(self.fmt, 400, messages)
        if isinstance(exc, Http404 | NotFound):
            detail = exc.detail if isinstance(exc, NotFound) else _("Not found.")
            return formats.errors(self.fmt, 404, [str(detail)])
        if isinstance(exc, DjangoPermissionDenied | PermissionDenied) or getattr(
            exc, "status_code", None
        ) in (401, 403):
            return formats.errors(self.fmt, 403, [_("A valid api_key is required.")])
        if isinstance(exc, Throttled):
            response = formats.errors(self.fmt, 429, [str(exc.detail)])
            if exc.wait is not None:
                response["Retry-After"] = str(int(exc.wait) + 1)
            return response
        if isinstance(exc, APIException):
            return formats.errors(self.fmt, exc.status_code, [str(exc.detail)])
        raise exc


class ServiceList(Open311View):
    def get(self, request, fmt: str) -> HttpResponse:
        records = [services.service_record(c) for c in services.public_services()]
        return formats.respond(fmt, "services", "service", records)


class ServiceDefinition(Open311View):
    def get(self, request, code: str, fmt: str) -> HttpResponse:
        category = services.public_services().filter(code=code).first()
        if category is None:
            raise NotFound(_("No public service has this code."))
        return formats.respond(
            fmt, "service_definition", None, services.service_definition(category)
        )


class RequestList(Open311View):
    def get(self, request, fmt: str) -> HttpResponse:
        records = services.search_requests(request.query_params)
        return formats.respond(fmt, "service_requests", "request", records)

    def post(self, request, fmt: str) -> HttpResponse:
        key = services.key_named(standards.api_key_of(request))
        posted = services.submit_request(key, request.POST)
        intervention = posted.call.intervention
        answer = {
            "token": posted.token,
            "service_request_id": intervention.reference,
            "service_notice": "",
            "account_id": None,
        }
        return formats.respond(fmt, "service_requests", "request", [answer], status=201)


class RequestDetail(Open311View):
    def get(self, request, service_request_id: str, fmt: str) -> HttpResponse:
        found = services.find_request(service_request_id)
        if found is None:
            raise NotFound(_("No request has this service_request_id."))
        return formats.respond(fmt, "service_requests", "request", [services.request_record(found)])


class TokenDetail(Open311View):
    def get(self, request, token: str, fmt: str) -> HttpResponse:
        found = services.find_token(token)
        if found is None:
            raise NotFound(_("No request has this token."))
        reference = found.call.intervention.reference if found.call.intervention else None
        record = {"service_request_id": reference, "token": found.token}
        return formats.respond(fmt, "service_requests", "request", [record])
