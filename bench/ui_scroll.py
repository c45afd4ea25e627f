"""``bench ui``'s scrolling phase: the Thoughts timeline holding 10,000 thoughts of the real image
scrolls at the frame rate of the chat, both measured in the same run, in the same window.

* :func:`start_seeding` commits N small thoughts through a shell on the stack's ZEO (authors of
  every kind) while the UI runs: they reach the timeline as the service's ``THOUGHTS_COMMITTED``
  pushes (one ``THOUGHT_LIST`` of 10,000 would not fit in a bridge frame), in batches of 100 with
  a pause, so no push tick sees more than the 200 thoughts it carries;
* :func:`fill_chat` gives the chat a long conversation (bubbles of varied length);
* :func:`scroll_fps` scrolls a RecycleView by the same number of pixels every frame, back and
  forth over its whole length, and counts frames per second.
"""

from __future__ import annotations

import time

SEED = """
import time
authors = ('bench', 'kernel', 'orchestrator', 'backup', 'ada')
t0 = time.perf_counter()
for i in range({n}):
    with image.thought(f'bench: thought {{i}} of the timeline', user=authors[i % len(authors)]):
        image.root['bench_timeline_counter'] = i
    if i % 100 == 99:
        time.sleep(0.3)
print('SEEDED', {n}, time.perf_counter() - t0)
"""


def start_seeding(stack, n: int):
    """A shell committing ``n`` thoughts (a Popen; its stdout ends with ``SEEDED n seconds``)."""
    import subprocess

    from tests.ui.stack import PY, REPO, _env
    env = _env(stack.home, {"TELOS_ZEO": str(stack.zeo_sock)})
    return subprocess.Popen([PY, "-m", "telos.cli", "shell", "-c", SEED.format(n=n)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def fill_chat(chat, n: int) -> None:
    """``n`` exchanges in the chat's log (a question, an answer of one to six sentences)."""
    sentence = ("A prototype answers what it can and delegates the rest to its parents, "
                "in order, until one of them knows. ")
    for i in range(n):
        rid = f"bench-scroll-{i}"
        chat.chatlog.user(f"question {i}: what does object {i} delegate?", rid)
        chat.chatlog.complete(rid, ("ALFRED", "BRICK", "ROBIN", "BABS")[i % 4],
                              sentence * (1 + i % 6), None)
    chat.refresh()


def scroll_fps(rv, seconds: float, step_px: float) -> tuple[float, int]:
    """Scroll ``rv`` by ``step_px`` a frame, bouncing between its ends, for ``seconds``;
    returns (frames per second, frames)."""
    from kivy.base import EventLoop

    EventLoop.idle()
    content = rv.children[0].height if rv.children else rv.height
    span = max(1.0, content - rv.height)
    dy, y, direction = step_px / span, 1.0, -1
    frames, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        y += direction * dy
        if y <= 0.0:
            y, direction = 0.0, 1
        elif y >= 1.0:
            y, direction = 1.0, -1
        rv.scroll_y = y
        EventLoop.idle()
        frames += 1
    return frames / (time.perf_counter() - t0), frames


def measure(app, link, stack, *, thoughts: int, exchanges: int, seconds: float, step_px: float,
            rounds: int = 2, profile: str | None = None) -> dict:
    """Fill the chat, fill the timeline (listed, then ``thoughts`` more pushed live), then
    scroll each ``rounds`` times, alternating."""
    from kivy.base import EventLoop

    root = app.root
    chat = root.ids.chat
    fill_chat(chat, exchanges)
    root.show_view("chat")
    for _ in range(5):
        EventLoop.idle()
    timeline = root.ids.timeline
    root.show_view("timeline")
    while timeline.replies == 0:
        EventLoop.idle()
    t0 = time.perf_counter()
    seeding = start_seeding(stack, thoughts)
    deadline = time.monotonic() + 1800
    while len(timeline.ids.thought_rows.data) < thoughts or seeding.poll() is None:
        if time.monotonic() > deadline or (seeding.poll() not in (None, 0)):
            raise RuntimeError(f"the timeline has {len(timeline.ids.thought_rows.data)} of "
                               f"{thoughts} thoughts ({timeline.summary}); "
                               f"seeding: {seeding.poll()} {seeding.stdout.read() if seeding.poll() is not None else ''}")
        EventLoop.idle()
    seeded = time.perf_counter() - t0
    listed = len(timeline.ids.thought_rows.data)
    chat_fps, timeline_fps = [], []
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
    for _ in range(rounds):
        root.show_view("chat")
        chat_fps.append(scroll_fps(chat.ids.chat_view, seconds, step_px)[0])
        root.show_view("timeline")
        if profiler is not None:
            profiler.enable()
        timeline_fps.append(scroll_fps(timeline.ids.thought_rows, seconds, step_px)[0])
        if profiler is not None:
            profiler.disable()
    if profiler is not None:
        profiler.dump_stats(profile)
    return {"listed": listed, "seeded_s": seeded, "pushes": timeline.pushes, "chat_rows": len(chat.ids.chat_view.data),
            "chat_fps": sum(chat_fps) / rounds, "timeline_fps": sum(timeline_fps) / rounds,
            "chat_runs": chat_fps, "timeline_runs": timeline_fps}
