"""A realistic incident log for export tests and for looking at the PDF by eye."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.diary.store import AttachmentInfo, Note, NoteFields

START = datetime(2024, 3, 4, 8, 15, tzinfo=timezone.utc)  # a Monday

SAMPLE_FIELDS: list[NoteFields] = [
    NoteFields(
        occurred_at=START + timedelta(days=0, hours=0),
        kind="contacting",
        place="At home (phone)",
        what_happened=(
            "He rang 14 times between 8am and 9am. I didn't answer. "
            'Voicemail said "you can\'t ignore me forever".'
        ),
        how_detail="Phone calls from a withheld number, then texts from 07700 900123",
        feelings="Scared to leave the flat. I didn’t go to my 10am class.",
        evidence="Screenshots of the call log; voicemail saved",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=2, hours=9),
        kind="turning_up",
        place="Outside work, 12 Station Road, Leeds",
        what_happened=(
            "He was waiting by the car park barrier when I left at 17:30.\n"
            'He said, "I just want to talk, that’s all."'
        ),
        how_detail="In person",
        appearance="Dark green parka, grey jeans, black beanie. Silver Ford Focus, plate AB12 CDE.",
        witnesses="Sam (colleague), 07700 900456, saw him from reception",
        feelings="Shaking. Asked Sam to walk me to the bus.",
        police_ref=None,
    ),
    NoteFields(
        occurred_at=START + timedelta(days=8, hours=2),
        kind="gifts",
        place="Doorstep",
        what_happened='Flowers and a card left on the doorstep: "Thinking of you 🌹❤️ x"',
        how_detail="Gift",
        evidence="Kept the card in a freezer bag; photo of the flowers",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=9, hours=13),
        kind="monitoring",
        place="Instagram",
        what_happened=(
            "He commented on a photo from Saturday within a minute of me posting it, and named the "
            "café I was in. Link: https://www.instagram.com/p/averyveryveryverylongpostidentifierwithoutspaces1234567890/"
        ),
        how_detail="Social media",
        evidence="Screenshot of the comment",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=10, hours=5),
        kind="contacting",
        what_happened='Message in Arabic from a new number: مرحبا، أنا أراقبك — and then "😡😡"',
        how_detail="WhatsApp",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=16, hours=11),
        kind="following",
        place="Kirkgate Market to the bus station",
        what_happened="Saw him behind me in the market, and again at the bus station 20 minutes later. " * 6,
        appearance="Same green parka",
        feelings="I changed buses twice. I now vary my route home.",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=17, hours=1),
        kind="damage_threats",
        place="Street outside my flat",
        what_happened=(
            'Both tyres of my bike slashed. A note under the saddle: "Next time it won\'t be the bike".'
        ),
        evidence="Photos of the tyres and the note; note kept",
        police_ref="Crime ref 13/123456/24, PC 1234 Jones",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=17, hours=6),
        kind=None,
        what_happened="My sister got a friend request from him on Facebook.",
    ),
    NoteFields(
        occurred_at=START + timedelta(days=31, hours=3),
        kind="turning_up",
        place="Gym, Kirkstall Road",
        what_happened="He was in the gym car park at 7am. He left when I got my phone out.",
        appearance="Silver Ford Focus AB12 CDE",
    ),
]


def sample_notes() -> list[Note]:
    """Notes as the store would return them (ids 1..n), some with attachments."""
    notes = []
    for i, fields in enumerate(SAMPLE_FIELDS, start=1):
        created = fields.occurred_at + timedelta(minutes=40)
        attachments: tuple[AttachmentInfo, ...] = ()
        if i in (1, 7):
            attachments = (
                AttachmentInfo(i * 10, i, "photo", "AgACAgQ", None, "image/jpeg", 120_000, created),
                AttachmentInfo(
                    i * 10 + 1,
                    i,
                    "document",
                    "BQACAgQ",
                    f"evidence-{i}.pdf",
                    "application/pdf",
                    88_000,
                    created,
                ),
            )
        notes.append(
            Note(
                id=i,
                occurred_at=fields.occurred_at,
                created_at=created,
                updated_at=created + (timedelta(days=1) if i == 7 else timedelta(0)),
                attachment_count=len(attachments),
                attachments=attachments,
                **{k: v for k, v in vars(fields).items() if k != "occurred_at"},
            )
        )
    return notes
