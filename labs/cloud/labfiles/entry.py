"""Run a console-script entry point with the system python: entry.py NAME module:function ARGS...

The python3-* library packages install no neutron-server/nova-api/cinder-api wrappers, and
``python3 -m nova.cmd.api`` imports the module and exits 0 doing nothing (the cmd modules have no
``__main__`` guard). NAME becomes argv[0], which oslo.config and oslo.log use as the program name.
"""
import importlib
import sys


def main():
    name, target = sys.argv[1], sys.argv[2]
    module, function = target.split(":")
    sys.argv = [name] + sys.argv[3:]
    sys.exit(getattr(importlib.import_module(module), function)())


if __name__ == "__main__":
    main()
