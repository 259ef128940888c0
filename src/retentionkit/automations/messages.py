"""Message texts of the built-in templates, localised EN/PL/RU/ZH by the customer's
``language`` (anything else → English); team messages (``--to``) are in English.

A rule's own texts (``--subject`` / ``--body-file``, stored in ``params["subject"]`` and
``params["body"]`` as language → Jinja2 source, ``""`` = every language) come first: the text
for the customer's language, else the one for every language, else the template's built-in
text in that language. Custom team rules without texts get a generic English text naming the
event. The variables a text may use are :func:`variables` of its trigger; a text that does not
parse or names another variable is refused when the rule is added (:func:`check_texts`).

Texts are Jinja2 templates rendered in a :class:`jinja2.sandbox.SandboxedEnvironment` (a
template can read the context it is given and nothing else); the HTML part is rendered with
autoescape, so a value such as a customer id can never inject markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from retentionkit.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.automations.rules import Rule

__all__ = [
    "LANGUAGES",
    "Message",
    "check_texts",
    "prefixed_texts",
    "render",
    "subject_for",
    "variables",
]

LANGUAGES = ("en", "pl", "ru", "zh")


def prefixed_texts(texts: str | dict[str, str] | None) -> tuple[str, ...]:
    """A text or ``{language: text}`` (``""``: every language) → the ``LANG=text`` sequence of
    an add-rule request (``--subject``, ``--body-file``)."""
    if texts is None:
        return ()
    if isinstance(texts, str):
        return (texts,)
    return tuple(f"{lang}={text}" if lang else text for lang, text in texts.items())


#: (template, language) → (subject, text body). Team templates have only "en".
TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("feedback_request", "en"): (
        "How was your order?",
        "Hello,\n\nthank you for your recent order. Would you tell us how it went? "
        "It takes less than a minute:\n{{ survey_url }}\n\nThank you!",
    ),
    ("feedback_request", "pl"): (
        "Jak oceniasz swoje zamówienie?",
        "Dzień dobry,\n\ndziękujemy za ostatnie zamówienie. Czy zechcesz nam powiedzieć, "
        "jak wypadło? Zajmie to mniej niż minutę:\n{{ survey_url }}\n\nDziękujemy!",
    ),
    ("feedback_request", "ru"): (
        "Как вам ваш заказ?",
        "Здравствуйте!\n\nСпасибо за ваш недавний заказ. Расскажите, пожалуйста, как всё "
        "прошло — это займёт меньше минуты:\n{{ survey_url }}\n\nСпасибо!",
    ),
    ("feedback_request", "zh"): (
        "您对这次订单满意吗？",
        "您好！\n\n感谢您最近的订购。能否花不到一分钟的时间告诉我们您的体验？\n"
        "{{ survey_url }}\n\n谢谢！",
    ),
    ("renewal_reminder", "en"): (
        "Your subscription term ends on {{ ends_on }}",
        "Hello,\n\nyour current subscription term ends on {{ ends_on }}. If you have any "
        "questions about renewing, just reply to this email — we're happy to help.",
    ),
    ("renewal_reminder", "pl"): (
        "Twoja subskrypcja kończy się {{ ends_on }}",
        "Dzień dobry,\n\nobecny okres Twojej subskrypcji kończy się {{ ends_on }}. Jeśli masz "
        "pytania dotyczące przedłużenia, po prostu odpowiedz na tę wiadomość — chętnie pomożemy.",
    ),
    ("renewal_reminder", "ru"): (
        "Ваша подписка заканчивается {{ ends_on }}",
        "Здравствуйте!\n\nТекущий срок вашей подписки заканчивается {{ ends_on }}. Если у вас "
        "есть вопросы о продлении, просто ответьте на это письмо — мы с радостью поможем.",
    ),
    ("renewal_reminder", "zh"): (
        "您的订阅将于 {{ ends_on }} 到期",
        "您好！\n\n您当前的订阅将于 {{ ends_on }} 到期。如对续订有任何疑问，直接回复本邮件即可，"
        "我们很乐意为您提供帮助。",
    ),
    ("win_back", "en"): (
        "We miss you",
        "Hello,\n\nit's been a while since your last order, and we'd love to see you again. "
        "If something didn't work for you, just reply and tell us.",
    ),
    ("win_back", "pl"): (
        "Tęsknimy za Tobą",
        "Dzień dobry,\n\nod Twojego ostatniego zamówienia minęło już trochę czasu. Bardzo "
        "chętnie znów Cię u nas zobaczymy — a jeśli coś Ci nie odpowiadało, po prostu odpisz "
        "i daj nam znać.",
    ),
    ("win_back", "ru"): (
        "Мы по вам скучаем",
        "Здравствуйте!\n\nВы давно ничего у нас не заказывали, и мы будем рады видеть вас "
        "снова. Если что-то пошло не так, просто ответьте на это письмо и расскажите нам.",
    ),
    ("win_back", "zh"): (
        "好久不见，我们很想念您",
        "您好！\n\n距离您上次下单已经有一段时间了，我们非常期待再次为您服务。"
        "如果之前有什么不满意的地方，欢迎直接回复告诉我们。",
    ),
    ("ticket_reminder", "en"): (
        "Ticket {{ occurrence }} is still unresolved",
        "Ticket {{ occurrence }} from customer {{ customer_id }} was opened on {{ event_at }} "
        "UTC and is still unresolved after {{ delay }}.",
    ),
    ("detractor_follow_up", "en"): (
        "Detractor to follow up: customer {{ customer_id }}",
        "Customer {{ customer_id }} gave a score of 6 or lower (answer {{ occurrence }}, "
        "{{ event_at }} UTC). Please get in touch with them.",
    ),
}

#: Custom rules without their own texts (team emails only: customer emails need texts).
GENERIC = (
    "{{ rule }}: {{ trigger }}{% if customer_id %} for customer {{ customer_id }}{% endif %}",
    "Rule {{ rule }} fired: {{ trigger }} ({{ occurrence }}) at {{ event_at }} UTC."
    "{% if customer_id %}\nCustomer: {{ customer_id }}{% endif %}"
    "{% for name, value in details.items() %}\n{{ name }}: {{ value }}{% endfor %}",
)

#: Every text's variables, then each trigger's own (docs/automations.md has the table).
COMMON_VARIABLES = (
    "rule",
    "trigger",
    "customer_id",
    "occurrence",
    "event_at",
    "due_at",
    "ends_on",
    "delay",
    "language",
    "details",
    "unsubscribe_url",
)
TRIGGER_VARIABLES: dict[str, tuple[str, ...]] = {
    "order_placed": ("order_id", "amount"),
    "ticket_opened": ("ticket_id",),
    "ticket_unresolved": ("ticket_id",),
    "term_ending": ("term_id", "subscription_id"),
    "survey_answered": ("survey", "score"),
    "became_at_risk": ("risk", "silent_days", "usual_gap_days"),
    "kpi_crossed": ("metric", "value", "threshold", "side", "period", "period_start"),
    "goal_off_track": ("goal", "status", "current", "target", "p_hit", "evaluated_on"),
}


def variables(trigger: str, *, survey: bool = False) -> tuple[str, ...]:
    """The variables a text of a ``trigger`` rule may use (``survey_url`` with a survey)."""
    extra = ("survey_url",) if survey else ()
    return COMMON_VARIABLES + TRIGGER_VARIABLES.get(trigger, ()) + extra


def check_texts(
    trigger: str, subjects: dict[str, str], bodies: dict[str, str], *, survey: bool = False
) -> None:
    """Refuse a text that is not valid Jinja2 or names a variable its trigger does not give:
    one sentence naming the option, the language, the line and the problem."""
    allowed = set(variables(trigger, survey=survey))
    for flag, texts in (("--subject", subjects), ("--body-file", bodies)):
        for lang, source in texts.items():
            where = f"{flag}{' (' + lang + ')' if lang else ''}"
            if not source.strip():
                raise ConfigError(f"{where} is empty.")
            if flag == "--subject" and "\n" in source.strip():
                raise ConfigError(f"{where} must be one line.")
            try:
                parsed = _TEXT_ENV.parse(source)
            except TemplateSyntaxError as exc:
                raise ConfigError(
                    f"{where} is not a valid Jinja2 template: line {exc.lineno}: {exc.message}."
                ) from None
            unknown = sorted(meta.find_undeclared_variables(parsed) - allowed)
            if unknown:
                raise ConfigError(
                    f"{where} uses the undefined variable {unknown[0]!r}; trigger {trigger} "
                    f"gives: {', '.join(sorted(allowed))}."
                )
            try:
                _TEXT_ENV.from_string(source).render(**_sample(trigger, survey))
            except Exception as exc:
                raise ConfigError(
                    f"{where} fails to render with sample values: {exc}".rstrip(".") + "."
                ) from None


#: Variables holding numbers (the rest are text); the sample render uses these types.
NUMBERS = frozenset(
    {"amount", "score", "risk", "silent_days", "usual_gap_days", "value", "threshold",
     "current", "target", "p_hit"}
)  # fmt: skip


def _sample(trigger: str, survey: bool) -> dict[str, Any]:
    sample: dict[str, Any] = {
        name: 1.5 if name in NUMBERS else "x" for name in variables(trigger, survey=survey)
    }
    sample["details"] = {}
    return sample


#: The unsubscribe line of customer emails.
UNSUBSCRIBE: dict[str, str] = {
    "en": "Don't want these emails? Unsubscribe:",
    "pl": "Nie chcesz otrzymywać takich wiadomości? Wypisz się:",
    "ru": "Не хотите получать такие письма? Отписаться:",
    "zh": "不想再收到此类邮件？点此退订：",
}

_HTML = (
    "<!doctype html><html><body>"
    "{% for para in paragraphs %}<p>{% for line in para %}"
    "{% if line.startswith('http') %}<a href=\"{{ line }}\">{{ line }}</a>"
    "{% else %}{{ line }}{% endif %}{% if not loop.last %}<br>{% endif %}{% endfor %}</p>"
    "{% endfor %}"
    '{% if unsubscribe_url %}<p style="font-size:small;color:#666">{{ unsubscribe_text }} '
    '<a href="{{ unsubscribe_url }}">{{ unsubscribe_url }}</a></p>{% endif %}'
    "</body></html>"
)

_TEXT_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_HTML_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


class Message:
    """A rendered message: subject, text and HTML parts."""

    def __init__(self, subject: str, text: str, html: str) -> None:
        self.subject, self.text, self.html = subject, text, html


def language_of(rule: Rule, language: str | None) -> str:
    """The language of ``rule``'s message to a customer speaking ``language``: one of
    :data:`LANGUAGES` (team messages: en)."""
    lang = (language or "en").lower()[:2]
    if rule.team or lang not in LANGUAGES:
        return "en"
    own = rule.params.get("body", {})
    if lang in own or (rule.template, lang) in TEXTS:
        return lang
    return lang if "" in own else "en"


def _texts(rule: Rule, language: str | None) -> tuple[str, str]:
    lang = language_of(rule, language)
    builtin = TEXTS.get((rule.template, lang)) or TEXTS.get((rule.template, "en")) or GENERIC
    subjects = rule.params.get("subject", {})
    bodies = rule.params.get("body", {})
    return (
        subjects.get(lang, subjects.get("", builtin[0])),
        bodies.get(lang, bodies.get("", builtin[1])),
    )


def _context(rule: Rule, context: dict[str, Any]) -> dict[str, Any]:
    """Every variable of the rule's trigger ("" when unknown), then ``context``."""
    full: dict[str, Any] = dict.fromkeys(variables(rule.trigger, survey=True), "")
    full.update(rule=rule.name, trigger=rule.trigger, unsubscribe_url=None, details={})
    full.update(context)
    details = {
        k: v
        for k, v in context.items()
        if k in TRIGGER_VARIABLES.get(rule.trigger, ()) and v not in (None, "")
    }
    full["details"] = details
    return full


