"""The district's five leading industries (五大主导产业, FACTS.md §2), or another: one list for
enterprises (talent), key projects (development) and the cockpit's counts by industry."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    FINANCE = "finance", _("Modern finance")
    DIGITAL = "digital", _("Digital economy")
    ENERGY = "energy", _("Energy internet")
    URBAN = "urban", _("Urban industry")
    COMMERCE = "commerce", _("High-end commerce")
    OTHER = "other", _("Other industry")
