"""Manual story edits: merge, split, rename and overview, which reprocessing and rescoring keep."""

from __future__ import annotations

import sqlite_utils

from kb.core.errors import KBError, NotFound
from kb.ledger.scoring import ScoringContext
from kb.ledger.sql_helpers import chunks, marks
from kb.stories.activity import reference_time
from kb.stories.card_changes import record_story_edit
from kb.stories.linking import force_link
from kb.stories.placement import add_event_to_story, create_story
from kb.stories.refresh import refresh_story
from kb.stories.story_index import rewrite_story_entities


class StoryEditError(KBError):
    """A merge, split or rename that cannot be done as asked."""



def story_key_names(db: sqlite_utils.Database, story_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT key FROM storyline_keys WHERE story_id = ? ORDER BY key",
                                     [story_id])]


def event_key_names(db: sqlite_utils.Database, event_ids: list[int]) -> set[str]:
    """The storyline keys of these events."""
    found: set[str] = set()
    for part in chunks(sorted(event_ids)):
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT key FROM storyline_events WHERE event_id IN ({marks(part)}) "
            "AND key IS NOT NULL", part))
    return found


def _require_story(db: sqlite_utils.Database, story_id: int) -> tuple:
    row = db.execute("SELECT id, status, merged_into, title FROM stories WHERE id = ?", [story_id]).fetchone()
    if row is None:
        raise NotFound(f"no story with id {story_id}: see `kb stories list`")
    if row[1] == "merged":
        raise StoryEditError(f"story {story_id} was merged into story {row[2]}: edit that one")
    return row


def merge_stories(db: sqlite_utils.Database, keep_id: int, other_id: int,
                  ctx: ScoringContext | None = None) -> None:
    """Move every event of `other_id` into `keep_id`; the other story is kept as a redirect."""
    if keep_id == other_id:
        raise StoryEditError("cannot merge a story into itself")
    ctx = ctx or ScoringContext(db)
    with db.conn:
        _require_story(db, keep_id)
        other = _require_story(db, other_id)
        moved = db.execute("SELECT count(*) FROM story_events WHERE story_id = ?", [other_id]).fetchone()[0]
        db.execute("UPDATE story_events SET story_id = ?, manual = 1 WHERE story_id = ?", [keep_id, other_id])
        db.execute("UPDATE story_events SET manual = 1 WHERE story_id = ?", [keep_id])
        db.execute("DELETE FROM story_entities WHERE story_id = ?", [other_id])
        rewrite_story_entities(db, [keep_id], ctx.weights)
        db.execute("UPDATE stories SET status = 'merged', merged_into = ?, events = 0, mentions = 0 "
                   "WHERE id = ?", [keep_id, other_id])
        db.execute("UPDATE stories SET merged_into = ? WHERE merged_into = ?", [keep_id, other_id])
        # The other story's lines now lead to the kept one: their later events join it, and a
        # 'merge' link keeps them together whatever the evidence says later.
        keep_keys = story_key_names(db, keep_id)
        for key in story_key_names(db, other_id):
            if keep_keys:
                force_link(db, keep_keys[0], key, "merge")
        db.execute("UPDATE storyline_keys SET story_id = ? WHERE story_id = ?", [keep_id, other_id])
        refresh_story(db, ctx, keep_id, reference_time(db))
        record_story_edit(db, keep_id, "merge", old=other[3], other=other_id, events=moved)
        record_story_edit(db, other_id, "merge", old=other[1], new="merged", other=keep_id,
                          kind="story_status")


def split_story(db: sqlite_utils.Database, story_id: int, event_ids: list[int],
                ctx: ScoringContext | None = None) -> int:
    """Move some events of a story into a new story; return the new story's id."""
    ctx = ctx or ScoringContext(db)
    wanted = sorted(set(event_ids))
    if not wanted:
        raise StoryEditError("name at least one event to move into the new story")
    with db.conn:
        _require_story(db, story_id)
        members = {r[0] for r in db.execute("SELECT event_id FROM story_events WHERE story_id = ?",
                                            [story_id]).fetchall()}
        missing = [e for e in wanted if e not in members]
        if missing:
            raise StoryEditError(f"events {', '.join(map(str, missing))} are not in story {story_id}: "
                                 f"see `kb stories show {story_id}`")
        if set(wanted) == members:
            raise StoryEditError("that would move every event: rename the story instead")
        # The lines of the moved events stay apart from the lines left behind.
        moved_keys = event_key_names(db, wanted)
        for left in event_key_names(db, sorted(members - set(wanted))):
            for key in moved_keys:
                force_link(db, key, left, "split")
        new_id = create_story(db, wanted[0])
        for event_id in wanted:
            add_event_to_story(db, new_id, event_id, manual=True)
        for key in sorted(moved_keys - event_key_names(db, sorted(members - set(wanted)))):
            # every event of the line moved: its later events follow them
            db.execute("UPDATE storyline_keys SET story_id = ? WHERE key = ?", [new_id, key])
        db.execute("UPDATE story_events SET manual = 1 WHERE story_id = ?", [story_id])
        rewrite_story_entities(db, [story_id, new_id], ctx.weights)
        reference = reference_time(db)
        refresh_story(db, ctx, story_id, reference)
        refresh_story(db, ctx, new_id, reference)
        record_story_edit(db, story_id, "split", other=new_id, events=len(wanted))
        record_story_edit(db, new_id, "split_from", other=story_id, events=len(wanted), kind="new_story")
    return new_id


def rename_story(db: sqlite_utils.Database, story_id: int, title: str) -> None:
    """Set a story's title by hand; reprocessing and rescoring keep it."""
    title = " ".join(title.split())
    if not title:
        raise StoryEditError("the title is empty")
    with db.conn:
        old = _require_story(db, story_id)[3]
        db.execute("UPDATE stories SET title = ?, title_locked = 1 WHERE id = ?", [title, story_id])
        if old != title:
            record_story_edit(db, story_id, "rename", old=old, new=title)


def set_overview(db: sqlite_utils.Database, story_id: int, overview: str) -> None:
    """Set a story's overview by hand; reprocessing and rescoring keep it."""
    overview = overview.strip()
    if not overview:
        raise StoryEditError("the overview is empty")
    with db.conn:
        _require_story(db, story_id)
        db.execute("UPDATE stories SET overview = ?, overview_locked = 1, overview_key = NULL WHERE id = ?",
                   [overview, story_id])
