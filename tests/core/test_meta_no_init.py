"""Shape inference builds layers without filling their weights, on its own thread only: a real
model built meanwhile on another thread (the lab, an import) must still be initialized."""
import threading

import torch

from studio.core.meta import no_init


def _filled(layer: torch.nn.Linear) -> bool:
    return bool(layer.weight.abs().sum() > 0)


def test_no_init_skips_fills_on_its_thread_only():
    torch.manual_seed(0)
    inside_started, other_done = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        inside_started.wait(10)
        seen["other"] = _filled(torch.nn.Linear(64, 64))  # while the main thread skips
        other_done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with no_init():
        with torch.no_grad():
            probe = torch.nn.Linear(64, 64)
            probe.weight.zero_()
        # a fill inside the context leaves the tensor as it was (zeros here)
        torch.nn.init.kaiming_uniform_(probe.weight)
        seen["inside"] = _filled(probe)
        inside_started.set()
        assert other_done.wait(10)
    worker.join()
    assert seen == {"inside": False, "other": True}
    # and after the context, fills work again on this thread
    assert _filled(torch.nn.Linear(8, 8))
    weight = torch.zeros(4, 4)
    torch.nn.init.ones_(weight)
    assert torch.equal(weight, torch.ones(4, 4))
