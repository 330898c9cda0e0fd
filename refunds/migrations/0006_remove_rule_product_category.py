from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0005_status_store_index"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="responsibilityrule",
            name="product_category",
        ),
    ]
