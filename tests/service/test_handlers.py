"""telos/service/handlers.py without a running service: the registry built over a stand-in
service, each handler called with a RequestContext on a real image session (tmp home), and the
helpers that turn requests and memory hits into protocol values."""

from __future__ import annotations

import types

import pytest

from telos import UvmObject
from telos.bridge import protocol as P
from telos.bridge.dispatch import RequestContext
from telos.errors import RequestRefused
from telos.reflect import mirror
from telos.service import handlers


class StandInService:
    def __init__(self, tokens=("he", "llo")):
        self.metrics = types.SimpleNamespace(commits=0, conflicts=0)
        self.metrics.commit = lambda: setattr(self.metrics, "commits", self.metrics.commits + 1)
        self.metrics.conflict = lambda: None
        self.status = types.SimpleNamespace(
            snapshot=lambda request_id: P.SystemStatusUpdate(request_id=request_id,
                                                             status_text="ok"))
        self.stops: list[str] = []
        self.tokens = tokens

    def request_stop(self, why):
        self.stops.append(why)

    def responder(self):
        service = self

        class Responder:
            remember_turns = False

            def respond(self, session, text, persona, cancelled, options=None):
                return "BRICK", iter(service.tokens)
        return Responder()


class Server:
    def __init__(self):
        self.pushed: list = []
        self.sessions = None
        self.observer = types.SimpleNamespace(first_token=lambda *a: None,
                                              token=lambda *a: None)

    def _push(self, identity, data):
        self.pushed.append(P.decode(data))
        return True


@pytest.fixture
def service():
    return StandInService()


@pytest.fixture
def registry(service):
    return handlers.build_registry(service)


@pytest.fixture
def point(image):
    with image.thought("a point"):
        image.register("Point", UvmObject(x=1))
    return image.prototypes["Point"]


def call(registry, image, request, server=None):
    ctx = RequestContext(request=request, identity=b"c1", server=server or Server(),
                         _session=image)
    return registry.get(request.command)(ctx), ctx


def test_every_request_command_has_a_handler_and_only_cheap_ones_run_inline(registry):
    assert set(registry.commands()) == set(P.REQUEST_COMMANDS)
    assert registry.inline == {"PING", "STATUS_REQUEST", "KERNEL_EVENTS"}   # all from memory


def test_ping_and_status_answer_the_request(registry, image):
    pong, _ = call(registry, image, P.Ping(request_id="p1"))
    assert pong.command == "PONG" and pong.request_id == "p1"
    status, _ = call(registry, image, P.StatusRequest(request_id="s1"))
    assert status.command == "SYSTEM_STATUS_UPDATE" and status.request_id == "s1"


def test_shutdown_asks_the_service_to_stop(registry, image, service):
    ack, _ = call(registry, image, P.ShutdownRequest(request_id="x1", reason="test"))
    assert (ack.of, ack.detail) == ("SHUTDOWN_REQUEST", "stopping")
    assert service.stops == ["SHUTDOWN_REQUEST x1"]


def test_list_prototypes_names_the_registry(registry, image, point):
    answer, _ = call(registry, image, P.ListPrototypes())
    assert "Point" in {p.name for p in answer.prototypes}


def test_inspect_object_describes_it(registry, image, point):
    answer, _ = call(registry, image, P.InspectObject(name="Point"))
    assert answer.object.name == "Point"
    assert {s.name: s.value for s in answer.object.slots}["x"] == 1


def test_inspect_object_carries_a_methods_stored_examples(registry, image):
    from telos.bridge import codec
    from telos.kernel import examples

    example = {"slots": {"width": 3, "height": 4}, "args": [], "kwargs": {}, "value": 12}
    with image.thought("a rectangle with a kernel-written area"):
        image.register("Rectangle", UvmObject(width=3, height=4))
        mirror(image.prototypes["Rectangle"]).define(
            "area", "def area(self):\n    return self.width * self.height\n",
            {"author": "kernel", "model": "smollm2-135m", "levers": "vote", examples.KEY: [example]})
    answer, _ = call(registry, image, P.InspectObject(name="Rectangle"))
    wire = codec.decode(codec.encode(answer))           # what a client reads off the bridge
    (area,) = wire.object.methods
    assert area.provenance[examples.KEY] == [example]
    assert area.provenance["levers"] == "vote" and area.provenance["model"] == "smollm2-135m"


def test_set_slot_is_a_committed_thought(registry, image, point, service):
    ack, _ = call(registry, image, P.SetSlot(name="Point", slot="x", value=[1, 2], note="move"))
    assert ack.of == "SET_SLOT" and ack.thought_id == image.last_thought
    assert image.thoughts(1)[0].note == "move"
    assert list(image.prototypes["Point"].x) == [1, 2]
    assert service.metrics.commits == 1


def test_set_slot_on_a_parent_slot_is_refused_and_commits_nothing(registry, image, point):
    with image.thought("a child"):
        image.register("Child", image.prototypes["Point"].derive())
    before = image.last_thought
    with pytest.raises(RequestRefused, match="is a parent slot") as err:
        call(registry, image, P.SetSlot(name="Child", slot="parent", value=1))
    assert err.value.code == P.BAD_REQUEST
    assert image.thoughts(1)[0].id == before


