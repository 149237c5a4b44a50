"""The language of the pages: French by default, English on request, remembered per person.

LocaleMiddleware picks the language from the language cookie, then the browser's
Accept-Language, then LANGUAGE_CODE ("fr"). A signed-in person who used the language switch
(`set_language`) gets the language they chose on any browser: it is kept on their
`LanguagePreference` and applied after authentication by `remembered_language`.
The chosen language is read once per session, not once per request.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from ondijon.models import LanguagePreference

SESSION_KEY = "ondijon_language"
# What the session holds for a person who never chose: the browser decides.
NOT_CHOSEN = ""


def is_language(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def remember_language(user: AbstractBaseUser, language: str) -> None:
    """Keep the language a person chose; the next sign-in, anywhere, opens in it."""
    if not is_language(language):
        raise ValueError(f"unknown language {language!r}")
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": language})


def chosen_language(user: AbstractBaseUser) -> str:
    """The language this person chose, or NOT_CHOSEN."""
    preference = LanguagePreference.objects.filter(user=user).first()
    return preference.language if preference and is_language(preference.language) else NOT_CHOSEN


def remembered_language(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """After AuthenticationMiddleware: a signed-in person's chosen language wins over the
    browser's; without one, LocaleMiddleware's choice stands."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_KEY)
            if language is None:
                language = chosen_language(user)
                request.session[SESSION_KEY] = language
            if language and language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return get_response(request)

    return middleware


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch: POST `language` (and `next`). Sets the language cookie (Django's
    own view), and for a signed-in person remembers the choice on their account."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if is_language(language) and request.user.is_authenticated:
        remember_language(request.user, language)
        request.session[SESSION_KEY] = language
    return response
