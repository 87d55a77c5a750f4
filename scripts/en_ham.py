"""Synthetic English business mail a French hospital receives (written for Rempart), used as
legitimate training examples beside fr_ham.py.

The only English legitimate mail in the public corpora is 2002 mailing-list discussion, so
the model had learnt that the register of business mail ("please find attached", "best
regards", "your account", "payment is due") means phishing: a supplier's quotation or a
congress invitation scored suspicious on the text alone. These templates are the mail of
suppliers, journals, congresses, research partners and colleagues abroad, with the words
phishing also uses (account, payment, invoice, confirm, password, click, update), so those
words alone are no clue. They are filled by a seeded generator, like the French ones.
"""

from __future__ import annotations

from fr_ham import generate as _generate

SUBJECTS = [
    "Quotation {ref}",
    "Order confirmation {ref}",
    "Delivery schedule for your order {ref}",
    "Invoice {ref} - {product}",
    "Service visit for the {product}",
    "Field safety notice: {product}",
    "Maintenance contract renewal",
    "Call for abstracts: {congress}",
    "Registration confirmed: {congress}",
    "Reviewer invitation - manuscript {ref}",
    "Decision on your manuscript {ref}",
    "Re: data sharing agreement",
    "Re: joint study protocol",
    "Minutes of the steering committee",
    "Teleconference on {day}",
    "Training session on the new {product}",
    "Re: patient transfer from {city}",
    "Visiting fellowship in {city}",
    "Your access to the study portal",
    "Software release notes {ref}",
    "Re: question about the results",
    "Agenda for the site visit",
    "Fwd: updated guidelines",
    "Shipment of samples to {city}",
]
OPENINGS = [
    "Dear Dr {name},",
    "Dear colleagues,",
    "Dear Sir or Madam,",
    "Hello {first},",
    "Hi {first},",
    "Dear {first},",
    "Good morning,",
]
BODIES = [
    "As discussed on the phone, I am sending you our offer for {n} units of the {product}, "
    "including installation and two years of maintenance.",
    "Attached is the quotation you requested. The prices include delivery to the hospital "
    "pharmacy and are valid for ninety days.",
    "Your order {ref} has been shipped and should reach the central store on {day}. The "
    "delivery note is in the parcel.",
    "The invoice for the consumables delivered last month is enclosed. Payment terms are "
    "sixty days as agreed in the framework contract; our bank details have not changed.",
    "Our engineer will come on {day} to perform the annual preventive maintenance of the "
    "{product}. The device will be unavailable for about two hours.",
    "We are informing all customers that a software update corrects an alarm display issue "
    "on the {product}. No action is needed from the clinical staff before the update.",
    "The contract for the {product} expires at the end of the year. Shall we prepare a "
    "renewal on the same terms, or would you like to review the service level first?",
    "The scientific committee invites you to submit an abstract for {congress}. The "
    "deadline is {day} and the instructions are on the congress website.",
    "Thank you for registering for {congress}. Your badge will be available at the "
    "registration desk; please bring an identity document.",
    "Would you be willing to review a manuscript on infection control in intensive care? "
    "If you accept, you can access the full text from your reviewer account.",
    "The reviewers found the study interesting and ask for minor revisions. Please upload "
    "the revised version and a response letter within four weeks.",
    "Our legal team has gone through the data sharing agreement and suggested two changes "
    "to the section on pseudonymisation. Could your data protection officer confirm?",
    "I have updated the protocol with your comments on the inclusion criteria. The ethics "
    "committee meets on {day}, so we should send it by then.",
    "Please find the minutes of the last steering committee meeting. The next one will be "
    "held by video conference in {month}.",
    "Can we move our call to {day} at {hour}? I have a clinic in the morning.",
    "We will run a training session on the {product} for the nursing team on {day}. Each "
    "session lasts one hour and up to ten people can attend.",
    "The patient from {city} arrived safely and is stable. I will send you the discharge "
    "summary as soon as the treatment is completed.",
    "I am writing to ask whether your department could host a visiting fellow from our "
    "hospital in {city} for three months next {month}.",
    "Your account on the study portal has been created. You will be asked to choose a new "
    "password the first time you log in; the data manager can reset it if needed.",
    "Version {ref} of the software is now available. The release notes describe the fixes "
    "and the known issues; your IT department can schedule the update.",
    "Thank you for your question about the assay. The reference values changed with the "
    "new reagent lot, which explains the difference you noticed.",
    "Please confirm the number of participants for the site visit so that we can arrange "
    "the meeting room and lunch.",
    "The society has published updated guidelines on sepsis management. The main changes "
    "concern the timing of antibiotics and fluid resuscitation.",
    "The samples will be shipped on dry ice on {day}. Could you let me know who will "
    "receive them at the laboratory?",
    "If you have any questions, click the link in the portal's help section or simply "
    "reply to this email.",
    "We look forward to working with your team on this project.",
]
CLOSINGS = [
    "Best regards,",
    "Kind regards,",
    "Many thanks,",
    "Thank you in advance,",
    "With best wishes,",
    "Sincerely,",
    "Thanks,",
]
SIGNATURES = [
    "{first} {name}\nKey Account Manager",
    "{first} {name}\nCustomer Service",
    "Editorial Office",
    "Dr {first} {name}\nDepartment of {department}",
    "{first}\nClinical Research Coordinator",
    "Congress Secretariat",
    "{first} {name}\nService Engineer",
    "Prof. {name}\n{department}, University Hospital of {city}",
]
FILL = {
    "ref": ["2026-0412", "PO-88123", "Q-1187", "MS-2026-311", "4.2.1", "INV-5530"],
    "product": ["infusion pumps", "ventilators", "patient monitors", "ultrasound scanner",
                "analyser", "PACS viewer", "dialysis machines"],
    "congress": ["the European Congress of Clinical Microbiology",
                 "the International Nursing Conference", "the Hospital Pharmacy Congress"],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "15 January", "3 March"],
    "month": ["January", "March", "May", "September", "October"],
    "hour": ["9 am", "11 am", "2 pm", "4:30 pm"],
    "city": ["Geneva", "Brussels", "Barcelona", "Milan", "Montreal", "Berlin"],
    "department": ["Cardiology", "Infectious Diseases", "Radiology", "Intensive Care",
                   "Clinical Biology"],
    "n": ["4", "12", "20", "40"],
    "first": ["Anna", "James", "Laura", "Peter", "Sofia", "David", "Maria", "Thomas"],
    "name": ["Smith", "Müller", "Rossi", "Jansen", "García", "Brown", "Novak", "Keller"],
}  # fmt: skip


def generate(count: int = 300, seed: int = 20261124) -> list[tuple[str, str]]:
    """(subject, body) pairs of ordinary English business mail to a hospital."""
    return _generate(
        count, seed, parts=(SUBJECTS, OPENINGS, BODIES, CLOSINGS, SIGNATURES), fill=FILL
    )
