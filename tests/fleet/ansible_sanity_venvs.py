#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seed ansible-test sanity's virtual environments from Debian's packages.

ansible-test runs most sanity tests in a virtual environment of its own under
~/.ansible/test/venv/sanity.TEST/X.Y/HASH, which it fills with pip from PyPI
(pinned versions, and a pip bootstrap script it downloads). Without network
that fails. ansible-test reuses an environment whose marker.txt exists, so
this makes each one, at the path ansible-test itself computes (its own
functions, so the hash is the installed ansible-test's), as a venv that sees
the system's packages: the sanity test then runs with Debian's voluptuous,
pycodestyle, pylint, yamllint and PyYAML instead of the pinned ones.

The import test's own environment for modules needs no packages and is left
to ansible-test (no system packages in it, as the test wants); only its
helper environment ("import", PyYAML for yaml_to_json) is seeded.

usage: ansible_sanity_venvs.py TEST... (run with the HOME ansible-test will see)
"""

import json
import os
import pathlib
import subprocess
import sys

import yaml

# ansible-test's internals: the same code that names the environments.
from ansible_test._internal.commands.sanity import hash_pip_commands
from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import collect_requirements


def venv_path(python, name):
    commands = collect_requirements(python=python, controller=True, virtualenv=False,
                                    command=None, ansible=False, cryptography=False,
                                    coverage=False, minimize=False, sanity=name)
    if not commands:
        return None  # ansible-test makes a plain one itself, offline
    label = "sanity.%s" % name
    return os.path.join(os.path.expanduser("~/.ansible/test/venv"), label, python.version,
                        hash_pip_commands(commands))


def seed(path):
    if os.path.exists(os.path.join(path, "marker.txt")):
        return
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    path], check=True)
    # What ansible-test records after its own pip run: the install log and
    # whether PyYAML has libyaml (a test that needs it is skipped otherwise).
    with open(os.path.join(path, "meta.install.json"), "w", encoding="utf-8") as f:
        json.dump([], f)
    with open(os.path.join(path, "meta.yaml.json"), "w", encoding="utf-8") as f:
        json.dump(bool(getattr(yaml, "__with_libyaml__", False)), f)
    pathlib.Path(path, "marker.txt").touch()


def main(names):
    version = "%d.%d" % sys.version_info[:2]
    python = NativePythonConfig(version=version, path=sys.executable)
    for name in names:
        path = venv_path(python, name)
        if path:
            seed(path)
            print("%s: %s" % (name, path))
        else:
            print("%s: needs no packages" % name)


if __name__ == "__main__":
    main(sys.argv[1:])
