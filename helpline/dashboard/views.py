"""The queue: the page, the fragment the script swaps in, the small polling API and the item actions.

Numbers and notes leave the server only in the HTML of a signed-in coordinator's page or fragment,
and every such view is audited with the ids of the items shown. The polling API carries no number.
"""
from __future__ import annotations

import hashlib
import json

from flask import abort, g, jsonify, redirect, render_template, request, url_for

from helpline.callbacks import ITEM_KEY, LOG_KEY, get_queue
from helpline.errors import Conflict, NotFound
from helpline.i18n import N_

from .auth import record, services, signed_in, template_context
from .present import OUTCOMES, clock, item_view

NOTE_MAX = 500
NOTICES = {  # ?done= after an action -> the message shown at the top of the queue
    "taken": N_("Callback #{id} is yours."),
    "noted": N_("Note added to callback #{id}."),
    "resolved": N_("Callback #{id} is resolved."),
    "conflict": N_("Callback #{id} was already taken by someone else or is closed."),
    "missing": N_("Callback #{id} no longer exists."),
    "outcome": N_("Choose an outcome to resolve callback #{id}."),
    "empty": N_("Write a note before adding it."),
}


def _items(_):
    queue = get_queue()
    return [item_view(item, queue.steps(item.id), _) for item in queue.open_items()]


def _render_queue(template: str, source: str):
    items = _items(template_context()["_"])
    record("view_queue", item=",".join(str(i["id"]) for i in items), detail=source)
    notice = NOTICES.get(request.args.get("done", ""))
    return render_template(template, items=items, outcomes=OUTCOMES, version=_version(),
                           notice=notice, notice_id=request.args.get("id", type=int))


@signed_in
def queue():
    return _render_queue("dashboard/queue.html", "page")


@signed_in(touch=False)  # fetched by the script, not by the person: not activity
def fragment():
    return _render_queue("dashboard/_items.html", "poll")


@signed_in(api=True, touch=False)
def state():
    """What the script polls every few seconds: a version to compare, and which ids are urgent."""
    items = get_queue().open_items()
    return jsonify({"version": _version(items), "open": len(items),
                    "urgent": [i.id for i in items if i.urgent and i.status in ("new", "alerted")]})


def _version(items=None) -> str:
    """Changes whenever an item arrives, moves, or gets a new history step."""
    queue = get_queue()
    items = queue.open_items() if items is None else items
    shape = [(i.id, i.status, i.taken_by, i.note, queue.client.llen(LOG_KEY.format(id=i.id))) for i in items]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def _back(done: str, cb_id: int):
    return redirect(url_for("dashboard.queue", done=done, id=cb_id, _anchor=f"item-{cb_id}"), 303)


def taker() -> str:
    """The signed-in coordinator's name for taking callbacks (linked to the institution file if set)."""
    account = services().accounts.get(g.coordinator.user)
    return account.display_name if account else g.coordinator.user


@signed_in
def take(cb_id: int):
    try:
        get_queue().take(cb_id, taker(), via="page")
    except NotFound:
        return _back("missing", cb_id)
    except Conflict:
        record("take_refused", item=cb_id)
        return _back("conflict", cb_id)
    record("take", item=cb_id)
    return _back("taken", cb_id)


@signed_in
def note(cb_id: int):
    text = " ".join(request.form.get("note", "").split())[:NOTE_MAX]
    if not text:
        return _back("empty", cb_id)
    queue = get_queue()
    try:
        queue.get(cb_id)
    except NotFound:
        return _back("missing", cb_id)
    queue.add_step(cb_id, "note", by=g.coordinator.user, text=text)
    queue.client.hset(ITEM_KEY.format(id=cb_id), "note", text)  # the latest note, shown on the item
    record("note", item=cb_id, detail=f"{len(text)} characters")
    return _back("noted", cb_id)


@signed_in
def resolve(cb_id: int):
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        return _back("outcome", cb_id)
    queue, user = get_queue(), taker()
    try:
        item = queue.get(cb_id)
        if item.status in ("new", "alerted"):  # resolving untaken work takes it first: alerts stop
            queue.take(cb_id, user, via="page")
            record("take", item=cb_id, detail="on resolve")
        text = " ".join(request.form.get("note", "").split())[:NOTE_MAX] or item.note
        queue.resolve(cb_id, user, outcome, text)
    except NotFound:
        return _back("missing", cb_id)
    except Conflict:
        return _back("conflict", cb_id)
    record("resolve", item=cb_id, detail=outcome)
    return _back("resolved", cb_id)


@signed_in
def audit_page():
    entries = [{**e.to_dict(), "when": clock(e.at)} for e in services().audit.latest(200)]
    return render_template("dashboard/audit.html", entries=entries)


def register(bp) -> None:
    bp.add_url_rule("/", "queue", queue)
    bp.add_url_rule("/queue.html", "fragment", fragment)
    bp.add_url_rule("/api/state", "state", state)
    bp.add_url_rule("/items/<int:cb_id>/take", "take", take, methods=["POST"])
    bp.add_url_rule("/items/<int:cb_id>/note", "note", note, methods=["POST"])
    bp.add_url_rule("/items/<int:cb_id>/resolve", "resolve", resolve, methods=["POST"])
    bp.add_url_rule("/audit", "audit", audit_page)
    bp.add_url_rule("/<path:anything>", "not_found", lambda anything: abort(404))
