"""One colour per service, the same in every chart."""

SERVICE_COLORS = {
    "frontend": "#4C78A8",
    "checkout": "#F58518",
    "inventory": "#54A24B",
    "payment": "#B279A2",
    "user": "#9D9D9D",
}
_FALLBACK = ["#72B7B2", "#EECA3B", "#FF9DA6", "#9D755D", "#BAB0AC"]
ERROR_COLOR = "#D62728"


def service_color(service: str) -> str:
    if service in SERVICE_COLORS:
        return SERVICE_COLORS[service]
    return _FALLBACK[sum(map(ord, service)) % len(_FALLBACK)]
