"""Fewer indexes to keep up on every write of tickets, status changes and time entries.

A foreign key's own index goes where another index already leads with its column (customer
on tickets and time entries, ticket on status changes), and the optional references of a
ticket keep an index over the rows that have one. The dropped indexes are named as Django
made them; the fields change in the state only, so SQLite does not copy the tables.
"""

import django.db.models.deletion
from django.db import migrations, models


# (index, table, column) of the foreign keys' own indexes that go.
DROPPED = [
    ("service_ticket_catalogue_item_id_58994c51", "service_ticket", "catalogue_item_id"),
    ("service_ticket_contact_id_a593ea7c", "service_ticket", "contact_id"),
    ("service_ticket_contract_id_7fca865b", "service_ticket", "contract_id"),
    ("service_ticket_customer_id_42f103d8", "service_ticket", "customer_id"),
    ("service_ticket_sla_policy_id_47611ac5", "service_ticket", "sla_policy_id"),
    ("service_ticketstatuschange_ticket_id_506cb012", "service_ticketstatuschange", "ticket_id"),
    ("service_timeentry_customer_id_d8c0911e", "service_timeentry", "customer_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_field_labels"),
        ("customers", "0001_initial"),
        ("service", "0002_field_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="catalogue_item",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="contracts.catalogueitem",
                        verbose_name="catalogue item",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="customers.contact",
                        verbose_name="contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="contract",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="contracts.contract",
                        verbose_name="contract",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tickets",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_policy",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="contracts.slapolicy",
                        verbose_name="SLA policy",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketstatuschange",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="service.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="timeentry",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="time_entries",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for name, _table, _column in DROPPED],
                    reverse_sql=[
                        f'CREATE INDEX "{name}" ON "{table}" ("{column}")'
                        for name, table, column in DROPPED
                    ],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="ticket_contact",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("contract__isnull", False)),
                fields=["contract"],
                name="ticket_contract",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("sla_policy__isnull", False)),
                fields=["sla_policy"],
                name="ticket_sla_policy",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("catalogue_item__isnull", False)),
                fields=["catalogue_item"],
                name="ticket_catalogue_item",
            ),
        ),
    ]
