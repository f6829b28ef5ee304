"""Small synthetic inquiries, one per marker style, joint-answer wording and parliament layout.

Written for these tests in the styles the parliaments print (header, askers, answer labels);
names, numbers and wording are invented. Each document states the structure it must parse to:
the question numbers in print order and the answer groups in print order. The tests parse every
document as printed and again with its line breaks lost (all whitespace collapsed to spaces).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Layout:
    name: str
    text: str
    questions: list[int]
    groups: list[list[int]]
    meta: dict = field(default_factory=dict)  # Inquiry fields the header must yield


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "mecklenburg-vorpommern: 1. ... Antwort zu Frage 1:",
        """LANDTAG MECKLENBURG-VORPOMMERN Drucksache 8/3456
8. Wahlperiode 14.03.2024
KLEINE ANFRAGE
des Abgeordneten Thomas Beispiel, Fraktion der AfD
Ladeinfrastruktur im Landkreis Vorpommern-Greifswald
und
ANTWORT
der Landesregierung
Vorbemerkung
Die Landesregierung fördert den Ausbau öffentlich zugänglicher Ladepunkte seit 2021.
1. Wie viele öffentlich zugängliche Ladepunkte gab es zum 31. Dezember 2023 im Landkreis
Vorpommern-Greifswald?
Antwort zu Frage 1:
Zum Stichtag waren 312 Ladepunkte in Betrieb.
2. Welche Förderprogramme des Landes stehen den Kommunen offen?
3. In welcher Höhe wurden Mittel aus diesen Programmen im Jahr 2023 abgerufen?
Die Fragen 2 und 3 werden zusammenhängend beantwortet.
Das Land fördert über die Klimaschutz-Richtlinie; abgerufen wurden 1,2 Mio. Euro.
4. Plant die Landesregierung ein eigenes Programm für Schnellladepunkte?
Antwort zu Frage 4:
Nein.
""",
        [1, 2, 3, 4],
        [[1], [2, 3], [4]],
        {"parliament": "Landtag Mecklenburg-Vorpommern", "askers": ("Thomas Beispiel",),
         "parties": ("AfD",), "drucksache": "8/3456", "wahlperiode": "8"},
    ),
    Layout(
        "mecklenburg-vorpommern: questions answered directly below",
        """LANDTAG MECKLENBURG-VORPOMMERN Drucksache 8/4012
8. Wahlperiode 02.07.2024
KLEINE ANFRAGE
der Abgeordneten Anna Muster und Paul Probe, Fraktion DIE LINKE
Schulsozialarbeit an beruflichen Schulen
und
ANTWORT
der Landesregierung
1. An wie vielen beruflichen Schulen gibt es Schulsozialarbeit?
An 27 der 33 beruflichen Schulen.
2. Wie viele Stellen sind davon unbesetzt (bitte nach Landkreisen aufschlüsseln)?
Derzeit sind vier Stellen unbesetzt, davon zwei im Landkreis Rostock.
3. Wie wird die Schulsozialarbeit finanziert?
4. Ist eine Aufstockung der Mittel geplant?
Die Fragen 3 und 4 werden zusammenhängend beantwortet.
Die Finanzierung erfolgt aus Landes- und ESF-Mitteln; eine Aufstockung ist nicht geplant.
""",
        [1, 2, 3, 4],
        [[1], [2], [3, 4]],
        {"askers": ("Anna Muster", "Paul Probe"), "parties": ("DIE LINKE",)},
    ),
    Layout(
        "rheinland-pfalz: list, then Zu Frage 1:",
        """LANDTAG RHEINLAND-PFALZ Drucksache 18/5678
