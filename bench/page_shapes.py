"""Article pages in the shapes real news sites serve, with their messy parts, for robustness runs.

Each shape is a function (Article, Knobs) -> HTML text: a WordPress theme, a news site with a
JSON-LD NewsArticle graph, an AMP page, a Medium-like page of hashed class names, a plain
press release, a paywall teaser, a liveblog of timestamped updates, a syndicated copy whose
rel=canonical names another host, a page of "Further reading" link lists, an FAQ page, a
page that is mostly navigation, a page in another language, and a tiny page. The messy
parts are knobs and transforms: publication dates in many formats (zero dates, the epoch,
far-future dates, RFC 822, unix epochs, empty values), missing titles, broken markup and
entity-heavy text; charsets are applied when the page is encoded (bench/varied_corpus.py).

Texts are the sample corpus's own paragraphs (data/sample/src) mixed with sentences from
bench/synth.py's patterns; the non-English paragraphs were written for this module.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
from dataclasses import dataclass, field

from bench.corpus import SAMPLE_DIR, split_front_matter
from bench.synth import BACKGROUND, PATTERNS, PLACES, fill

# Values CMSs really print in date fields, good and bad. Each takes the true publication time.
DATE_FORMATS = {
    "iso-z": lambda t: t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "iso-offset": lambda t: t.isoformat(timespec="seconds"),
    "iso-plus0530": lambda t: t.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat(),
    "iso-millis": lambda t: t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.123Z"),
    "iso-no-colon": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "iso-naive": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),
    "date-only": lambda t: t.strftime("%Y-%m-%d"),
    "space-separated": lambda t: t.strftime("%Y-%m-%d %H:%M:%S"),
    "rfc822": lambda t: t.astimezone(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
    "rfc822-est": lambda t: t.strftime("%a, %d %b %Y %H:%M:%S EST"),
    "unix-epoch": lambda t: str(int(t.timestamp())),
    "unix-millis": lambda t: str(int(t.timestamp() * 1000)),
    "us-slashes": lambda t: t.strftime("%m/%d/%Y"),
    "long-english": lambda t: t.strftime("%B %-d, %Y"),
    "zero-iso": lambda t: "0001-01-01T00:00:00Z",
    "zero-offset": lambda t: "0001-01-01T00:00:00+01:00",
    "mysql-zero": lambda t: "0000-00-00 00:00:00",
    "epoch-date": lambda t: "1970-01-01",
    "epoch-iso": lambda t: "1970-01-01T00:00:00Z",
    "far-future": lambda t: "2999-12-31T23:59:59Z",
    "next-year": lambda t: "2099-01-01",
    "year-9999": lambda t: "9999-12-31T23:59:59.999999+14:00",
    "impossible-day": lambda t: t.strftime("%Y-02-30T10:00:00Z"),
    "empty": lambda t: "",
    "blank": lambda t: "   ",
    "null-word": lambda t: "null",
    "words": lambda t: "yesterday",
}

AUTHORS = ["Marta Lindqvist", "Tomás Ferreira", "Priya Raman", "Jonah Whitcombe", "Aiko Tanaka",
           "Samuel Adeyemi", "Léa Moreau", "Wire staff", "By Staff Reporter", ""]
SITES = ["The Daily Ledger", "Techwire Today", "Harbor City Times", "Circuit Review", "Press Desk",
         "Morning Signal", "Open Channel"]
OFF_HOSTS = ["https://www.originalnews.example", "https://wire.example.org", "https://syndication.example.net"]

FOREIGN = {
    "de": ["Microsoft hat am Dienstag ein neues Bildmodell vorgestellt, das schneller und günstiger sein soll "
           "als die bisherige Version. Das Unternehmen nannte einen Preis pro Million Ausgabe-Token.",
           "Die Partnerschaft zwischen Microsoft und OpenAI steht nach Einschätzung von Beobachtern unter Druck. "
           "Beide Seiten betonen jedoch, dass sie weiter zusammenarbeiten wollen.",
           "Analysten in Frankfurt und München halten die Preisgestaltung für einen wichtigen Faktor, warnen aber, "
           "dass Integration und bestehende Arbeitsabläufe oft mehr zählen als der Preis allein."],
    "fr": ["Microsoft a présenté mardi un nouveau modèle d’image, plus rapide et moins cher que la version "
           "précédente, selon un communiqué publié par l’entreprise à Redmond.",
           "Les relations entre Microsoft et OpenAI se sont tendues ces derniers mois, estiment plusieurs analystes "
           "qui suivent le secteur de près depuis des années.",
           "Pour les entreprises clientes, la question n’est pas seulement le prix : l’intégration et les outils "
           "existants pèsent souvent davantage dans la décision finale."],
    "es": ["Microsoft presentó el martes un nuevo modelo de imágenes que, según la empresa, es más rápido y más "
           "barato que la versión anterior. Ya está disponible para los desarrolladores.",
           "La relación entre Microsoft y OpenAI atraviesa un momento delicado, según varios analistas consultados "
           "por este periódico, aunque ambas compañías lo niegan.",
           "Los clientes empresariales valoran el precio, pero también la integración con sus herramientas "
           "actuales y el soporte técnico que reciben cada día."],
}


@dataclass
class Article:
    """The content of one page before a shape dresses it."""

    n: int
    title: str
    author: str
    published: dt.datetime
    paragraphs: list[str]
    subhead: str
    place: str
    lang: str = "en"


@dataclass
class Knobs:
    """Per-page choices a shape honours."""

    date: str                      # the value printed in the page's date fields
    date_format: str
    site: str
    slug: str
    canonical: str | None = None   # rel=canonical href (None: no link element)
    title: bool = True             # False: no <title>, no og:title, no <h1>
    meta_charset: str | None = "utf-8"
    related: list[tuple[str, str]] = field(default_factory=list)  # (path, headline) for link lists


class Material:
    """Paragraphs, headlines and subheads from the sample corpus, and synthetic sentences."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.headlines: list[str] = []
        self.subheads: list[str] = []
        for path in sorted((SAMPLE_DIR / "src").glob("*/*.md")):
            if ".v" in path.stem:
                continue
            meta, body = split_front_matter(path.read_text(encoding="utf-8"), str(path))
            self.headlines.append(meta["title"])
            for block in body.split("\n\n"):
                block = block.strip()
                if block.startswith("## "):
                    self.subheads.append(block[3:])
                elif block.startswith("> "):
                    self.paragraphs.append(" ".join(line[2:] for line in block.splitlines()))
                elif block and not block.startswith("- ") and len(block) > 80:
                    self.paragraphs.append(block)

    def article(self, n: int, rng: random.Random, published: dt.datetime, paragraphs: int = 5) -> Article:
        day = published.date()
        chosen = rng.sample(self.paragraphs, min(paragraphs, len(self.paragraphs)))
        for _ in range(max(1, paragraphs // 3)):  # sentences of their own, so no two pages are near-duplicates
            made = " ".join(fill(rng.choice(PATTERNS if rng.random() < 0.5 else BACKGROUND), rng, day)
                            for _ in range(rng.randint(2, 4)))
            chosen.insert(rng.randint(0, len(chosen)), made)
        headline = rng.choice(self.headlines)
        return Article(n=n, title=f"{headline} ({n})", author=rng.choice(AUTHORS), published=published,
                       paragraphs=chosen, subhead=rng.choice(self.subheads), place=rng.choice(PLACES))


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def paras(a: Article, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return "\n".join(f"<p{attr}>{esc(p)}</p>" for p in a.paragraphs)


def head(a: Article, k: Knobs, extra: str = "") -> str:
    parts = [f'<meta charset="{k.meta_charset}">' if k.meta_charset else "",
             '<meta name="viewport" content="width=device-width, initial-scale=1">']
    if k.title:
        parts += [f"<title>{esc(a.title)} | {esc(k.site)}</title>", f'<meta property="og:title" content="{esc(a.title)}">']
    if k.canonical:
        parts.append(f'<link rel="canonical" href="{esc(k.canonical)}">')
    return "<head>" + "\n".join(p for p in parts if p) + extra + "</head>"


def h1(a: Article, k: Knobs, cls: str = "headline") -> str:
    return f'<h1 class="{cls}">{esc(a.title)}</h1>' if k.title else ""


def nav(rng: random.Random, count: int, label: str = "Main") -> str:
    sections = ["World", "Business", "Tech", "AI", "Markets", "Opinion", "Sport", "Culture", "Video", "Podcasts"]
    items = "".join(f'<li><a href="/{rng.choice(sections).lower()}/{i}">{rng.choice(sections)} {i}</a></li>'
                    for i in range(count))
    return f'<nav aria-label="{label}"><ul class="menu">{items}</ul></nav>'


def link_list(k: Knobs, title: str = "Further reading") -> str:
    if not k.related:
        return ""
    items = "".join(f'<li><a href="{esc(path)}">{esc(text)}</a></li>' for path, text in k.related)
    return f'<aside class="related-links"><h2>{title}</h2><ul>{items}</ul></aside>'


def jsonld(obj: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj, ensure_ascii=False)}</script>'


def news_article_ld(a: Article, k: Knobs, kind: str = "NewsArticle", **extra) -> dict:
    obj = {"@context": "https://schema.org", "@type": kind, "headline": a.title if k.title else "",
           "datePublished": k.date, "dateModified": k.date,
           "author": [{"@type": "Person", "name": a.author}] if a.author else [],
           "publisher": {"@type": "Organization", "name": k.site}}
    obj.update(extra)
    return obj


def wordpress(a: Article, k: Knobs, rng: random.Random) -> str:
    meta = (f'<meta property="article:published_time" content="{esc(k.date)}">'
            "<link rel='stylesheet' id='theme-css' href='/wp-content/themes/ledger/style.css?ver=6.4.2' media='all'>"
            f"<script>var wpData = {json.dumps({'postId': a.n, 'nonce': 'a1b2c3'})};</script>")
    comments = "".join(f'<li class="comment"><div class="comment-author vcard">reader{i}</div>'
                       f"<p>Interesting take, thanks for writing this up ({i}).</p></li>" for i in range(3))
    return f"""<!DOCTYPE html><html lang="en-US">{head(a, k, meta)}
<body class="post-template-default single single-post postid-{a.n}">
<header id="masthead" class="site-header"><p class="site-title"><a href="/">{esc(k.site)}</a></p>{nav(rng, 12)}</header>
<main id="primary" class="site-main"><article id="post-{a.n}" class="post-{a.n} post type-post status-publish hentry">
<header class="entry-header">{h1(a, k, "entry-title")}<div class="entry-meta"><span class="posted-on">
<time class="entry-date published" datetime="{esc(k.date)}">{esc(k.date)}</time></span>
<span class="byline"> by <span class="author vcard"><a class="url fn n" href="/author/x/">{esc(a.author)}</a></span></span></div></header>
<div class="entry-content">{paras(a)}{link_list(k)}</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/ai/">AI</a></span></footer></article>
<div id="comments" class="comments-area"><h2 class="comments-title">3 thoughts</h2><ol class="comment-list">{comments}</ol></div>
</main><aside id="secondary" class="widget-area"><section class="widget"><h2>Recent Posts</h2>{nav(rng, 5, "Recent")}</section></aside>
<footer id="colophon"><p>Proudly powered by WordPress</p></footer></body></html>"""


def newsroom(a: Article, k: Knobs, rng: random.Random) -> str:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": k.site, "url": "/"},
        news_article_ld(a, k, image={"@type": "ImageObject", "url": f"/img/{a.n}.jpg"}),
        {"@type": "BreadcrumbList", "itemListElement": [{"@type": "ListItem", "position": 1, "name": "Tech"}]}]}
    body = [f"<p>{esc(a.place)} — {esc(a.paragraphs[0])}</p>",
            f'<figure><img src="/img/{a.n}.jpg" alt=""><figcaption>Servers in a data center. '
            f"Photo: {esc(a.author or 'Agency')} / Wire</figcaption></figure>"]
    for i, p in enumerate(a.paragraphs[1:]):
        body.append(f"<p>{esc(p)}</p>")
        if i == 1:
            body.append('<div class="ad-slot" data-slot="mid">Advertisement</div>')
            body.append(f"<h2>{esc(a.subhead)}</h2>")
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, jsonld(graph))}<body>
<div class="top-bar">{nav(rng, 8)}</div><article class="story">{h1(a, k)}
<div class="byline">By <a rel="author" href="/staff/{a.n}">{esc(a.author)}</a> · <span class="dateline">{esc(a.place)}</span>
<time datetime="{esc(k.date)}">{a.published:%B %-d, %Y}</time></div>
<div class="story-body">{"".join(body)}</div></article>
<div class="newsletter">Sign up for our morning briefing.</div><footer>© {k.site}. All rights reserved.</footer></body></html>"""


def amp(a: Article, k: Knobs, rng: random.Random) -> str:
    extra = ('<script async src="https://cdn.ampproject.org/v0.js"></script>'
             "<style amp-boilerplate>body{visibility:hidden}</style>"
             + jsonld(news_article_ld(a, k)))
    figure = (f'<figure><amp-img src="/img/{a.n}.jpg" width="1200" height="675" layout="responsive" alt="">'
              f"</amp-img><figcaption>A product demo in {esc(a.place)}.</figcaption></figure>")
    return f"""<!doctype html><html ⚡ lang="en">{head(a, k, extra)}<body>
