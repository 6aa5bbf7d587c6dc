"""Every request and response body of the sync API, as marshmallow schemas.

The OpenAPI document (``/api/v1/openapi.json``) is generated from these.
"""

from __future__ import annotations

import re

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from ..services.push_subscriptions import AUTH_PATTERN, P256DH_PATTERN

MAX_INT = 2**31 - 1  # the database's INTEGER; larger numbers can only be mistakes
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
#: A key of ``text_languages``: the JSON Pointer of a free-text answer.
TEXT_LANGUAGE_KEY = r"^/"


class Matches(validate.Regexp):
    """The whole value matches the pattern: marshmallow's ``Regexp`` uses ``re.match``, where
    ``$`` also matches before a final newline, so "<uuid>\\n" passed as an id (stored, listed,
    and never found again by its link). The pattern stays as written for the OpenAPI document."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def whole_match(pattern: str, value: str) -> bool:
    """Whether all of ``value`` matches ``pattern`` (see Matches)."""
    return re.fullmatch(pattern, value) is not None


class WholeNumber(fields.Integer):
    """A JSON integer: ``3`` or ``3.0`` (JSON Schema counts both), never ``"3"``, ``3.5`` or
    ``true``. apispec documents it as ``integer``, which is exactly this."""

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class JsonBoolean(fields.Boolean):
    """A JSON ``true`` or ``false``, nothing else (``0``, ``0.0``, ``"yes"`` are refused: Python
    counts ``0.0 == False``, so a set of falsy values would let them through)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ResponsePutSchema(Schema):
    """A response as the phone sends it (``PUT /responses/{id}``)."""

    questionnaire = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = WholeNumber(required=True, strict=True, validate=validate.Range(1, MAX_INT))
    status = fields.String(required=True, validate=validate.OneOf(["draft", "submitted"]))
    answers = fields.Dict(keys=fields.String(), required=True)
    base_revision = WholeNumber(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, MAX_INT)
    )
    saved_at = fields.AwareDateTime(load_default=None, allow_none=True)
    text_languages = fields.Dict(
        keys=fields.String(validate=validate.Regexp(TEXT_LANGUAGE_KEY)),  # a prefix
        values=fields.String(validate=Matches(r"^[a-z]{2,3}(_[A-Z]{2})?$")),
        load_default=None,
        allow_none=True,
        metadata={"description": "The language each free-text answer was typed in"},
    )
    device = fields.String(
        load_default=None,
        allow_none=True,
        validate=Matches(r"^[A-Za-z0-9_-]{8,64}$"),
        metadata={
            "description": "An id the phone made for itself (with sequence: see docs; "
            "without a sequence it is not read)"
        },
    )
    sequence = WholeNumber(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(1, MAX_INT),
        metadata={
            "description": "The phone's edit counter for this response when it sent it; a "
            "request older than one already stored from the same device changes nothing"
        },
    )


class BatchItemSchema(ResponsePutSchema):
    id = fields.String(required=True, validate=Matches(UUID_PATTERN))


class BatchEntrySchema(Schema):
    """One response in a batch: a BatchItem (a PUT body and its id). The batch reads only its
    id here, so that its result can name it; the rest is checked on its own, and an entry
    refused is answered in its result (422) while the others are stored."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=Matches(UUID_PATTERN))


class BatchSchema(Schema):
    """Several responses in one request; each is stored (or refused) on its own."""

    responses = fields.List(
        fields.Nested(BatchEntrySchema), required=True, validate=validate.Length(min=1, max=25)
    )
    participant = WholeNumber(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(1, MAX_INT),
        metadata={
            "description": "Whose answers these are on the phone; when it is not the signed-in "
            "participant, nothing is stored (409, code `participant`)"
        },
    )


class ReceiptSchema(Schema):
    """The server's acknowledgement: this id is stored at this revision."""

    id = fields.String(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True)
    received_at = fields.AwareDateTime(required=True)
    answers = fields.Dict(required=True)
    conflicts = fields.List(fields.String(), required=True)
    merged = fields.Boolean(required=True)
    superseded = fields.Boolean(
        required=True,
        metadata={"description": "A newer request from the same phone was stored already"},
    )


