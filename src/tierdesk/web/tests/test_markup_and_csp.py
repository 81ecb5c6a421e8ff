"""The CSP allows no inline script; the templates must never need one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").rglob("*.html"))
PAGES = ["/queues/mine", "/queues/", "/queues/breaching", "/manage/", "/org/chart"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_handler_or_style(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text, re.I), "on* event handler attribute"
    assert not re.search(r"\sstyle\s*=", text, re.I), "inline style attribute"
    assert not re.search(r"\shx-on", text), "hx-on needs eval"
    assert not re.search(r"https?://", text), "every asset is local"


def test_the_htmx_config_disables_eval_and_injected_styles() -> None:
    base = (Path(__file__).resolve().parents[1] / "templates/web/base.html").read_text()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', base)
    assert config is not None
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)


def test_htmx_is_vendored_with_its_licence() -> None:
    static = Path(__file__).resolve().parents[1] / "static/web"
    assert (static / "htmx.min.js").stat().st_size > 30_000
    assert "Zero-Clause BSD" in (static / "htmx.LICENSE").read_text()


def assert_strict_csp(response) -> None:
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_sent_with_a_csp_that_forbids_inline_script(org, client_as, url) -> None:
    response = client_as(org.admin).get(url)
    assert response.status_code == 200
    assert_strict_csp(response)


@pytest.mark.django_db
def test_sign_in_and_error_pages_carry_the_same_csp(org, client, client_as) -> None:
    assert_strict_csp(client.get("/login/"))
    missing = client_as(org.admin).get("/tickets/TD-404404")
    assert missing.status_code == 404
    assert_strict_csp(missing)


@pytest.mark.django_db
def test_static_assets_are_served_without_a_collect_step(client) -> None:
    for path in ["/static/web/app.css", "/static/web/htmx.min.js", "/static/web/app.js"]:
        response = client.get(path)
        assert response.status_code == 200, path


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# (text, background) pairs the stylesheet puts together, by custom property or literal.
CSS_PAIRS = [
    ("--ink", "--bg"),
    ("--ink", "--note-bg"),
    ("--muted", "--bg"),
    ("--muted", "--soft"),
    ("--muted", "--note-bg"),
    ("--accent", "--bg"),
    ("--accent", "--soft"),
    ("#ffffff", "--accent"),
    ("#ffffff", "--accent-dark"),
    ("--ok-ink", "--ok-bg"),
    ("--warn-ink", "--warn-bg"),
    ("--bad-ink", "--bad-bg"),
    ("#ffffff", "--bad-ink"),
    ("#ffffff", "#7a5200"),
    ("#ffffff", "#6a3fb5"),
    ("#ffffff", "#20242b"),
    ("#e6e6e6", "#20242b"),
    ("#ffffff", "#3a404b"),
]


def test_text_colours_in_the_stylesheet_meet_4_5_to_1() -> None:
    css = (Path(__file__).resolve().parents[1] / "static/web/app.css").read_text()
    props = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6});", css))

    def colour(name: str) -> str:
        return props[name] if name.startswith("--") else name

    for text, background in CSS_PAIRS:
        light, dark = sorted(
            (_luminance(colour(text)), _luminance(colour(background))), reverse=True
        )
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (text, background)
