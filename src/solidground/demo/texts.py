"""Word lists and text templates of the demo provider.

Kept apart from the generator so the numbers there stay readable. Ticket texts are written per
catalogue item in German and English, the way end users of a German MSP's customers actually
phrase requests, so a later scope classifier has realistic text to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass

# Federal states with a weight roughly following where German companies (and MSPs) are.
# Codes are the subdivisions the `holidays` package uses for DE.
STATES: tuple[tuple[str, float, str], ...] = (
    ("NW", 0.21, "Köln"),
    ("BY", 0.17, "München"),
    ("BW", 0.15, "Stuttgart"),
    ("NI", 0.09, "Hannover"),
    ("HE", 0.08, "Frankfurt"),
    ("BE", 0.06, "Berlin"),
    ("SN", 0.05, "Leipzig"),
    ("HH", 0.04, "Hamburg"),
    ("RP", 0.04, "Mainz"),
    ("TH", 0.03, "Erfurt"),
    ("SH", 0.03, "Kiel"),
    ("ST", 0.02, "Magdeburg"),
    ("BB", 0.02, "Potsdam"),
    ("MV", 0.01, "Rostock"),
)

SURNAMES: tuple[str, ...] = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
    "Schreiber",
    "Graf",
    "Dietrich",
    "Ziegler",
    "Kuhn",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thomas",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Yilmaz",
    "Kaya",
    "Nowak",
    "Kowalski",
    "Petrović",
)

FIRST_NAMES: tuple[str, ...] = (
    "Anna",
    "Thomas",
    "Julia",
    "Michael",
    "Sabine",
    "Andreas",
    "Katrin",
    "Stefan",
    "Laura",
    "Markus",
    "Claudia",
    "Christian",
    "Nina",
    "Tobias",
    "Petra",
    "Jan",
    "Sandra",
    "Daniel",
    "Melanie",
    "Sebastian",
    "Birgit",
    "Alexander",
    "Lena",
    "Florian",
    "Monika",
    "Matthias",
    "Sarah",
    "Frank",
    "Jana",
    "Martin",
    "Kerstin",
    "Jürgen",
    "Sophie",
    "Oliver",
    "Anja",
    "Uwe",
    "Lisa",
    "Dirk",
    "Marie",
    "Ralf",
    "Elif",
    "Mehmet",
    "Agnieszka",
    "Luca",
    "Emma",
    "David",
    "Hannah",
    "Felix",
    "Miriam",
    "Timo",
)

# Trades for "{Surname} {Trade} GmbH"-style names, with a seat range typical of the trade.
TRADES: tuple[str, ...] = (
    "Metallbau",
    "Elektrotechnik",
    "Haustechnik",
    "Logistik",
    "Bau",
    "Holzbau",
    "Maschinenbau",
    "Immobilien",
    "Spedition",
    "Druck & Medien",
    "Dachdeckerei",
    "Sanitär",
    "Automation",
    "Verpackung",
    "Kunststofftechnik",
    "Feinmechanik",
    "Lebensmittel",
    "Gebäudeservice",
    "Personalservice",
    "Event",
    "Reisen",
    "Möbel",
    "Optik",
    "Medizintechnik",
    "Software",
)

# Patterns; {s} and {t} are filled with surnames, {trade} with a trade, {city} with a city.
COMPANY_PATTERNS: tuple[str, ...] = (
    "{s} {trade} GmbH",
    "{s} {trade} GmbH & Co. KG",
    "Praxis Dr. {s}",
    "Zahnarztpraxis Dr. {s}",
    "Kanzlei {s} & Partner",
    "{s} & {t} Steuerberater PartG mbB",
    "Ingenieurbüro {s}",
    "Autohaus {s} GmbH",
    "{s} {trade} AG",
    "Architekturbüro {s} {t}",
    "{trade} {city} GmbH",
    "Hotel {s} KG",
    "Apotheke am Markt {s} e.K.",
    "{s} Gebrüder GmbH",
    "Physiotherapie {s}",
)

CITIES_BY_STATE: dict[str, tuple[str, ...]] = {
    "NW": ("Köln", "Düsseldorf", "Dortmund", "Bielefeld", "Münster", "Aachen"),
    "BY": ("München", "Nürnberg", "Augsburg", "Regensburg", "Würzburg", "Ingolstadt"),
    "BW": ("Stuttgart", "Karlsruhe", "Mannheim", "Freiburg", "Ulm", "Heilbronn"),
    "NI": ("Hannover", "Braunschweig", "Osnabrück", "Oldenburg", "Göttingen"),
    "HE": ("Frankfurt", "Wiesbaden", "Kassel", "Darmstadt", "Gießen"),
    "BE": ("Berlin",),
    "SN": ("Leipzig", "Dresden", "Chemnitz", "Zwickau"),
    "HH": ("Hamburg",),
    "RP": ("Mainz", "Koblenz", "Trier", "Kaiserslautern"),
    "TH": ("Erfurt", "Jena", "Gera", "Weimar"),
    "SH": ("Kiel", "Lübeck", "Flensburg"),
    "ST": ("Magdeburg", "Halle", "Dessau"),
    "BB": ("Potsdam", "Cottbus", "Brandenburg"),
    "MV": ("Rostock", "Schwerin", "Greifswald"),
}

CONTACT_ROLES: tuple[str, ...] = (
    "Büroleitung",
    "IT-Ansprechpartner",
    "Buchhaltung",
    "Assistenz der Geschäftsführung",
    "Vertrieb",
    "Personal",
    "Einkauf",
    "Praxismanagement",
)
DECISION_MAKER_ROLES: tuple[str, ...] = ("Geschäftsführung", "Inhaber", "Praxisinhaberin")

DEPARTMENTS_DE: tuple[str, ...] = (
    "Buchhaltung",
    "Empfang",
    "Vertrieb",
    "Lager",
    "Geschäftsführung",
    "Werkstatt",
    "Personal",
)
DEPARTMENTS_EN: tuple[str, ...] = (
    "accounting",
    "front desk",
    "sales",
    "warehouse",
    "management",
    "workshop",
    "HR",
)


@dataclass(frozen=True)
class CatalogueTemplate:
    """One line of the provider's standard service catalogue and how users ask for it."""

    code: str
    name: str
    category: str
    # Included in a managed-service flat fee; otherwise billed extra (or done as goodwill).
    in_scope: bool
    # Median effort in minutes and the relative frequency among requests of its scope group.
    minutes: int
    weight: float
    keywords: str
    subjects_de: tuple[str, ...]
    subjects_en: tuple[str, ...]
    descriptions_de: tuple[str, ...]
    descriptions_en: tuple[str, ...]


