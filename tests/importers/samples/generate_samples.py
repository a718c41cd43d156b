"""Writes the sample exports in this folder (run it after changing a sample; commit the output).

Each tool's exports are written twice from the same data:

- ``<tool>-<kind>.en.csv``: the tool's documented field names, comma-separated UTF-8, times as
  the tool's API or English export writes them (ISO 8601 in UTC, or local US/ISO times);
- ``<tool>-<kind>.de.csv``: German headers as the tool's German UI exports them (where a tool
  has none, the English ones) saved by a German Excel: ``;``, decimal commas, ``dd.mm.yyyy
  HH:MM`` local times (Europe/Berlin), Windows-1252 or UTF-8 with BOM, empty trailing rows.

Both forms describe the same instants, so the tests check one set of expectations for both.
``generic-time-entries.de.xlsx`` adds an XLSX with date cells, an Excel date serial typed as a
number and empty trailing rows.

    .venv/bin/python tests/importers/samples/generate_samples.py
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class L:
    """Language-specific text."""

    en: str
    de: str


@dataclass(frozen=True)
class T:
    """An instant, given in UTC."""

    year: int
    month: int
    day: int
    hour: int
    minute: int

    @property
    def utc(self) -> datetime:
        return datetime(self.year, self.month, self.day, self.hour, self.minute, tzinfo=UTC)


Cell = str | int | Decimal | bool | L | T | date | None


def render(cell: Cell, lang: str, style: str) -> str:
    if cell is None:
        return ""
    if isinstance(cell, L):
        return cell.en if lang == "en" else cell.de
    if isinstance(cell, bool):
        if lang == "de":
            return "ja" if cell else "nein"
        return "true" if cell else "false"
    if isinstance(cell, T):
        local = cell.utc.astimezone(BERLIN)
        if lang == "de":
            return local.strftime("%d.%m.%Y %H:%M")
        if style == "iso_z":
            return cell.utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == "us":
            hour = local.hour % 12 or 12
            return f"{local.month}/{local.day}/{local.year} {hour}:{local.minute:02d} " + (
                "AM" if local.hour < 12 else "PM"
            )
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, date):
        if lang == "de":
            return cell.strftime("%d.%m.%Y")
        if style == "iso_z":
            return cell.strftime("%Y-%m-%dT00:00:00Z")
        if style == "us":
            return f"{cell.month}/{cell.day}/{cell.year}"
        return cell.isoformat()
    if isinstance(cell, Decimal):
        text = f"{cell:,.2f}" if abs(cell) >= 1000 else str(cell)
        if lang == "de":
            return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text
    return str(cell)


@dataclass(frozen=True)
class Sample:
    name: str  # <tool>-<kind>, the preset's name
    en: list[str]
    de: list[str]
    rows: list[tuple[Cell, ...]]
    style: str = "iso_z"  # how the English form writes times
    de_encoding: str = "cp1252"


def write(sample: Sample) -> None:
    for lang in ("en", "de"):
        buffer = io.StringIO()
        delimiter = "," if lang == "en" else ";"
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(sample.en if lang == "en" else sample.de)
        for row in sample.rows:
            writer.writerow([render(cell, lang, sample.style) for cell in row])
        if lang == "de":
            # What Excel leaves behind after rows were deleted.
            writer.writerow([""] * len(sample.de))
            writer.writerow([""] * len(sample.de))
        encoding = "utf-8" if lang == "en" else sample.de_encoding
        (HERE / f"{sample.name}.{lang}.csv").write_bytes(buffer.getvalue().encode(encoding))


MUELLER = "Müller Maschinenbau GmbH"
SCHMIDT = "Schmidt & Söhne KG"

SAMPLES = [
    # ConnectWise PSA -----------------------------------------------------------------------
    Sample(
        "connectwise-companies",
        ["identifier", "name", "status/name", "numberOfEmployees"],
        ["Firmen-ID", "Firmenname", "Status", "Mitarbeiterzahl"],
        [
            ("MUELLER", MUELLER, L("Active", "Aktiv"), 45),
            ("SCHMIDT", SCHMIDT, L("Active", "Aktiv"), 12),
            ("ALTHAUS", "Althaus Steuerberatung", L("Inactive", "Inaktiv"), 8),
        ],
    ),
    Sample(
        "connectwise-agreements",
        [
            "id",
            "name",
            "type/name",
            "company/identifier",
            "startDate",
            "endDate",
            "billAmount",
            "agreementStatus",
        ],
        [
            "Vertrags-ID",
            "Vertrag",
            "Vertragsart",
            "Firmen-ID",
            "Beginn",
            "Ende",
            "Monatliche Gebühr",
            "Status",
        ],
        [
            (
                101,
                "Managed Workplace",
                "Managed Services",
                "MUELLER",
                date(2024, 1, 1),
                None,
                Decimal("2450.00"),
                L("Active", "Aktiv"),
            ),
            (
                102,
                "Stundenkontingent 20h",
                L("Block Time", "Stundenkontingent"),
                "SCHMIDT",
                date(2024, 4, 1),
                date(2025, 3, 31),
                Decimal("1800.00"),
                L("Expired", "Abgelaufen"),
            ),
        ],
        de_encoding="utf-8-sig",
    ),
    Sample(
        "connectwise-tickets",
        [
            "id",
            "summary",
            "status/name",
            "priority/name",
            "company/identifier",
            "company/name",
            "dateEntered",
            "dateResolved",
            "closedDate",
            "source/name",
            "type/name",
        ],
        [
            "Ticket-Nr.",
            "Zusammenfassung",
            "Status",
            "Priorität",
            "Firmen-ID",
            "Firma",
            "Erstellt am",
            "Gelöst am",
            "Geschlossen am",
            "Quelle",
            "Typ",
        ],
        [
            (
                48211,
                "Drucker im 2. OG druckt nicht",
                L("Completed", "Erledigt"),
                "Priority 3 - Normal Response",
                "MUELLER",
                MUELLER,
                T(2025, 3, 3, 8, 15),
                T(2025, 3, 3, 13, 40),
                None,
                L("Phone", "Telefon"),
                "Incident",
            ),
            (
                48212,
                "VPN-Zugang für neue Mitarbeiterin",
                L("Waiting Customer", "Wartet auf Kunde"),
                "Priority 2 - Quick Response",
                "SCHMIDT",
                SCHMIDT,
                T(2025, 3, 4, 7, 2),
                None,
                None,
                L("Email", "E-Mail"),
                "Service Request",
            ),
            (
                48213,
                "Server-Ausfall Buchhaltung",
                L(">Closed", "Geschlossen"),
                "Priority 1 - Emergency Response",
                "MUELLER",
                MUELLER,
                T(2025, 3, 31, 6, 5),
                T(2025, 3, 31, 8, 0),
                T(2025, 4, 2, 9, 0),
                "Monitoring",
                "Incident",
            ),
        ],
    ),
    Sample(
        "connectwise-time-entries",
        [
            "id",
            "chargeToId",
            "company/identifier",
            "member/identifier",
            "timeStart",
            "actualHours",
            "billableOption",
            "notes",
        ],
        [
            "Zeiteintrag-ID",
            "Ticket-Nr.",
            "Firmen-ID",
            "Mitarbeiter",
            "Beginn",
            "Stunden",
            "Abrechnungsoption",
            "Notizen",
        ],
        [
            (
                9001,
                48211,
                "MUELLER",
                "jdoe",
                T(2025, 3, 3, 9, 0),
                Decimal("1.5"),
                L("Billable", "Abrechenbar"),
                "Druckertreiber neu installiert",
            ),
            (
                9002,
                48211,
                "MUELLER",
                "jdoe",
                T(2025, 3, 3, 13, 30),
                Decimal("0.25"),
                L("NoCharge", "Kostenlos"),
                "Rückruf; Drucker läuft",
            ),
            (
                9003,
                48212,
                "SCHMIDT",
                "akoch",
                T(2025, 3, 4, 8, 0),
                Decimal("0.75"),
                L("DoNotBill", "Nicht abrechnen"),
                "VPN-Profil angelegt",
            ),
        ],
        de_encoding="utf-8-sig",
    ),
    Sample(
        "connectwise-surveys",
        [
            "id",
            "ticketId",
            "company/identifier",
            "dateSent",
            "dateEntered",
            "points",
            "footerResponse",
        ],
        [
            "Ergebnis-ID",
            "Ticket-Nr.",
            "Firmen-ID",
            "Gesendet am",
            "Beantwortet am",
            "Punkte",
            "Kommentar",
        ],
        [
            (
                501,
                48211,
                "MUELLER",
                T(2025, 3, 3, 14, 0),
                T(2025, 3, 3, 16, 20),
                5,
                "Schnell und freundlich",
            ),
            (502, 48212, "SCHMIDT", T(2025, 3, 5, 9, 0), None, None, ""),
        ],
    ),
    # Autotask PSA --------------------------------------------------------------------------
    Sample(
        "autotask-companies",
        ["id", "companyName", "isActive"],
        ["Firmen-ID", "Firmenname", "Aktiv"],
        [(29683, MUELLER, True), (29684, SCHMIDT, True), (29690, "Althaus Steuerberatung", False)],
        style="us",
    ),
    Sample(
        "autotask-contracts",
        [
            "id",
            "contractName",
            "companyID",
            "contractType",
            "status",
            "startDate",
            "endDate",
            "estimatedRevenue",
        ],
        [
            "Vertrags-ID",
            "Vertragsname",
            "Firmen-ID",
            "Vertragsart",
            "Status",
            "Beginn",
            "Ende",
            "Monatliche Gebühr",
        ],
        [
            (
                3001,
                "Managed Workplace",
                29683,
                L("7", "Wiederkehrender Service"),
                L("1", "Aktiv"),
                date(2024, 1, 1),
                date(2026, 12, 31),
                Decimal("2450.00"),
            ),
            (
                3002,
                "Stundenkontingent",
                29684,
                L("4", "Stundenkontingent"),
                L("1", "Aktiv"),
                date(2024, 4, 1),
                None,
                Decimal("1800.00"),
            ),
        ],
        style="us",
    ),
    Sample(
        "autotask-tickets",
        [
            "id",
            "ticketNumber",
            "title",
            "status",
            "priority",
            "companyID",
            "createDate",
            "firstResponseDateTime",
            "completedDate",
            "source",
            "issueType",
        ],
        [
            "Ticket-ID",
            "Ticketnummer",
            "Titel",
            "Status",
            "Priorität",
            "Firmen-ID",
            "Erstellt",
            "Erste Antwort",
            "Abgeschlossen",
            "Quelle",
            "Problemtyp",
        ],
        [
            (
                71001,
                "T20250303.0004",
                "Outlook startet nicht",
                L("5", "Abgeschlossen"),
                L("2", "Mittel"),
                29683,
                T(2025, 3, 3, 8, 15),
                T(2025, 3, 3, 8, 40),
                T(2025, 3, 3, 13, 40),
                L("Phone", "Telefon"),
                "Software",
            ),
            (
                71002,
                "T20250304.0011",
                "Neuer Laptop für Buchhaltung",
                L("7", "Warten auf Kunde"),
                L("1", "Hoch"),
                29684,
                T(2025, 3, 4, 7, 2),
                T(2025, 3, 4, 7, 30),
                None,
                L("Email", "E-Mail"),
                "Hardware",
            ),
            (
                71003,
                "T20250331.0001",
                "Firewall meldet Angriff",
                L("8", "In Bearbeitung"),
                L("4", "Kritisch"),
                29683,
                T(2025, 3, 31, 6, 5),
                T(2025, 3, 31, 6, 9),
                None,
                L("Monitoring Alert", "Überwachungsalarm"),
                "Security",
            ),
        ],
        style="us",
    ),
    Sample(
        "autotask-time-entries",
        [
            "id",
            "ticketID",
            "resourceID",
            "startDateTime",
            "hoursWorked",
            "isNonBillable",
            "summaryNotes",
        ],
        [
            "Zeiteintrag-ID",
            "Ticket-ID",
            "Ressource",
            "Beginn",
            "Geleistete Stunden",
            "Nicht abrechenbar",
            "Zusammenfassung",
        ],
        [
            (
                880001,
                71001,
                "Jana Doe",
                T(2025, 3, 3, 9, 0),
                Decimal("1.5"),
                False,
                "Profil neu angelegt",
            ),
            (880002, 71001, "Jana Doe", T(2025, 3, 3, 13, 30), Decimal("0.25"), True, "Rückruf"),
            (
                880003,
                71003,
                "Ali Koch",
                T(2025, 3, 31, 6, 10),
                Decimal("0.75"),
                True,
                "IP gesperrt",
            ),
        ],
        style="us",
    ),
    Sample(
        "autotask-surveys",
        ["id", "companyID", "ticketID", "sendDate", "completeDate", "surveyRating"],
        ["Umfrageergebnis-ID", "Firmen-ID", "Ticket-ID", "Gesendet", "Abgeschlossen", "Bewertung"],
        [
            (41, 29683, 71001, T(2025, 3, 3, 14, 0), T(2025, 3, 3, 16, 20), 5),
            (42, 29684, 71002, T(2025, 3, 5, 9, 0), None, None),
        ],
        style="us",
    ),
    # HaloPSA -------------------------------------------------------------------------------
    Sample(
        "halopsa-clients",
        ["id", "name", "inactive"],
        ["Kunden-ID", "Kunde", "Inaktiv"],
        [(12, MUELLER, False), (13, SCHMIDT, False)],
        de_encoding="utf-8-sig",
    ),
    Sample(
        "halopsa-contracts",
        [
            "id",
            "ref",
            "client_id",
            "client_name",
            "billing_description",
            "start_date",
            "end_date",
            "periodchargeamount",
        ],
        [
            "Vertrags-ID",
            "Vertragsreferenz",
            "Kunden-ID",
            "Kunde",
            "Vertragsart",
            "Beginn",
            "Ende",
            "Monatliche Gebühr",
        ],
        [
            (
                5,
                "MSP-2024-012",
                12,
                MUELLER,
                "Managed Service",
                date(2024, 1, 1),
                None,
                Decimal("2450.00"),
            ),
            (
                6,
                "PRE-2024-013",
                13,
                SCHMIDT,
                L("Prepay", "Stundenkontingent"),
                date(2024, 4, 1),
                date(2025, 3, 31),
                Decimal("1800.00"),
            ),
        ],
    ),
    Sample(
        "halopsa-tickets",
        [
            "id",
            "summary",
            "status_name",
            "priority_id",
            "client_id",
            "client_name",
            "dateoccurred",
            "respondeddate",
            "datecleared",
            "category_1",
        ],
        [
            "Ticket-ID",
            "Zusammenfassung",
            "Status",
            "Priorität",
            "Kunden-ID",
            "Kunde",
            "Datum aufgetreten",
            "Beantwortet am",
            "Gelöst am",
            "Kategorie",
        ],
        [
            (
                1201,
                "Scanner sendet keine Mails",
                L("Resolved", "Gelöst"),
                L("3", "Mittel"),
                12,
                MUELLER,
                T(2025, 3, 3, 8, 15),
                T(2025, 3, 3, 8, 40),
                T(2025, 3, 3, 13, 40),
                "Hardware",
            ),
            (
                1202,
                "Zugang zum DATEV-Laufwerk",
                L("Waiting on User", "Wartet auf Benutzer"),
                L("2", "Hoch"),
                13,
                SCHMIDT,
                T(2025, 3, 4, 7, 2),
                None,
                None,
                "Berechtigungen",
            ),
        ],
        de_encoding="utf-8-sig",
    ),
    Sample(
        "halopsa-time-entries",
        ["id", "ticket_id", "who", "datetime", "timetaken", "actisbillable", "note"],
        ["Aktions-ID", "Ticket-ID", "Techniker", "Datum", "Zeitaufwand", "Abrechenbar", "Notiz"],
        [
            (
                90001,
                1201,
                "Jana Doe",
                T(2025, 3, 3, 9, 0),
                Decimal("1.5"),
                True,
                "SMTP-Relay korrigiert",
            ),
            (90002, 1202, "Ali Koch", T(2025, 3, 4, 8, 0), Decimal("0.75"), False, "Rückfrage"),
        ],
    ),
    Sample(
        "halopsa-feedback",
        ["id", "ticket_id", "score", "date", "comment"],
        ["Feedback-ID", "Ticket-ID", "Bewertung", "Datum", "Kommentar"],
        [(301, 1201, L("1", "Hervorragend"), T(2025, 3, 3, 16, 20), "Top!")],
    ),
    # Zammad --------------------------------------------------------------------------------
    Sample(
        "zammad-organizations",
        ["id", "name", "active", "note"],
        ["ID", "Name", "Aktiv", "Notiz"],
        [(2, MUELLER, True, "Wartungsvertrag"), (3, SCHMIDT, True, "")],
    ),
    Sample(
        "zammad-tickets",
        [
            "id",
            "number",
            "title",
            "state",
            "priority",
            "organization_id",
            "created_at",
            "first_response_at",
            "close_at",
            "group",
        ],
        [
            "Nummer",
            "Titel",
            "Status",
            "Priorität",
            "Organisation",
            "Erstellt am",
            "Erste Reaktion",
            "Geschlossen am",
            "Gruppe",
        ],
        [],  # written by hand below: the German export has no id column
    ),
    Sample(
        "zammad-time-entries",
        ["id", "ticket_id", "created_by", "created_at", "time_unit", "type"],
        ["ID", "Ticket", "Erstellt von", "Erstellt am", "Zeiteinheit", "Tätigkeit"],
        [],  # written by hand below: refers to ticket ids (en) or numbers (de)
    ),
    # Freshdesk -----------------------------------------------------------------------------
    Sample(
        "freshdesk-companies",
        ["Company Name", "Notes"],
        ["Firmenname", "Notizen"],
        [(MUELLER, "Key account"), (SCHMIDT, "")],
        style="naive",
    ),
    Sample(
        "freshdesk-tickets",
        [
            "Ticket ID",
            "Subject",
            "Status",
            "Priority",
            "Source",
            "Type",
            "Company Name",
            "Created time",
            "Initial response time",
            "Resolved time",
            "Closed time",
            "Agent interactions",
        ],
        [
            "Ticket-ID",
            "Betreff",
            "Status",
            "Priorität",
            "Quelle",
            "Typ",
            "Firmenname",
            "Erstellungszeit",
            "Erste Antwortzeit",
            "Lösungszeit",
            "Schließzeit",
            "Agenteninteraktionen",
        ],
        [
            (
                3301,
                "Kennwort abgelaufen",
                L("Closed", "Geschlossen"),
                L("Low", "Niedrig"),
                L("Phone", "Telefon"),
                "Question",
                MUELLER,
                T(2025, 3, 3, 8, 15),
                T(2025, 3, 3, 8, 20),
                T(2025, 3, 3, 8, 30),
                T(2025, 3, 6, 8, 30),
                1,
            ),
            (
                3302,
                "Teams-Telefonie fällt aus",
                L("Pending", "Ausstehend"),
                L("Urgent", "Dringend"),
                "Portal",
                "Incident",
                SCHMIDT,
                T(2025, 3, 4, 7, 2),
                T(2025, 3, 4, 7, 10),
                None,
                None,
                3,
            ),
        ],
        style="naive",
    ),
    Sample(
        "freshdesk-time-entries",
        ["id", "ticket_id", "agent_name", "executed_at", "time_spent", "billable", "note"],
        ["ID", "Ticket-ID", "Agent", "Ausgeführt am", "Aufgewendete Zeit", "Abrechenbar", "Notiz"],
        [
            (
                7001,
                3301,
                "Jana Doe",
                T(2025, 3, 3, 8, 20),
                "00:10",
                False,
                "Kennwort zurückgesetzt",
            ),
            (7002, 3302, "Ali Koch", T(2025, 3, 4, 7, 10), "01:45", True, "Teams-Richtlinie"),
        ],
        style="iso_z",
        de_encoding="utf-8-sig",
    ),
    Sample(
        "freshdesk-surveys",
        ["id", "ticket_id", "created_at", "ratings.default_question", "feedback"],
        ["ID", "Ticket-ID", "Erstellt am", "Bewertung", "Feedback"],
        [
            (61, 3301, T(2025, 3, 3, 9, 0), "103", "Super schnell"),
            (62, 3302, T(2025, 3, 5, 9, 0), "-102", "Dauert zu lange"),
        ],
    ),
    # Zendesk -------------------------------------------------------------------------------
    Sample(
        "zendesk-organizations",
        ["id", "name", "notes"],
        ["ID", "Name", "Notizen"],
        [(360001, MUELLER, ""), (360002, SCHMIDT, "")],
    ),
    Sample(
        "zendesk-tickets",
        [
            "id",
            "subject",
            "status",
            "priority",
            "type",
            "via",
            "organization_id",
            "created_at",
            "solved_at",
        ],
        [
            "ID",
            "Betreff",
            "Status",
            "Priorität",
            "Typ",
            "Kanal",
            "Organisation",
            "Angefragt",
            "Gelöst",
        ],
        [],  # written by hand below: organization id (en) or name (de)
    ),
    Sample(
        "zendesk-satisfaction",
        ["id", "ticket_id", "score", "created_at", "updated_at", "comment"],
        ["ID", "Ticket-ID", "Bewertung", "Erstellt am", "Aktualisiert am", "Kommentar"],
        [
            (9101, 5501, L("good", "gut"), T(2025, 3, 3, 14, 0), T(2025, 3, 3, 15, 0), "Danke"),
            (9102, 5502, L("offered", "angeboten"), T(2025, 3, 5, 9, 0), T(2025, 3, 5, 9, 0), ""),
        ],
    ),
    # Generic -------------------------------------------------------------------------------
    Sample(
        "generic-customers",
        ["customer_id", "name", "country", "state", "seats", "endpoints", "customer_since"],
        [
            "Kundennummer",
            "Firma",
            "Land",
            "Bundesland",
            "Arbeitsplätze",
            "Endgeräte",
            "Kunde seit",
        ],
        [
            ("K-1001", MUELLER, "DE", "BY", 45, 60, date(2019, 5, 1)),
            ("K-1002", SCHMIDT, "DE", "NW", 12, 15, date(2021, 1, 1)),
        ],
        style="naive",
    ),
    Sample(
        "generic-contracts",
        [
            "contract_id",
            "customer",
            "name",
            "kind",
            "monthly_fee",
            "included_hours",
            "hourly_rate",
            "start_date",
            "end_date",
        ],
        [
            "Vertragsnummer",
            "Kunde",
            "Vertrag",
            "Vertragsart",
            "Monatliche Pauschale",
            "Inklusivstunden",
            "Stundensatz",
            "Beginn",
            "Ende",
        ],
        [
            (
                "V-2024-01",
                "K-1001",
                "Managed Workplace",
                L("managed", "Pauschale"),
                Decimal("2450.00"),
                Decimal("10"),
                Decimal("95.00"),
                date(2024, 1, 1),
                None,
            ),
            (
                "V-2024-02",
                "K-1002",
                "Stundenkontingent",
                L("block_hours", "Stundenkontingent"),
                Decimal("1800.00"),
                Decimal("20"),
                Decimal("90.00"),
                date(2024, 4, 1),
                date(2025, 3, 31),
            ),
        ],
        style="naive",
    ),
    Sample(
        "generic-tickets",
        [
            "ticket_id",
            "subject",
            "customer",
            "created_at",
            "first_response_at",
            "resolved_at",
            "status",
            "priority",
            "billable",
        ],
        [
            "Ticket-Nr.",
            "Betreff",
            "Kunde",
            "Erstellt am",
            "Erste Antwort",
            "Gelöst am",
            "Status",
            "Priorität",
            "Abrechenbar",
        ],
        [
            (
                "T-1",
                "Drucker druckt nicht",
                "K-1001",
                T(2025, 3, 3, 8, 15),
                T(2025, 3, 3, 8, 30),
                T(2025, 3, 3, 13, 40),
                L("resolved", "gelöst"),
                L("P3", "mittel"),
                False,
            ),
            (
                "T-2",
                "Neuer Arbeitsplatz",
                "K-1002",
                T(2025, 3, 4, 7, 2),
                None,
                None,
                L("waiting for customer", "wartet auf Kunde"),
                L("P2", "hoch"),
                True,
            ),
        ],
        style="naive",
    ),
    Sample(
        "generic-time-entries",
        [
            "entry_id",
            "ticket_id",
            "customer",
            "technician",
            "started_at",
            "hours",
            "billing",
            "billed_amount",
        ],
        [
            "Eintrag-Nr.",
            "Ticket-Nr.",
            "Kunde",
            "Techniker",
            "Beginn",
            "Stunden",
            "Abrechnung",
            "Betrag",
        ],
        [
            (
                "Z-1",
                "T-1",
                "K-1001",
                "Jana Doe",
                T(2025, 3, 3, 9, 0),
                Decimal("1.5"),
                L("billed", "abgerechnet"),
                Decimal("1042.50"),
            ),
            (
                "Z-2",
                "T-1",
                "K-1001",
                "Jana Doe",
                T(2025, 3, 3, 13, 30),
                Decimal("0.25"),
                L("goodwill", "Kulanz"),
                None,
            ),
            (
                "Z-3",
                None,
                "K-1002",
                "Ali Koch",
                T(2025, 3, 4, 8, 0),
                Decimal("0.75"),
                L("internal", "intern"),
                None,
            ),
        ],
        style="naive",
    ),
    Sample(
        "generic-survey-answers",
        ["answer_id", "ticket_id", "customer", "sent_at", "answered_at", "score", "comment"],
        [
            "Antwort-Nr.",
            "Ticket-Nr.",
            "Kunde",
            "Gesendet am",
            "Beantwortet am",
            "Bewertung",
            "Kommentar",
        ],
        [
            ("A-1", "T-1", None, T(2025, 3, 3, 14, 0), T(2025, 3, 3, 16, 20), 5, "Prima"),
            ("A-2", "T-2", None, T(2025, 3, 5, 9, 0), None, None, ""),
        ],
        style="naive",
    ),
]


def write_by_hand() -> None:
    """Exports whose English and German forms differ in more than headers and formats."""
    rows = [
        # id, number, title, state en/de, priority en/de, org id, org name, created, first, close
        (
            17,
            "31017",
            "Drucker druckt nicht",
            ("closed", "geschlossen"),
            ("2 normal", "2 normal"),
            2,
            MUELLER,
            T(2025, 3, 3, 8, 15),
            T(2025, 3, 3, 8, 40),
            T(2025, 3, 3, 13, 40),
            "Support",
        ),
        (
            18,
            "31018",
            "Zugang zur Zeiterfassung",
            ("pending reminder", "warten auf Erinnerung"),
            ("3 high", "3 hoch"),
            3,
            SCHMIDT,
            T(2025, 3, 4, 7, 2),
            None,
            None,
            "Support",
        ),
    ]
    en = io.StringIO()
    de = io.StringIO()
    w_en = csv.writer(en, lineterminator="\r\n")
    w_de = csv.writer(de, delimiter=";", lineterminator="\r\n")
    sample = next(s for s in SAMPLES if s.name == "zammad-tickets")
    w_en.writerow(sample.en)
    w_de.writerow(sample.de)
    for id_, number, title, state, prio, org_id, org, created, first, close, group in rows:
        w_en.writerow(
            [
                id_,
                number,
                title,
                state[0],
                prio[0],
                org_id,
                *[render(c, "en", "iso_z") for c in (created, first, close)],
                group,
            ]
        )
        w_de.writerow(
            [
                number,
                title,
                state[1],
                prio[1],
                org,
                *[render(c, "de", "") for c in (created, first, close)],
                group,
            ]
        )
    (HERE / "zammad-tickets.en.csv").write_text(en.getvalue(), encoding="utf-8")
    (HERE / "zammad-tickets.de.csv").write_bytes(de.getvalue().encode("utf-8-sig"))

    sample = next(s for s in SAMPLES if s.name == "zammad-time-entries")
    entries = [
        (501, 17, "31017", "Jana Doe", T(2025, 3, 3, 9, 30), Decimal("90"), "Fernwartung"),
        (502, 18, "31018", "Ali Koch", T(2025, 3, 4, 8, 0), Decimal("45"), "Rückfrage"),
    ]
    en, de = io.StringIO(), io.StringIO()
    w_en = csv.writer(en, lineterminator="\r\n")
    w_de = csv.writer(de, delimiter=";", lineterminator="\r\n")
    w_en.writerow(sample.en)
    w_de.writerow(sample.de)
    for id_, ticket, number, who, at, units, kind in entries:
        w_en.writerow([id_, ticket, who, render(at, "en", "iso_z"), str(units), kind])
        w_de.writerow([id_, number, who, render(at, "de", ""), str(units), kind])
    (HERE / "zammad-time-entries.en.csv").write_text(en.getvalue(), encoding="utf-8")
    (HERE / "zammad-time-entries.de.csv").write_bytes(de.getvalue().encode("cp1252"))

    sample = next(s for s in SAMPLES if s.name == "zendesk-tickets")
    tickets = [
        (
            5501,
            "E-Mails landen im Spam",
            ("solved", "Gelöst"),
            ("normal", "Normal"),
            "incident",
            ("email", "E-Mail"),
            360001,
            MUELLER,
            T(2025, 3, 3, 8, 15),
            T(2025, 3, 3, 13, 40),
        ),
        (
            5502,
            "Lizenz für Adobe",
            ("hold", "Angehalten"),
            ("high", "Hoch"),
            "task",
            ("web", "web"),
            360002,
            SCHMIDT,
            T(2025, 3, 4, 7, 2),
            None,
        ),
    ]
    en, de = io.StringIO(), io.StringIO()
    w_en = csv.writer(en, lineterminator="\r\n")
    w_de = csv.writer(de, delimiter=";", lineterminator="\r\n")
    w_en.writerow(sample.en)
    w_de.writerow(sample.de)
    for id_, subject, status, prio, type_, via, org_id, org, created, solved in tickets:
        w_en.writerow(
            [
                id_,
                subject,
                status[0],
                prio[0],
                type_,
                via[0],
                org_id,
                render(created, "en", "iso_z"),
                render(solved, "en", "iso_z"),
            ]
        )
        w_de.writerow(
            [
                id_,
                subject,
                status[1],
                prio[1],
                type_,
                via[1],
                org,
                render(created, "de", ""),
                render(solved, "de", ""),
            ]
        )
    (HERE / "zendesk-tickets.en.csv").write_text(en.getvalue(), encoding="utf-8")
    (HERE / "zendesk-tickets.de.csv").write_bytes(de.getvalue().encode("cp1252"))


def write_xlsx() -> None:
    """German time sheet as XLSX: date cells, one date as a plain serial number, empty rows."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Zeiten"
    sheet.append(
        ["Eintrag-Nr.", "Ticket-Nr.", "Kunde", "Techniker", "Beginn", "Stunden", "Abrechnung"]
    )
    # Excel cells hold local wall-clock times without a zone (Europe/Berlin here).
    start = datetime(2025, 3, 3, 10, 0)  # noqa: DTZ001
    sheet.append(["Z-1", "T-1", "K-1001", "Jana Doe", start, 1.5, "abgerechnet"])
    # 45719.5625 = 2025-03-03 13:30 as an Excel serial, typed as a plain number.
    sheet.append(["Z-2", "T-1", "K-1001", "Jana Doe", 45719 + 13.5 / 24, 0.25, "Kulanz"])
    later = datetime(2025, 3, 4, 9, 0)  # noqa: DTZ001
    sheet.append(["Z-3", None, "K-1002", "Ali Koch", later, 0.75, "intern"])
    sheet.append([None] * 7)
    sheet.append([None] * 7)
    workbook.save(HERE / "generic-time-entries.de.xlsx")


def main() -> None:
    for sample in SAMPLES:
        if sample.rows:
            write(sample)
    write_by_hand()
    write_xlsx()


if __name__ == "__main__":
    main()