class FieldErrorSchema(Schema):
    pointer = fields.String(required=True, metadata={"description": "JSON Pointer into the body"})
    code = fields.String(
        required=True,
        metadata={
            "description": "For an answer, the rule it breaks (required, type, choice, "
            "maximum, ...); for a field of the body, required, null, unknown or invalid"
        },
    )
    detail = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details, with one message per field in the participant's language."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    code = fields.String(
        metadata={
            "description": "Why a response was refused: revision (unknown base: rebase "
            "onto `current`), submitted, version, answers, questionnaire, response, participant "
            "(the answers belong to someone else than the signed-in participant)"
        }
    )
    current = fields.Nested(
        "CurrentStateSchema",
        metadata={"description": "On 409: the response as stored now, to rebase onto"},
    )


class CurrentStateSchema(Schema):
    revision = fields.Integer(required=True)
    status = fields.String(required=True)
    answers = fields.Dict(required=True)


class BatchResultSchema(Schema):
    id = fields.String(required=True)
    status = fields.Integer(required=True)
    receipt = fields.Nested(ReceiptSchema, allow_none=True)
    problem = fields.Nested(ProblemSchema, allow_none=True)


class BatchResponseSchema(Schema):
    results = fields.List(fields.Nested(BatchResultSchema), required=True)


class ParticipantSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    language = fields.String(required=True)
    show_norwegian = fields.Boolean(required=True)


class PreferencesSchema(Schema):
    """What the participant chose on the phone: Norwegian beside their language, or not."""

    show_norwegian = JsonBoolean(required=True)


class QuestionnaireRefSchema(Schema):
    slug = fields.String(required=True)
    audience = fields.String(required=True)
    version = fields.Integer(required=True)
    title = fields.String(required=True)
    document_url = fields.String(required=True)
    etag = fields.String(required=True)
    #: The languages participants are offered for this version; the document of any other
    #: language comes in the nearest offered one (its ``lang`` says which).
    languages = fields.List(fields.String(), required=True)


class MessageSchema(Schema):
    """A message from staff to the participant about one response."""

    id = fields.Integer(required=True)
    body = fields.String(required=True)
    author = fields.String(required=True, metadata={"description": "Who wrote it (staff name)"})
    at = fields.AwareDateTime(required=True)
    edited_at = fields.AwareDateTime(
        required=True, allow_none=True, metadata={"description": "When its author changed it"}
    )


class ResponseSummarySchema(Schema):
    id = fields.String(required=True)
    questionnaire = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    revision = fields.Integer(required=True)
    updated_at = fields.AwareDateTime(required=True)
    submitted_at = fields.AwareDateTime(allow_none=True)
    review_status = fields.String(required=True)
    answers = fields.Dict(required=True)
    follow_up_message = fields.String(
        required=True, metadata={"description": "Why the counsellor opened it again, or ''"}
    )
    moved_from_version = fields.Integer(
        allow_none=True,
        metadata={"description": "The version this unfinished response was moved from to "
                  "``version`` (its answers that did not fit stay there), or null"},
    )  # fmt: skip
    new_questions = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Questions ``version`` added since ``moved_from_version``"},
    )

    messages = fields.List(
        fields.Nested(MessageSchema),
        required=True,
        metadata={"description": "Messages from staff about this response, oldest first"},
    )


class ReadSchema(Schema):
    """A member of staff read the participant's data (from the audit log; never answers)."""

    at = fields.AwareDateTime(required=True)
    by = fields.String(required=True, metadata={"description": "Who read it (staff name)"})
    what = fields.String(
        required=True,
        validate=validate.OneOf(["participant", "response", "export"]),
        metadata={
            "description": "participant: their page (with the list of their answers); "
            "response: the answers to one questionnaire; export: a download of all their data"
        },
    )
    response = fields.String(
        required=True, allow_none=True, metadata={"description": "For `response`: its id"}
    )


class SharedResourceSchema(Schema):
    """A resource the counsellor shared, in the participant's language (bokmål fallback)."""

    title = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "An http(s) address"})
    description = fields.String(required=True)
    note = fields.String(
        required=True, metadata={"description": "The counsellor's personal note; may be empty"}
    )
    shared_at = fields.AwareDateTime(required=True)
    shared_by = fields.String(required=True, metadata={"description": "The counsellor's name"})


