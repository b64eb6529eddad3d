"""A fictitious social feed that loads as one scrolls, for practising ``capture --scroll``.

Social platforms show ten posts and fetch more when the reader nears the bottom, and
hide most comments behind a "load more comments" button; a capture that only takes
the first screen misses nearly everything. This page behaves the same way with
nothing real in it: ``/feed`` shows the first posts, ``/api/feed?page=N`` gives ten
more per page up to :data:`POSTS`, and ``/api/comments?page=N`` gives
:data:`COMMENTS_PER_CLICK` more comments per click up to :data:`COMMENTS`.
"""

from __future__ import annotations

import html
import json

POSTS = 60
POSTS_PER_PAGE = 10
COMMENTS = 20
COMMENTS_FIRST = 5
COMMENTS_PER_CLICK = 5

_ANIMALS = ("grey parrot", "tortoise", "pangolin scale", "carved bone", "python skin", "horn cup")


def post_text(number: int) -> str:
    """The text of post ``number`` (1-based), which tests look for in every capture."""
    animal = _ANIMALS[number % len(_ANIMALS)]
    return f"Feed post {number}: fictitious offer of a {animal}, message me"


def comment_text(number: int) -> str:
    """The text of comment ``number`` (1-based)."""
    return f"Feed comment {number}: is it still available? (fictitious)"


def _post_html(number: int) -> str:
    return (
        f'<article class="post" data-post="{number}" style="height:140px;border:1px solid #ccc;'
        f'margin:8px;padding:8px">{html.escape(post_text(number))}</article>'
    )


def _comment_html(number: int) -> str:
    return f'<li class="comment" data-comment="{number}">{html.escape(comment_text(number))}</li>'


def feed_page() -> bytes:
    """The feed's first screen: the first posts, some comments, and the script that loads more."""
    posts = "".join(_post_html(n) for n in range(1, POSTS_PER_PAGE + 1))
    comments = "".join(_comment_html(n) for n in range(1, COMMENTS_FIRST + 1))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Training feed (fictitious)</title></head>
<body>
<h1>Training feed — every post here is fictitious</h1>
<section id="thread"><h2>Pinned post</h2><ul id="comments">{comments}</ul>
<button type="button" id="more-comments">Load more comments</button></section>
<main id="feed">{posts}</main>
<p id="end" hidden>End of the feed</p>
<script>
let next = 2, loading = false, commentPage = 1;
async function more() {{
  if (loading || next > {POSTS // POSTS_PER_PAGE}) return;
  const root = document.scrollingElement;
  if (window.scrollY + window.innerHeight < root.scrollHeight - 300) return;
  loading = true;
  const answer = await fetch('/api/feed?page=' + next);
  const posts = await answer.json();
  for (const post of posts) {{
    const el = document.createElement('article');
    el.className = 'post'; el.dataset.post = post.number; el.textContent = post.text;
    el.style.cssText = 'height:140px;border:1px solid #ccc;margin:8px;padding:8px';
    document.getElementById('feed').appendChild(el);
  }}
  next += 1; loading = false;
  if (next > {POSTS // POSTS_PER_PAGE}) document.getElementById('end').hidden = false;
}}
window.addEventListener('scroll', more);
document.getElementById('more-comments').addEventListener('click', async () => {{
  const answer = await fetch('/api/comments?page=' + commentPage);
  const data = await answer.json();
  for (const c of data.comments) {{
    const li = document.createElement('li');
    li.className = 'comment'; li.dataset.comment = c.number; li.textContent = c.text;
    document.getElementById('comments').appendChild(li);
  }}
  commentPage += 1;
  if (!data.more) document.getElementById('more-comments').remove();
}});
</script>
</body></html>
"""
    return page.encode("utf-8")


def feed_json(page: int) -> bytes:
    """Posts of ``page`` (2 and up; page 1 is in the HTML); an empty list past the end."""
    first = (page - 1) * POSTS_PER_PAGE + 1
    numbers = range(first, min(first + POSTS_PER_PAGE, POSTS + 1)) if page >= 2 else range(0)
    return json.dumps([{"number": n, "text": post_text(n)} for n in numbers]).encode("utf-8")


def comments_json(page: int) -> bytes:
    """Comments of click ``page`` (1 and up), and whether more remain."""
    first = COMMENTS_FIRST + (page - 1) * COMMENTS_PER_CLICK + 1
    numbers = range(first, min(first + COMMENTS_PER_CLICK, COMMENTS + 1)) if page >= 1 else range(0)
    more = page >= 1 and first + COMMENTS_PER_CLICK <= COMMENTS
    data = {"comments": [{"number": n, "text": comment_text(n)} for n in numbers], "more": more}
    return json.dumps(data).encode("utf-8")


def page_number(query: dict[str, list[str]]) -> int:
    """The ``page`` query parameter, 0 when missing or not a number."""
    text = query.get("page", [""])[-1]
    return int(text) if text.isdecimal() and len(text) < 6 else 0