18. Wahlperiode 03.05.2023
Antwort
des Ministeriums für Klimaschutz, Umwelt, Energie und Mobilität
auf die Kleine Anfrage der Abgeordneten Jutta Probe (BÜNDNIS 90/DIE GRÜNEN)
– Drucksache 18/5432 –
Lärmschutz an der B 9
Die Kleine Anfrage – Drucksache 18/5432 – vom 11. April 2023 hat folgenden Wortlaut:
Anwohnerinnen und Anwohner beklagen seit Jahren den Verkehrslärm.
Ich frage die Landesregierung:
1. Welche Lärmschutzmaßnahmen sind an der B 9 geplant?
2. Wann beginnen die Arbeiten?
3. Welche Kosten sind veranschlagt?
Das Ministerium für Klimaschutz, Umwelt, Energie und Mobilität hat die Kleine Anfrage
namens der Landesregierung mit Schreiben vom 2. Mai 2023 wie folgt beantwortet:
Zu Frage 1:
Geplant ist eine Lärmschutzwand auf 800 Metern.
Zu den Fragen 2 und 3:
Die Arbeiten beginnen 2025; veranschlagt sind 2,4 Mio. Euro.
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Landtag Rheinland-Pfalz", "askers": ("Jutta Probe",),
         "parties": ("BÜNDNIS 90/DIE GRÜNEN",), "date_answered": "2023-05-02"},
    ),
    Layout(
        "sachsen: Frage 1: ... Antwort:",
        """Sächsischer Landtag
Drucksache 7/12345
7. Wahlperiode
Kleine Anfrage
des Abgeordneten Max Mustermann (AfD)
Thema: Radwege im Landkreis Meißen
Sächsisches Staatsministerium für Wirtschaft, Arbeit und Verkehr
Namens und im Auftrag der Sächsischen Staatsregierung beantworte ich die Kleine Anfrage wie
folgt:
Frage 1: Wie viele Kilometer Radweg wurden 2023 im Landkreis Meißen gebaut?
Antwort:
Es wurden 14,2 Kilometer Radweg fertiggestellt.
Frage 2: Welche Radwege sind für 2024 geplant?
Frage 3: Welche Mittel stehen dafür bereit?
Antwort:
Die Fragen 2 und 3 werden aufgrund des Sachzusammenhangs gemeinsam beantwortet.
Geplant sind drei Abschnitte mit zusammen 2,1 Mio. Euro.
Dresden, 12. März 2024
Martin Beispiel
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Sächsischer Landtag", "askers": ("Max Mustermann",),
         "parties": ("AfD",), "title": "Radwege im Landkreis Meißen"},
    ),
    Layout(
        "sachsen: Frage 1: with the answer below it",
        """Sächsischer Landtag
Drucksache 8/2001
8. Wahlperiode
Kleine Anfrage
der Abgeordneten Erika Probe (BSW)
Thema: Hausärztliche Versorgung
Frage 1: Wie viele Hausarztsitze sind im Freistaat unbesetzt?
Nach Angaben der Kassenärztlichen Vereinigung sind 312 Sitze unbesetzt.
Frage 2: Wie viele davon liegen im ländlichen Raum? (Bitte nach Landkreisen aufschlüsseln.)
Die Aufschlüsselung ist der Anlage zu entnehmen.
""",
        [1, 2],
        [[1], [2]],
        {"askers": ("Erika Probe",), "parties": ("BSW",)},
    ),
    Layout(
        "sachsen-anhalt: Frage 1: ... Antwort zu Frage 1:",
        """Landtag von Sachsen-Anhalt Drucksache 8/4321
8. Wahlperiode 11.07.2024
Antwort der Landesregierung auf eine Kleine Anfrage zur schriftlichen Beantwortung
Abgeordnete Henriette Beispiel (DIE LINKE)
Polizeipräsenz im ländlichen Raum
Kleine Anfrage - KA 8/2345
Vorbemerkung des Fragestellenden:
In mehreren Gemeinden wurden Polizeistationen geschlossen.
Antwort der Landesregierung erstellt vom Ministerium für Inneres und Sport
Vorbemerkung der Landesregierung:
Die Polizeistruktur wurde 2019 reformiert.
Frage 1:
Wie viele Polizeistationen wurden seit 2019 geschlossen?
Antwort zu Frage 1:
Es wurden sechs Stationen zusammengelegt.
Frage 2:
Wie hat sich die Zahl der Streifenstunden entwickelt?
Frage 3:
Welche Gemeinden sind betroffen?
Antwort zu den Fragen 2 und 3:
Die Streifenstunden sind gestiegen; betroffen sind vier Gemeinden.
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Landtag von Sachsen-Anhalt", "askers": ("Henriette Beispiel",),
         "parties": ("DIE LINKE",),
         "answering_body": "Ministerium für Inneres und Sport"},
    ),
    Layout(
        "brandenburg: Frage 1: ... zu Frage 1:",
        """Landtag Brandenburg Drucksache 7/8123
7. Wahlperiode
Antwort
der Landesregierung
auf die Kleine Anfrage Nr. 3210
des Abgeordneten Peter Probe (BVB/FREIE WÄHLER Gruppe)
Drucksache 7/7990
Sanierung der Landesstraße L 30
Namens der Landesregierung beantwortet der Minister für Infrastruktur und Landesplanung die
Kleine Anfrage wie folgt:
Vorbemerkung des Fragestellers: Die L 30 ist in einem schlechten Zustand.
Frage 1: Wann wird die L 30 zwischen A-Dorf und B-Stadt saniert?
zu Frage 1: Die Sanierung ist für 2026 vorgesehen.
Frage 2: Welche Kosten werden erwartet?
Frage 3: Wer trägt diese Kosten?
zu Fragen 2 und 3: Die Fragen 2 und 3 werden zusammen beantwortet. Die Kosten von rund
3 Mio. Euro trägt das Land.
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Landtag Brandenburg", "askers": ("Peter Probe",),
         "answering_body": "Minister für Infrastruktur und Landesplanung"},
    ),
    Layout(
        "thüringen: list, then Zu 1.:",
        """Thüringer Landtag
7. Wahlperiode
Drucksache 7/9876
zu Drucksache 7/9500
25.03.2024
Antwort
des Thüringer Ministeriums für Infrastruktur und Landwirtschaft
auf die Kleine Anfrage 7/3456 des Abgeordneten Müller (AfD)
Windkraft im Wald
Die Kleine Anfrage 7/3456 vom 12. Februar 2024 hat folgenden Wortlaut:
Ich frage die Landesregierung:
1. Wie viele Windenergieanlagen stehen in Thüringer Wäldern?
2. Wie viele Anträge liegen vor?
3. Wie viel Waldfläche wird dafür gerodet?
Das Thüringer Ministerium für Infrastruktur und Landwirtschaft hat die Kleine Anfrage
namens der Landesregierung mit Schreiben vom 20. März 2024 wie folgt beantwortet:
Zu 1.:
Derzeit stehen 14 Anlagen im Wald.
Zu 2. und 3.:
Es liegen sechs Anträge vor; gerodet würden etwa 12 Hektar.
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Thüringer Landtag", "askers": ("Müller",), "parties": ("AfD",),
         "date_answered": "2024-03-20"},
    ),
    Layout(
        "bremen: quoted list, then Zu Frage 1:",
        """BREMISCHE BÜRGERSCHAFT Drucksache 21/456
Landtag 21. Wahlperiode 14.05.2024
Antwort des Senats auf die Kleine Anfrage der Fraktion der CDU vom 2. April 2024
„Sanierungsstau an Bremer Schulen“
Die Fraktion der CDU hat folgende Kleine Anfrage an den Senat gerichtet:
„Viele Schulgebäude sind sanierungsbedürftig.
Wir fragen den Senat:
1. Wie hoch ist der Sanierungsbedarf an öffentlichen Schulen?
2. Wie viele Schulen sind betroffen?
3. Bis wann sollen die Sanierungen abgeschlossen sein?“
Der Senat beantwortet die Kleine Anfrage wie folgt:
Zu Frage 1:
Der Bedarf beträgt rund 900 Mio. Euro.
Zu Frage 2:
Betroffen sind 74 Schulen.
Zu Frage 3:
Ein Abschluss ist bis 2035 vorgesehen.
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"parliament": "Bremische Bürgerschaft", "askers": (), "parties": ("CDU",),
         "answering_body": "Senat"},
    ),
    Layout(
        "schleswig-holstein: 1. ... Antwort:",
        """SCHLESWIG-HOLSTEINISCHER LANDTAG Drucksache 20/3001
20. Wahlperiode 2025-03-01
Kleine Anfrage
des Abgeordneten Jan Probe (SSW)
und
Antwort
der Landesregierung - Minister für Inneres, Kommunales, Wohnen und Sport
Feuerwehrhäuser
1. Wie viele Feuerwehrhäuser sind sanierungsbedürftig? Bitte auflisten.
Antwort:
Nach einer Erhebung sind es 143.
2. Welche Fördermittel stehen bereit?
Antwort:
Das Land stellt jährlich 10 Mio. Euro bereit.
""",
        [1, 2],
        [[1], [2]],
        {"parliament": "Schleswig-Holsteinischer Landtag", "askers": ("Jan Probe",),
         "parties": ("SSW",)},
    ),
    Layout(
        "bayern: 1.1 ... Zu 1.1:",
        """Bayerischer Landtag 19. Wahlperiode 21.03.2024 Drucksache 19/1234
Schriftliche Anfrage
des Abgeordneten Florian Probe SPD
vom 02.01.2024
Lehrkräftemangel an Grundschulen
Ich frage die Staatsregierung:
1.1 Wie viele Stellen an Grundschulen sind derzeit unbesetzt?
1.2 Wie viele davon in Oberbayern?
2.1 Welche Maßnahmen plant die Staatsregierung?
2.2 Ab wann sollen diese greifen?
3. Wie viele Quereinsteiger wurden 2023 eingestellt?
Antwort
des Staatsministeriums für Unterricht und Kultus
vom 15.02.2024
Zu 1.1:
Derzeit sind 412 Stellen unbesetzt.
Zu 1.2:
Davon entfallen 120 auf Oberbayern.
Zu 2.1 und 2.2:
Geplant ist ein Sonderprogramm ab dem Schuljahr 2024/2025.
Zu 3.:
Eingestellt wurden 310 Quereinsteiger.
Hinweise des Landtagsamts
Zitate werden weder inhaltlich noch formal überprüft.
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"parliament": "Bayerischer Landtag", "askers": ("Florian Probe",),
         "parties": ("SPD",), "date_asked": "2024-01-02"},
    ),
    Layout(
        "berlin: Frage 1: ... Antwort zu 1:",
        """Drucksache 19 / 20 123
Schriftliche Anfrage
19. Wahlperiode
Schriftliche Anfrage
des Abgeordneten Karl Beispiel (SPD)
vom 04. März 2024 (Eingang beim Abgeordnetenhaus am 05. März 2024)
zum Thema:
Spielplätze in Pankow
und Antwort vom 19. März 2024 (Eingang beim Abgeordnetenhaus am 20. März 2024)
Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen
Herrn Abgeordneten Karl Beispiel (SPD)
über den Präsidenten des Abgeordnetenhauses von Berlin
Antwort
auf die Schriftliche Anfrage Nr. 19/20123
vom 04. März 2024
über Spielplätze in Pankow
Im Namen des Senats von Berlin beantworte ich Ihre Schriftliche Anfrage wie folgt:
Frage 1:
Wie viele öffentliche Spielplätze gibt es im Bezirk Pankow?
Antwort zu 1:
Es gibt 187 öffentliche Spielplätze.
Frage 2:
Wie viele davon sind gesperrt?
Antwort zu 2:
Derzeit sind drei Spielplätze gesperrt.
Berlin, den 19. März 2024
In Vertretung
""",
        [1, 2],
        [[1], [2]],
        {"parliament": "Abgeordnetenhaus Berlin", "askers": ("Karl Beispiel",),
         "drucksache": "19/20123", "date_asked": "2024-03-04",
         "date_answered": "2024-03-19"},
    ),
    Layout(
        "nordrhein-westfalen: Antwort der Landesregierung, Frage 1 ... Antwort",
        """LANDTAG NORDRHEIN-WESTFALEN Drucksache 18/9999
18. Wahlperiode 12.06.2024
Antwort
der Landesregierung
auf die Kleine Anfrage 4321 vom 8. Mai 2024
des Abgeordneten Max Probe SPD
Drucksache 18/9876
Busverkehr im ländlichen Raum
Vorbemerkung der Kleinen Anfrage
Viele Buslinien wurden ausgedünnt.
Der Minister für Umwelt, Naturschutz und Verkehr hat die Kleine Anfrage 4321 mit Schreiben vom
12. Juni 2024 namens der Landesregierung beantwortet.
Frage 1
Wie viele Buslinien wurden seit 2022 eingestellt?
Antwort
Nach Angaben der Verkehrsverbünde wurden 23 Linien eingestellt.
Frage 2
Welche Kreise sind betroffen?
Antwort
Betroffen sind vor allem der Hochsauerlandkreis und der Kreis Höxter.
""",
        [1, 2],
        [[1], [2]],
        {"parliament": "Landtag Nordrhein-Westfalen", "askers": ("Max Probe",),
         "parties": ("SPD",), "date_answered": "2024-06-12"},
    ),
    Layout(
        "baden-württemberg: 1. ... then Zu 1.: and Zu 2. und 3.:",
        """Landtag von Baden-Württemberg Drucksache 17/5555
17. Wahlperiode 04.10.2023
Kleine Anfrage
des Abg. Hans Probe SPD
und
Antwort
des Ministeriums für Verkehr
Radschnellwege
Kleine Anfrage
Ich frage die Landesregierung:
1. Wie viele Radschnellwege sind in Planung?
2. Welche davon werden bis 2026 fertig?
3. Wie hoch ist der Landesanteil an den Kosten?
Antwort
Mit Schreiben vom 30. Oktober 2023 beantwortet das Ministerium für Verkehr die Kleine Anfrage
wie folgt:
Zu 1.:
In Planung sind zwölf Radschnellwege.
Zu 2. und 3.:
Die Fragen 2 und 3 werden wegen des Sachzusammenhangs gemeinsam beantwortet. Drei Wege werden
bis 2026 fertig; das Land trägt 60 Prozent.
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Landtag von Baden-Württemberg", "askers": ("Hans Probe",),
         "parties": ("SPD",)},
    ),
    Layout(
        "hamburg text: Frage 1: ... Antwort zu Frage 1:",
        """BÜRGERSCHAFT DER FREIEN UND HANSESTADT HAMBURG Drucksache 23/1234
23. Wahlperiode 09.04.2025
Schriftliche Kleine Anfrage
der Abgeordneten Lea Probe (GRÜNE) vom 01.04.2025
und Antwort des Senats
Betr.: Hafenfähren
Frage 1: Wie viele Fahrgäste nutzten 2024 die Hafenfähren?
Antwort zu Frage 1: Rund 9,1 Millionen.
Frage 2: Welche Linien sollen ausgebaut werden?
Antwort zu Frage 2: Die Linien 62 und 73.
""",
        [1, 2],
        [[1], [2]],
        {"parliament": "Hamburgische Bürgerschaft", "askers": ("Lea Probe",),
         "parties": ("BÜNDNIS 90/DIE GRÜNEN",), "title": "Hafenfähren"},
    ),
    Layout(
        "niedersachsen-like: 1. question, its answer directly below, joint by sequence",
        """Niedersächsischer Landtag
Kleine Anfrage zur schriftlichen Beantwortung
der Abgeordneten Frieda Probe (CDU)
Moorschutz im Landkreis Diepholz
Vorbemerkung der Abgeordneten
Moore speichern große Mengen Kohlenstoff.
1. Wie viele Hektar Moor wurden seit 2020 wiedervernässt?
Seit 2020 wurden 640 Hektar wiedervernässt.
2. Welche Flächen sind als Nächstes vorgesehen?
3. Wann beginnen dort die Arbeiten?
Vorgesehen sind Flächen am Großen Moor; die Arbeiten beginnen 2025.
""",
        [1, 2, 3],
        [[1], [2, 3]],
        {"parliament": "Niedersächsischer Landtag", "askers": ("Frieda Probe",)},
    ),
    Layout(
        "saarland: Zu Frage 1: and Zu den Fragen 2 und 3:",
        """LANDTAG DES SAARLANDES
17. Wahlperiode Drucksache 17/1500 (17/1444)
12.03.2025
A N T W O R T
zu der
Anfrage des Abgeordneten Jonas Probe (SPD)
betr.: Sportstätten
Vorbemerkung des Fragestellers:
„Viele Hallen sind marode.“
Wie viele Sporthallen sind sanierungsbedürftig?
Zu Frage 1:
Es sind 41 Hallen.
Welche Mittel stehen bereit?
Wann beginnen die Arbeiten?
Zu den Fragen 2 und 3:
Bereit stehen 8 Mio. Euro; die Arbeiten beginnen im Herbst.
""",
        [],
        [[1], [2, 3]],
        {"parliament": "Landtag des Saarlandes", "askers": ("Jonas Probe",),
         "drucksachen": ("17/1444", "17/1500")},
    ),
)

JOINT_WORDINGS: tuple[Layout, ...] = (
    Layout(
        "Die Fragen 2 bis 5 werden zusammen beantwortet",
        """Kleine Anfrage
1. Wie viele Anträge gingen 2023 ein?
Es gingen 120 Anträge ein.
2. Wie viele wurden bewilligt?
3. Wie viele abgelehnt?
4. Wie lange dauerte die Bearbeitung?
5. Wie viele sind noch offen?
Die Fragen 2 bis 5 werden zusammen beantwortet.
Bewilligt wurden 80, abgelehnt 30; offen sind 10 nach durchschnittlich drei Monaten.
""",
        [1, 2, 3, 4, 5],
        [[1], [2, 3, 4, 5]],
    ),
    Layout(
        "Zu den Fragen 1 und 3: (out of order)",
        """Kleine Anfrage
Ich frage die Landesregierung:
1. Wie viele Beschäftigte hat das Landesamt?
2. Wie hoch ist der Krankenstand?
3. Wie viele Stellen sind unbesetzt?
Antwort
Zu den Fragen 1 und 3:
Das Landesamt hat 410 Beschäftigte; 22 Stellen sind unbesetzt.
Zu Frage 2:
Der Krankenstand lag 2023 bei 6,1 Prozent.
""",
        [1, 2, 3],
        [[1, 3], [2]],
    ),
    Layout(
        "Zusammenfassende Antwort auf die Fragen 1 und 2",
        """Kleine Anfrage
Wir fragen den Senat:
1. Wie viele Kitaplätze fehlen?
2. Wie viele Fachkräfte fehlen?
3. Welche Programme gibt es?
Zusammenfassende Antwort auf die Fragen 1 und 2:
Es fehlen 1.200 Plätze und 300 Fachkräfte.
Antwort zu Frage 3:
Das Programm „Kita-Plus“.
""",
        [1, 2, 3],
        [[1, 2], [3]],
    ),
    Layout(
        "aufgrund des Sachzusammenhangs gemeinsam, reprinted questions",
        """Antwort der Bundesregierung
1. Wie viele Verfahren wurden 2024 eröffnet?
2. Wie viele davon wurden eingestellt?
Die Fragen 1 und 2 werden aufgrund des Sachzusammenhangs gemeinsam beantwortet.
Eröffnet wurden 412 Verfahren, eingestellt 98.
3. Plant die Bundesregierung eine Gesetzesänderung?
Nein.
""",
        [1, 2, 3],
        [[1, 2], [3]],
    ),
    Layout(
        "1) markers with a) sub-questions",
        """Kleine Anfrage
1) Wie viele Brücken sind gesperrt?
Es sind fünf Brücken.
2) Wie viele Brücken müssen bis 2030 ersetzt werden,
a) an Bundesstraßen und
b) an Landesstraßen?
An Bundesstraßen 12, an Landesstraßen 31.
3) Welche Kosten entstehen?
Rund 400 Mio. Euro.
""",
        [1, 2, 3],
        [[1], [2], [3]],
    ),
    Layout(
        "2a) numbered sub-questions belong to 2",
        """Kleine Anfrage
