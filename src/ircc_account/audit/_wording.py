"""
The words of a client's history: every action the library records and every
reason it records for a refusal, in English and French, in one catalogue.

An action reads two ways: done (``viewed {item}``; in French the past
participle that follows "a" or "avez": ``consulté {item}``) and tried, for a
refusal (``view {item}``; ``consulter {item}``, after "a tenté de"). The
placeholders are filled by :mod:`._view`: ``{item}`` (the item, named),
``{grantee}`` (whom a grant was given to), ``{service}`` (the service the
entry names) and ``{name}`` (a service's own action).
``tests/audit/test_wording.py`` finds every action the code records and
fails when one has no words here.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from ircc_account._model import Action, BilingualText

__all__ = [
    "ACTIONS",
    "REASONS",
    "Phrase",
    "action_phrase",
    "french",
    "long_date",
    "reason_words",
]


@attrs.frozen
class Phrase:
    """
    One action in words.

    Attributes:
        en: Done, in English (``viewed {item}``).
        en_tried: Tried, in English (``view {item}``), after "tried to".
        fr: Done, in French: the participle phrase after "a" or "avez".
        fr_tried: Tried, in French: the infinitive after "a tenté de".
        changes: Whether it changes the file (a change, not a read, is what
            a line of grouped entries is named after).
        item: What ``{item}`` reads when the entry names no item.
        for_client: Whether a representative doing it acts *for* the client
            (the line says so: "acting for you under ..."); not for seeing
            the client in their list, or starting to act, which says it.
    """

    en: str
    en_tried: str
    fr: str
    fr_tried: str
    changes: bool = False
    item: tuple[str, str] = ("your file", "votre dossier")
    for_client: bool = True


def _p(en: str, en_tried: str, fr: str, fr_tried: str, **kw: object) -> Phrase:
    return Phrase(en, en_tried, fr, fr_tried, **kw)  # type: ignore[arg-type]


_ANY_ITEM = ("an application or case", "une demande ou un cas")

#: Every action the library records, by its recorded name.
ACTIONS: dict[str, Phrase] = {
    # The front door's pages.
    "door.dashboard": _p("viewed your dashboard", "view your dashboard",
                         "consulté votre tableau de bord", "consulter votre tableau de bord"),
    "door.item.view": _p("viewed {item}", "view {item}", "consulté {item}", "consulter {item}"),
    "door.item.perform": _p("acted on {item}", "act on {item}", "agi sur {item}",
                            "agir sur {item}", changes=True),
    "door.clients.list": _p("saw your name in their list of clients",
                            "see your name in their list of clients",
                            "vu votre nom dans sa liste de clients",
                            "voir votre nom dans sa liste de clients", for_client=False),
    "door.grants.view": _p("viewed the access you have given", "view the access you have given",
                           "consulté les accès que vous avez donnés",
                           "consulter les accès que vous avez donnés"),
    "door.grant.create": _p("gave {grantee} access to your file",
                            "give {grantee} access to your file",
                            "donné à {grantee} l'accès à votre dossier",
                            "donner à {grantee} l'accès à votre dossier", changes=True),
    "door.grant.request": _p("asked for access to your file", "ask for access to your file",
                             "demandé l'accès à votre dossier", "demander l'accès à votre dossier",
                             changes=True),
    "door.grant.accept": _p("accepted a request for access to your file",
                            "accept a request for access to your file",
                            "accepté une demande d'accès à votre dossier",
                            "accepter une demande d'accès à votre dossier", changes=True),
    "door.grant.decline": _p("declined a request for access to your file",
                             "decline a request for access to your file",
                             "refusé une demande d'accès à votre dossier",
                             "refuser une demande d'accès à votre dossier", changes=True),
    "door.grant.revoke": _p("withdrew the access given to {grantee}",
                            "withdraw the access given to {grantee}",
                            "retiré l'accès donné à {grantee}", "retirer l'accès donné à {grantee}",
                            changes=True),
    "door.grant.change": _p("changed the access given to {grantee}",
                            "change the access given to {grantee}",
                            "modifié l'accès donné à {grantee}",
                            "modifier l'accès donné à {grantee}", changes=True),
    "door.service.perform": _p("used {service}", "use {service}", "utilisé {service}",
                               "utiliser {service}", changes=True),
    "door.profile.change": _p("changed your preferred language",
                              "change your preferred language",
                              "modifié votre langue de préférence",
                              "modifier votre langue de préférence", changes=True),
    "door.history.view": _p("viewed the history of your file", "view the history of your file",
                            "consulté l'historique de votre dossier",
                            "consulter l'historique de votre dossier"),
    "door.history.export": _p("exported the history of your file",
                              "export the history of your file",
                              "exporté l'historique de votre dossier",
                              "exporter l'historique de votre dossier"),
    # A service's reads and writes through its gates.
    "service.item.list": _p("viewed the list of your applications and cases",
                            "view the list of your applications and cases",
                            "consulté la liste de vos demandes et de vos cas",
                            "consulter la liste de vos demandes et de vos cas"),
    "service.item.read": _p("viewed {item}", "view {item}", "consulté {item}", "consulter {item}"),
    "service.item.create": _p("added {item} to your file", "add {item} to your file",
                              "ajouté {item} à votre dossier", "ajouter {item} à votre dossier",
                              changes=True, item=_ANY_ITEM),
    "service.item.update": _p("changed {item}", "change {item}", "modifié {item}",
                              "modifier {item}", changes=True),
    "service.item.actions": _p("viewed what can be done with {item}",
                               "view what can be done with {item}",
                               "consulté ce qui peut être fait pour {item}",
                               "consulter ce qui peut être fait pour {item}"),
    "service.item.perform": _p("acted on {item}", "act on {item}", "agi sur {item}",
                               "agir sur {item}", changes=True),
    "service.timeline.read": _p("viewed the progress of {item}", "view the progress of {item}",
                                "consulté le suivi de {item}", "consulter le suivi de {item}"),
    "service.timeline.append": _p("added an update to {item}", "add an update to {item}",
                                  "ajouté une mise à jour à {item}",
                                  "ajouter une mise à jour à {item}", changes=True),
    "service.legacy_file.list": _p("viewed the list of your files in older systems",
                                   "view the list of your files in older systems",
                                   "consulté la liste de vos dossiers dans les anciens systèmes",
                                   "consulter la liste de vos dossiers dans les anciens systèmes"),
    # What a service keeps about the client (its own records).
    "service.record.read": _p("viewed information it keeps about you",
                              "view information it keeps about you",
                              "consulté des renseignements qu'il conserve à votre sujet",
                              "consulter des renseignements qu'il conserve à votre sujet"),
    "service.record.list": _p("viewed the list of the information it keeps about you",
                              "view the list of the information it keeps about you",
                              "consulté la liste des renseignements qu'il conserve à votre sujet",
                              "consulter la liste des renseignements qu'il conserve à votre sujet"),
    "service.record.write": _p("saved information about you", "save information about you",
                               "enregistré des renseignements à votre sujet",
                               "enregistrer des renseignements à votre sujet", changes=True),
    "service.record.delete": _p("deleted information it kept about you",
                                "delete information it kept about you",
                                "supprimé des renseignements qu'il conservait à votre sujet",
                                "supprimer des renseignements qu'il conservait à votre sujet",
                                changes=True),
    # Representatives, sessions and accounts.
    "acting.begin": _p("started acting for you", "start acting for you",
                       "commencé à agir pour vous", "commencer à agir pour vous",
                       for_client=False),
    "session.refused": _p("used your account", "use your account", "utilisé votre compte",
                          "utiliser votre compte"),
    "login.success": _p("signed in to your account", "sign in to your account",
                        "ouvert une session dans votre compte",
                        "ouvrir une session dans votre compte"),
    "account.register": _p("created your account", "create your account", "créé votre compte",
                           "créer votre compte", changes=True),
    "credential.link": _p("linked a new way to sign in to your account",
                          "link a new way to sign in to your account",
                          "lié un nouveau moyen de connexion à votre compte",
                          "lier un nouveau moyen de connexion à votre compte", changes=True),
    "legacy.claim": _p("linked an existing file to your account",
                       "link an existing file to your account",
                       "lié un dossier existant à votre compte",
                       "lier un dossier existant à votre compte", changes=True),
    # Grants, as delegation records them.
    "grant.created": _p("gave {grantee} access to your file", "give {grantee} access to your file",
                        "donné à {grantee} l'accès à votre dossier",
                        "donner à {grantee} l'accès à votre dossier", changes=True),
    "grant.created/pending": _p("asked for access to your file", "ask for access to your file",
                                "demandé l'accès à votre dossier",
                                "demander l'accès à votre dossier", changes=True),
    "grant.changed": _p("changed the access given to {grantee}",
                        "change the access given to {grantee}",
                        "modifié l'accès donné à {grantee}", "modifier l'accès donné à {grantee}",
                        changes=True),
    "grant.changed/declined": _p("declined the request for access from {grantee}",
                                 "decline the request for access from {grantee}",
                                 "refusé la demande d'accès de {grantee}",
                                 "refuser la demande d'accès de {grantee}", changes=True),
    "grant.revoked": _p("withdrew the access given to {grantee}",
                        "withdraw the access given to {grantee}",
                        "retiré l'accès donné à {grantee}", "retirer l'accès donné à {grantee}",
                        changes=True),
    "grant.first_used": _p("acted on your file for the first time",
                           "act on your file for the first time",
                           "agi dans votre dossier pour la première fois",
                           "agir dans votre dossier pour la première fois"),
    # Applications (the built-in application engine).
    "applications.sign": _p("signed an application made with {service}",
                            "sign an application made with {service}",
                            "signé une demande faite avec {service}",
                            "signer une demande faite avec {service}", changes=True),
    "applications.draft.expire": _p(
        "deleted an unfinished draft from {service} at the end of its retention period",
        "delete an unfinished draft from {service} at the end of its retention period",
        "supprimé un brouillon inachevé de {service} à la fin de sa période de conservation",
        "supprimer un brouillon inachevé de {service} à la fin de sa période de conservation",
        changes=True, for_client=False),
    # The department's side of the built-in status tracker and decision notes.
    "status.open": _p("started tracking {item}", "start tracking {item}",
                      "commencé le suivi de {item}", "commencer le suivi de {item}",
                      changes=True, for_client=False),
    "status.follow": _p("started following {item} in Application status",
                        "start following {item} in Application status",
                        "commencé à suivre {item} dans État des demandes",
                        "commencer à suivre {item} dans État des demandes",
                        changes=True, for_client=False),
    "status.phase": _p("moved {item} to its next step", "move {item} to its next step",
                       "fait passer {item} à l'étape suivante",
                       "faire passer {item} à l'étape suivante", changes=True, for_client=False),
    "status.request": _p("asked you for something for {item}", "ask you for something for {item}",
                         "demandé quelque chose pour {item}", "demander quelque chose pour {item}",
                         changes=True, for_client=False),
    "status.review": _p("reviewed what was sent for {item}", "review what was sent for {item}",
                        "examiné ce qui a été envoyé pour {item}",
                        "examiner ce qui a été envoyé pour {item}", changes=True,
                        for_client=False),
    "status.respond": _p("noted that what was asked for {item} arrived by mail or in person",
                         "note that what was asked for {item} arrived by mail or in person",
                         "noté que ce qui était demandé pour {item} est arrivé par la poste "
                         "ou en personne",
                         "noter que ce qui était demandé pour {item} est arrivé par la poste "
                         "ou en personne",
                         changes=True, for_client=False),
    "status.wait": _p("noted that {item} is waiting on someone else",
                      "note that {item} is waiting on someone else",
                      "noté que {item} attend une autre partie",
                      "noter que {item} attend une autre partie", changes=True, for_client=False),
    "status.document": _p("recorded a document received for {item}",
                          "record a document received for {item}",
                          "enregistré un document reçu pour {item}",
                          "enregistrer un document reçu pour {item}", changes=True,
                          for_client=False),
    "status.comment": _p("left you a comment on {item}", "leave you a comment on {item}",
                         "laissé un commentaire sur {item}", "laisser un commentaire sur {item}",
                         changes=True, for_client=False),
    "status.staff_read": _p("read the department's notes on {item}",
                            "read the department's notes on {item}",
                            "lu les notes du ministère sur {item}",
                            "lire les notes du ministère sur {item}", for_client=False),
    "notes.decision": _p("recorded the decision and its reasons for {item}",
                         "record the decision and its reasons for {item}",
                         "enregistré la décision et ses motifs pour {item}",
                         "enregistrer la décision et ses motifs pour {item}", changes=True,
                         for_client=False),
    # Enquiries and urgent requests (the built-in enquiries service).
    "enquiry.file": _p("made an enquiry about {item}", "make an enquiry about {item}",
                       "fait une demande de renseignements sur {item}",
                       "faire une demande de renseignements sur {item}", changes=True),
    "enquiry.urgent": _p("asked for urgent processing of {item}",
                         "ask for urgent processing of {item}",
                         "demandé le traitement urgent de {item}",
                         "demander le traitement urgent de {item}", changes=True),
    "enquiry.respond": _p("sent the information asked for about {item}",
                          "send the information asked for about {item}",
                          "envoyé les renseignements demandés sur {item}",
                          "envoyer les renseignements demandés sur {item}", changes=True),
    "enquiry.read": _p("read the enquiries about your applications",
                       "read the enquiries about your applications",
                       "lu les demandes de renseignements sur vos demandes",
                       "lire les demandes de renseignements sur vos demandes"),
    "enquiry.list": _p("saw your enquiries in their list of open enquiries",
                       "see your enquiries in their list of open enquiries",
                       "vu vos demandes de renseignements dans leur liste de demandes ouvertes",
                       "voir vos demandes de renseignements dans leur liste de demandes ouvertes",
                       for_client=False),
    "enquiry.answer": _p("answered an enquiry about {item}", "answer an enquiry about {item}",
                         "répondu à une demande de renseignements sur {item}",
                         "répondre à une demande de renseignements sur {item}", changes=True,
                         for_client=False),
    "enquiry.decide": _p("decided a request for urgent processing of {item}",
                         "decide a request for urgent processing of {item}",
                         "rendu une décision sur la demande de traitement urgent de {item}",
                         "rendre une décision sur la demande de traitement urgent de {item}",
                         changes=True, for_client=False),
    "enquiry.more_info": _p("asked for more information about an enquiry on {item}",
                            "ask for more information about an enquiry on {item}",
                            "demandé plus de renseignements sur une demande concernant {item}",
                            "demander plus de renseignements sur une demande concernant {item}",
                            changes=True, for_client=False),
    "enquiry.staff_read": _p("read the enquiries about {item}",
                             "read the enquiries about {item}",
                             "lu les demandes de renseignements sur {item}",
                             "lire les demandes de renseignements sur {item}", for_client=False),
    # Notifications (the built-in notifications service's delivery worker).
    "notify.send": _p("used your name and email address to send you a notice about {item}",
                      "use your name and email address to send you a notice about {item}",
                      "utilisé votre nom et votre adresse courriel pour vous envoyer un avis "
                      "sur {item}",
                      "utiliser votre nom et votre adresse courriel pour vous envoyer un avis "
                      "sur {item}"),
    "notify.send_representative": _p(
        "sent one of your representatives a notice about {item}",
        "send one of your representatives a notice about {item}",
        "envoyé un avis sur {item} à l'une des personnes qui vous représentent",
        "envoyer un avis sur {item} à l'une des personnes qui vous représentent"),
    # Dependants (SEC-54): an officer records who a minor's guardian is.
    "dependant.record": _p("recorded who your parent or guardian is",
                           "record who your parent or guardian is",
                           "enregistré qui est votre parent ou tuteur",
                           "enregistrer qui est votre parent ou tuteur", changes=True,
                           for_client=False),
    # Representatives and offices.
    "representative.register": _p("registered your representative profile",
                                   "register your representative profile",
                                   "enregistré votre profil de représentant",
                                   "enregistrer votre profil de représentant", changes=True),
    "organisation.onboard": _p("registered an office or firm", "register an office or firm",
                               "enregistré un bureau ou un cabinet",
                               "enregistrer un bureau ou un cabinet", changes=True),
    "organisation.invite": _p("invited someone to join an office or firm",
                              "invite someone to join an office or firm",
                              "invité une personne à joindre un bureau ou un cabinet",
                              "inviter une personne à joindre un bureau ou un cabinet",
                              changes=True),
    "organisation.join": _p("joined an office or firm", "join an office or firm",
                            "rejoint un bureau ou un cabinet", "rejoindre un bureau ou un cabinet",
                            changes=True),
    # The policy's own names (``authz.<action>``), when a caller names none.
    "authz.view_status": _p("checked the status of {item}", "check the status of {item}",
                            "vérifié l'état de {item}", "vérifier l'état de {item}"),
    "authz.view_decision_notes": _p("read the decision notes of {item}",
                                    "read the decision notes of {item}",
                                    "lu les notes de décision de {item}",
                                    "lire les notes de décision de {item}"),
    "authz.enquire": _p("made an enquiry about {item}", "make an enquiry about {item}",
                        "fait une demande de renseignements sur {item}",
                        "faire une demande de renseignements sur {item}", changes=True),
    "authz.submit_documents": _p("submitted documents for {item}", "submit documents for {item}",
                                 "soumis des documents pour {item}",
                                 "soumettre des documents pour {item}", changes=True),
    "authz.act": _p("acted on {item}", "act on {item}", "agi sur {item}", "agir sur {item}",
                    changes=True),
    "authz.view_profile": _p("viewed your profile", "view your profile", "consulté votre profil",
                             "consulter votre profil"),
    "authz.change_profile": _p("changed your profile", "change your profile",
                               "modifié votre profil", "modifier votre profil", changes=True),
    "authz.manage_grants": _p("changed who may act for you", "change who may act for you",
                              "modifié qui peut agir pour vous", "modifier qui peut agir pour vous",
                              changes=True),
}  # fmt: skip

#: A service's own action (``authz.<service>:<name>``), named by the service.
_SERVICE_ACTION = _p("used the action {name} of {service}",
                     "use the action {name} of {service}",
                     "utilisé l'action {name} de {service}",
                     "utiliser l'action {name} de {service}", changes=True)  # fmt: skip
#: An action this version has no words for (a portal's own, or a newer one).
_UNKNOWN = _p("made an access recorded as {name}", "make an access recorded as {name}",
              "fait un accès enregistré sous le nom {name}",
              "faire un accès enregistré sous le nom {name}", changes=True)  # fmt: skip

assert all(f"authz.{a.value}" in ACTIONS for a in Action), "every policy action needs words"


def action_phrase(action: str, reason: str) -> tuple[Phrase, str | None]:
    """
    The words for *action* (recorded with *reason*), and the service action's
    name for ``authz.<service>:<name>`` (else ``None``).
    """
    phrase = ACTIONS.get(f"{action}/{reason}") or ACTIONS.get(action)
    if phrase is not None:
        return phrase, None
    if action.startswith("authz.") and ":" in action:
        return _SERVICE_ACTION, action.rsplit(":", 1)[-1]
    return _UNKNOWN, action


#: Every reason the library records for a refusal, in words (the policy's
#: codes, the grant desk's error codes, the identity subsystem's phrases).
REASONS: dict[str, BilingualText] = {
    code: BilingualText(en, fr)
    for code, en, fr in (
        # The policy.
        ("no_grant", "you have not given them access to this",
         "vous ne lui avez pas donné accès à ceci"),
        ("scope", "the access you gave them does not include this",
         "l'accès que vous lui avez donné n'inclut pas ceci"),
        ("assurance", "the sign-in used was not secure enough for this",
         "la connexion utilisée n'était pas assez sécurisée pour ceci"),
        ("field", "this part of your file is not shared with them",
         "cette partie de votre dossier ne lui est pas communiquée"),
        ("capacity", "this is not allowed in that role", "ceci n'est pas permis dans ce rôle"),
        ("plugin", "a service may not do this for that person",
         "un service ne peut pas faire ceci pour cette personne"),
        ("licence", "the representative's licence could not be confirmed",
         "le permis du représentant n'a pas pu être confirmé"),
        ("membership", "they are not a member of the office or group you gave access to",
         "cette personne ne fait pas partie du bureau ou du groupe auquel vous avez donné accès"),
        ("not_found", "there is no such item in your file",
         "cet élément ne se trouve pas dans votre dossier"),
        ("not_offered", "that action was not available to them",
         "cette action ne lui était pas offerte"),
        ("account_disabled", "the account is disabled", "le compte est désactivé"),
        ("not_representative", "they are not registered as a representative",
         "cette personne n'est pas inscrite comme représentant"),
        ("not_yet_valid", "the access you gave had not started yet",
         "l'accès que vous avez donné n'était pas encore en vigueur"),
        ("expired", "the access you gave had ended", "l'accès que vous avez donné avait pris fin"),
        ("revoked", "you had withdrawn the access you gave",
         "vous aviez retiré l'accès que vous aviez donné"),
        ("lapsed", "the access you gave had lapsed", "l'accès que vous avez donné était caduc"),
        ("not_licensed", "they are not licensed to act for you",
         "cette personne n'a pas de permis pour agir pour vous"),
        ("declined", "you had declined the request for access",
         "vous aviez refusé la demande d'accès"),
        ("restricted", "a service restricted it", "un service l'a restreint"),
        # Refused grant changes, recorded with the error's code.
        ("authz.denied", "it was not allowed", "ce n'était pas permis"),
        ("storage.not_found", "it could not be found", "l'élément est introuvable"),
        ("login.step_up_required", "a recent, more secure sign-in was needed",
         "une connexion récente et plus sécurisée était nécessaire"),
        ("delegation.invalid", "the request was not valid", "la demande n'était pas valide"),
        ("delegation.self_grant", "a person cannot be their own representative",
         "une personne ne peut pas être son propre représentant"),
        ("delegation.scope_not_allowed", "this representative cannot be given that access",
         "ce représentant ne peut pas recevoir cet accès"),
        ("delegation.cycle", "an office cannot belong to itself",
         "un bureau ne peut pas faire partie de lui-même"),
        ("delegation.licence_invalid", "the representative's licence could not be confirmed",
         "le permis du représentant n'a pas pu être confirmé"),
        ("delegation.paid_representative_exists",
         "another paid representative already represents you for this",
         "un autre représentant rémunéré vous représente déjà pour ceci"),
        ("delegation.consent_stale", "the consent form was too old",
         "le formulaire de consentement était trop ancien"),
        ("delegation.request_lapsed", "the request for access had lapsed",
         "la demande d'accès était périmée"),
        ("delegation.grant_state", "that access could no longer be changed",
         "cet accès ne pouvait plus être modifié"),
        ("delegation.not_principal", "only you can do this, from your own account",
         "vous seul pouvez faire ceci, à partir de votre propre compte"),
        ("delegation.not_administrator", "only an administrator of the office or firm can do this",
         "seul un administrateur du bureau ou du cabinet peut faire ceci"),
        ("delegation.department_only", "only the department can do this",
         "seul le ministère peut faire ceci"),
        ("delegation.onboarding_refused", "that registration is not allowed",
         "cette inscription n'est pas permise"),
        ("delegation.invitation_invalid", "the invitation was not valid",
         "l'invitation n'était pas valide"),
        ("delegation.unknown_target", "the application or service named was not found",
         "la demande ou le service visé est introuvable"),
        ("delegation.grant_too_long", "that access would have lasted longer than allowed",
         "cet accès aurait duré plus longtemps que permis"),
        ("delegation.dependant_of_age",
         "a person aged 18 or over appoints their representative themself",
         "une personne de 18 ans ou plus désigne elle-même son représentant"),
        # Enquiries and urgent requests: bad input refused, and the decisions.
        ("enquiries.refused", "it was not an application they may ask about",
         "ce n'était pas une demande sur laquelle cette personne peut se renseigner"),
        ("enquiries.unknown_category", "the category of urgency did not exist",
         "la catégorie d'urgence n'existait pas"),
        ("enquiries.evidence_refused",
         "a document sent was too large, damaged or of a refused type",
         "un document envoyé était trop grand, endommagé ou d'un type refusé"),
        ("enquiries.invalid", "what was sent was not valid",
         "ce qui a été envoyé n'était pas valide"),
        ("enquiries.reason_required", "a decision was given without its reason",
         "une décision a été donnée sans motif"),
        ("enquiries.answer_too_vague", "the answer did not say what is being done",
         "la réponse ne disait pas ce qui est fait"),
        ("enquiries.closed", "the enquiry was not waiting for this",
         "la demande de renseignements n'attendait pas ceci"),
        ("granted", "urgent processing was granted", "le traitement urgent a été accordé"),
        ("refused", "urgent processing was refused", "le traitement urgent a été refusé"),
        # Claims of a file from an older system.
        ("no match", "the details given did not match a file",
         "les renseignements donnés ne correspondaient à aucun dossier"),
        ("locked", "there were too many attempts, so claims are paused for a while",
         "il y a eu trop de tentatives; les demandes sont donc suspendues pour un temps"),
        ("claimed elsewhere", "that file is already linked to another account",
         "ce dossier est déjà lié à un autre compte"),
    )
}  # fmt: skip

_RESTRICTED = {
    "failed": ("{service} did not answer, so it was refused to be safe",
               "{service} n'a pas répondu; par prudence, l'accès a été refusé"),
    "malformed": ("{service} gave an answer that could not be read, so it was refused to be safe",
                  "{service} a donné une réponse illisible; par prudence, l'accès a été refusé"),
}  # fmt: skip
_RESTRICTED_BY = ("{service} restricted it", "{service} l'a restreint")
_UNKNOWN_REASON = ("for a reason recorded as “{reason}”", "pour un motif enregistré : « {reason} »")


def reason_words(reason: str, service: BilingualText | None = None) -> BilingualText:
    """
    Why a refusal happened, in words; *service* names the service of a
    ``restricted:<service>:<reason>`` refusal ("the service Visitor visa").
    """
    words = REASONS.get(reason)
    if words is not None:
        return words
    if reason.startswith("restricted:"):
        why = reason.rsplit(":", 1)[-1]
        en, fr = _RESTRICTED.get(why, _RESTRICTED_BY)
        name = service or BilingualText("a service", "un service")
        return BilingualText(en.format(service=name.en), fr.format(service=name.fr))
    en, fr = _UNKNOWN_REASON
    return BilingualText(en.format(reason=reason), fr.format(reason=reason))


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")  # fmt: skip


def long_date(day: dt.date) -> BilingualText:
    """
    "1 March 2026", "1er mars 2026".
    """
    fr_day = "1er" if day.day == 1 else str(day.day)
    return BilingualText(
        f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}",
        f"{fr_day} {_MONTHS_FR[day.month - 1]} {day.year}",
    )


_ELIDE = re.compile(r"\b([dDlL]e|[qQ]ue) (?=[aeiouyhéèêàâîôûAEIOUYHÉÈÊÀÂÎÔÛ])")
_CONTRACT = ((" à le ", " au "), (" à les ", " aux "), (" de le ", " du "), (" de les ", " des "))


def french(text: str) -> str:
    """
    French elisions and contractions after composition: "de agir" → "d'agir",
    "à le" → "au".
    """
    for long, short in _CONTRACT:
        text = text.replace(long, short)
    return _ELIDE.sub(lambda m: m.group(1)[0] + "'", text)