<amp-sidebar id="menu" layout="nodisplay">{nav(rng, 10)}</amp-sidebar>
<header class="amp-header"><button on="tap:menu.toggle">Menu</button></header>
<article>{h1(a, k)}<p class="author">{esc(a.author)}</p>{figure}{paras(a)}
<amp-ad width="300" height="250" type="doubleclick" data-slot="/1234/amp"></amp-ad></article>
<amp-analytics type="gtag"><script type="application/json">{{"vars": {{"gtag_id": "G-1"}}}}</script></amp-analytics>
</body></html>"""


def medium(a: Article, k: Knobs, rng: random.Random) -> str:
    meta = f'<meta property="article:published_time" content="{esc(k.date)}"><meta name="author" content="{esc(a.author)}">'
    cls = lambda: " ".join(rng.choice("abcdefghijklmnopqrstuvwxyz") + rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")  # noqa: E731
                           for _ in range(rng.randint(2, 6)))
    body = "".join(f'<div class="{cls()}"><div class="{cls()}"><p class="pw-post-body-paragraph {cls()}">{esc(p)}</p>'
                   "</div></div>" for p in a.paragraphs)
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, meta)}<body><div id="root"><div class="{cls()}">
<div class="{cls()}"><a href="/">Sign in</a><a href="/m/signin">Get started</a></div>
<article><div class="{cls()}"><section><div class="{cls()}">
{h1(a, k, "pw-post-title")}<div class="{cls()}"><span>{esc(a.author)}</span><span>·</span><span>Follow</span>
<span>{rng.randint(3, 14)} min read</span><span>·</span><span>{a.published:%b %-d, %Y}</span></div>
<div class="{cls()}"><button>{rng.randint(10, 9000)} claps</button><button>Share</button></div>
{body}</div></section></div></article><div class="{cls()}">More from {esc(a.author)}</div></div></div></body></html>"""


