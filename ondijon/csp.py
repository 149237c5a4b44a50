"""The Content-Security-Policy sent with every response.

A page of the platform runs only script files of its own origin: no inline script, no inline
event handler, no `eval`, no plugin, no framing by another site. A name planted with markup
in it (a team's call sign, a district's name) can then never run in a colleague's session,
even where a page forgot to treat it as text. Pages pass their data to scripts as JSON
(`json_script`) or `data-` attributes.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    policy = settings.CONTENT_SECURITY_POLICY

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault(HEADER, policy)
        return response

    return middleware


def with_inline_styles(response: HttpResponse) -> HttpResponse:
    """The developers' pages (the browsable API, the API docs) come from their packages with
    inline style rules and attributes: let their styles apply, scripts stay as strict."""
    response.headers[HEADER] = settings.CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )
    return response


def inline_styles_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """View decorator: the response is a developers' page (see `with_inline_styles`)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return with_inline_styles(view(request, *args, **kwargs))

    return wrapped