class NextStepSchema(Schema):
    """A step of the participant's follow-up plan that the counsellor shows them."""

    id = fields.Integer(required=True)
    goal = fields.String(required=True)
    action = fields.String(required=True)
    responsible = fields.String(
        required=True, validate=validate.OneOf(["participant", "counsellor", "other"])
    )
    due_on = fields.Date(required=True, allow_none=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["planned", "in_progress", "done", "cancelled"])
    )


class MeSchema(Schema):
    """What the participant has to fill in, and what the server has of theirs."""

    participant = fields.Nested(ParticipantSchema, required=True)
    questionnaires = fields.List(fields.Nested(QuestionnaireRefSchema), required=True)
    responses = fields.List(fields.Nested(ResponseSummarySchema), required=True)
    reads = fields.List(
        fields.Nested(ReadSchema),
        required=True,
        metadata={"description": "Who of the staff read the participant's data, newest first"},
    )
    shared_resources = fields.List(
        fields.Nested(SharedResourceSchema),
        required=True,
        metadata={"description": "Resources the counsellor shared, newest first"},
    )
    next_steps = fields.List(
        fields.Nested(NextStepSchema),
        required=True,
        metadata={"description": "Plan steps shown to the participant, by due date"},
    )


class PhoneKeySchema(Schema):
    """The key the phone encrypts the participant's stored answers with (docs/privacy.md)."""

    participant = fields.Integer(required=True)
    key = fields.String(
        required=True, metadata={"description": "32 bytes, base64url without padding (AES-256)"}
    )


class DocumentSchema(Schema):
    """A questionnaire version localized for one language, with country/language names."""

    slug = fields.String(required=True)
    version = fields.Integer(required=True)
    lang = fields.String(required=True)
    dir = fields.String(required=True)
    document = fields.Dict(required=True)
    names = fields.Dict(
        keys=fields.String(), values=fields.List(fields.List(fields.String())), required=True
    )
    audio = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Recorded clips reading questions aloud: question id -> URL"},
    )


class PushKeySchema(Schema):
    """The server's VAPID public key, for ``pushManager.subscribe`` (docs/notifications.md)."""

    public_key = fields.String(
        required=True,
        metadata={"description": "applicationServerKey: a P-256 point, 65 bytes, base64url"},
    )


class PushSubscriptionStateSchema(Schema):
    """Where this device's (this sign-in's) pushes go, as a digest: the phone compares it
    with its browser's subscription to say whether notifications are on."""

    endpoint_sha256 = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "SHA-256 (hex) of the endpoint pushes go to, or null: none is kept"
        },
    )


class PushSubscriptionKeysSchema(Schema):
    p256dh = fields.String(
        required=True,
        validate=Matches(P256DH_PATTERN),
        metadata={"description": "The browser's P-256 public key (65 bytes, base64url)"},
    )
    auth = fields.String(
        required=True,
        validate=Matches(AUTH_PATTERN),
        metadata={"description": "The browser's auth secret (16 bytes, base64url)"},
    )


class PinProofSchema(Schema):
    """What the phone derives from the participant's PIN (services/phone_pins.py): never the PIN."""

    proof = fields.String(
        required=True,
        validate=Matches(r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"),
        metadata={"description": "32 bytes, base64url without padding"},
    )


class PinCheckSchema(Schema):
    """The outcome of a PIN check the server accepted."""

    right = fields.Boolean(required=True)


class PushSubscriptionSchema(Schema):
    """A browser's ``PushSubscription.toJSON()``: stored for this device (its session)."""

    endpoint = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1024),
        metadata={
            "description": "The push service's URL for this browser: HTTPS, on the host of a "
            "push service this server accepts (the pattern)"
        },
    )
    expirationTime = fields.Float(  # noqa: N815 (the browser's own name)
        allow_none=True, load_default=None, allow_nan=False
    )
    keys = fields.Nested(PushSubscriptionKeysSchema, required=True)


NOTIFICATION_ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"


class InboxEntrySchema(Schema):
    """One notification, with its text in the reader's language."""

    id = fields.String(required=True, metadata={"description": "The id a push carries"})
    kind = fields.String(required=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(required=True, allow_none=True)
    response = fields.String(
        required=True, allow_none=True, metadata={"description": "The response it is about"}
    )
    questionnaire = fields.String(
        required=True, allow_none=True, metadata={"description": "The questionnaire's slug"}
    )


class InboxSchema(Schema):
    """The participant's notifications, newest first."""

    entries = fields.List(fields.Nested(InboxEntrySchema), required=True)
