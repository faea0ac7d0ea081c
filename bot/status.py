"""Every status, reason, origin and role the store keeps as a short string, as `StrEnum`s.

A member is a `str` equal to its value: it is written to the database and to JSON as that value, compares equal to
the plain string read back, and works as a key of a dict keyed by plain strings. The Vietnamese names staff read
for them are in bot/labels.py. Standard library only: the gateway, the action server and the console all import it.
"""

from __future__ import annotations

from enum import StrEnum


class HandoffStatus(StrEnum):
    """`handoffs.status`: a resident's request to talk to a person of the community digital team."""

    WAITING = "waiting"  # asked for a person; nobody has taken the conversation yet (the bot still answers)
    TAKEN = "taken"  # a team member has the conversation: the bot stays silent, the resident's messages are held
    RELEASED = "released"  # given back to the bot (by the team, or automatically after the idle time)


OPEN_HANDOFF = (HandoffStatus.WAITING, HandoffStatus.TAKEN)


class GroupStatus(StrEnum):
    """`question_groups.status`: a group of unanswered questions on the team's work list."""

    OPEN = "open"  # waiting for the team to answer
    ANSWERED = "answered"  # an FAQ was written from it (kept as history)
    OUT_OF_SCOPE = "out_of_scope"  # the team decided the bot should not answer (similar questions still join it)


JOINABLE = (GroupStatus.OPEN, GroupStatus.OUT_OF_SCOPE)


class NewsStatus(StrEnum):
    """`news.status`: an announcement, draft → sending → sent."""

    DRAFT = "draft"  # being written; may be edited or deleted
    SENDING = "sending"  # claimed by one send (which may be resumed once it goes stale)
    SENT = "sent"  # every subscriber was tried; the text is history


class ChannelPost(StrEnum):
    """`news.channel_status`: what became of the post to the commune's Telegram channel."""

    NONE = ""  # not decided yet (the send has not reached the channel step)
    POSTING = "posting"  # claimed for posting; stays so if the send was interrupted right then
    QUEUED = "queued"  # put in the gateway's outbox
    SKIPPED = "skipped"  # could not be queued (no channel configured, error): see `channel_note`
    OFF = "off"  # the editor chose not to post to the channel


class DeliveryStatus(StrEnum):
    """`news_deliveries.status`: one announcement to one subscriber."""

    QUEUED = "queued"  # put in the gateway's outbox (its outbox row tells whether it went out)
    SKIPPED = "skipped"  # not queued: the platform no longer allows writing to them, or an error (see `reason`)


class InboxStatus(StrEnum):
    """`inbox.status` (connectors/queue.py): a resident's message."""

    PENDING = "pending"  # waiting for (or in) the worker
    DONE = "done"  # answered: its reply parts are in the outbox
    HELD = "held"  # the team had the conversation: kept for them, the bot did not answer


class MessageKind(StrEnum):
    """`inbox.kind` and `channel_events.kind`: what a resident sent or did on a platform. The bot reads text (and
    taps on its buttons); anything else gets a polite reply and is counted by kind, its content never stored."""

    TEXT = "text"  # typed text or a button tap
    VOICE = "voice"  # a voice note or another audio clip
    IMAGE = "image"  # a picture (or a GIF)
    VIDEO = "video"
    STICKER = "sticker"
    FILE = "file"  # a document or any other attachment
    LOCATION = "location"
    OTHER = "other"  # something the platform marks as unsupported (a contact card, a poll…)
    FOLLOW = "follow"  # followed the Zalo OA / tapped "Get started" on Messenger / /start on Telegram
    UNFOLLOW = "unfollow"  # unfollowed the Zalo OA / blocked the Telegram bot: their news subscription ends


NON_TEXT = (
    MessageKind.VOICE,
    MessageKind.IMAGE,
    MessageKind.VIDEO,
    MessageKind.STICKER,
    MessageKind.FILE,
    MessageKind.LOCATION,
    MessageKind.OTHER,
)


class OutboxStatus(StrEnum):
    """`outbox.status` (connectors/queue.py): one message part to send."""

    PENDING = "pending"  # waiting to be sent (or, for the web chat, to be fetched by the widget)
    SENT = "sent"  # the platform took it (or the widget fetched it)
    UNDELIVERABLE = "undeliverable"  # the platform refuses it for good (outside its window, blocked…): see `error`


class Origin(StrEnum):
    """`outbox.origin`: who wrote a queued message."""

    BOT = "bot"  # the assistant's reply to a resident's message
    TEAM = "team"  # a team member, from the console (hand-offs, answers to question groups)
    NEWS = "news"  # an announcement (to a subscriber or the commune's Telegram channel)


class Reason(StrEnum):
    """`Answer.reason` and `questions.reason`: why the assistant answered a question or not."""

    ANSWERED = "answered"  # answered from the knowledge
    NO_MATCH = "no_match"  # the knowledge has no answer good enough
    OUT_OF_SCOPE = "out_of_scope"  # not something the assistant answers (unrelated topic, wrongdoing)
    PERSONAL_DATA = "personal_data"  # asks for someone's personal data: refused
    WHICH_COMMUNE = "which_commune"  # "xã mình" asked with no home commune set (TROLYSO_COMMUNE): asked back
    EMPTY = "empty"  # nothing to answer (an empty message, only numbers or filler words); never stored
    SCAM_ALERT = "scam_alert"  # the message shows a scam red flag: answered with a warning and the scam guide


class Role(StrEnum):
    """`users.role`: what a console account may do; each role includes the ones before it."""

    TEAM = "team"  # the community digital team: unanswered questions, hand-offs, feedback, reports
    EDITOR = "editor"  # content staff: also knowledge and news
    ADMIN = "admin"  # also accounts


class AuditAction(StrEnum):
    """`audit_log.action`: what a console account (or the `trolyso user` command) did."""

    LOGIN = "login"  # a successful console login
    LOGIN_FAILED = "login_failed"  # a wrong password or an unknown or disabled account (target: the name tried)
    LOGOUT = "logout"
    GROUP_ANSWERED = "group_answered"  # an FAQ written from a question group (target: group id)
    GROUP_OUT_OF_SCOPE = "group_out_of_scope"
    GROUP_REOPENED = "group_reopened"
    NEWS_SENT = "news_sent"  # target: news id
    HANDOFF_TAKEN = "handoff_taken"  # target: hand-off id
    HANDOFF_REPLIED = "handoff_replied"
    HANDOFF_RELEASED = "handoff_released"
    KNOWLEDGE_UPLOADED = "knowledge_uploaded"  # target: the file's path under knowledge/
    ACCOUNT_CREATED = "account_created"  # target: the account
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_ENABLED = "account_enabled"
    PASSWORD_CHANGED = "password_changed"
    SESSIONS_ENDED = "sessions_ended"
    DATA_PURGED = "data_purged"  # residents' data past the retention period deleted (detail: counts per table)
    RESIDENT_ERASED = "resident_erased"  # a resident had their data deleted ("xóa dữ liệu của tôi"; detail: counts)