def subject_for(rule: Rule, language: str | None, customer_id: str, **extra: Any) -> str:
    """The subject line (rendered with what is known when planning)."""
    subject, _ = _texts(rule, language)
    context = _context(rule, {"customer_id": customer_id, **extra})
    context["language"] = language_of(rule, language)
    return " ".join(_TEXT_ENV.from_string(subject).render(**context).split())


def render(rule: Rule, language: str | None, context: dict[str, Any]) -> Message:
    """Subject, text and HTML of ``rule``'s message for ``context`` (customer_id, occurrence,
    event_at, ends_on, delay, survey_url, unsubscribe_url and the trigger's own values)."""
    lang = language_of(rule, language)
    subject_t, body_t = _texts(rule, lang)
    full = _context(rule, {**context, "language": lang})
    subject = " ".join(_TEXT_ENV.from_string(subject_t).render(**full).split())
    body = _TEXT_ENV.from_string(body_t).render(**full)
    text = body
    if full["unsubscribe_url"]:
        text += f"\n\n--\n{UNSUBSCRIBE[lang]} {full['unsubscribe_url']}"
    paragraphs = [p.split("\n") for p in body.split("\n\n")]
    html = _HTML_ENV.from_string(_HTML).render(
        paragraphs=paragraphs,
        unsubscribe_url=full["unsubscribe_url"],
        unsubscribe_text=UNSUBSCRIBE[lang],
    )
    return Message(subject, text + "\n", html)
