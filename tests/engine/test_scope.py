"""Scope mapping: keyword rules, the classifier and both together (solidground.engine.scope)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from solidground.engine.scope import (
    CatalogueRuleSpec,
    RuleMatch,
    RuleSet,
    ScopeClassifier,
    compile_rules,
    explain_rules,
    map_tickets,
    match_rules,
    normalise_text,
    parse_keywords,
    ticket_text,
)

SEED = 7

# --------------------------------------------------------------------------------------------
# A realistic labelled ticket set: German and English subjects for eight catalogue items.
# --------------------------------------------------------------------------------------------

_PEOPLE = ["Frau Meier", "Herr Schulz", "Jana Köhler", "Tom Becker", "Ms Smith", "Mr. Jones"]
_PLACES = ["2. OG", "Empfang", "Lager", "Filiale Nürnberg", "Buchhaltung", "Homeoffice"]
_DEVICES = ["HP LaserJet", "Kyocera", "Brother MFC", "Canon iR", "Ricoh"]
_LAPTOPS = ["ThinkPad T14", "Dell Latitude", "HP EliteBook", "MacBook Air", "Surface Pro"]
_FIREWALLS = ["Sophos", "FortiGate", "pfSense", "Watchguard"]

_TEMPLATES: dict[str, list[str]] = {
    "printer_setup": [
        "Neuer Drucker {device} im {place} einrichten",
        "Druckerinstallation für {person}",
        "Netzwerkdrucker {device} wird nicht gefunden",
        "Drucker druckt nicht mehr ({place})",
        "Bitte Druckertreiber für {device} installieren",
        "Scanner-Funktion am Multifunktionsgerät einrichten",
        "Set up new printer {device} for {person}",
        "Printer in {place} not printing",
        "Install print driver on {person}'s PC",
        "Add network printer {device} to print server",
    ],
    "user_onboarding": [
        "Neuer Mitarbeiter {person} ab Montag: Benutzer anlegen",
        "Onboarding {person} – Konto, Postfach, Rechte",
        "Neue Kollegin in der {place}, bitte Zugänge einrichten",
        "Benutzerkonto für Praktikant anlegen",
        "Neueinstellung zum 1.: AD-Konto und E-Mail anlegen",
        "New starter {person} on Monday, please create accounts",
        "Onboarding for new employee {person}",
        "Create user account and mailbox for new hire",
        "New joiner in {place} needs access to shared drives",
    ],
    "vpn": [
        "VPN verbindet nicht aus dem {place}",
        "VPN-Zugang für {person} einrichten",
        "FortiClient VPN Verbindung bricht ständig ab",
        "Kein Zugriff auf Netzlaufwerke über VPN",
        "GlobalProtect meldet Anmeldefehler",
        "VPN not connecting from home",
        "Need VPN access for {person}",
        "Remote access tunnel drops every few minutes",
        "Cannot reach file server over VPN",
    ],
    "password_reset": [
        "Passwort zurücksetzen für {person}",
        "Kennwort abgelaufen, Anmeldung nicht möglich",
        "{person} hat das Passwort vergessen",
        "Konto gesperrt nach zu vielen Fehlversuchen",
        "Bitte Kennwort für {person} neu setzen",
        "Password reset for {person}",
        "Forgot my password, locked out",
        "Account locked after failed logins",
        "Password expired, cannot log in",
    ],
    "backup_restore": [
        "Datei aus der Sicherung wiederherstellen",
        "Gelöschten Ordner der {place} aus Backup zurückholen",
        "Bitte Version von gestern wiederherstellen",
        "Wiederherstellung Postfach von {person}",
        "Backup-Restore der Kundendatenbank",
        "Restore deleted folder from backup",
        "Need yesterday's version of a spreadsheet restored",
        "Recover files from last night's backup for {person}",
        "Mailbox restore for {person}",
    ],
    "m365_licence": [
        "Microsoft 365 Lizenz für {person} zuweisen",
        "Office-Lizenz fehlt, Word startet nur im Lesemodus",
        "Zusätzliche M365 Business Premium Lizenzen bestellen",
        "Lizenz von ausgeschiedenem Mitarbeiter entfernen",
        "Teams-Lizenz für {person} fehlt",
        "Assign Microsoft 365 licence to {person}",
        "Office says unlicensed product",
        "Order two more M365 Business Standard licenses",
        "Remove licence from leaver {person}",
    ],
    "firewall_change": [
        "Firewall-Regel für Port 443 auf der {firewall} freigeben",
        "Portfreigabe für neue Kamera in der {place}",
        "{firewall}: Zugriff von externer IP erlauben",
        "Bitte Firewallregel für Lieferanten-Zugang anlegen",
        "NAT-Regel auf der {firewall} anpassen",
        "Open port 3389 on the {firewall} firewall",
        "Firewall rule change for supplier access",
        "Allow inbound traffic from partner IP on {firewall}",
        "Whitelist our new SaaS provider on the firewall",
    ],
    "laptop_setup": [
        "Neuen Laptop {laptop} für {person} einrichten",
        "Notebook-Bereitstellung {laptop} für die {place}",
        "Laptop neu aufsetzen, Windows 11 installieren",
        "{laptop} vorbereiten und Software installieren",
        "Austauschgerät {laptop} für {person} konfigurieren",
        "Set up new laptop {laptop} for {person}",
        "Prepare {laptop} for new hire",
        "Reimage laptop and install standard software",
        "Notebook replacement {laptop} for {person}",
    ],
}

# Tickets about two items at once: technicians label them with either. Real data has these,
# and they are why a threshold is needed at all.
_MIXED: list[tuple[str, tuple[str, str]]] = [
    ("Neuer Mitarbeiter {person}: Laptop und VPN einrichten", ("user_onboarding", "laptop_setup")),
    ("VPN Passwort abgelaufen", ("vpn", "password_reset")),
    ("Backup vom alten Laptop wiederherstellen", ("backup_restore", "laptop_setup")),
    ("Firewall blockiert VPN-Verbindung", ("firewall_change", "vpn")),
    ("Lizenz und Postfach für neue Kollegin", ("m365_licence", "user_onboarding")),
    ("Scan-to-Mail am Drucker fragt nach Passwort", ("printer_setup", "password_reset")),
    ("New hire needs laptop and printer access", ("user_onboarding", "printer_setup")),
    ("Office licence missing after laptop reimage", ("m365_licence", "laptop_setup")),
]

UNRELATED = [
    "asdkjh qwpoe zmxnbv",
    "xxxxxxxx",
    "Kaffeemaschine in der Küche tropft",
    "Weihnachtsfeier Planung Catering",
    "Parkplatzvergabe für Besucher",
    "Lunch order for Friday team event",
    "Quarterly sales figures for the board",
    "Fensterputzer kommt am Dienstag",
]


def _typo(text: str, rng: random.Random) -> str:
    """Drop or swap one letter, as people type in a hurry."""
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    i = rng.choice(letters[1:-1])
    if rng.random() < 0.5:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def labelled_tickets(
    per_label: int = 45, mixed: int = 40, label_noise: float = 0.02, seed: int = SEED
) -> tuple[list[str], list[str]]:
    """Subjects for eight catalogue items, with typos, odd casing, mixed topics and mislabels."""
    rng = random.Random(seed)
    cases = [
        (rng.choice(templates), label)
        for label, templates in _TEMPLATES.items()
        for _ in range(per_label)
    ]
    for _ in range(mixed):
        template, pair = rng.choice(_MIXED)
        cases.append((template, rng.choice(pair)))
    texts: list[str] = []
    labels: list[str] = []
    for template, label in cases:
        text = template.format(
            person=rng.choice(_PEOPLE),
            place=rng.choice(_PLACES),
            device=rng.choice(_DEVICES),
            laptop=rng.choice(_LAPTOPS),
            firewall=rng.choice(_FIREWALLS),
        )
        if rng.random() < 0.2:
            text = _typo(text, rng)
        if rng.random() < 0.1:
            text = text.upper() if rng.random() < 0.5 else text.lower()
        if rng.random() < 0.3:
            text = rng.choice(["AW: ", "WG: ", "RE: ", "Dringend: ", "Ticket#4711 "]) + text
        if rng.random() < label_noise:  # a technician picked the wrong item
            label = rng.choice(sorted(_TEMPLATES))
        texts.append(text)
        labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def tickets() -> tuple[list[str], list[str]]:
    return labelled_tickets()


@pytest.fixture(scope="module")
def classifier(tickets: tuple[list[str], list[str]]) -> ScopeClassifier:
    texts, labels = tickets
    return ScopeClassifier(seed=SEED).fit(texts, labels)


def _rules() -> RuleSet:
    return compile_rules(
        [
            CatalogueRuleSpec("printer_setup", ["Drucker", "printer", "*drucker"]),
            CatalogueRuleSpec("password_reset", ["Passwort", "Kennwort", "password", '"pw"']),
            CatalogueRuleSpec("vpn", ["VPN", "FortiClient", "remote access"]),
            CatalogueRuleSpec("laptop_setup", ["Laptop", "Notebook", "laptop einrichten"]),
            CatalogueRuleSpec("user_onboarding", ["neuer Mitarbeiter", "new starter", "Zugänge"]),
            CatalogueRuleSpec("licence", ["Lizenz", "licence", "license", "*lizenz"]),
        ]
    )


# --------------------------------------------------------------------------------------------
# Normalisation and keyword rules
# --------------------------------------------------------------------------------------------


def test_normalisation_folds_case_umlauts_and_sharp_s() -> None:
    # given German text in any case, with composed and decomposed umlauts
    # when it is normalised
    # then umlauts become two letters and ß becomes ss, so either spelling matches
    assert normalise_text("Größe ÄNDERN für Müller") == "groesse aendern fuer mueller"
    assert normalise_text("Zugänge") == normalise_text("Zugaenge") == "zugaenge"
    assert normalise_text("STRAẞE") == "strasse"
    assert normalise_text("Plain ASCII") == "plain ascii"


def test_keyword_field_is_split_on_commas_semicolons_and_lines() -> None:
    assert parse_keywords(' Drucker, printer;; *scanner\n"AD" ,') == (
        "Drucker",
        "printer",
        "*scanner",
        '"AD"',
    )


def test_german_and_english_keywords_map_tickets() -> None:
    # given rules with German and English keywords
    rules = _rules()
    # when subjects in either language are matched
    matches = match_rules(
        ["Drucker im 2. OG druckt nicht", "Printer offline", "VPN geht nicht", "Forgot password"],
        rules,
    )
    # then each maps to its item, with the keyword that decided it (as written)
    assert matches == [
        RuleMatch("printer_setup", "Drucker"),
        RuleMatch("printer_setup", "printer"),
        RuleMatch("vpn", "VPN"),
        RuleMatch("password_reset", "password"),
    ]


def test_umlauts_match_in_any_spelling() -> None:
    # given a keyword with an umlaut, and tickets written with and without it
    rules = _rules()
    # when matched
    matches = match_rules(["Zugänge für Frau Meier", "ZUGAENGE fuer Praktikant"], rules)
    # then both map
    assert [m.item_key if m else None for m in matches] == ["user_onboarding"] * 2


def test_keyword_matches_start_of_compound_word() -> None:
    # given "drucker" as a keyword
    rules = _rules()
    # when a German compound begins with it
    matches = match_rules(["Druckerinstallation für Buchhaltung", "Druckertreiber fehlt"], rules)
    # then it maps
    assert [m.item_key if m else None for m in matches] == ["printer_setup"] * 2


def test_keyword_does_not_match_inside_a_word_unless_starred() -> None:
    # given "vpn" (word start only) and "*drucker" (anywhere in a word)
    rules = _rules()
    # when the keyword sits at the end of a compound
    matches = match_rules(["Netzwerkdrucker offline", "Kein SSLVPN-Zugang"], rules)
    # then only the starred keyword finds it
    assert matches[0] == RuleMatch("printer_setup", "*drucker")
    assert matches[1] is None


def test_quoted_keyword_matches_the_whole_word_only() -> None:
    # given the short keyword "pw" in quotes
    rules = _rules()
    # when tickets contain the word and words beginning with it
    matches = match_rules(["PW für Lohnbuchhaltung", "pwned by phishing?"], rules)
    # then only the whole word maps
    assert matches[0] == RuleMatch("password_reset", '"pw"')
    assert matches[1] is None


def test_phrase_keyword_matches_with_any_separator_and_beats_its_first_word() -> None:
    # given "laptop einrichten" (laptop set-up) and "Laptop" (laptop set-up) and onboarding
    rules = _rules()
    # when the phrase appears hyphenated, joined or spaced
    texts = ["Laptop-Einrichten für Azubi", "laptopeinrichten", "Neuer Mitarbeiter: Laptop"]
    # then the phrase is the keyword found; two items with one keyword each are a tie
    assert match_rules(texts, rules)[:2] == [RuleMatch("laptop_setup", "laptop einrichten")] * 2
    assert match_rules(texts, rules)[2] is None


def test_ambiguous_ticket_is_left_unmapped() -> None:
    # given a ticket that names two items once each
    rules = _rules()
    text = "Passwort am Drucker vergessen"
    # when matched
    [match] = match_rules([text], rules)
    # then it is not mapped, and the explanation names both candidates
    assert match is None
    assert explain_rules(text, rules) == {
        "printer_setup": ["Drucker"],
        "password_reset": ["Passwort"],
    }


def test_item_with_more_distinct_keywords_wins() -> None:
    # given a ticket naming the licence twice (two keywords) and the laptop once
    rules = _rules()
    # when matched
    [match] = match_rules(["Office-Lizenz fehlt auf neuem Laptop, license error"], rules)
    # then the licence item wins
    assert match == RuleMatch("licence", "Lizenz")


def test_same_keyword_for_two_items_is_ambiguous() -> None:
    # given two items sharing a keyword
    rules = compile_rules(
        [CatalogueRuleSpec("a", ["Server"]), CatalogueRuleSpec("b", ["server", "backup"])]
    )
    # when only the shared keyword appears, or also one of b's own
    # then the first is a tie and the second maps to b
    assert match_rules(["Server down", "Server Backup fehlgeschlagen"], rules) == [
        None,
        RuleMatch("b", "server"),
    ]


def test_empty_texts_and_empty_rules_map_nothing() -> None:
    assert match_rules(["", "   "], _rules()) == [None, None]
    assert match_rules(["Drucker"], compile_rules([])) == [None]
    assert match_rules(["Drucker"], compile_rules([CatalogueRuleSpec("x", [])])) == [None]


def test_duplicate_item_keys_and_empty_keywords_are_refused() -> None:
    with pytest.raises(ValueError, match="'a' appears twice"):
        compile_rules([CatalogueRuleSpec("a", ["x"]), CatalogueRuleSpec("a", ["y"])])
    with pytest.raises(ValueError, match="keyword '--' has no letters"):
        compile_rules([CatalogueRuleSpec("a", ["--"])])


def test_punctuation_in_keywords_is_a_separator_not_a_regex() -> None:
    # given keywords with characters that mean something in a regular expression
    rules = compile_rules([CatalogueRuleSpec("m365", ["M365", "Office (365)", "[Teams]+"])])
    # when matched, then they are plain words and the brackets separators
    assert match_rules(["Office365 startet nicht", "M365 Lizenz", "teams", "Office"], rules) == [
        RuleMatch("m365", "Office (365)"),
        RuleMatch("m365", "M365"),
        RuleMatch("m365", "[Teams]+"),
        None,
    ]


def test_ticket_text_joins_subject_category_and_start_of_description() -> None:
    text = ticket_text("Drucker", category="Hardware", description="x" * 600 + " VPN", limit=10)
    assert text == "Drucker\nHardware\nxxxxxxxxxx"


# --------------------------------------------------------------------------------------------
# Classifier
# --------------------------------------------------------------------------------------------


def test_cross_validated_precision_reaches_target(classifier: ScopeClassifier) -> None:
    # given a classifier fitted on eight items' tickets (German and English, typos, mislabels)
    report = classifier.report_
    assert report is not None
    # then the cross-validated precision at the chosen threshold reaches the target
    assert report.target_reached
    assert report.precision >= report.target_precision == 0.9
    # and most tickets are mapped, every label is learned, and the seed is in the repr
    assert report.coverage >= 0.8
    assert {score.label for score in report.per_label if score.learned} == set(_TEMPLATES)
    assert report.skipped_labels == {}
    assert classifier.threshold_ == report.threshold >= 0.5
    assert f"seed={SEED}" in repr(report)
    low, high = report.precision_interval
    assert low < report.precision < high


def test_classifier_maps_new_tickets_it_has_not_seen(classifier: ScopeClassifier) -> None:
    # given subjects written differently from the training set
    texts = [
        "Druckertreiber Kyocera fehlt auf dem Terminalserver",
        "VPN-Verbindung bricht im Homeoffice ab",
        "Passwort für Frau Köhler zurücksetzen",
        "Neuen ThinkPad für Azubi einrichten",
    ]
    # when predicted
    labels, confidences = classifier.predict(texts)
    # then each maps to its item with a confidence over the threshold
    assert labels == ["printer_setup", "vpn", "password_reset", "laptop_setup"]
    assert classifier.threshold_ is not None
    assert (confidences >= classifier.threshold_).all()


def test_unrelated_and_gibberish_tickets_are_left_unmapped(classifier: ScopeClassifier) -> None:
    # given tickets about nothing in the catalogue, and an empty one
    # when predicted
    labels, confidences = classifier.predict([*UNRELATED, "", "   "])
    # then none is mapped: under the threshold is unmapped, never a guess
    assert labels == [None] * (len(UNRELATED) + 2)
    assert classifier.threshold_ is not None
    assert (confidences < classifier.threshold_).all()
    assert confidences[-2:].tolist() == [0.0, 0.0]


def test_same_seed_gives_the_same_report_and_predictions(
    tickets: tuple[list[str], list[str]], classifier: ScopeClassifier
) -> None:
    # given the same data and seed
    texts, labels = tickets
    # when cross-validated and fitted again
    again = ScopeClassifier(seed=SEED).fit(texts, labels)
    # then the report and the confidences are identical
    assert repr(again.report_) == repr(classifier.report_)
    assert again.report_ == classifier.report_
    probe = texts[:20] + UNRELATED
    np.testing.assert_array_equal(again.predict(probe)[1], classifier.predict(probe)[1])


def test_cross_validate_does_not_change_the_classifier(
    tickets: tuple[list[str], list[str]], classifier: ScopeClassifier
) -> None:
    # given a fitted classifier
    texts, labels = tickets
    before = classifier.threshold_
    # when cross-validated with another seed and fewer folds
    report = classifier.cross_validate(texts, labels, folds=3, seed=SEED + 1)
    # then the report says so, and the fitted state is unchanged
    assert (report.seed, report.folds) == (SEED + 1, 3)
    assert f"seed={SEED + 1}" in repr(report)
    assert classifier.threshold_ == before
    assert report.n == len(texts)


def test_per_label_report_frame(classifier: ScopeClassifier) -> None:
    assert classifier.report_ is not None
    frame = classifier.report_.to_frame()
    assert frame.columns == ["label", "n", "learned", "precision", "recall", "coverage"]
    assert frame.height == 8
    assert frame["n"].sum() == classifier.report_.n


def test_labels_with_too_few_examples_are_not_learned_but_reported() -> None:
    # given two well-labelled items and one with only three tickets
    texts, labels = labelled_tickets(per_label=12, label_noise=0.0)
    keep = [i for i, label in enumerate(labels) if label in ("vpn", "password_reset")]
    texts = [texts[i] for i in keep] + ["Telefonanlage umziehen"] * 3
    labels = [labels[i] for i in keep] + ["phone_system"] * 3
    # when fitted
    fitted = ScopeClassifier(seed=SEED).fit(texts, labels)
    # then the rare item is skipped, reported with its count, and never predicted
    assert fitted.skipped_labels_ == {"phone_system": 3}
    assert fitted.labels_ == ("password_reset", "vpn")
    assert fitted.report_ is not None
    assert "skipped={'phone_system': 3}" in repr(fitted.report_)
    rare = next(s for s in fitted.report_.per_label if s.label == "phone_system")
    assert (rare.n, rare.learned, rare.recall) == (3, False, 0.0)
    assert fitted.predict(["Telefonanlage umziehen"])[0] != ["phone_system"]


def test_too_few_examples_raise_an_error_naming_label_and_count() -> None:
    # given one item with enough tickets and one with three
    texts = ["VPN geht nicht"] * 6 + ["Drucker offline"] * 3
    labels = ["vpn"] * 6 + ["printer"] * 3
    # when fitted, then the error says which label has how many
    with pytest.raises(ValueError, match=r"'printer' has 3"):
        ScopeClassifier().fit(texts, labels)


def test_a_single_label_cannot_be_learned() -> None:
    with pytest.raises(ValueError, match=r"at least two catalogue items.*'vpn': 10"):
        ScopeClassifier().fit(["VPN geht nicht"] * 10, ["vpn"] * 10)


def test_empty_training_data_is_refused() -> None:
    with pytest.raises(ValueError, match="No labelled tickets"):
        ScopeClassifier().fit([], [])
    with pytest.raises(ValueError, match="No labelled tickets"):
        ScopeClassifier().fit(["", "  ", "VPN"], ["vpn", "vpn", None])


def test_mismatched_lengths_and_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="3 texts, 2 labels"):
        ScopeClassifier().fit(["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="folds must be between 2 and"):
        ScopeClassifier(folds=6)
    with pytest.raises(ValueError, match="target_precision"):
        ScopeClassifier(target_precision=0.0)
    with pytest.raises(ValueError, match="not fitted"):
        ScopeClassifier().predict(["VPN"])


def test_unreachable_target_maps_nothing() -> None:
    # given labels that are random with respect to the text
    rng = random.Random(SEED)
    texts, _ = labelled_tickets(per_label=10, label_noise=0.0)
    labels = [rng.choice(["a", "b", "c"]) for _ in texts]
    # when fitted
    fitted = ScopeClassifier(seed=SEED).fit(texts, labels)
    # then the report says the target was not reached and nothing is mapped
    assert fitted.report_ is not None
    assert not fitted.report_.target_reached
    assert math.isinf(fitted.report_.threshold)
    assert fitted.report_.coverage == 0.0
    assert math.isnan(fitted.report_.precision)
    assert fitted.predict(texts[:5])[0] == [None] * 5


def test_higher_target_precision_maps_fewer_tickets(
    tickets: tuple[list[str], list[str]], classifier: ScopeClassifier
) -> None:
    # given the same tickets
    texts, labels = tickets
    # when cross-validated for a stricter target
    usual = classifier.report_
    assert usual is not None
    strict = ScopeClassifier(seed=SEED, target_precision=0.95).cross_validate(texts, labels)
    # then the threshold rises and fewer tickets are mapped
    assert strict.threshold > usual.threshold
    assert strict.coverage < usual.coverage


def test_fixed_threshold_is_used_as_given() -> None:
    texts, labels = labelled_tickets(per_label=10, mixed=0)
    fitted = ScopeClassifier(seed=SEED, threshold=0.99).fit(texts, labels)
    assert fitted.threshold_ == 0.99
    assert fitted.report_ is not None
    assert fitted.report_.threshold == 0.99
    assert fitted.predict(["VPN verbindet nicht", "Drucker druckt nicht"])[0] == [None, None]


# --------------------------------------------------------------------------------------------
# Rules and classifier together
# --------------------------------------------------------------------------------------------


def test_map_tickets_uses_rule_then_classifier_then_leaves_unmapped(
    classifier: ScopeClassifier,
) -> None:
    # given keyword rules and a fitted classifier
    rules = _rules()
    texts = [
        "Drucker im Lager offline",  # a keyword
        "Sicherung von gestern wiederherstellen",  # no keyword, the classifier knows it
        "Kaffeemaschine in der Küche tropft",  # nothing
        "Passwort am Drucker vergessen",  # two items' keywords: left to the classifier
    ]
    # when mapped
    frame = map_tickets(texts, rules, classifier)
    # then each ticket says how it was mapped
    assert frame["method"].cast(str).to_list()[:3] == ["rule", "classifier", "unmapped"]
    assert frame["item_key"].to_list()[:3] == ["printer_setup", "backup_restore", None]
    assert frame["keyword"].to_list()[:3] == ["Drucker", None, None]
    assert frame["confidence"][0] is None
    assert classifier.threshold_ is not None
    assert frame["confidence"][1] >= classifier.threshold_
    assert frame["method"][3] != "rule"


def test_map_tickets_without_classifier_or_rules() -> None:
    frame = map_tickets(["VPN offline", "Kaffeemaschine"], _rules())
    assert frame["method"].cast(str).to_list() == ["rule", "unmapped"]
    assert frame["confidence"].to_list() == [None, None]
    empty = map_tickets([], None)
    assert empty.height == 0
    assert empty.columns == ["item_key", "method", "keyword", "confidence"]
