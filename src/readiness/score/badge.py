"""A README badge for the scorecard: a shields.io endpoint JSON or a self-contained SVG.

The overall badge shows the mean of the four pillars and takes the colour of the weakest pillar
(a service is as ready as its weakest pillar); a pillar badge shows that pillar. The endpoint JSON
follows https://shields.io/badges/endpoint-badge (schemaVersion 1): commit it, or publish it, and
point `https://img.shields.io/endpoint?url=...` at it.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape as xml_escape

from readiness.score.model import Pillar, Scorecard

COLORS = {5: "brightgreen", 4: "green", 3: "yellow", 2: "orange", 1: "red"}
_HEX = {"brightgreen": "#4c1", "green": "#97ca00", "yellow": "#dfb317", "orange": "#fe7d37", "red": "#e05d44"}


def badge_text(sc: Scorecard, pillar: Pillar | None = None) -> tuple[str, str, str]:
    """(label, message, colour name) of the badge."""
    if pillar is not None:
        p = next(p for p in sc.pillars if p.pillar is pillar)
        return pillar.value, f"{p.score}/5", COLORS[p.score]
    weakest = sc.weakest
    colour = COLORS[weakest.score] if weakest is not None else "lightgrey"
    return "readiness", f"{sc.overall:g}/5", colour


def shields_endpoint(sc: Scorecard, pillar: Pillar | None = None) -> str:
    """shields.io endpoint JSON."""
    label, message, colour = badge_text(sc, pillar)
    return json.dumps({"schemaVersion": 1, "label": label, "message": message, "color": colour}) + "\n"


def _width(text: str) -> int:
    """Rendered width of Verdana 11px text, estimated per character class (good to a few pixels)."""
    total = 0.0
    for ch in text:
        if ch in "ijlI.,:;|!'`":
            total += 3.2
        elif ch in "mwMW":
            total += 9.6
        elif ch.isupper() or ch.isdigit():
            total += 7.3
        elif ch == " ":
            total += 3.6
        else:
            total += 6.3
    return int(total + 10.5)


def badge_svg(sc: Scorecard, pillar: Pillar | None = None) -> str:
    """A flat badge as SVG text (no external fonts, scripts or links)."""
    label, message, colour = badge_text(sc, pillar)
    lw, mw = _width(label), _width(message)
    total = lw + mw
    fill = _HEX.get(colour, "#9f9f9f")
    lab, msg = xml_escape(label), xml_escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{lab}: {msg}"><title>{lab}: {msg}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{fill}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lw / 2:.1f}" y="14">{lab}</text><text x="{lw + mw / 2:.1f}" y="14">{msg}</text></g></svg>\n'
    )
