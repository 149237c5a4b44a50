"""The city's geography as its open data gives it: streets (OpenStreetMap or the demo
generator) and addresses (the Base Adresse Nationale)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Street(models.Model):
    """One way of the road network: its name, its class, its nodes and their positions."""

    class Source(models.TextChoices):
        DEMO = "demo", _("Demo metropolis")
        OSM = "osm", _("OpenStreetMap")

    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    # The OSM way id, or the demo generator's stable number: re-imports update in place.
    source_id = models.BigIntegerField(_("source id"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    road_class = models.CharField(_("road class"), max_length=32)
    oneway = models.BooleanField(_("one way"), default=False)
    # Node ids along the way (shared nodes are the junctions) and [lon, lat] of each.
    nodes = models.JSONField(_("nodes"), default=list)
    points = models.JSONField(_("points"), default=list)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="street_source_unique")
        ]

    def __str__(self) -> str:
        return self.name or self.road_class


class Address(models.Model):
    """One address of the Base Adresse Nationale, with its published fields."""

    ban_id = models.CharField(_("BAN id"), max_length=64, unique=True)
    numero = models.PositiveIntegerField(_("number"), null=True, blank=True)
    rep = models.CharField(_("suffix"), max_length=16, blank=True)
    nom_voie = models.CharField(_("street name"), max_length=200)
    code_postal = models.CharField(_("postcode"), max_length=5, blank=True)
    code_insee = models.CharField(_("INSEE code"), max_length=5, blank=True)
    nom_commune = models.CharField(_("commune"), max_length=100)
    longitude = models.FloatField(_("longitude"))
    latitude = models.FloatField(_("latitude"))

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        indexes = [models.Index(fields=["code_insee", "nom_voie"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return address_label(
            self.numero, self.rep, self.nom_voie, self.code_postal, self.nom_commune
        )


def address_label(numero, rep: str, nom_voie: str, code_postal: str, nom_commune: str) -> str:
    """How a French address is written: "12 bis Rue de la Liberté, 21000 Dijon"."""
    number = f"{numero} {rep}".strip() if numero else ""
    street = f"{number} {nom_voie}".strip()
    return f"{street}, {code_postal} {nom_commune}".replace(",  ", ", ").strip()


class Import(models.Model):
    """One import of the city's data: the in-memory indexes reload when a newer one exists."""

    class Kind(models.TextChoices):
        ADDRESSES = "addresses", _("Addresses")
        STREETS = "streets", _("Streets")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=300)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    finished_at = models.DateTimeField(_("finished at"), auto_now_add=True)

    class Meta:
        verbose_name = _("geography import")
        verbose_name_plural = _("geography imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.source}"
