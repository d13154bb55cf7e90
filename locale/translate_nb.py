"""Norwegian Bokmål for every message, applied to locale/nb/LC_MESSAGES/django.po.

The dialog uses the words of SuperOffice's own Norwegian help page ("Lag oppfølginger").
After `makemessages -l nb`, run `python locale/translate_nb.py`: it fills each msgstr
from the table below and reports any message that has no translation yet (the test
suite fails on those too). Then `compilemessages`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent / "nb" / "LC_MESSAGES" / "django.po"

NB: dict[str, str | tuple[str, str]] = {
    # Access
    "Your login is not linked to an associate.": "Innloggingen din er ikke knyttet til en medarbeider.",
    "Your associate is inactive.": "Medarbeideren din er deaktivert.",
    # CRM models
    "name": "navn",
    "user group": "brukergruppe",
    "user groups": "brukergrupper",
    "active": "aktiv",
    "primary user group": "primær brukergruppe",
    "other user groups": "andre brukergrupper",
    "associate": "medarbeider",
    "associates": "medarbeidere",
    "language": "språk",
    "Blank: the browser's language.": "Tomt: nettleserens språk.",
    "Can create tasks for a selection": "Kan utføre oppgaver på et utvalg",
    "Can assign follow-ups to a company's our contact": "Kan gi oppfølginger til firmaets vår kontaktperson",
    "Can see all associates": "Kan se alle medarbeidere",
    "city": "sted",
    "category": "kategori",
    "our contact": "vår kontaktperson",
    "The associate who owns this company in the CRM.": "Medarbeideren som eier firmaet i CRM.",
    "company": "firma",
    "companies": "firmaer",
    "first name": "fornavn",
    "last name": "etternavn",
    "e-mail": "e-post",
    "phone": "telefon",
    "rank in company": "rangering i firmaet",
    "1 is the company's first contact.": "1 er firmaets første kontakt.",
    "Used only for persons with no company; others follow their company.": "Brukes bare for personer uten firma; andre følger firmaet sitt.",
    "person": "person",
    "persons": "personer",
    "number": "nummer",
    "project": "prosjekt",
    "projects": "prosjekter",
    # Follow-up pages and forms
    "Only its owner or creator can change this follow-up.": "Bare eieren eller den som opprettet oppfølgingen, kan endre den.",
    "Saved the follow-up.": "Oppfølgingen er lagret.",
    "This follow-up cannot be changed now.": "Denne oppfølgingen kan ikke endres nå.",
    "Choose a start date between %(first)s and %(last)s.": "Velg en startdato mellom %(first)s og %(last)s.",
    "Describe the follow-up.": "Beskriv oppfølgingen.",
    "No active project matches “%(text)s”.": "Ingen aktive prosjekter passer med «%(text)s».",
    "%(n)s project matches “%(text)s”; pick one from the list.": (
        "%(n)s prosjekt passer med «%(text)s»; velg ett fra listen.",
        "%(n)s prosjekter passer med «%(text)s»; velg ett fra listen.",
    ),
    "The ticked members could not be read; reload the page.": "De avmerkede medlemmene kunne ikke leses; last inn siden på nytt.",
    "Type": "Type",
    "Choose a follow-up type.": "Velg en oppfølgingstype.",
    "That follow-up type is no longer available; choose another.": "Den oppfølgingstypen finnes ikke lenger; velg en annen.",
    "Start": "Start",
    "Enter the start date.": "Skriv inn startdatoen.",
    "Enter a real date, such as 2026-12-01.": "Skriv inn en gyldig dato, for eksempel 2026-12-01.",
    "Description": "Beskrivelse",
    "Keep the description to %(limit_value)s characters (it has %(show_value)s).": "Beskrivelsen kan ha høyst %(limit_value)s tegn (den har %(show_value)s).",
    "Project": "Prosjekt",
    "No project has a name that long.": "Ingen prosjekter har så langt navn.",
    "Priority": "Prioritet",
    "That priority is no longer available; choose another.": "Den prioriteten finnes ikke lenger; velg en annen.",
    "Completed": "Utført",
    "Create only one follow-up per company": "Opprett bare én oppfølging på hvert firma",
    "Owner": "Eier",
    "Choose whose activity list the follow-ups go to.": "Velg hvem sin aktivitetsliste oppfølgingene skal til.",
    "Associate": "Medarbeider",
    "You cannot assign follow-ups to that associate.": "Du kan ikke gi oppfølginger til den medarbeideren.",
    "Perform task on selected members only": "Utfør oppgaven bare på valgte medlemmer",
    "Your role does not allow assigning follow-ups to the companies' our contacts.": "Rollen din tillater ikke å gi oppfølginger til firmaenes vår kontaktperson.",
    "Tick at most %(max)s members, or run the task on the whole selection.": "Merk av høyst %(max)s medlemmer, eller utfør oppgaven på hele utvalget.",
    "Choose the associate to assign them to.": "Velg medarbeideren som skal få dem.",
    "Tick at least one member in the list, or untick “selected members only”.": "Merk av minst ett medlem i listen, eller fjern merket for «bare valgte medlemmer».",
    "%(n)d ticked member is no longer in this selection; reload the page.": (
        "%(n)d avmerket medlem er ikke lenger i utvalget; last inn siden på nytt.",
        "%(n)d avmerkede medlemmer er ikke lenger i utvalget; last inn siden på nytt.",
    ),
    "This selection has no members, so there is nothing to create.": "Utvalget har ingen medlemmer, så det er ingenting å opprette.",
    # Follow-up models
    "Appointment": "Avtale",
    "Task": "Oppgave",
    "Phone call": "Telefonsamtale",
    "kind": "art",
    "colour": "farge",
    "Use a colour like #4a7bd0.": "Bruk en farge som #4a7bd0.",
    "rank": "rangering",
    "Lower comes first.": "Lavere kommer først.",
    "Inactive types are never offered again.": "Deaktiverte typer tilbys aldri igjen.",
    "follow-up type": "oppfølgingstype",
    "follow-up types": "oppfølgingstyper",
    "priority": "prioritet",
    "priorities": "prioriteter",
    "My activity list": "Min aktivitetsliste",
    "Company owner's (our contact's) activity list": "Bedriftseierens (vår kontaktpersons) aktivitetsliste",
    "Other associate": "Annen medarbeider",
    "one-time key": "engangsnøkkel",
    "by": "av",
    "when": "når",
    "selection": "utvalg",
    "selection name": "utvalgets navn",
    "type": "type",
    "start": "start",
    "description": "beskrivelse",
    "completed": "utført",
    "one per company": "én per firma",
    "owner": "eier",
    "other associate": "annen medarbeider",
    "selected members only": "bare valgte medlemmer",
    "members ticked": "avmerkede medlemmer",
    "follow-ups created": "oppfølginger opprettet",
    "generation": "generering",
    "generations": "genereringer",
    "completed at": "utført",
    "created by": "opprettet av",
    "created": "opprettet",
    "changed": "endret",
    "Equal to 'created' until someone changes the follow-up.": "Lik «opprettet» til noen endrer oppfølgingen.",
    "follow-up": "oppfølging",
    "follow-ups": "oppfølginger",
    # Generate follow-ups
    "Your role does not allow tasks on selections.": "Rollen din tillater ikke oppgaver på utvalg.",
    "This dialog was already used by someone else; open it again.": "Denne dialogboksen er allerede brukt av en annen; åpne den på nytt.",
    "Created %(n)s follow-up in your activity list.": (
        "Opprettet %(n)s oppfølging i aktivitetslisten din.",
        "Opprettet %(n)s oppfølginger i aktivitetslisten din.",
    ),
    "Created %(n)s follow-up in %(name)s's activity list.": (
        "Opprettet %(n)s oppfølging i aktivitetslisten til %(name)s.",
        "Opprettet %(n)s oppfølginger i aktivitetslisten til %(name)s.",
    ),
    "others": "andre",
    "Created %(n)s follow-up in the our contacts' activity lists: %(who)s.": (
        "Opprettet %(n)s oppfølging i aktivitetslistene til vår kontaktperson: %(who)s.",
        "Opprettet %(n)s oppfølginger i aktivitetslistene til vår kontaktperson: %(who)s.",
    ),
    "you": "deg",
    # Selections
    "Find companies and persons": "Finn firmaer og personer",
    "Choose one company or one person to add.": "Velg ett firma eller én person å legge til.",
    "Everyone": "Alle",
    "Owner's user group": "Eierens brukergruppe",
    "Owner only": "Bare eieren",
    "visible for": "synlig for",
    "selections": "utvalg",
    "added": "lagt til",
    "selection member": "utvalgsmedlem",
    "selection members": "utvalgsmedlemmer",
    "Only the selection's owner can change its members.": "Bare utvalgets eier kan endre medlemmene.",
    "That company or person no longer exists.": "Det firmaet eller den personen finnes ikke lenger.",
    "Added %(name)s.": "La til %(name)s.",
    "%(name)s is already in the selection.": "%(name)s er allerede i utvalget.",
    "Removed the member.": "Medlemmet er fjernet.",
    "That member was already removed.": "Medlemmet var allerede fjernet.",
    # Layout
    "CRM": "CRM",
    "Skip to content": "Gå til innholdet",
    "Main": "Hovedmeny",
    "Selections": "Utvalg",
    "Activities": "Aktiviteter",
    "Overdue": "Forfalt",
    "Due today": "Forfaller i dag",
    "Open": "Åpen",
    "Open follow-ups": "Åpne oppfølginger",
    "History": "Historikk",
    "Administration": "Administrasjon",
    "Quick search in follow-ups": "Hurtigsøk i oppfølginger",
    "Search follow-ups": "Søk i oppfølginger",
    "Log out": "Logg ut",
    "Language": "Språk",
    "Change": "Bytt",
    "inactive": "deaktivert",
    "City": "Sted",
    "Category": "Kategori",
    "Our contact": "Vår kontaktperson",
    "Persons": "Personer",
    "Company": "Firma",
    "E-mail": "E-post",
    "Phone": "Telefon",
    # Activity list, history, search, follow-up page
    "My activities": "Mine aktiviteter",
    "Show": "Vis",
    "All open": "Alle åpne",
    "Today": "I dag",
    "Next 7 days": "Neste 7 dager",
    "Person": "Person",
    "Pages": "Sider",
    "Previous": "Forrige",
    "Page %(number)s of %(pages)s": "Side %(number)s av %(pages)s",
    "Next": "Neste",
    "No follow-ups here.": "Ingen oppfølginger her.",
    "Completed: %(title)s": "Utført: %(title)s",
    "Breadcrumbs": "Brødsmuler",
    "Created": "Opprettet",
    "generated from": "generert fra",
    "Status": "Status",
    "Completed %(when)s": "Utført %(when)s",
    "Open again": "Åpne igjen",
    "Mark completed": "Merk som utført",
    "Show projects": "Vis prosjekter",
    "Save": "Lagre",
    "This follow-up is completed, so it is read-only. Open it again to change it.": "Denne oppfølgingen er utført og kan bare leses. Åpne den igjen for å endre den.",
    "My history": "Min historikk",
    "All your follow-ups, completed ones included, newest first.": "Alle oppfølgingene dine, også de utførte, nyeste først.",
    "Back to open activities": "Tilbake til åpne aktiviteter",
    "Search open follow-ups": "Søk i åpne oppfølginger",
    "Search": "Søk",
    "No open follow-up matches “%(q)s”.": "Ingen åpne oppfølginger passer med «%(q)s».",
    # The dialog
    "Generate follow-ups": "Generer oppfølginger",
    "Close": "Lukk",
    "For %(n)s selected member of “%(name)s”": (
        "For %(n)s valgt medlem av «%(name)s»",
        "For %(n)s valgte medlemmer av «%(name)s»",
    ),
    "For %(n)s member of “%(name)s”": (
        "For %(n)s medlem av «%(name)s»",
        "For alle %(n)s medlemmer av «%(name)s»",
    ),
    "At most 2,048 characters. Lists show the first line.": "Høyst 2 048 tegn. Listene viser første linje.",
    "Type the start of the name": "Skriv starten av navnet",
    "Optional. Start with %% to find names that contain the text.": "Valgfritt. Begynn med %% for å finne navn som inneholder teksten.",
    "Select the owner of these follow-ups": "Velg eieren av disse oppfølgingene",
    "Your role does not allow this.": "Rollen din tillater ikke dette.",
    "Preview": "Forhåndsvisning",
    "Cancel": "Avbryt",
    "%(n)s follow-up will be created": (
        "%(n)s oppfølging blir opprettet",
        "%(n)s oppfølginger blir opprettet",
    ),
    "for %(c)s company": ("for %(c)s firma", "for %(c)s firmaer"),
    "You": "Deg",
    "%(n)s other associate": ("%(n)s annen medarbeider", "%(n)s andre medarbeidere"),
    "%(n)s goes to your own list instead:": (
        "%(n)s havner i din egen liste i stedet:",
        "%(n)s havner i din egen liste i stedet:",
    ),
    "%(n)s has no our contact": (
        "%(n)s har ingen vår kontaktperson",
        "%(n)s har ingen vår kontaktperson",
    ),
    "%(n)s has an inactive our contact": (
        "%(n)s har en deaktivert vår kontaktperson",
        "%(n)s har en deaktivert vår kontaktperson",
    ),
    "The preview appears when the owner choice is complete.": "Forhåndsvisningen vises når eiervalget er fullført.",
    "No active projects.": "Ingen aktive prosjekter.",
    "More projects match: keep typing.": "Flere prosjekter passer: skriv videre.",
    # Login, selection pages
    "Log in": "Logg inn",
    "Username": "Brukernavn",
    "Password": "Passord",
    "Owner: %(owner)s · Visible for: %(visibility)s": "Eier: %(owner)s · Synlig for: %(visibility)s",
    "Selection": "Utvalg",
    "Company/person": "Firma/person",
    "Add companies and persons": "Legg til firmaer og personer",
    "Type the start of a name": "Skriv starten av et navn",
    "Mailing / activities": "Utsendelser / aktiviteter",
    "Create follow-ups": "Lag oppfølginger",
    "%(n)s member": ("%(n)s medlem", "%(n)s medlemmer"),
    "Select all members on this page": "Velg alle medlemmer på denne siden",
    "Remove": "Fjern",
    "Select %(name)s": "Velg %(name)s",
    "Remove %(name)s": "Fjern %(name)s",
    "Show all": "Vis alle",
    "Show pages of 100": "Vis sider med 100",
    "This selection has no members yet.": "Utvalget har ingen medlemmer ennå.",
    "Add": "Legg til",
    "Nothing starts with “%(query)s”.": "Ingenting begynner med «%(query)s».",
    "Name": "Navn",
    "Visible for": "Synlig for",
    "Members": "Medlemmer",
    "No selections are visible to you yet.": "Ingen utvalg er synlige for deg ennå.",
    # Generations and undo
    "This generation was already undone; nothing more was removed.": "Denne genereringen var allerede angret; ingenting mer ble fjernet.",
    "Removed %(removed)s follow-up": ("Fjernet %(removed)s oppfølging", "Fjernet %(removed)s oppfølginger"),
    "kept %(kept)s that was changed since.": (
        "beholdt %(kept)s som er endret siden.",
        "beholdt %(kept)s som er endret siden.",
    ),
    "undone": "angret",
    "undone by": "angret av",
    "follow-ups removed by undo": "oppfølginger fjernet ved angring",
    "Can see and undo every generation": "Kan se og angre alle genereringer",
    "Undo…": "Angre …",
    "Generations": "Genereringer",
    "Generation": "Generering",
    "Generated from “%(name)s”": "Generert fra «%(name)s»",
    "When": "Når",
    "One per company": "Én per firma",
    "yes,no": "ja,nei",
    "from %(n)s ticked member": ("fra %(n)s avmerket medlem", "fra %(n)s avmerkede medlemmer"),
    "Undone by %(who)s, %(when)s: %(n)s removed": "Angret av %(who)s, %(when)s: %(n)s fjernet",
    "%(u)s untouched, %(c)s changed since": "%(u)s urørt, %(c)s endret siden",
    "Undo this generation?": "Angre denne genereringen?",
    "%(n)s follow-up that nobody has changed will be removed.": (
        "%(n)s oppfølging som ingen har endret, blir fjernet.",
        "%(n)s oppfølginger som ingen har endret, blir fjernet.",
    ),
    "%(n)s that was changed since (edited, completed, reopened or given to someone else) will be kept.": (
        "%(n)s som er endret siden (redigert, utført, åpnet igjen eller gitt til en annen), blir beholdt.",
        "%(n)s som er endret siden (redigert, utført, åpnet igjen eller gitt til en annen), blir beholdt.",
    ),
    "Remove %(n)s follow-up": ("Fjern %(n)s oppfølging", "Fjern %(n)s oppfølginger"),
    "Its follow-ups": "Oppfølgingene",
    "Every run of Generate follow-ups, newest first. A run can be undone: its follow-ups that nobody has changed since are removed.": "Hver kjøring av Generer oppfølginger, nyeste først. En kjøring kan angres: oppfølgingene som ingen har endret siden, blir fjernet.",
    "By": "Av",
    "Untouched": "Urørt",
    "Undone by %(who)s, %(when)s": "Angret av %(who)s, %(when)s",
    "No generations yet.": "Ingen genereringer ennå.",
    # Faults and security
    "The follow-ups could not be saved, and nothing was saved. Please try again; if it keeps failing, tell your administrator.": "Oppfølgingene kunne ikke lagres, og ingenting ble lagret. Prøv igjen; hvis det fortsatt ikke går, si fra til administratoren.",
    "Too many attempts": "For mange forsøk",
    "This login is locked for a while after several wrong passwords. Try again in 15 minutes, or ask your administrator.": "Denne innloggingen er sperret en stund etter flere feil passord. Prøv igjen om 15 minutter, eller spør administratoren.",
}


def apply() -> list[str]:
    po = polib.pofile(str(PO))
    po.metadata["Language"] = "nb"
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        value = NB.get(entry.msgid)
        if value is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            one, other = value if isinstance(value, tuple) else (value, value)
            entry.msgstr_plural = {0: one, 1: other}
        else:
            entry.msgstr = value if isinstance(value, str) else value[0]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    return missing


if __name__ == "__main__":
    missing = apply()
    for msgid in missing:
        print(f"no Norwegian for: {msgid!r}")
    sys.exit(1 if missing else 0)