def press_release(a: Article, k: Knobs, rng: random.Random) -> str:
    meta = f'<meta name="date" content="{esc(k.date)}"><meta name="description" content="{esc(a.paragraphs[0][:150])}">'
    first = f"{a.place}, {a.published:%B %-d, %Y} /PRNewswire/ -- {a.paragraphs[0]}"
    return f"""<html>{head(a, k, meta)}<body><table width="100%"><tr><td>
<p><b>FOR IMMEDIATE RELEASE</b></p>{h1(a, k, "release-title")}<p>{esc(first)}</p>
{"".join(f"<p>{esc(p)}</p>" for p in a.paragraphs[1:])}
<p><b>About the company</b><br>The company builds cloud and AI services for customers worldwide.</p>
<p>Media contact: press@example.com, +1 555 0100</p><p align="center">###</p>
</td></tr></table></body></html>"""


def paywall(a: Article, k: Knobs, rng: random.Random) -> str:
    ld = news_article_ld(a, k, isAccessibleForFree=False,
                         hasPart={"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywall"})
    teaser = "".join(f"<p>{esc(p)}</p>" for p in a.paragraphs[:2])
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, jsonld(ld))}<body>{nav(rng, 6)}
<article>{h1(a, k)}<p class="byline">By {esc(a.author)}</p>{teaser}
<div class="paywall"><p>This article is for subscribers. Subscribe now for unlimited access to our journalism.</p>
<a class="button" href="/subscribe">Subscribe</a><a href="/login">Already a subscriber? Log in</a></div>
</article></body></html>"""


def liveblog(a: Article, k: Knobs, rng: random.Random) -> str:
    updates, ld_updates = [], []
    moment = a.published
    sentences = [s for p in a.paragraphs for s in p.split(". ") if len(s) > 40]
    for i in range(rng.randint(15, 30)):
        moment += dt.timedelta(minutes=rng.randint(3, 40))
        text = sentences[i % len(sentences)].rstrip(".") + "."
        stamp = moment.strftime("%-I:%M %p").lower().replace("am", "a.m.").replace("pm", "p.m.")
        pinned = ' class="update pinned"' if i == 0 else ' class="update"'
        updates.append(f'<article{pinned} id="u{i}"><time datetime="{moment.isoformat()}">{stamp} ET</time>'
                       f"<h3>Update {i + 1}</h3><p>{esc(text)}</p><p class='by'>— {esc(a.author)}</p></article>")
        ld_updates.append({"@type": "BlogPosting", "headline": f"Update {i + 1}", "datePublished": moment.isoformat(),
                           "articleBody": text})
    ld = news_article_ld(a, k, "LiveBlogPosting", coverageStartTime=k.date, liveBlogUpdate=ld_updates)
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, jsonld(ld))}<body>{nav(rng, 8)}
<main>{h1(a, k)}<p class="live-badge">LIVE</p><p class="summary">{esc(a.paragraphs[0])}</p>
<div class="liveblog-updates">{"".join(reversed(updates))}</div><button>Load more updates</button></main></body></html>"""


