from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interventions.models import Service as InterventionService

# Keys the call desk keeps for itself with Alt: caller identity and district.
RESERVED_SHORTCUTS = {"i", "d"}


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    shortcut = models.CharField(
        _("keyboard shortcut"), max_length=1, blank=True, help_text=_("One key, e.g. 1 or d.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Open311 (hotline/open311/): a public category is a service citizens' apps may request;
    # each request becomes a call with an intervention for the team of `service`.
    public = models.BooleanField(
        _("offered to citizens' apps (Open311)"),
        default=False,
        help_text=_("Citizens' apps may report this through Open311 GeoReport v2."),
    )
    service = models.CharField(
        _("intervention service"),
        max_length=20,
        choices=InterventionService.choices,
        blank=True,
        help_text=_("The service whose teams handle the requests of a public category."),
    )
    description = models.TextField(_("description for citizens"), blank=True)
    attributes = models.JSONField(
        _("request attributes (Open311)"),
        default=list,
        blank=True,
        help_text=_(
            'Questions asked with a request: [{"code": "pole", "description": "Pole number", '
            '"datatype": "string", "required": false, "values": []}]'
        ),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("call category")
        verbose_name_plural = _("call categories")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        key = self.shortcut.lower()
        if key in RESERVED_SHORTCUTS:
            raise ValidationError(
                {"shortcut": _("Alt+I and Alt+D are kept for the caller's data.")}
            )
        taken = Category.objects.filter(active=True, shortcut__iexact=key).exclude(pk=self.pk)
        if key and self.active and taken.exists():
            raise ValidationError({"shortcut": _("Another active category uses this key.")})
        if self.public and not self.service:
            raise ValidationError(
                {"service": _("A public category needs the service that handles its requests.")}
            )
        from hotline.open311.attributes import attributes_problem

        problem = attributes_problem(self.attributes)
        if problem:
            raise ValidationError({"attributes": problem})


class ArticleQuerySet(models.QuerySet):
    def current(self, at=None) -> "ArticleQuerySet":
        """Valid at `at` (now by default), and only the newest such version of each key."""
        at = at or timezone.now()
        valid = self.filter(valid_from__lte=at).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=at)
        )
        newer = valid.filter(key=models.OuterRef("key"), version__gt=models.OuterRef("version"))
        return valid.exclude(models.Exists(newer))


class Article(models.Model):
    """An approved answer. A new version of the same `key` replaces the old one everywhere."""

    class Source(models.TextChoices):
        LOCAL = "local", _("Local decision")
        NATIONAL = "national", _("National decision")

    key = models.SlugField(_("key"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("answer"))
    category = models.ForeignKey(
        Category, models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    public = models.BooleanField(_("shown on the public page"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = _("approved answer")
        verbose_name_plural = _("approved answers")
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="article_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class Call(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        COUNTER = "counter", _("Counter")
        WEB = "web", _("Web form")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        TRANSFERRED = "transferred", _("Transferred")
        CALL_BACK = "call_back", _("Call back")
        INTERVENTION = "intervention", _("Intervention created")
        REFERRAL = "referral", _("Referral")

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    category = models.ForeignKey(
        Category, models.PROTECT, related_name="calls", verbose_name=_("category")
    )
    question = models.TextField(_("question"), blank=True)
    article = models.ForeignKey(
        Article,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("article"),
    )
    answer = models.TextField(_("answer given"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=15, choices=Outcome.choices, default=Outcome.ANSWERED
    )
    caller_name = models.CharField(_("caller name"), max_length=150, blank=True)
    caller_phone = models.CharField(_("caller phone"), max_length=30, blank=True)
    district = models.ForeignKey(
        "equipment.District",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    intervention = models.ForeignKey(
        "interventions.Intervention",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("intervention"),
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["started_at"]), models.Index(fields=["category"])]
        permissions = [("view_personal_data", _("Can see callers' personal data"))]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.category}"


class Referral(models.Model):
    """An isolated or vulnerable person flagged to the social support centre."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        SUPPORTED = "supported", _("Supported")
        CLOSED = "closed", _("Closed")

    call = models.ForeignKey(
        Call,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("call"),
    )
    person_name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.ForeignKey(
        "equipment.District",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    needs = models.TextField(_("needs"), blank=True)
    consent = models.BooleanField(_("consent given"), default=False)
    consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    register_consent = models.BooleanField(
        _("agrees to join the register of vulnerable people"), default=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        # No name: this label reaches admin history, confirmations and lookups.
        return f"Referral #{self.pk} ({self.get_status_display()})"


class ReferralNote(models.Model):
    """What the social team did or learnt, in order; the queue's memory."""

    referral = models.ForeignKey(
        Referral, models.CASCADE, related_name="notes", verbose_name=_("referral")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("referral note")
        verbose_name_plural = _("referral notes")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.text[:40]}"


class VulnerablePerson(models.Model):
    """The register of vulnerable people who agreed to be called back in a crisis."""

    referral = models.OneToOneField(
        Referral,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="register_entry",
        verbose_name=_("referral"),
    )
    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30)
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.ForeignKey(
        "equipment.District",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    needs = models.TextField(_("needs"), blank=True)
    consent_at = models.DateTimeField(_("consent recorded at"))
    left_at = models.DateTimeField(_("left the register at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vulnerable person")
        verbose_name_plural = _("register of vulnerable people")

    def __str__(self) -> str:
        # No name: this label reaches admin history, confirmations and lookups.
        return _("Register entry #%(pk)s") % {"pk": self.pk}


class CallbackCampaign(models.Model):
    """In a crisis mode, calling every person on the register back, and what came of it."""

    class Crisis(models.TextChoices):
        HEATWAVE = "heatwave", _("Heatwave")
        LOCKDOWN = "lockdown", _("Lockdown")
        COLD = "cold", _("Cold spell")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=150)
    crisis = models.CharField(_("crisis"), max_length=12, choices=Crisis.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("call-back campaign")
        verbose_name_plural = _("call-back campaigns")
        permissions = [("run_campaign", _("Can start and close call-back campaigns"))]

    def __str__(self) -> str:
        return self.name


class CampaignCall(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("To call")
        REACHED_OK = "reached_ok", _("Reached, all right")
        REACHED_NEEDS_HELP = "needs_help", _("Reached, needs help")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    campaign = models.ForeignKey(
        CallbackCampaign, models.CASCADE, related_name="calls", verbose_name=_("campaign")
    )
    person = models.ForeignKey(
        VulnerablePerson, models.CASCADE, related_name="campaign_calls", verbose_name=_("person")
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("campaign call")
        verbose_name_plural = _("campaign calls")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="campaign_person_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk} {self.outcome}"


class CallbackRequest(models.Model):
    """A caller to ring back by a due time (outcome "call back")."""

    call = models.OneToOneField(
        Call, models.CASCADE, related_name="callback", verbose_name=_("call")
    )
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    result = models.TextField(_("result"), blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("call-back request")
        verbose_name_plural = _("call-back requests")
        indexes = [models.Index(fields=["done_at", "due_at"])]

    def __str__(self) -> str:
        due = f"{timezone.localtime(self.due_at):%d/%m/%Y %H:%M}"
        return _("Call back by %(due)s") % {"due": due}


class HotlineMode(models.Model):
    """One row: whether a crisis switched the hotline to round the clock (24/7)."""

    round_the_clock = models.BooleanField(_("open 24/7"), default=False)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("hotline mode")
        permissions = [
            ("switch_round_the_clock", _("Can switch the hotline to 24/7 and back")),
            ("view_statistics", _("Can see hotline statistics")),
        ]

    def __str__(self) -> str:
        return "24/7" if self.round_the_clock else str(_("Opening hours"))


class PersonalDataRead(models.Model):
    """Who read a caller's or a referred person's record, when, and where (page, API, admin,
    export): the register the social support lead answers a person's or the CNIL's request
    from. Written only by hotline.personal_data; never changed or deleted by hand."""

    class Record(models.TextChoices):
        CALL = "call", _("Call")
        REFERRAL = "referral", _("Referral")
        VULNERABLE_PERSON = "vulnerable_person", _("Register entry")

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reader"),
    )
    # Kept when the account is deleted: the register must still say who it was.
    reader_name = models.CharField(_("reader"), max_length=150)
    read_at = models.DateTimeField(_("read at"), default=timezone.now)
    record_type = models.CharField(_("record"), max_length=20, choices=Record.choices)
    record_id = models.PositiveBigIntegerField(_("record number"))
    via = models.CharField(_("read through"), max_length=60)

    class Meta:
        ordering = ["-read_at", "-id"]
        indexes = [
            models.Index(fields=["record_type", "record_id"]),
            models.Index(fields=["read_at"]),
        ]
        verbose_name = _("read of personal data")
        verbose_name_plural = _("reads of personal data")
        # Nobody adds, changes or deletes these by hand; only the lead lists them.
        default_permissions = ()
        permissions = [("audit_personal_data", _("Can list who read personal data"))]

    def __str__(self) -> str:
        return (
            f"{self.read_at:%Y-%m-%d %H:%M} {self.reader_name} {self.record_type} #{self.record_id}"
        )


# Open311's own records (API keys of citizens' apps, the requests they posted).
from hotline.open311.models import Open311Key, Open311Request  # noqa: E402, F401
