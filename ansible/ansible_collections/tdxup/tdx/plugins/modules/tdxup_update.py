#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tdxup developers
# MIT License (see LICENSE in the collection, or https://opensource.org/licenses/MIT)
# SPDX-License-Identifier: MIT
#
# A thin wrapper over `tdxup update --json`: the decisions (pre-checks, the
# build hold, retries, "nothing changed" against "module lost") are
# tdxup's; this file maps its exit status and JSON onto Ansible's result.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: tdxup_update
short_description: Install a TDX module at runtime (TD-preserving) with tdxup
version_added: 1.0.0
author:
  - tdxup developers (!UNKNOWN)
description:
  - Runs C(tdxup update --json) on the target. With I(version), or a
    catalogue alone, it runs C(--ensure), so a host already running that
    version reports C(changed=false) without reading the image or the
    catalogue.
  - "Check mode runs C(tdxup update --check): every pre-check, the hold
    decision and the read-only probes of a real run (host lock, upload
    device), nothing written. C(changed) is then whether a real run would
    install."
  - Diff mode shows the module version before and after (in check mode, the
    one a real run would install).
  - Fails unless tdxup exits 0. Exit 6 (the module is lost, its TDs are
    gone) fails with C(module_lost=true) and a message saying so; exit 4
    (still busy when the retry window closed, nothing changed) fails with
    C(busy=true).
  - One of I(image) and I(catalog) is required.
requirements:
  - tdxup on the target
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  image:
    description:
      - A TDX-BLOB on the target. With I(version), it must be that module.
    type: path
  catalog:
    description:
      - An Intel-style catalogue directory on the target.
    type: path
  version:
    description:
      - The module the host is to run, C(X.Y.Z), or C(latest), the
        catalogue's choice (needs I(catalog) and no I(image)).
      - Without it, C(latest) when I(catalog) is given and I(image) is not.
    type: str
  sysroot:
    description:
      - The host's files under this directory; the host's own when not given.
    type: path
  retry_for:
    description:
      - The device-busy retry window, a tdxup duration such as C(30s) or C(2m)
        (C(tdxup update --retry-for)); tdxup's default when not given.
    type: str
  hold_builds:
    description:
      - Hold TD builds around the update (C(tdxup update --hold-builds));
        tdxup's default when not given.
    type: str
    choices: [auto, "on", "off"]
  hold_timeout:
    description:
      - How long to wait for TD builds in flight, a tdxup duration
        (C(tdxup update --hold-timeout)).
    type: str
  keep_updates:
    description:
      - Refuse when fewer than this many updates would be left afterwards
        (C(tdxup update --keep-updates)).
    type: int
  tdxup:
    description:
      - The tdxup program on the target.
    type: path
    default: tdxup
  extra_args:
    description:
      - More C(tdxup update) options, passed as given.
    type: list
    elements: str
    default: []
notes:
  - The exit statuses are tdxup's (see C(man tdxup)) - 0 updated or current,
    3 refused by a pre-check, 4 busy, 5 failed with nothing changed, 6 the
    module is lost.
seealso:
  - module: tdxup.tdx.tdxup_facts
"""

EXAMPLES = r"""
- name: Run TDX module 1.5.25 from the host's catalogue
  tdxup.tdx.tdxup_update:
    catalog: /var/lib/tdx-module
    version: 1.5.25

- name: Run the newest module the catalogue offers, holding TD builds
  tdxup.tdx.tdxup_update:
    catalog: /var/lib/tdx-module
    hold_builds: "on"
    retry_for: 2m
  register: tdx

- name: Stop when the module was lost
  ansible.builtin.fail:
    msg: "{{ tdx.msg }}"
  when: tdx.module_lost

- name: Install an image, keeping at least 4 updates in reserve
  tdxup.tdx.tdxup_update:
    image: /var/lib/tdx-module/TDX-Module-1.5.25.bin
    version: 1.5.25
    keep_updates: 4
"""

RETURN = r"""
rc:
  description: tdxup's exit status (0 ok, 3 refused, 4 busy, 5 failed, 6 lost).
  returned: always
  type: int
  sample: 0
cmd:
  description: The tdxup command run.
  returned: always
  type: list
  elements: str
  sample: [tdxup, update, --json, --catalog, /var/lib/tdx-module, --ensure, 1.5.25]
result:
  description:
    - tdxup's result - updated, current, dry-run, refused, busy, failed, lost
      or error.
    - Null when tdxup printed no JSON.
  returned: always
  type: str
  sample: updated
