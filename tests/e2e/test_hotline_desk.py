"""The agent's call screen, driven by the keyboard only: a routine call in seconds."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hotline.models import Article, Call, Category, Referral
from interventions.models import Intervention
from ondijon import roles

from .test_login import log_in

# An agent typing about 70 words a minute and taking a short look before each command key,
# so the seconds measured are a person's, not a robot's.
TYPING_DELAY_MS = 170
THINKING_MS = 800


class Keyboard:
    """Counts the keys an agent presses beyond the free text they type."""

    def __init__(self, page):
        self.page, self.keystrokes, self.typed = page, [], 0

    def press(self, key: str, pause_ms: float = 0) -> None:
        self.page.wait_for_timeout(pause_ms)
        self.keystrokes.append(key)
        self.page.keyboard.press(key)

    def type(self, text: str, delay: float = 0) -> None:
        self.typed += len(text)
        self.page.keyboard.type(text, delay=delay)


@pytest.fixture
def hotline_reference(db):
    forms = Category.objects.create(
        code="declaration-forms", name="Declaration forms", shortcut="1"
    )
    Category.objects.create(code="waste-recycling", name="Waste and recycling", shortcut="5")
    Category.objects.create(code="isolated-person", name="Isolated person", shortcut="7")
    Article.objects.create(
        key="attestation",
        version=1,
        title="Travel declaration form",
        body="Print the form or copy it by hand.",
        category=forms,
        source=Article.Source.NATIONAL,
        valid_from=timezone.now() - timedelta(days=3),
    )
    return forms


def open_desk(page, asgi_server, make_user):
    make_user(roles.HOTLINE_AGENT, username="amelie")
    log_in(page, asgi_server, "amelie")
    page.goto(f"{asgi_server}/hotline/")
    expect(page.locator("#state")).to_contain_text("press Enter to pick up")


def test_routine_call_by_keyboard_only_in_few_keys_and_seconds(
    asgi_server, page, make_user, hotline_reference, screenshot
):
    open_desk(page, asgi_server, make_user)
    keys = Keyboard(page)
    started = time.monotonic()

    keys.press("Enter")  # pick up: the timer runs
    expect(page.locator("#state")).to_contain_text("In call")
    keys.press("1", THINKING_MS)  # category: declaration forms
    keys.type("Which form do I need to go shopping", delay=TYPING_DELAY_MS)
    expect(page.locator("#answers li.selected")).to_contain_text("Travel declaration form")
    screenshot("answer-found")
    keys.press("Enter", THINKING_MS)  # link the highlighted approved answer
    expect(page.locator("#linked")).to_contain_text("Travel declaration form (v1)")
    keys.press("Enter", THINKING_MS)  # outcome "answered" is the default: save and hang up
    expect(page.locator("#message")).to_contain_text("logged in")
    seconds = time.monotonic() - started
    screenshot("logged")

    call = Call.objects.get()
    assert call.category.code == "declaration-forms"
    assert call.article.key == "attestation"
    assert call.outcome == "answered"
    assert call.question == "Which form do I need to go shopping"
    assert call.agent.username == "amelie"
    handling = (call.ended_at - call.started_at).total_seconds()
    print(
        f"\nROUTINE CALL: {len(keys.keystrokes)} keystrokes beyond {keys.typed} characters "
        f"of free text ({' '.join(keys.keystrokes)}); {seconds:.1f} s in the browser, "
        f"{handling:.0f} s handling time recorded"
    )
    assert len(keys.keystrokes) < 10
    assert seconds < 30 and handling < 30
    # The desk is ready for the next call at once.
    expect(page.locator("#state")).to_contain_text("press Enter to pick up")
    expect(page.locator("#logged li")).to_have_count(1)


def test_call_back_intervention_and_referral_by_keyboard(
    asgi_server, page, make_user, hotline_reference, district
):
    open_desk(page, asgi_server, make_user)
    keys = Keyboard(page)

    # A call-back: outcome key "c" proposes a due time in two hours; Enter saves.
    keys.press("Enter")
    keys.press("1")
    keys.type("Wants the form posted")
    keys.press("Escape")
    keys.press("c")
    keys.press("Enter")
    expect(page.locator("#logged li")).to_have_count(1)

    # A fly-tip: outcome "i" creates an intervention; the caller's district by Alt+D.
    keys.press("Enter")
    keys.press("5")
    keys.type("Fly-tip in front of the school")
    keys.press("Alt+d")
    keys.press("ArrowDown")  # first district
    keys.press("Escape")
    keys.press("i")
    # The intervention is written for the crew, apart from what the caller said.
    keys.type("Fly-tip at the school gate")
    keys.press("Tab")
    keys.type("Bags on the pavement by the north gate")
    keys.press("Control+Enter")
    expect(page.locator("#logged li").first).to_contain_text("INT-")

    # An isolated person: referral with consent (Space ticks the box).
    keys.press("Enter")
    keys.press("7")
    keys.type("Lives alone, no one to shop")
    keys.press("Alt+i")
    keys.type("Jeanne Martin")
    keys.press("Tab")
    keys.type("0380000000")
    keys.press("Escape")
    keys.press("r")
    for _ in range(4):  # name and phone default to the caller's: on to the consent box
        keys.press("Tab")
    keys.press("Space")
    keys.press("Tab")
    keys.press("Space")  # and the register
    keys.press("Enter")
    expect(page.locator("#errors")).to_have_text("")
    expect(page.locator("#logged li")).to_have_count(3)

    outcomes = dict(Call.objects.values_list("outcome", "category__code"))
    assert outcomes == {
        "call_back": "declaration-forms",
        "intervention": "waste-recycling",
        "referral": "isolated-person",
    }
    assert Call.objects.get(outcome="call_back").callback.done_at is None
    intervention = Intervention.objects.get()
    assert intervention.title == "Fly-tip at the school gate"
    assert intervention.description == "Bags on the pavement by the north gate"
    assert "in front of the school" not in intervention.title + intervention.description
    assert intervention.calls.get().district == district
    referral = Referral.objects.get()
    assert (referral.person_name, referral.phone, referral.consent) == (
        "Jeanne Martin",
        "0380000000",
        True,
    )
    assert referral.register_entry.name == "Jeanne Martin"


def test_missing_consent_is_refused_and_nothing_saved(
    asgi_server, page, make_user, hotline_reference
):
    open_desk(page, asgi_server, make_user)
    page.keyboard.press("Enter")
    page.keyboard.press("7")
    page.keyboard.type("Alone")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type("Marcel")
    page.keyboard.press("Enter")
    expect(page.locator("#errors")).to_contain_text("consent")
    assert Call.objects.count() == 0 and Referral.objects.count() == 0
