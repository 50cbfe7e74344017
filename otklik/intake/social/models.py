"""Social-network sources, the posts found in them and the replies published under them.

A source's token is a secret of the region: it is stored to call the network, shown back only as
its last characters, and never written into a log, an error text or an API answer.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Network(models.TextChoices):
    VK = "vk", _("VK")
    TELEGRAM = "telegram", _("Telegram")
    OK = "ok", _("Odnoklassniki")
    FEED = "feed", _("RSS/Atom/JSON feed")


class SourceKind(models.TextChoices):
    SEARCH = "search", _("search query")
    WALL = "wall", _("wall of a page or community")
    COMMENTS = "comments", _("comments under the page's posts")
    CHAT = "chat", _("chat or channel discussion")


# Where each network's API lives unless the source names a proxy.
DEFAULT_API_BASE = {
    Network.VK: "https://api.vk.com/method/",
    Network.TELEGRAM: "https://api.telegram.org/",
    Network.OK: "https://api.ok.ru/fb.do",
    Network.FEED: "",
}


def mask_secret(secret: str) -> str:
    """What staff see of a token: enough to tell two tokens apart, too little to use one."""
    if not secret:
        return ""
    return "…" + secret[-4:] if len(secret) > 12 else "…"


class _Connected:
    """What a record with a network, an API base and a token shows of them."""

    network: str
    api_base: str
    token: str

    @property
    def token_masked(self) -> str:
        return mask_secret(self.token)

    @property
    def base_url(self) -> str:
        return self.api_base or DEFAULT_API_BASE.get(Network(self.network), "")


class Source(_Connected, models.Model):
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    name = models.CharField(_("name"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices)
    target = models.CharField(_("target"), max_length=1000,
                              help_text=_("The search query, the owner id, the chat id or the feed address."))
    api_base = models.CharField(_("API base URL"), max_length=500, blank=True,
                                help_text=_("Leave empty for the network's own address; set it to work through a "
                                            "proxy."))
    # OK signs requests with an application key pair besides the token: "app_key:secret_key:token".
    token = models.TextField(_("token"), blank=True)
    territory = models.ForeignKey("registry.Territory", verbose_name=_("territory"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    organization = models.ForeignKey("registry.Organization", verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="social_sources")
    is_active = models.BooleanField(_("active"), default=True)
    fetch_every_minutes = models.PositiveSmallIntegerField(_("fetch every, minutes"), default=5)
    # The stored position: newest ids, offsets or update ids seen, per network (see each connector).
    cursor = models.JSONField(_("position"), default=dict, blank=True)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A source told to wait by the network (a rate limit) is skipped until then.
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    # Held by the worker fetching the source now: two workers never read the same source at once.
    fetching_until = models.DateTimeField(_("being fetched until"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("social source")
        verbose_name_plural = _("social sources")
        ordering = ["network", "name"]

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.name}"

    def __repr__(self) -> str:
        return f"<Source {self.pk} {self.network} {self.name!r} token={mask_secret(self.token)}>"


class PostState(models.TextChoices):
    NEW = "new", _("new")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    DUPLICATE = "duplicate", _("duplicate")
    IGNORED = "ignored", _("not a problem or not our territory")


class Post(models.Model):
    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="posts")
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    # The network's own id of the post or comment, unique within the network ("owner_post" for VK).
    external_id = models.CharField(_("id in the network"), max_length=255)
    # What the reply is attached to (VK owner and post, a Telegram chat, an OK topic) and where.
    thread = models.JSONField(_("reply address"), default=dict)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    author = models.CharField(_("author"), max_length=255, blank=True)
    author_id = models.CharField(_("author's id"), max_length=64, blank=True)
    text = models.TextField(_("text"))
    posted_at = models.DateTimeField(_("posted at"))
    fetched_at = models.DateTimeField(_("fetched at"), db_index=True)
    raw = models.JSONField(_("raw payload"))
    normalized = models.TextField(_("normalised text"), blank=True)
    fingerprint = models.CharField(_("text fingerprint"), max_length=64, db_index=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=PostState.choices, default=PostState.NEW,
                             db_index=True)
    duplicate_of = models.ForeignKey("self", verbose_name=_("duplicate of"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    is_problem = models.BooleanField(_("describes a problem"), default=False)
    in_territory = models.BooleanField(_("in the region's territory"), default=False)
    suggested_category = models.ForeignKey("registry.Category", verbose_name=_("suggested category"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested_territory = models.ForeignKey("registry.Territory", verbose_name=_("suggested territory"), null=True,
                                            blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested_organization = models.ForeignKey("registry.Organization", verbose_name=_("suggested organisation"),
                                               null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested_high_importance = models.BooleanField(_("suggested high importance"), default=False)
    appeal = models.OneToOneField("appeals.Appeal", verbose_name=_("appeal"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="social_post")
    decided_by = models.ForeignKey("accounts.User", verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.TextField(_("reason of the rejection"), blank=True)

    class Meta:
        verbose_name = _("social post")
        verbose_name_plural = _("social posts")
        ordering = ["-posted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["network", "external_id"], name="social_post_once")]
        indexes = [models.Index(fields=["state", "fetched_at"])]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.external_id}"


class PostEvent(models.Model):
    """What happened to a post (fetched, accepted, rejected, replied): the moderator's trail."""

    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=32)
    actor = models.ForeignKey("accounts.User", verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("social post event")
        verbose_name_plural = _("social post events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class AttemptState(models.TextChoices):
    PENDING = "pending", _("to send")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will be retried")
    UNKNOWN = "unknown", _("outcome unknown, check by hand")


class AnswerKind(models.TextChoices):
    INTERMEDIATE = "intermediate", _("intermediate answer")
    FINAL = "final", _("answer")


class PublishAttempt(models.Model):
    """The idempotency record of one answer of one appeal under its post: written (``sending``)
    before the network is called and settled after it, so an answer goes out once."""

    appeal = models.ForeignKey("appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE,
                               related_name="social_replies")
    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="replies")
    answer = models.CharField(_("answer"), max_length=16, choices=AnswerKind.choices)
    # The event of the answer: a reconsidered appeal's new answer is a new reply.
    event_id = models.BigIntegerField(_("event"))
    # A marker appended to the reply text: it finds the reply when comments are read back.
    marker = models.CharField(_("marker"), max_length=32)
    text = models.TextField(_("reply text"))
    state = models.CharField(_("state"), max_length=16, choices=AttemptState.choices, default=AttemptState.PENDING,
                             db_index=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True)
    started_at = models.DateTimeField(_("last try started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reply_id = models.CharField(_("reply id"), max_length=255, blank=True)
    reply_url = models.URLField(_("reply link"), max_length=1000, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # The last try may have reached the network (a timeout, a crash): read the comments back first.
    verify_first = models.BooleanField(_("check under the post before sending again"), default=False)

    class Meta:
        verbose_name = _("social reply")
        verbose_name_plural = _("social replies")
        constraints = [models.UniqueConstraint(fields=["appeal", "event_id"], name="social_reply_once")]

    def __str__(self) -> str:
        return f"{self.appeal_id}/{self.answer}: {self.state}"


class OfficialAccount(_Connected, models.Model):
    """An organisation's official page in a network (seed 003 §2.1: every body keeps its accounts and fills
    them daily). Its newest post's time is fetched; a page silent longer than the region's period is listed
    for the regional coordinator."""

    organization = models.ForeignKey("registry.Organization", verbose_name=_("organisation"),
                                     on_delete=models.CASCADE, related_name="official_accounts")
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    target = models.CharField(_("page"), max_length=1000,
                              help_text=_("VK: the owner id (-group id); OK: the group id; feed: its address."))
    url = models.URLField(_("link"), max_length=1000, blank=True)
    api_base = models.CharField(_("API base URL"), max_length=500, blank=True)
    token = models.TextField(_("token"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_post_at = models.DateTimeField(_("newest post at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("official account")
        verbose_name_plural = _("official accounts")
        ordering = ["organization__name", "network"]
        constraints = [models.UniqueConstraint(fields=["network", "target"], name="official_account_once")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_network_display()}"


class SocialSettings(models.Model):
    """The region's rules of the social intake (one row)."""

    silence_days = models.PositiveSmallIntegerField(
        _("an official account is silent after, days"), default=3,
        help_text=_("Accounts without a post for longer are listed for the regional coordinator."))

    class Meta:
        verbose_name = _("social networks settings")
        verbose_name_plural = _("social networks settings")

    def __str__(self) -> str:
        return str(_("social networks settings"))
