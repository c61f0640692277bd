"""Run one Swift server with the system python: swift_serve.py SWIFT_DIR CONF SECTION

What /usr/bin/swift-{proxy,account,container,object}-server do (``run_wsgi(conf, section)``), with
three differences for the cloud lab (``govctl lab cloud up``), which keeps everything in its own
directory and installs only the library package python3-swift:

- swift.conf (hash path prefix and suffix, storage policies) is read from SWIFT_DIR, not
  /etc/swift: Swift reads /etc/swift/swift.conf whatever the server config says;
- logs go to stderr (the lab's logs/NAME.log), not to syslog: the syslog handler is replaced by a
  null one and every logger gets Swift's own console handler (``verbose``);
- the config's ``workers = 0`` keeps the server in this one process, the one the lab records.
"""
import logging
import sys


class _NoSyslog(logging.NullHandler):
    def __init__(self, *args, **kwargs):  # SysLogHandler's signature (address, facility, socktype)
        super().__init__()


def main():
    swift_dir, conf, section = sys.argv[1:4]
    sys.argv = [f"swift-{section}"]
    from swift.common import utils

    utils.ThreadSafeSysLogHandler = _NoSyslog
    utils.set_swift_dir(swift_dir)  # validates swift.conf there: exits naming it when the hash settings lack
    from swift.common import storage_policy

    storage_policy.reload_storage_policies()
    from swift.common.wsgi import run_wsgi

    sys.exit(run_wsgi(conf, section, verbose=True))


if __name__ == "__main__":
    main()
