#!/usr/bin/env python3
"""A real SMTP server on loopback for qsword's tests (Debian's python3-aiosmtpd).

Usage: smtp_sink.py HOST PORT DIR

Every message accepted is written to DIR/NNNNNN.eml (temp name, then rename, so a reader
never sees half a message), with the envelope recipients in DIR/NNNNNN.rcpt. Prints
"listening HOST PORT" once it accepts connections; stops on SIGTERM/SIGINT.
"""
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        existing = [f for f in os.listdir(directory) if f.endswith(".eml")]
        self.count = len(existing)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            name = os.path.join(self.directory, "%06d" % self.count)
        with open(name + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        tmp = name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, name + ".eml")
        return "250 OK"


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(directory, exist_ok=True)
    # SMTPUTF8 and 8BITMIME are advertised by aiosmtpd; the digest is sent as lettre writes it.
    controller = Controller(Sink(directory), hostname=host, port=port)
    controller.start()
    print("listening", host, port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
