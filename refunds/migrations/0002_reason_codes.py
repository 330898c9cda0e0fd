"""The marketplace refund reason codes integrations rely on (exactly these; more may be added by
hand in the admin)."""

from django.db import migrations

REASONS = [
    ("not_received", "未收到货", "Not received", "delivery"),
    ("damaged_in_transit", "运输途中损坏", "Damaged in transit", "delivery"),
    ("quality", "质量问题", "Quality problem", "quality"),
    ("not_as_described", "与商品描述不符", "Not as described", "description"),
    ("installation", "安装问题", "Installation problem", "installation"),
    ("changed_mind", "不想要了（无理由退货）", "Changed mind (no-reason return)", "buyer"),
    ("battery", "电池问题", "Battery problem", "quality"),
]


def add_reasons(apps, schema_editor):
    ReasonCode = apps.get_model("refunds", "ReasonCode")
    for code, name_zh, name_en, category in REASONS:
        ReasonCode.objects.update_or_create(
            code=code, defaults={"name_zh": name_zh, "name_en": name_en, "category": category})


class Migration(migrations.Migration):
    dependencies = [("refunds", "0001_initial")]

    operations = [migrations.RunPython(add_reasons, migrations.RunPython.noop)]