1. Wie viele Kläranlagen gibt es?
Es gibt 84 Kläranlagen.
2a) Wie viele davon haben eine vierte Reinigungsstufe?
2b) Wie viele sollen eine bekommen?
Elf haben eine; 20 sollen bis 2030 folgen.
""",
        [1, 2],
        [[1], [2]],
    ),
)

# Harder cases: furniture inside the text, numbered lists and ordinals inside answers,
# questions without a question mark, sub-answers, long lists.
HARD_CASES: tuple[Layout, ...] = (
    Layout(
        "brandenburg: preamble, intro, ordinals and a list inside an answer",
        """Landtag Brandenburg Drucksache 7/9012
7. Wahlperiode
Antwort
der Landesregierung
auf die Kleine Anfrage Nr. 3550
der Abgeordneten Sabine Probe (AfD-Fraktion)
Drucksache 7/8888
Wolfsrisse in der Prignitz
Namens der Landesregierung beantwortet der Minister für Landwirtschaft, Umwelt und
Klimaschutz die Kleine Anfrage wie folgt:
Vorbemerkung der Fragestellerin: In der Prignitz häufen sich Risse.
Ich frage die Landesregierung:
Frage 1: Wie viele Wolfsrisse wurden im 2. Quartal 2024 registriert?
zu Frage 1: Es wurden 87 Risse registriert, davon 12 im Amt Lenzen.
Frage 2: Welche Maßnahmen ergreift die Landesregierung?
zu Frage 2: Die Landesregierung ergreift folgende Maßnahmen:
1. Förderung von Herdenschutzzäunen,
2. Beratung durch das Landesamt,
3. Entschädigung nach der Richtlinie Wolf.
Frage 3: Bitte stellen Sie die Entwicklung der Entschädigungszahlungen seit 2019 dar.
zu Frage 3: Die Zahlungen stiegen von 40.000 Euro auf 310.000 Euro.
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"askers": ("Sabine Probe",), "parties": ("AfD",)},
    ),
    Layout(
        "mecklenburg-vorpommern: interleaved, enumerations and dates in answers",
        """LANDTAG MECKLENBURG-VORPOMMERN Drucksache 8/5120
8. Wahlperiode 20.09.2024
KLEINE ANFRAGE
des Abgeordneten Jens Probe, Fraktion der CDU
Kreisstraßen
und
ANTWORT
der Landesregierung
1. Wie viele Kilometer Kreisstraße wurden 2023 saniert?
Saniert wurden 41 Kilometer, und zwar
1. im Landkreis Rostock 12 Kilometer,
2. im Landkreis Ludwigslust-Parchim 29 Kilometer.
Drucksache 8/5120 Landtag Mecklenburg-Vorpommern - 8. Wahlperiode
2. Welche Mittel hat das Land dafür bereitgestellt?
Bis zum 1. Oktober 2023 wurden 18 Mio. Euro bereitgestellt.
3. Wie bewertet die Landesregierung den Zustand der Kreisstraßen?
Der Zustand hat sich seit dem 3. Quartal 2022 verbessert.
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"parliament": "Landtag Mecklenburg-Vorpommern", "askers": ("Jens Probe",),
         "parties": ("CDU",)},
    ),
    Layout(
        "sachsen-anhalt: 1. ... Antwort zu Frage 1:, page furniture inside answers",
        """Landtag von Sachsen-Anhalt Drucksache 8/4400
8. Wahlperiode 02.08.2024
Antwort der Landesregierung auf eine Kleine Anfrage zur schriftlichen Beantwortung
Abgeordneter Tim Probe (SPD)
Hochwasserschutz an der Elbe
Kleine Anfrage - KA 8/2450
Antwort der Landesregierung erstellt vom Ministerium für Wissenschaft, Energie, Klimaschutz und
Umwelt
1. Wie viele Deichkilometer wurden seit 2013 erneuert?
Antwort zu Frage 1:
Seit 2013 wurden 412 Kilometer Deich erneuert. Die Arbeiten an der
Seite 2 von 3
Mulde sind abgeschlossen.
2. Welche Vorhaben sind bis 2030 geplant?
Antwort zu Frage 2:
Geplant sind 14 Vorhaben.
3. Wie hoch sind die Kosten?
Antwort zu Frage 3:
Rund 200 Mio. Euro.
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"parliament": "Landtag von Sachsen-Anhalt", "askers": ("Tim Probe",),
         "parties": ("SPD",)},
    ),
    Layout(
        "rheinland-pfalz: twelve questions, joint labels at the end",
        """LANDTAG RHEINLAND-PFALZ Drucksache 18/7000
18. Wahlperiode 10.07.2023
Antwort
des Ministeriums des Innern und für Sport
auf die Kleine Anfrage des Abgeordneten Dirk Probe (CDU)
– Drucksache 18/6800 –
Rettungsdienst
Ich frage die Landesregierung:
1. Wie viele Rettungswachen gibt es?
2. Wie viele Notärzte sind im Dienst?
3. Wie lang ist die mittlere Hilfsfrist?
4. Wie oft wurde sie überschritten?
5. In welchen Kreisen?
6. Wie viele Einsätze gab es 2022?
7. Wie viele davon nachts?
8. Wie viele Fahrzeuge sind im Einsatz?
9. Wie alt sind diese im Mittel?
10. Welche Neubauten sind geplant?
11. Welche Kosten entstehen?
12. Wer trägt sie?
Das Ministerium des Innern und für Sport hat die Kleine Anfrage namens der Landesregierung mit
Schreiben vom 7. Juli 2023 wie folgt beantwortet:
Zu Frage 1:
Es gibt 137 Rettungswachen.
Zu Frage 2:
Im Dienst sind 410 Notärzte.
Zu den Fragen 3 bis 5:
Die Hilfsfrist beträgt im Mittel 9 Minuten; überschritten wurde sie 1.203-mal, vor allem in der
Eifel.
Zu den Fragen 6 und 7:
Es gab 412.000 Einsätze, davon 31 Prozent nachts.
Zu Frage 8:
Im Einsatz sind 612 Fahrzeuge.
Zu Frage 9:
Sie sind im Mittel 5,1 Jahre alt.
Zu Frage 10:
Geplant sind elf Neubauten.
Zu den Fragen 11 und 12:
Die Kosten von 40 Mio. Euro tragen die Landkreise.
""",
        list(range(1, 13)),
        [[1], [2], [3, 4, 5], [6, 7], [8], [9], [10], [11, 12]],
        {"askers": ("Dirk Probe",), "parties": ("CDU",), "date_answered": "2023-07-07"},
    ),
    Layout(
        "berlin: sub-questions answered one by one (Zu 2 a): ... Zu 2 b):)",
        """Drucksache 19 / 21 000
Schriftliche Anfrage
19. Wahlperiode
Schriftliche Anfrage
der Abgeordneten Mia Probe (GRÜNE)
vom 02. Mai 2024 (Eingang beim Abgeordnetenhaus am 03. Mai 2024)
zum Thema:
Baumfällungen
und Antwort vom 16. Mai 2024 (Eingang beim Abgeordnetenhaus am 17. Mai 2024)
Im Namen des Senats von Berlin beantworte ich Ihre Schriftliche Anfrage wie folgt:
1. Wie viele Straßenbäume wurden 2023 gefällt?
Zu 1.:
Es wurden 3.412 Straßenbäume gefällt.
2. Wie viele davon
a) wegen Krankheit,
Zu 2 a):
1.911 Bäume.
b) wegen Bauvorhaben?
Zu 2 b):
1.501 Bäume.
3. Wie viele wurden nachgepflanzt?
Zu 3.:
Nachgepflanzt wurden 2.800 Bäume.
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"askers": ("Mia Probe",), "parties": ("BÜNDNIS 90/DIE GRÜNEN",)},
    ),
    Layout(
        "answers that cite other questions and labels without a number",
        """Kleine Anfrage
des Abgeordneten Ole Probe (FDP)
1. Wie viele Schulen haben einen Glasfaseranschluss?
Antwort: 412 Schulen, siehe auch die Antwort zu Frage 2.
2. Wie viele sollen bis 2026 folgen?
Antwort: Vgl. Antwort zu Frage 1; geplant sind weitere 200.
3. Welche Mittel stehen zur Verfügung?
Antwort: Es stehen 30 Mio. Euro zur Verfügung (vgl. Frage 1).
""",
        [1, 2, 3],
        [[1], [2], [3]],
        {"askers": ("Ole Probe",), "parties": ("FDP",)},
    ),
    Layout(
        "thüringen: Zu 1. without colon, a request instead of a question",
        """Thüringer Landtag Drucksache 8/2000
8. Wahlperiode
Antwort
des Thüringer Ministeriums für Bildung, Jugend und Sport
auf die Kleine Anfrage 8/500 der Abgeordneten Lena Probe (BSW)
Lehrerstellen
Ich frage die Landesregierung:
1. Wie viele Lehrerstellen sind unbesetzt?
2. Bitte stellen Sie die Entwicklung seit 2020 dar.
Das Thüringer Ministerium für Bildung, Jugend und Sport hat die Kleine Anfrage namens der
Landesregierung mit Schreiben vom 3. Juni 2025 wie folgt beantwortet:
Zu 1.
Unbesetzt sind 410 Stellen.
Zu 2.
Die Zahl stieg von 200 auf 410.
""",
        [1, 2],
        [[1], [2]],
        {"askers": ("Lena Probe",), "parties": ("BSW",), "date_answered": "2025-06-03"},
    ),
    Layout(
        "interleaved without labels, a request without question mark",
        """Kleine Anfrage
1. Wie viele Anträge auf Wohngeld gab es 2023?
Es gab 8.700 Anträge.
2. Bitte schlüsseln Sie die Anträge nach Landkreisen auf.
Die Aufschlüsselung ergibt sich aus der Anlage.
3. Wie viele Anträge wurden bewilligt?
Bewilligt wurden 6.100.
""",
        [1, 2, 3],
        [[1], [2], [3]],
    ),
    Layout(
        "label and answer on one line (Zu 1. Es gibt ...)",
        """Kleine Anfrage
Ich frage die Landesregierung:
1. Wie viele Windräder gibt es im Landkreis?
2. Wie viele sind geplant?
Zu 1. Es gibt 412 Windräder.
Zu 2. Geplant sind 80 weitere.
""",
        [1, 2],
        [[1], [2]],
    ),
)
