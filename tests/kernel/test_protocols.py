"""With the kernel on, what Python itself probes never reaches the language model.

The stand-in records every request: each test ends by asserting it saw none.
"""

from __future__ import annotations

import copy
import pickle
import rlcompleter

import pytest

from telos import UvmObject, mirror


@pytest.fixture
def rect(kimage, standin):
    standin.script("```python\ndef never(self):\n    return 1\n```")   # would install if asked
    yield kimage.prototypes["Rectangle"]
    assert standin.requests == [], "the language model was called"


def test_kernel_is_on_by_default_in_a_new_image(image):
    assert image.kernel_enabled is True


@pytest.mark.parametrize("name", ["__foo__", "__getstate__", "__copy__", "__deepcopy__",
                                  "__reduce_ex__", "__array__", "_ipython_display_",
                                  "_ipython_canary_method_should_not_exist_", "_repr_html_",
                                  "_repr_pretty_", "_repr_mimebundle_", "keys", "getdoc",
                                  "trait_names", "items", "fileno"])
def test_hasattr_on_protocol_names(rect, name):
    assert hasattr(rect, name) == hasattr(object(), name)


def test_hasattr_on_an_unknown_public_name_does_not_call_the_model(rect):
    hasattr(rect, "volume")             # a pending send: the model is called only on a call


def test_copy_and_deepcopy(rect, kimage):
    c = copy.copy(rect)
    d = copy.deepcopy(rect)
    assert c.width == d.width == 3


def test_pickle_round_trip(rect):
    obj = UvmObject(width=5)
    assert pickle.loads(pickle.dumps(obj)).width == 5


def test_tab_completion(rect):
    completer = rlcompleter.Completer({"rect": rect})
    found, i = [], 0
    while (m := completer.complete("rect.", i)) is not None:
        found.append(m)
        i += 1
    assert "rect.width" in found and "rect.height" in found and "rect.clone()" in found


def test_dict_and_str_conversions(rect):
    repr(rect), str(rect), format(rect, "")
    with pytest.raises(TypeError):
        dict(rect)
    assert mirror(rect).responds_to("width")
