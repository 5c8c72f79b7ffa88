import os

# pytest-qt does not choose a headless platform itself (PLATFORM-NOTES.md).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from studio.core.builder import GraphBuilder  # noqa: E402
from studio.core.document import Document  # noqa: E402


@pytest.fixture
def small_doc() -> Document:
    """Input 1x8x8 -> Flatten -> Linear 16 -> ReLU -> Linear 3 -> Output, + CrossEntropy."""
    doc = Document(variables={"classes": 3, "hidden": 16})
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[1, 8, 8])
    y = b.add("io.Target", shape=[], dtype="int64", id="label", name="label")
    h = b.add("reshape.Flatten", x)
    h = b.add("activation.ReLU", b.add("linear.Linear", h, out_features="$hidden"))
    logits = b.add("linear.Linear", h, out_features="$classes")
    b.add("io.Output", logits, name="logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc


# Small tensor work on one thread: on the shared 2-core machine extra threads only add
# contention (PLATFORM-NOTES.md; the CLI's thread policy gives small models one thread too).
# A module that wants it for every test says ``pytestmark = pytest.mark.usefixtures(...)``.
@pytest.fixture
def one_thread():
    from studio.core.threads import single_threaded
    with single_threaded():
        yield


@pytest.fixture(scope="module")
def one_thread_module():
    """:func:`one_thread` for a module's shared fixtures (a run trained once per module)."""
    from studio.core.threads import single_threaded
    with single_threaded():
        yield
