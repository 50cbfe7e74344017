"""The built-in significance lexicon, for the region to edit in the admin."""

from django.db import migrations

PHRASES = (
    ("нет воды", "water"), ("отключили воду", "water"), ("нет холодной воды", "water"),
    ("нет горячей воды", "water"), ("прорыв трубы", "water"), ("прорыв водопровода", "water"),
    ("нет света", "power"), ("нет электричества", "power"), ("отключили свет", "power"),
    ("нет электроэнергии", "power"), ("отключение электроэнергии", "power"),
    ("нет отопления", "heating"), ("нет тепла", "heating"), ("холодные батареи", "heating"),
    ("отключили отопление", "heating"),
    ("нет газа", "gas"), ("запах газа", "gas"), ("утечка газа", "gas"),
    ("авария", "accident"), ("взрыв", "accident"), ("затопило", "flood"), ("подтопление", "flood"),
    ("пожар", "fire"), ("горит", "fire"), ("возгорание", "fire"),
    ("обрушение", "collapse"), ("обрушился", "collapse"), ("рухнул", "collapse"),
    ("дети в опасности", "children"), ("угроза жизни детей", "children"), ("угроза жизни", "danger"),
    ("канализация затопила", "sewage"),
)


def seed(apps, schema_editor):
    SignalPhrase = apps.get_model("escalations", "SignalPhrase")
    for phrase, group in PHRASES:
        SignalPhrase.objects.get_or_create(phrase=phrase, defaults={"group": group})


class Migration(migrations.Migration):
    dependencies = [("escalations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
