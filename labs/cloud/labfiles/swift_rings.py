"""Build the cloud lab's one-node Swift rings: swift_rings.py SWIFT_DIR account=PORT container=PORT object=PORT

Each ring from scratch with swift-ring-builder's own commands (``swift.cli.ringbuilder.main``, run
in this one process: python3-swift ships the module, the `swift` package the wrapper), into
SWIFT_DIR: one device ``d1`` on 127.0.0.1 at the server's port, one replica, 2^6 partitions, no
min_part_hours (the ring is rebuilt whenever the lab's ports change). Exits 2 naming the failing
command.
"""
import os
import shutil
import sys

from swift.cli import ringbuilder

PART_POWER, REPLICAS, MIN_PART_HOURS = "6", "1", "0"


def run(args):
    try:
        ringbuilder.main(["swift-ring-builder", *args])
    except SystemExit as exc:  # main() always exits: 0 done, 1 done with a warning, 2 error
        if exc.code not in (0, 1, None):
            sys.exit(f"swift-ring-builder {' '.join(args)} exited {exc.code}")


def main():
    swift_dir = sys.argv[1]
    os.chdir(swift_dir)
    shutil.rmtree("backups", ignore_errors=True)
    for spec in sys.argv[2:]:
        ring, port = spec.split("=")
        for old in (f"{ring}.builder", f"{ring}.ring.gz"):
            if os.path.exists(old):
                os.unlink(old)
        builder = f"{ring}.builder"
        run([builder, "create", PART_POWER, REPLICAS, MIN_PART_HOURS])
        run([builder, "add", "--region", "1", "--zone", "1", "--ip", "127.0.0.1", "--port", port, "--device", "d1",
             "--weight", "100"])
        run([builder, "rebalance"])


if __name__ == "__main__":
    main()