CATALOGUE: tuple[CatalogueTemplate, ...] = (
    CatalogueTemplate(
        "PWD",
        "Passwort zurücksetzen / Konto entsperren",
        "accounts",
        True,
        10,
        12.0,
        "passwort, kennwort, gesperrt, entsperren, password, locked, reset, mfa",
        (
            "Passwort zurücksetzen",
            "Konto gesperrt",
            "Kann mich nicht mehr anmelden",
            "MFA-Gerät verloren, bitte zurücksetzen",
        ),
        (
            "Password reset needed",
            "Account locked out",
            "Cannot log in anymore",
            "Lost my MFA device",
        ),
        (
            "Ich habe mein Passwort vergessen und komme nicht mehr in Windows. Bitte zurücksetzen.",
            "Nach dreimaliger Falscheingabe ist mein Konto gesperrt. Können Sie es entsperren?",
            "Das Kennwort ist abgelaufen und die Änderung klappt nicht.",
        ),
        (
            "I forgot my password and cannot sign in to Windows. Please reset it.",
            "My account got locked after too many attempts. Could you unlock it?",
            "My password expired and changing it fails.",
        ),
    ),
    CatalogueTemplate(
        "USER",
        "Neuen Benutzer anlegen (Onboarding)",
        "accounts",
        True,
        60,
        5.0,
        "neuer mitarbeiter, onboarding, benutzer anlegen, new user, new starter, account",
        (
            "Neue Mitarbeiterin ab Montag",
            "Benutzer anlegen für neuen Kollegen",
            "Onboarding neuer Mitarbeiter",
        ),
        ("New starter on Monday", "Please create a user account", "Onboarding a new employee"),
        (
            "Ab dem 1. beginnt eine neue Kollegin. Bitte Benutzer, E-Mail-Postfach und Zugriff auf "
            "die Laufwerke wie bei ihrer Vorgängerin einrichten.",
            "Wir brauchen ein Konto mit M365-Lizenz und VPN für einen neuen Mitarbeiter.",
        ),
        (
            "A new colleague starts on the 1st. Please set up a user, mailbox and drive access "
            "like her predecessor's.",
            "We need an account with an M365 licence and VPN for a new employee.",
        ),
    ),
    CatalogueTemplate(
        "OFFB",
        "Benutzer deaktivieren (Offboarding)",
        "accounts",
        True,
        30,
        2.5,
        "austritt, offboarding, benutzer deaktivieren, leaver, disable account",
        ("Mitarbeiter verlässt uns – Konto sperren", "Offboarding zum Monatsende"),
        ("Employee leaving – disable account", "Offboarding at month end"),
        (
            "Herr K. verlässt uns zum Monatsende. Bitte Konto deaktivieren und Postfach "
            "an die Teamleitung weiterleiten.",
        ),
        (
            "An employee leaves at the end of the month. Please disable the account and "
            "forward the mailbox to the team lead.",
        ),
    ),
    CatalogueTemplate(
        "PRINT",
        "Drucker einrichten / Druckprobleme",
        "workplace",
        True,
        30,
        8.0,
        "drucker, druckt nicht, scanner, toner, printer, printing, scan",
        (
            "Drucker druckt nicht",
            "Neuen Drucker einrichten",
            "Scanner sendet keine E-Mails",
            "Druckaufträge hängen in der Warteschlange",
        ),
        (
            "Printer not printing",
            "Set up new printer",
            "Scanner does not send emails",
            "Print jobs stuck in queue",
        ),
        (
            "Der Drucker im Flur zeigt 'offline' an, obwohl er eingeschaltet ist.",
            "Wir haben einen neuen Multifunktionsdrucker bekommen. Bitte auf allen Rechnern "
            "einrichten.",
            "Scan-to-Mail funktioniert seit gestern nicht mehr.",
        ),
        (
            "The printer in the hallway shows 'offline' although it is switched on.",
            "We got a new multifunction printer. Please install it on all PCs.",
            "Scan to email stopped working yesterday.",
        ),
    ),
    CatalogueTemplate(
        "VPN",
        "VPN- und Fernzugriff",
        "network",
        True,
        30,
        6.0,
        "vpn, fernzugriff, homeoffice, remote, remote access, tunnel",
        ("VPN verbindet nicht", "Kein Zugriff aus dem Homeoffice", "VPN bricht ständig ab"),
        ("VPN does not connect", "No access when working from home", "VPN keeps dropping"),
        (
            "Seit heute Morgen kann ich mich im Homeoffice nicht mehr per VPN verbinden.",
            "Die VPN-Verbindung bricht alle paar Minuten ab, Arbeiten ist so nicht möglich.",
        ),
        (
            "Since this morning I cannot connect to the VPN from home.",
            "The VPN connection drops every few minutes, I cannot work like this.",
        ),
    ),
    CatalogueTemplate(
        "MAIL",
        "E-Mail und Outlook",
        "workplace",
        True,
        25,
        10.0,
        "outlook, e-mail, postfach, kalender, email, mailbox, calendar",
        (
            "Outlook startet nicht",
            "E-Mails kommen nicht an",
            "Postfach voll",
            "Freigegebener Kalender fehlt",
        ),
        (
            "Outlook does not start",
            "Emails not arriving",
            "Mailbox full",
            "Shared calendar missing",
        ),
        (
            "Outlook hängt beim Start bei 'Profil wird geladen'.",
            "Ein Kunde sagt, seine E-Mails an uns kommen zurück.",
            "Ich sehe den Kalender der Kollegin nicht mehr.",
        ),
        (
            "Outlook hangs at 'Loading profile' when starting.",
            "A client says his emails to us bounce.",
            "I no longer see my colleague's calendar.",
        ),
    ),
    CatalogueTemplate(
        "M365",
        "Microsoft-365-Lizenzen und Teams",
        "licences",
        True,
        20,
        6.0,
        "m365, microsoft 365, lizenz, teams, sharepoint, onedrive, licence, license",
        (
            "Teams-Besprechung ohne Ton",
            "Lizenz für M365 fehlt",
            "OneDrive synchronisiert nicht",
            "SharePoint-Berechtigung",
        ),
        (
            "No sound in Teams meetings",
            "Missing M365 licence",
            "OneDrive not syncing",
            "SharePoint permissions",
        ),
        (
            "In Teams-Besprechungen hört mich niemand, das Headset funktioniert aber.",
            "OneDrive zeigt seit Tagen 'Synchronisierung ausstehend'.",
            "Bitte der Kollegin Zugriff auf die SharePoint-Seite Projekte geben.",
        ),
        (
            "Nobody can hear me in Teams meetings, but the headset works.",
            "OneDrive has shown 'sync pending' for days.",
            "Please give my colleague access to the Projects SharePoint site.",
        ),
    ),
    CatalogueTemplate(
        "BACKUP",
        "Datensicherung und Wiederherstellung",
        "backup",
        True,
        45,
        3.5,
        "backup, wiederherstellung, restore, datei gelöscht, sicherung, deleted file",
        (
            "Datei versehentlich gelöscht",
            "Wiederherstellung eines Ordners",
            "Backup-Job fehlgeschlagen",
        ),
        ("Accidentally deleted a file", "Restore a folder", "Backup job failed"),
        (
            "Ich habe gestern eine Excel-Datei auf dem Laufwerk überschrieben. Können Sie "
            "den Stand von vorgestern wiederherstellen?",
            "Die nächtliche Sicherung meldet einen Fehler.",
        ),
        (
            "I overwrote an Excel file on the share yesterday. Can you restore the version "
            "from the day before?",
            "The nightly backup reports an error.",
        ),
    ),
    CatalogueTemplate(
        "PATCH",
        "Updates und Standardsoftware",
        "workplace",
        True,
        30,
        7.0,
        "update, windows update, software, installation, patch, adobe, browser",
        ("Windows-Update hängt", "Adobe Reader aktualisieren", "Programm stürzt nach Update ab"),
        ("Windows update stuck", "Update Adobe Reader", "Application crashes after update"),
        (
            "Der Rechner hängt seit einer Stunde bei 'Updates werden installiert'.",
            "Nach dem letzten Update startet unser Warenwirtschaftsprogramm nicht mehr.",
        ),
        (
            "The PC has been stuck at 'Installing updates' for an hour.",
            "After the last update our ERP client does not start anymore.",
        ),
    ),
    CatalogueTemplate(
        "NET",
        "Netzwerk und WLAN",
        "network",
        True,
        40,
        5.0,
        "netzwerk, wlan, internet, langsam, switch, network, wifi, slow",
        ("Internet sehr langsam", "WLAN im Besprechungsraum fällt aus", "Kein Netzwerk im Büro"),
        ("Internet very slow", "Wi-Fi in the meeting room drops", "No network in the office"),
        (
            "Seit heute ist das Internet im ganzen Büro extrem langsam.",
            "Im Besprechungsraum bricht das WLAN ständig ab.",
        ),
        (
            "Since today the internet is extremely slow in the whole office.",
            "The Wi-Fi in the meeting room keeps dropping.",
        ),
    ),
    CatalogueTemplate(
        "SEC",
        "Sicherheitsvorfall und Phishing",
        "security",
        True,
        35,
        3.5,
        "phishing, virus, sicherheit, verdächtig, security, malware, alert",
        ("Verdächtige E-Mail erhalten", "Virenscanner meldet Fund", "Auf Phishing-Link geklickt"),
        ("Received a suspicious email", "Antivirus alert", "Clicked a phishing link"),
        (
            "Ich habe eine E-Mail mit einem komischen Anhang bekommen. Ist die echt?",
            "Ich habe versehentlich auf einen Link geklickt und meine Daten eingegeben.",
        ),
        (
            "I received an email with a strange attachment. Is it genuine?",
            "I accidentally clicked a link and entered my credentials.",
        ),
    ),
    CatalogueTemplate(
        "LAPTOP",
        "Neuen Laptop einrichten",
        "hardware",
        False,
        120,
        5.0,
        "laptop, notebook, neuer rechner, einrichten, new laptop, setup, pc",
        (
            "Neuen Laptop einrichten",
            "Notebook für Außendienst vorbereiten",
            "Rechner austauschen und Daten übertragen",
        ),
        ("Set up a new laptop", "Prepare a notebook for field staff", "Replace PC and move data"),
        (
            "Wir haben zwei neue Laptops gekauft. Bitte mit unserer Software und Daten einrichten.",
            "Der alte Rechner der Buchhaltung soll ersetzt werden, inkl. Datenübernahme.",
        ),
        (
            "We bought two new laptops. Please set them up with our software and data.",
            "The old accounting PC should be replaced, including data transfer.",
        ),
    ),
    CatalogueTemplate(
        "FW",
        "Firewall-Regel ändern",
        "network",
        False,
        45,
        2.5,
        "firewall, port, freigabe, regel, firewall rule, port forwarding",
        (
            "Port für Zeiterfassung freigeben",
            "Firewall-Regel für neuen Dienstleister",
            "Zugriff von extern auf Kamera",
        ),
        (
            "Open a port for time tracking",
            "Firewall rule for a new vendor",
            "External access to camera",
        ),
        (
            "Unser Softwarelieferant braucht einen Fernzugang über Port 8443.",
            "Bitte die Zeiterfassung von außen erreichbar machen.",
        ),
        (
            "Our software vendor needs remote access on port 8443.",
            "Please make the time tracking system reachable from outside.",
        ),
    ),
    CatalogueTemplate(
        "SW",
        "Fachsoftware installieren",
        "software",
        False,
        60,
        4.0,
        "fachsoftware, installation, branchensoftware, datev, cad, special software",
        (
            "DATEV auf neuem Arbeitsplatz installieren",
            "CAD-Software einrichten",
            "Branchensoftware-Update einspielen",
        ),
        (
            "Install accounting software on a new workstation",
            "Set up CAD software",
            "Apply line-of-business software update",
        ),
        (
            "Bitte die Branchensoftware auf dem zweiten Empfangsrechner installieren.",
            "Der Hersteller hat ein Update geschickt, bitte einspielen, nach Feierabend.",
        ),
        (
            "Please install our line-of-business software on the second front-desk PC.",
            "The vendor sent an update, please apply it after hours.",
        ),
    ),
    CatalogueTemplate(
        "PHONE",
        "Smartphone und private Geräte",
        "hardware",
        False,
        40,
        3.0,
        "handy, smartphone, iphone, privat, tablet, mobile, private device",
        ("Diensthandy einrichten", "E-Mail auf privatem iPad", "Handy des Chefs übertragen"),
        ("Set up company phone", "Email on private iPad", "Move the boss's phone"),
        (
            "Können Sie mir die E-Mails auf mein privates Tablet holen? Geht ganz schnell.",
            "Der Chef hat ein neues iPhone, bitte alles vom alten übertragen.",
        ),
        (
            "Could you put my email on my private tablet? It's quick.",
            "The boss has a new iPhone, please move everything from the old one.",
        ),
    ),
    CatalogueTemplate(
        "TRAIN",
        "Schulung und Anwenderfragen",
        "training",
        False,
        45,
        3.0,
        "schulung, frage, wie geht, excel, erklären, training, how to, question",
        (
            "Kurze Frage zu Excel",
            "Schulung Teams für das Team",
            "Wie richte ich eine Serienmail ein?",
        ),
        (
            "Quick question about Excel",
            "Teams training for the team",
            "How do I set up a mail merge?",
        ),
        (
            "Können Sie uns kurz zeigen, wie man in Excel eine Pivot-Tabelle erstellt?",
            "Wir hätten gern eine kleine Einweisung in Teams für alle Mitarbeiter.",
        ),
        (
            "Could you quickly show us how to create a pivot table in Excel?",
            "We would like a short Teams introduction for all staff.",
        ),
    ),
    CatalogueTemplate(
        "WEB",
        "Website, Domain und DNS",
        "web",
        False,
        30,
        2.0,
        "website, homepage, domain, dns, webseite, wordpress",
        ("Änderung auf der Homepage", "Neue Subdomain anlegen", "Website lädt nicht"),
        ("Change on the website", "Create a new subdomain", "Website not loading"),
        (
            "Bitte die Öffnungszeiten auf der Homepage ändern.",
            "Wir brauchen eine Subdomain für das neue Kundenportal.",
        ),
        (
            "Please change the opening hours on our website.",
            "We need a subdomain for the new customer portal.",
        ),
    ),
    CatalogueTemplate(
        "PROJ",
        "Kleinprojekt (Umzug, Server, Erweiterung)",
        "project",
        False,
        240,
        1.0,
        "projekt, umzug, server, migration, erweiterung, project, move, office",
        (
            "Umzug des Büros vorbereiten",
            "Neuen Arbeitsplatz im Lager verkabeln",
            "Server-Speicher erweitern",
        ),
        (
            "Prepare office move",
            "Cable a new workstation in the warehouse",
            "Extend server storage",
        ),
        (
            "Wir ziehen im nächsten Monat in den zweiten Stock. Bitte Netzwerk und Telefone "
            "umziehen.",
            "Der Fileserver ist fast voll, bitte Speicher erweitern.",
        ),
        (
            "We move to the second floor next month. Please move network and phones.",
            "The file server is almost full, please extend the storage.",
        ),
    ),
)

