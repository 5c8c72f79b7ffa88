"""Targets for spawned children in the dashboard tests (spawn imports them by module name)."""
import os
import struct
import time


def send_half_an_event(events) -> None:
    """Send one whole event, then the length and first bytes of a second one, then hang (the
    state a child is in when it is killed while its queue writes an event)."""
    events.put({"event": "start"})
    time.sleep(0.5)  # the queue's feeder thread has sent it
    os.write(events._writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    time.sleep(600)


def train_until_killed(run: str, step: int, overrides: dict) -> None:
    """Train the mlp template into ``run`` and SIGKILL this process once ``step`` is logged
    (a spawned child: a forked one cannot run autograd once its parent has)."""
    import signal

    import torch

    from studio.core.templates import open_document
    from studio.core.variables import apply_preset
    from studio.train import events
    from studio.train.engine import train
    torch.set_num_threads(1)
    events.FLUSH_S = 0.0  # every step line reaches the file before the kill

    def kill(event):
        if event["event"] == "step" and event["step"] == step:
            os.kill(os.getpid(), signal.SIGKILL)
    doc, _, _ = open_document("mlp")
    train(apply_preset(doc), overrides, out=run, callback=kill)