def test_define_method_takes_the_selector_from_the_source(registry, image, point):
    source = "def norm(self):\n    return self.x * 2\n"
    ack, _ = call(registry, image, P.DefineMethod(name="Point", source=source))
    assert ack.of == "DEFINE_METHOD" and ack.thought_id == image.last_thought
    prov = mirror(image.prototypes["Point"]).provenance("norm")
    assert prov["via"] == "DEFINE_METHOD" and prov["author"].startswith("local:")
    assert image.prototypes["Point"].norm() == 2


def test_define_method_with_a_syntax_error_is_a_bad_request(registry, image, point):
    with pytest.raises(RequestRefused, match="syntax error on line 1") as err:
        call(registry, image, P.DefineMethod(name="Point", source="def broken(self:\n"))
    assert err.value.code == P.BAD_REQUEST


def test_send_message_returns_the_value(registry, image, point):
    with image.thought("method"):
        mirror(image.prototypes["Point"]).define("add",
                                                 "def add(self, n):\n    return self.x + n\n")
    result, _ = call(registry, image, P.SendMessage(name="Point", selector="add", args=[4]))
    assert result.value == 5 and result.generated is False


def test_a_method_that_raises_is_an_evaluation_failure_and_commits_nothing(registry, image,
                                                                            point):
    with image.thought("method"):
        mirror(image.prototypes["Point"]).define(
            "boom", "def boom(self):\n    self.x = 99\n    return 1 // 0\n")
    before = image.last_thought
    with pytest.raises(RequestRefused, match="boom raised ZeroDivisionError") as err:
        call(registry, image, P.SendMessage(name="Point", selector="boom"))
    assert err.value.code == P.EVALUATION_FAILED and "unchanged" in err.value.hint
    image.refresh()
    assert image.prototypes["Point"].x == 1 and image.thoughts(1)[0].id == before


def test_a_user_query_streams_partials_then_the_whole_text(registry, image):
    server = Server()
    done, _ = call(registry, image, P.UserQueryRequest(request_id="q1", query_text="hi"), server)
    assert done.full_text == "hello" and done.persona_id == "BRICK" and done.thought_id is None
    assert [(m.token, m.seq) for m in server.pushed] == [("he", 0), ("llo", 1)]


def test_a_cancelled_user_query_answers_nothing(image):
    registry = handlers.build_registry(StandInService(tokens=("a", "b")))
    ctx = RequestContext(request=P.UserQueryRequest(query_text="hi"), identity=b"c",
                         server=Server(), _session=image)
    ctx.cancelled.set()
    assert registry.get("USER_QUERY_REQUEST")(ctx) is None


# -- helpers ------------------------------------------------------------------------------------

def test_target_names_an_object_by_name_or_oid():
    assert handlers._target(P.InspectObject(name="Point")) == "Point"
    assert handlers._target(P.InspectObject(object_id="ab12")) == "oid:ab12"


@pytest.mark.parametrize("source, name", [
    ("def f(self):\n    pass\n", "f"),
    ("async def g(self):\n    pass\n", "g"),
    ("x = 1\ndef h(self):\n    pass\n", "h"),
])
def test_def_name(source, name):
    assert handlers._def_name(source) == name


def test_def_name_without_a_def_is_refused():
    with pytest.raises(RequestRefused, match="must be one `def name") as err:
        handlers._def_name("x = 1\n")
    assert err.value.code == P.BAD_REQUEST


def test_memory_that_is_missing_is_unavailable():
    class NoMemory:
        def area(self, name):
            assert name == "memory"
            raise ImportError("no torch")
    with pytest.raises(RequestRefused, match="fractal memory is not available") as err:
        handlers._memory(NoMemory())
    assert err.value.code == P.UNAVAILABLE
    memory = object()
    assert handlers._memory(types.SimpleNamespace(area=lambda name: memory)) is memory


def test_hit_carries_the_record_its_distance_and_tier():
    from telos.memory.hits import Hit
    record = types.SimpleNamespace(id=7, text="the sky", source="chat", created=5)
    hit = handlers._hit(Hit(id=7, text="the sky", distance=0.75, tier="L1", record=record,
                            tiers=("L1", "lexical")))
    assert hit == P.MemoryHit(record_id="7", text="the sky", score=0.75, tier="L1",
                              source="chat", created=5.0, tiers=["L1", "lexical"])


def test_hit_bounds_its_fields_and_tolerates_a_record_without_time_or_source():
    from telos.memory.hits import Hit
    hit = handlers._hit(Hit(id=12, text="t" * (P.MAX_TEXT + 10), distance=1.5, tier="L2",
                            record=types.SimpleNamespace(created="not a number")))
    assert hit.record_id == "12" and hit.score == 1.5 and hit.tier == "L2"
    assert len(hit.text) == P.MAX_TEXT and hit.created is None and hit.source == ""