TIME_ENTRY_TEXT_DE: tuple[str, ...] = (
    "Analyse und Behebung",
    "Rückruf beim Anwender",
    "Fernwartung",
    "Einrichtung und Test",
    "Vor-Ort-Termin",
    "Abstimmung mit dem Hersteller",
    "Nacharbeit und Dokumentation",
)
TIME_ENTRY_TEXT_EN: tuple[str, ...] = (
    "Analysis and fix",
    "Call back to user",
    "Remote session",
    "Set-up and test",
    "On-site visit",
    "Coordination with vendor",
    "Follow-up and documentation",
)
MAINTENANCE_TEXT = "Monatliche Wartung: Patchmanagement, Monitoring-Prüfung, Backup-Kontrolle"
INTERNAL_TEXT = "Interne Dokumentation aktualisiert"

# Survey comments by sentiment and language. Service-trap customers praise the extra mile,
# which is exactly the signal the thesis warns about.
COMMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("positive", "de"): (
        "Schnell und freundlich, vielen Dank!",
        "Super Service, wie immer.",
        "Problem sofort gelöst, top.",
        "Sehr kompetent und geduldig erklärt.",
        "Danke für die schnelle Hilfe am Telefon.",
        "Alles bestens, gerne wieder.",
        "Zuverlässig wie immer.",
        "Hat sofort geklappt, danke!",
    ),
    ("positive", "en"): (
        "Quick and friendly, thank you!",
        "Great service as always.",
        "Fixed right away, excellent.",
        "Very competent and patient.",
        "Thanks for the quick help on the phone.",
        "All good, thanks.",
    ),
    ("enthusiastic", "de"): (
        "Ihr seid die Besten, immer für uns da, auch bei Sonderwünschen!",
        "Unglaublich, dass ihr das noch am selben Tag gemacht habt. Danke!",
        "Ohne euch wären wir aufgeschmissen, ihr macht immer mehr als nötig.",
        "Herr Becker hat sich wieder super viel Zeit genommen. Toll!",
        "Wir empfehlen euch überall weiter!",
    ),
    ("enthusiastic", "en"): (
        "You are the best, always there for us, even for special requests!",
        "Amazing that you did this the same day. Thanks!",
        "You always go the extra mile for us.",
    ),
    ("neutral", "de"): (
        "Hat gedauert, aber funktioniert jetzt.",
        "Ok.",
        "Lösung passt, Rückmeldung war spät.",
        "Musste zweimal nachfragen.",
    ),
    ("neutral", "en"): (
        "Took a while but works now.",
        "OK.",
        "Solution fine, reply was late.",
    ),
    ("negative", "de"): (
        "Viel zu lange gewartet, das Problem bestand zwei Tage.",
        "Niemand hat zurückgerufen.",
        "Schon wieder dasselbe Problem, langsam reicht es.",
        "Wir fühlen uns nicht ernst genommen.",
        "Reaktionszeit inakzeptabel.",
        "Das Problem ist immer noch nicht gelöst.",
        "Wir prüfen einen Anbieterwechsel.",
    ),
    ("negative", "en"): (
        "Waited far too long, the issue lasted two days.",
        "Nobody called back.",
        "Same problem again, this is getting old.",
        "Response time unacceptable.",
        "Still not fixed.",
    ),
}