def syndicated(a: Article, k: Knobs, rng: random.Random) -> str:
    host = rng.choice(OFF_HOSTS)
    k.canonical = f"{host}/{a.published:%Y/%m/%d}/{k.slug}"
    meta = (f'<meta property="article:published_time" content="{esc(k.date)}">'
            f'<meta property="og:url" content="{esc(k.canonical)}">')
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, meta)}<body>{nav(rng, 6)}<article>{h1(a, k)}
<p class="credit">By {esc(a.author)}, {esc(rng.choice(SITES))}</p>{paras(a)}
<p class="syndication-note"><em>This story originally appeared on {esc(host)} and is republished with permission.</em></p>
</article></body></html>"""


def further_reading(a: Article, k: Knobs, rng: random.Random) -> str:
    meta = f'<meta property="article:published_time" content="{esc(k.date)}">'
    half = len(a.paragraphs) // 2
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, meta)}<body>{nav(rng, 8)}<article>{h1(a, k)}
{"".join(f"<p>{esc(p)}</p>" for p in a.paragraphs[:half])}{link_list(k, "Read more")}
{"".join(f"<p>{esc(p)}</p>" for p in a.paragraphs[half:])}{link_list(k)}{link_list(k, "Most popular")}
</article></body></html>"""


def faq(a: Article, k: Knobs, rng: random.Random) -> str:
    questions = [("What was announced?", a.paragraphs[0]), ("Who is affected?", a.paragraphs[-1]),
                 ("What happens next?", "The companies said more details would follow in the coming weeks.")]
    ld = {"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": [
        {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": ans}} for q, ans in questions]}
    block = "".join(f"<details><summary>{esc(q)}</summary><p>{esc(ans)}</p></details>" for q, ans in questions)
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, jsonld(ld) + jsonld(news_article_ld(a, k)))}<body>
<article>{h1(a, k)}<p class="byline">{esc(a.author)}</p>{paras(a)}
<section class="faq"><h2>Frequently asked questions</h2>{block}</section></article></body></html>"""


def navigation_heavy(a: Article, k: Knobs, rng: random.Random) -> str:
    a.paragraphs = a.paragraphs[:2]
    meta = f'<meta name="pubdate" content="{esc(k.date)}">'
    return f"""<!DOCTYPE html><html lang="en">{head(a, k, meta)}<body>
<header>{nav(rng, 150)}{nav(rng, 80, "Sections")}</header><div class="mega">{nav(rng, 120, "More")}</div>
<main><article>{h1(a, k)}{paras(a)}</article></main>
<footer>{nav(rng, 200, "Sitemap")}<p>Cookie settings · Privacy · Terms</p></footer></body></html>"""


def foreign(a: Article, k: Knobs, rng: random.Random) -> str:
    texts = FOREIGN[a.lang]
    body = "".join(f"<p>{esc(t)}</p>" for t in rng.sample(texts, len(texts)))
    lang_attr = f' lang="{a.lang}"' if a.n % 4 else ""  # some pages do not say their language
    meta = f'<meta property="article:published_time" content="{esc(k.date)}">'
    return f"""<!DOCTYPE html><html{lang_attr}>{head(a, k, meta)}<body>{nav(rng, 6)}<article>{h1(a, k)}
{body}{body.replace("<p>", "<p class='more'>")}</article></body></html>"""


def tiny(a: Article, k: Knobs, rng: random.Random) -> str:
    return rng.choice(["<html><body><p>Moved.</p></body></html>", "<p>OK</p>", "<!DOCTYPE html><html><head></head></html>",
                       f"<html>{head(a, k)}<body>{h1(a, k)}<p>{esc(a.paragraphs[0][:90])}</p></body></html>"])


SHAPES = {
    "wordpress": wordpress, "newsroom-jsonld": newsroom, "amp": amp, "medium": medium,
    "press-release": press_release, "paywall-teaser": paywall, "liveblog": liveblog, "syndicated": syndicated,
    "further-reading": further_reading, "faq": faq, "navigation-heavy": navigation_heavy, "non-english": foreign,
    "tiny": tiny,
}


def break_markup(page: str, rng: random.Random) -> str:
    """Markup as careless templates and truncated responses leave it."""
    page = page.replace("</p>", "", rng.randint(1, 6)).replace("</div>", "</div></span></div>", 2)
    page = page.replace("<article", "<b><i><article", 1).replace("<p>", "<p><table><td>", 1)
    cut = rng.choice([None, 0.92, 0.97])
    if cut:
        page = page[: int(len(page) * cut)]  # mid-tag, mid-entity, no </html>
    return page


def entity_heavy(page: str, rng: random.Random) -> str:
    """Text written with entities, including a few invalid ones, inside the article paragraphs only."""
    out = []
    for i, chunk in enumerate(page.split("<p")):
        if i and rng.random() < 0.8:
            body, sep, rest = chunk.partition("</p>")
            body = (body.replace("&#x27;", rng.choice(["&rsquo;", "&#8217;", "&#x2019;"]))
                    .replace(" — ", rng.choice([" &mdash; ", " &#8212; ", " &#x2014; "]))
                    .replace(" the ", " the&nbsp;").replace("Microsoft", "Micro&shy;soft")
                    .replace("&quot;", rng.choice(["&ldquo;", "&#8220;"])))
            body += rng.choice([" &copy;&nbsp;&reg;&trade;", " &bogus; &#0; &#xD800;", " &#1114112; &amp;amp;",
                                " caf&eacute; na&iuml;ve &euro;5 &pound;3", ""])
            chunk = body + sep + rest
        out.append(chunk)
    return "<p".join(out)
