from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_notification'),
    ]

    operations = [
        migrations.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('username', models.CharField(db_index=True, max_length=254)),
                ('ip', models.GenericIPAddressField(blank=True, db_index=True, null=True)),
                ('at', models.DateTimeField(db_index=True)),
            ],
            options={
                'ordering': ['-at'],
            },
        ),
    ]
