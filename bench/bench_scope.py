"""Benchmark of scope mapping: keyword rules and classifier prediction, in rows per second.

    .venv/bin/python bench/bench_scope.py
    SOLIDGROUND_BENCH_SCALE=0.1 .venv/bin/python bench/bench_scope.py   # a quick run

At scale 1.0: 1,000,000 ticket subjects through the keyword rules of a 40-item catalogue
(8 real items with German and English keywords, 32 filler items with 8 keywords each, so the
regular expression is as large as a real catalogue's), and 200,000 subjects through a
classifier trained on 4,000 labelled tickets. Subjects are synthetic, in German and English.
"""

from __future__ import annotations

import os
import random
import time

from solidground.engine.scope import CatalogueRuleSpec, ScopeClassifier, compile_rules, match_rules

SEED = 20250105

ITEMS: dict[str, tuple[list[str], list[str]]] = {
    # item key: (keywords, subject templates)
    "printer_setup": (
        ["Drucker", "*drucker", "printer", "print", "Scanner", "Toner"],
        ["Drucker im {place} druckt nicht", "Netzwerkdrucker einrichten", "Printer offline"],
    ),
    "user_onboarding": (
        ["neuer Mitarbeiter", "Onboarding", "new starter", "new hire", "Benutzer anlegen"],
        ["Neuer Mitarbeiter {person} ab Montag", "Onboarding {person}", "New starter {person}"],
    ),
    "vpn": (
        ["VPN", "FortiClient", "GlobalProtect", "remote access", "Fernzugriff"],
        ["VPN verbindet nicht aus dem {place}", "FortiClient bricht ab", "VPN not connecting"],
    ),
    "password_reset": (
        ["Passwort", "Kennwort", "password", "gesperrt", "locked out"],
        ["Passwort zurücksetzen für {person}", "Kennwort abgelaufen", "Password reset {person}"],
    ),
    "backup_restore": (
        ["Backup", "Sicherung", "wiederherstellen", "Wiederherstellung", "restore"],
        ["Datei aus Sicherung wiederherstellen", "Restore folder for {person}"],
    ),
    "m365_licence": (
        ["Lizenz", "*lizenz", "licence", "license", "M365", "Office 365"],
        ["M365 Lizenz für {person}", "Office-Lizenz fehlt", "Assign licence to {person}"],
    ),
    "firewall_change": (
        ["Firewall", "Portfreigabe", "NAT", "port forwarding", "Sophos", "FortiGate"],
        ["Firewall-Regel für Port 443", "Portfreigabe Kamera {place}", "Open port on firewall"],
    ),
    "laptop_setup": (
        ["Laptop", "Notebook", "ThinkPad", "neu aufsetzen", "reimage"],
        ["Neuen Laptop für {person} einrichten", "Notebook neu aufsetzen", "Set up laptop"],
    ),
}
NOISE = [
    "Kaffeemaschine in der {place} tropft",
    "Rückfrage zur Rechnung",
    "Meeting room screen flickers",
    "Bitte um Rückruf von {person}",
]
PEOPLE = ["Frau Meier", "Herr Schulz", "Jana Köhler", "Tom Becker", "Ms Smith"]
PLACES = ["2. OG", "Empfang", "Lager", "Filiale Nürnberg", "Homeoffice"]


def _subjects(n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    keys = list(ITEMS)
    texts: list[str] = []
    labels: list[str] = []
    for _ in range(n):
        if rng.random() < 0.15:
            template, label = rng.choice(NOISE), ""
        else:
            label = rng.choice(keys)
            template = rng.choice(ITEMS[label][1])
        texts.append(template.format(person=rng.choice(PEOPLE), place=rng.choice(PLACES)))
        labels.append(label)
    return texts, labels


def _catalogue(rng: random.Random) -> list[CatalogueRuleSpec]:
    specs = [CatalogueRuleSpec(key, keywords) for key, (keywords, _) in ITEMS.items()]
    letters = "abcdefghijklmnopqrstuvwxyz"
    for i in range(32):  # filler items: made-up words, so they rarely match but cost a scan
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(5, 11))) for _ in range(8)]
        specs.append(CatalogueRuleSpec(f"filler_{i}", words))
    return specs


def _rate(rows: int, seconds: float) -> str:
    return f"{rows:>10,} rows in {seconds:6.2f} s = {rows / seconds:>12,.0f} rows/s"


def main() -> None:
    scale = float(os.environ.get("SOLIDGROUND_BENCH_SCALE", "1.0"))
    rng = random.Random(SEED)
    print(f"scope mapping benchmark, scale {scale}, seed {SEED}")

    rules = compile_rules(_catalogue(rng))
    texts, _ = _subjects(max(1, int(1_000_000 * scale)), rng)
    start = time.perf_counter()
    matches = match_rules(texts, rules)
    elapsed = time.perf_counter() - start
    mapped = sum(match is not None for match in matches) / len(matches)
    print(f"rules:      {_rate(len(texts), elapsed)}  ({mapped:.1%} mapped)")

    train_texts, train_labels = _subjects(max(200, int(4_000 * scale)), rng)
    start = time.perf_counter()
    classifier = ScopeClassifier(seed=SEED).fit(train_texts, train_labels)
    seconds = time.perf_counter() - start
    labelled = sum(bool(label) for label in train_labels)
    print(f"classifier: fitted on {labelled:,} labelled tickets in {seconds:.2f} s")
    print(f"            {classifier.report_!r}")
    texts, _ = _subjects(max(1, int(200_000 * scale)), rng)
    start = time.perf_counter()
    predicted, _ = classifier.predict(texts)
    elapsed = time.perf_counter() - start
    mapped = sum(label is not None for label in predicted) / len(predicted)
    print(f"classifier: {_rate(len(texts), elapsed)}  ({mapped:.1%} mapped)")


if __name__ == "__main__":
    main()
