"""Serve one WSGI application on HOST:PORT with the standard library: wsgi_serve.py HOST PORT module:factory

Run by the cloud lab (``govctl lab cloud up``) with /usr/bin/python3. Keystone and Placement are
WSGI-only applications and the Debian library packages bring no uwsgi/apache setup; a threaded
stdlib server is enough for API acceptance tests.
"""
import importlib
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a hung client must not block shutdown


class StderrHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's parameter name
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main():
    host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sys.argv = [sys.argv[0]]  # the apps parse argv with oslo.config: hide our own arguments
    module, factory = target.split(":")
    app = getattr(importlib.import_module(module), factory)()
    server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=StderrHandler)
    sys.stderr.write("serving %s on %s:%d\n" % (target, host, port))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
