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
