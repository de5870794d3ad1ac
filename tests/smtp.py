"""A real SMTP server on loopback for tests: it keeps every message it accepts."""
import asyncio
import socket
from email import message_from_bytes
from email.policy import default as default_policy

from aiosmtpd.controller import Controller


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self, delay=0.0):
        self.received = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow server, so that concurrent senders overlap
        self.received.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy)))
        return "250 Message accepted for delivery"

    def subjects(self):
        return [message["Subject"] for _, message in self.received]


def free_port():
    """A port on loopback that nobody listens on (so connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(handler, **smtp_options):
    """Start a real SMTP server on a free loopback port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    return controller
