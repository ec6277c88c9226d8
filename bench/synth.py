"""Generate realistic synthetic news corpora (article pages plus feeds) for benchmarks.

    .venv/bin/python bench/synth.py --articles 10000 --out /tmp/synth-10k

Pages use the sample outlets' templates (bench/corpus.py); texts are assembled from
sentence patterns with entities, amounts and dates, so extraction and analysis do real
work and no two articles are near-duplicates. Output is deterministic for a seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import SAMPLE_DIR, ArticleMeta, load_outlets, render_article, render_feed  # noqa: E402

FEED_CHUNK = 500

COMPANIES = ["Microsoft", "OpenAI", "Amazon", "Google", "Anthropic", "Meta", "Nvidia", "Oracle", "CoreWeave",
             "SoftBank", "Adobe", "Stability AI", "Midjourney", "xAI", "Apple", "Inflection AI", "Salesforce",
             "IBM", "Mistral AI", "Cohere"]
PEOPLE = ["Satya Nadella", "Sam Altman", "Mustafa Suleyman", "Kevin Scott", "Brad Smith", "Amy Hood",
          "Sarah Friar", "Denise Dresser", "Andy Jassy", "Matt Garman", "Jensen Huang", "Greg Brockman"]
PRODUCTS = ["MAI-Image-2", "MAI-Image-2-Efficient", "MAI-Voice-1", "MAI-1-preview", "MAI-Image-1", "GPT-5",
            "Copilot", "Azure", "Microsoft Foundry", "Amazon Bedrock", "Gemini", "Claude", "Llama", "ChatGPT"]
PLACES = ["REDMOND, Wash.", "SAN FRANCISCO", "SEATTLE", "NEW YORK", "LONDON", "MOUNTAIN VIEW, Calif."]
VERBS = ["released", "launched", "announced", "unveiled", "introduced", "expanded", "priced", "previewed"]
DEALS = ["a multiyear cloud agreement", "a compute partnership", "a licensing deal", "a distribution agreement",
         "a memorandum of understanding", "an expanded partnership"]
SUBJECTS = ["enterprise customers", "developers", "analysts", "investors", "regulators", "partners", "rivals"]
ADJECTIVES = ["cautious", "upbeat", "skeptical", "measured", "divided", "enthusiastic", "wary", "patient"]
TOPICS = ["pricing", "latency", "image quality", "data residency", "safety reviews", "capacity", "licensing",
          "integration effort", "support contracts", "migration tools", "usage caps", "model evaluations"]
PATTERNS = [
    "{company} {verb} {product} on {date}, according to a statement posted by the company.",
    "{person} told {subjects} that {company} would keep investing in {topic} through {year}.",
    "{company} and {company2} signed {deal} {relative}, people familiar with the matter said.",
    "The move follows {amount} in new spending on data centers that {company} disclosed {relative}.",
    "{subjects_cap} were {adjective} about {topic}, noting that {product} still trails rivals on {topic2}.",
    "{company} reportedly plans to bring {product} to more regions later this year.",
    "Shares of {company} moved {percent} after the announcement, before settling later in the session.",
    "In an interview, {person} said {topic} mattered more to customers than headline prices.",
    "{company} declined to comment on {topic}, and {company2} did not respond to a request for comment.",
    "The company said {product} costs {amount} per million output tokens for {subjects}.",
    "Analysts at a research firm said {company} could gain from {topic} if {company2} stumbles in {year}.",
    "{company} said it had hired a new head of {topic} who will report to {person}.",
    "A spokesperson for {company} said the {topic} review would finish by the {quarter} quarter of {year}.",
    "Earlier this month, {company2} cut prices on {product2}, which put pressure on {topic}.",
]
# Sentences that report no event: context, analysis, quotes, the texture around the news.
BACKGROUND = [
    "For {subjects}, the question is less about {topic} than about how {company} fits into existing tools.",
    "{person} has long argued that {topic} decides which vendor wins large contracts.",
    "The relationship between {company} and {company2} has shaped much of the industry's thinking about {topic}.",
    "That is a familiar pattern in this market, where {topic} and {topic2} tend to move together.",
    "\"We hear about {topic} in nearly every meeting,\" one consultant who works with {subjects} said.",
    "Much depends on whether {product} holds up under the workloads that {subjects} actually run.",
    "{company} competes with {company2} on several fronts, from {topic} to {topic2}.",
    "Neither company has put a figure on how many {subjects} rely on {product} today.",
    "Critics point out that {topic} remains hard to measure from the outside.",
    "The broader picture is one of rivals trying to lock in {subjects} before budgets tighten.",
    "Some {subjects} say they would rather wait than switch tools twice in one year.",
    "It is not yet clear how {company2} will respond, or whether {subjects} will notice much difference.",
    "People who follow {company} closely describe the mood inside the company as {adjective}.",
    "The details matter here, because {topic} is where most deployments stall.",
]
# Share of sentences drawn from PATTERNS (the event-bearing ones). 0.15 gives about 8.6 event
# mentions per article, close to the hand-written sample corpus (7.4 per article of ~2,700
# characters); 1.0 reproduces last session's event-dense corpus (about 18 per article).
EVENT_SHARE = 0.15
# Articles published per day. A knowledge base grows as cron runs go on: a bigger corpus
# covers a longer period at the same pace, not the same period more densely (100,000
# articles from 2017-01-01 end in February 2026). At 30 a day the real ledger merges about
# 5 reports into each event of a 1,000-article corpus (the sample corpus: 2.4).
PER_DAY = 30


def fill(pattern: str, rng: random.Random, day: dt.date) -> str:
    company, company2 = rng.sample(COMPANIES, 2)
    topic, topic2 = rng.sample(TOPICS, 2)
    product, product2 = rng.sample(PRODUCTS, 2)
    subjects = rng.choice(SUBJECTS)
    sentence = pattern.format(
        company=company, company2=company2, person=rng.choice(PEOPLE), product=product, product2=product2,
        verb=rng.choice(VERBS), deal=rng.choice(DEALS), subjects=subjects, subjects_cap=subjects.capitalize(),
        adjective=rng.choice(ADJECTIVES), topic=topic, topic2=topic2, year=day.year + rng.choice([0, 0, 1]),
        date=(day - dt.timedelta(days=rng.randint(0, 3))).strftime("%B %-d"),
        relative=rng.choice(["yesterday", "last week", "on Tuesday", "earlier this month", "two weeks ago"]),
        amount=f"${rng.randint(2, 900)}{rng.choice(['.50', '', ' million', ' billion'])}",
        percent=f"{rng.randint(1, 9)}.{rng.randint(0, 9)}%", quarter=rng.choice(["first", "second", "third", "fourth"]),
    )
    return sentence


def article_body(rng: random.Random, day: dt.date, event_share: float = EVENT_SHARE) -> str:
    paragraphs = []
    for index in range(rng.randint(6, 9)):
        sentences = [fill(rng.choice(PATTERNS if index == 0 or rng.random() < event_share else BACKGROUND), rng, day)
                     for _ in range(rng.randint(2, 4))]
        if index == 0:
            sentences[0] = f"{rng.choice(PLACES)} — {sentences[0]}"
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def page_furniture(rng: random.Random, kilobytes: int) -> str:
    """Markup real news pages carry around the article: menus, trending lists, tag clouds,
    inline configuration scripts. About `kilobytes` KB of it."""
    parts: list[str] = []
    size = 0
    section = 0
    while size < kilobytes * 1024:
        section += 1
        links = "".join(
            f'<li class="menu-item"><a href="/section/{rng.choice(TOPICS).replace(" ", "-")}/{section}-{i}" '
            f'data-track="nav-{section}-{i}">{rng.choice(COMPANIES)} {rng.choice(TOPICS)}</a></li>'
            for i in range(40)
        )
        config = json.dumps({"slot": f"ad-{section}", "sizes": [[300, 250], [728, 90]],
                             "targeting": {"kw": rng.sample(TOPICS, 5), "seg": [rng.randint(1, 10**6) for _ in range(40)]}})
        block = (f'<nav class="mega-menu" aria-label="More {section}"><ul>{links}</ul></nav>'
                 f'<script type="application/json" id="ad-config-{section}">{config}</script>'
                 f'<aside class="trending"><h3>Trending</h3><ol>'
                 + "".join(f"<li><a href='/t/{section}-{i}'>{rng.choice(PEOPLE)} on {rng.choice(TOPICS)}</a></li>"
                           for i in range(10))
                 + "</ol></aside>")
        parts.append(block)
        size += len(block)
    return "\n".join(parts)


def generate(n: int, out_dir: Path, seed: int = 7, start: dt.date = dt.date(2017, 1, 1),
             page_kb: int = 0, event_share: float = EVENT_SHARE, per_day: int = PER_DAY) -> Path:
    """Write n articles spread over the sample outlets, feeds of FEED_CHUNK entries, and a sources.toml.

    page_kb adds that much page furniture (menus, trending lists, inline scripts) per page, as
    real news sites carry; 0 keeps the sample templates' light pages. event_share is the
    share of event-bearing sentences (see EVENT_SHARE); per_day articles are dated each day.
    """
    rng = random.Random(seed)
    outlets = list(load_outlets(SAMPLE_DIR).values())
    per_outlet: dict[str, list[ArticleMeta]] = {o.key: [] for o in outlets}
    for i in range(n):
        outlet = outlets[i % len(outlets)]
        day = start + dt.timedelta(days=i // per_day)
        published = dt.datetime.combine(day, dt.time(6 + i % 12, (i * 7) % 60), dt.timezone(dt.timedelta(hours=-7)))
        company, product = rng.choice(COMPANIES), rng.choice(PRODUCTS)
        meta = ArticleMeta(
            title=f"{company} {rng.choice(VERBS)} {product} update as {rng.choice(TOPICS)} debate grows ({i})",
            slug=f"synthetic-{i:06d}",
            author=rng.choice(["Ana Ruiz", "Ben Okafor", "Chen Li", "Dana Weiss", "Eli Novak"]),
            published=published,
            summary=f"{company} and {rng.choice(COMPANIES)} weigh {rng.choice(TOPICS)} after the {product} news.",
            section="AI",
            tags=[company, product],
        )
        page = render_article(meta, article_body(rng, day, event_share), outlet)
        if page_kb:
            page = page.replace("</body>", page_furniture(rng, page_kb) + "</body>", 1)
        path = out_dir / outlet.key / meta.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        per_outlet[outlet.key].append(meta)
    lines = ["# Synthetic benchmark corpus (bench/synth.py)", ""]
    for outlet in outlets:
        metas = per_outlet[outlet.key]
        for chunk_start in range(0, len(metas), FEED_CHUNK):
            chunk = metas[chunk_start:chunk_start + FEED_CHUNK]
            stem, _, ext = outlet.feed_file.rpartition(".")
            feed_name = f"{stem}-{chunk_start // FEED_CHUNK:04d}.{ext}"
            (out_dir / outlet.key / feed_name).write_text(render_feed(outlet, chunk), encoding="utf-8")
            lines += ["[[source]]", f"name = {json.dumps(f'{outlet.name} {feed_name}')}",
                      f'url = "{outlet.key}/{feed_name}"', f"reliability = {outlet.reliability}", ""]
    sources = out_dir / "sources.toml"
    sources.write_text("\n".join(lines), encoding="utf-8")
    return sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-kb", type=int, default=0, help="KB of page furniture per page (real sites: 50-300)")
    parser.add_argument("--event-share", type=float, default=EVENT_SHARE,
                        help=f"share of event-bearing sentences (default {EVENT_SHARE}, like the sample corpus; 1.0 = dense)")
    parser.add_argument("--per-day", type=int, default=PER_DAY, help=f"articles per day (default {PER_DAY})")
    args = parser.parse_args(argv)
    sources = generate(args.articles, args.out, args.seed, page_kb=args.page_kb, event_share=args.event_share,
                       per_day=args.per_day)
    print(f"wrote {args.articles} articles; sources file {sources}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