HIGHLIGHTS: tuple[tuple[str, str], ...] = (
    (
        "Ransomware-Angriff gestoppt, bevor Schaden entstand",
        "EDR hat die Verschlüsselung auf einem Client erkannt und isoliert; kein Datenverlust.",
    ),
    (
        "Serverausfall am Wochenende in zwei Stunden behoben",
        "Netzteil des Hosts getauscht, alle Dienste vor Montag wieder verfügbar.",
    ),
    (
        "Buchhaltungsdaten nach Festplattenausfall vollständig wiederhergestellt",
        "Wiederherstellung aus der Sicherung der Vornacht, Arbeitsausfall unter einer Stunde.",
    ),
    ("Büroumzug ohne Ausfallzeit", "Netzwerk und Telefonie über das Wochenende umgezogen."),
    (
        "Phishing-Welle erkannt und blockiert",
        "Gefälschte Rechnungsmails an alle Mitarbeiter abgefangen, bevor jemand klickte.",
    ),
    (
        "Betrugsversuch per CEO-Fraud verhindert",
        "Zahlungsaufforderung als Fälschung erkannt und Buchhaltung gewarnt.",
    ),
    ("Internetausfall mit LTE-Backup überbrückt", "Kasse und Telefonie liefen weiter."),
)

PROJECTS: tuple[str, ...] = (
    "Projekt: Server-Migration",
    "Projekt: Umstellung auf Microsoft 365",
    "Projekt: Neue Firewall",
    "Projekt: WLAN-Ausbau",
    "Projekt: Arbeitsplatz-Rollout",
    "Projekt: Büroumzug",
    "Projekt: Backup-Konzept",
)