from_version:
  description: The module running before, null when unknown.
  returned: always
  type: str
  sample: 1.5.24
to_version:
  description: The module installed, or that would be; null when none was chosen.
  returned: always
  type: str
  sample: 1.5.25
module_lost:
  description: The module is lost (rc 6, or result lost in check mode, rc 3); TDs are gone, the host must reboot.
  returned: always
  type: bool
  sample: false
busy:
  description: Still busy when the retry window closed (rc 4); nothing changed.
  returned: always
  type: bool
  sample: false
update:
  description: The JSON tdxup printed, as is; empty when it printed none.
  returned: always
  type: dict
  sample: {"result": "updated", "changed": true, "from": "1.5.24", "to": "1.5.25"}
stderr:
  description: What tdxup wrote to its standard error.
  returned: always
  type: str
  sample: ""
"""

import json

from ansible.module_utils.basic import AnsibleModule

RC_MESSAGES = {
    1: "tdxup update: unexpected error, the host's state is unknown (see tdxup status)",
    2: "tdxup update: usage error",
    3: "tdxup update refused by a pre-check, nothing written",
    4: "tdxup update still busy when the retry window closed, nothing changed",
    5: "tdxup update failed, nothing changed, TDs are safe",
    6: "TDX module LOST: TDs on this host are gone, reboot it",
}


def build_command(module):
    p = module.params
    cmd = [p["tdxup"], "update", "--json"]
    version = p["version"]
    if p["catalog"]:
        cmd += ["--catalog", p["catalog"]]
        if not version and not p["image"]:
            version = "latest"
    if version:
        cmd += ["--ensure", version]
    if p["image"]:
        cmd.append(p["image"])
    if p["sysroot"]:
        cmd += ["--sysroot", p["sysroot"]]
    for opt, key in (("--retry-for", "retry_for"), ("--hold-builds", "hold_builds"),
                     ("--hold-timeout", "hold_timeout")):
        if p[key]:
            cmd += [opt, p[key]]
    if p["keep_updates"] is not None:
        cmd += ["--keep-updates", str(p["keep_updates"])]
    if module.check_mode:
        cmd.append("--check")
    return cmd + p["extra_args"]


def parse(out):
    try:
        j = json.loads(out)
    except ValueError:
        return None
    return j if isinstance(j, dict) else None


def version_diff(j, changed):
    """Ansible's diff: the running module before and after, only for a change."""
    if not changed:
        return None
    return dict(before="module_version: %s\n" % j.get("from"),
                after="module_version: %s\n" % j.get("to"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image=dict(type="path"),
            catalog=dict(type="path"),
            version=dict(type="str"),
            sysroot=dict(type="path"),
            retry_for=dict(type="str"),
            hold_builds=dict(type="str", choices=["auto", "on", "off"]),
            hold_timeout=dict(type="str"),
            keep_updates=dict(type="int"),
            tdxup=dict(type="path", default="tdxup"),
            extra_args=dict(type="list", elements="str", default=[]),
        ),
        required_one_of=[("image", "catalog")],
        supports_check_mode=True,
    )
    if module.params["image"] and module.params["version"] == "latest":
        module.fail_json(msg="version latest is the catalogue's choice: give catalog, not image")
    cmd = build_command(module)
    rc, out, err = module.run_command(cmd)
    j = parse(out) or {}
    # In check mode nothing changed; what is reported is what would.
    key = "would_change" if module.check_mode else "changed"
    changed = bool(j.get(key, False))
    res = dict(
        rc=rc,
        cmd=cmd,
        changed=changed,
        result=j.get("result"),
        from_version=j.get("from"),
        to_version=j.get("to"),
        # A check finds a lost module too, but exits 3: only a real run exits 6.
        module_lost=rc == 6 or j.get("result") == "lost",
        busy=rc == 4,
        update=j,
        stderr=err,
    )
    diff = version_diff(j, changed) if module._diff else None
    if diff:
        res["diff"] = diff
    reason = j.get("reason") or err.strip() or out.strip()
    if rc == 0:
        module.exit_json(msg="%s: %s" % (j.get("result", "ok"), reason), **res)
    msg = RC_MESSAGES.get(rc, "tdxup update exited %d" % rc)
    module.fail_json(msg="%s: %s" % (msg, reason), **res)


if __name__ == "__main__":
    main()
