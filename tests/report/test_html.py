from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rempart.incidents import EntryEmail, Incident, IncidentHost, TimelineEntry
from rempart.report import ImpactRow, PlanView, ReportData, TruthView, render_html

T0 = datetime(2019, 3, 11, 8, 0, tzinfo=UTC)


def _incident(subject: str) -> Incident:
    h = IncidentHost(
        "10.1.0.1",
        "pc-<b>1</b>",
        "bat-a",
        "infected",
        T0 + timedelta(minutes=35),
        detected_at=T0 + timedelta(minutes=40),
    )
    mail = EntryEmail("<m@x>", subject, "x@evil", T0, 90.0, ("a@chu.fr",), "lookalike", "u1")
    return Incident(
        "INC-1",
        "t",
        "critical",
        T0,
        T0 + timedelta(hours=1),
        h,
        mail,
        (h,),
        (TimelineEntry(T0, "email", subject),),
    )


def test_report_is_self_contained_and_escapes_attacker_text() -> None:
    subject = '<script>alert(1)</script><img src="http://evil.example/x.png">'
    data = ReportData(
        hospital_name="CH Test",
        incident=_incident(subject),
        generated=T0,
        plans=(
            PlanView(
                "Isoler bat-a",
                "r",
                ("isoler bat-a",),
                (ImpactRow("Urgences", "zone bat-a", True, "papier"),),
            ),
        ),
        truth=TruthView("10.1.0.1", (("10.1.0.1", "bat-a", T0 + timedelta(minutes=30)),)),
    )
    html = render_html(data, "fr")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'src="http' not in html and "http://evil.example" in html  # shown as text only
    assert "<svg" in html and "Courbe épidémique" in html and "Patient zéro" in html
    assert "10 min" in html  # first detection 10 minutes after the first infection
    assert "✔" in html  # patient zero matches the ground truth
    english = render_html(data, "en")
    assert "Epidemic curve" in english and "Courbe" not in english
