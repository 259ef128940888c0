"""Message texts of the built-in templates, localised EN/PL/RU/ZH by the customer's
``language`` (anything else → English); team messages (``--to``) are in English.

Texts are Jinja2 templates rendered in a :class:`jinja2.sandbox.SandboxedEnvironment` (a
template can read the context it is given and nothing else); the HTML part is rendered with
autoescape, so a value such as a customer id can never inject markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.automations.rules import Rule

__all__ = ["LANGUAGES", "Message", "render", "subject_for"]

LANGUAGES = ("en", "pl", "ru", "zh")

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
    lang = (language or "en").lower()[:2]
    if rule.team or (rule.template, lang) not in TEXTS:
        return "en"
    return lang


def _texts(rule: Rule, language: str | None) -> tuple[str, str]:
    return TEXTS[(rule.template, language_of(rule, language))]


def subject_for(rule: Rule, language: str | None, customer_id: str, **extra: Any) -> str:
    """The subject line (rendered with what is known when planning)."""
    subject, _ = _texts(rule, language)
    context = {"customer_id": customer_id, "occurrence": "", "ends_on": "", **extra}
    return _TEXT_ENV.from_string(subject).render(**context)


def render(rule: Rule, language: str | None, context: dict[str, Any]) -> Message:
    """Subject, text and HTML of ``rule``'s message for ``context`` (customer_id, occurrence,
    event_at, ends_on, delay, survey_url, unsubscribe_url)."""
    lang = language_of(rule, language)
    subject_t, body_t = _texts(rule, lang)
    full = {"survey_url": "", "ends_on": "", "delay": "", "unsubscribe_url": None, **context}
    subject = _TEXT_ENV.from_string(subject_t).render(**full)
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
