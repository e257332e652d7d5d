#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tdxup developers
# MIT License (see LICENSE in the collection, or https://opensource.org/licenses/MIT)
# SPDX-License-Identifier: MIT
#
# `tdxup status --json` as the fact tdxup: readable, with why not, so that
# health gates can assert on it. Nothing is written.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: tdxup_facts
short_description: The TDX module's runtime-update state as facts (tdxup status)
version_added: 1.0.0
author:
  - tdxup developers (!UNKNOWN)
description:
  - Runs C(tdxup status --json) and sets the fact C(ansible_facts.tdxup) to
    its JSON, plus C(status_rc), C(update_possible) (rc 0) and
    C(module_lost) (rc 6).
  - A host that cannot update (rc 3) or whose module is lost (rc 6) still
    gives facts, for gates to judge. No tdx_host device, or no JSON, fails.
  - Never changes anything.
requirements:
  - tdxup on the target
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
options:
  sysroot:
    description:
      - The host's files under this directory; the host's own when not given.
    type: path
  tdxup:
    description:
      - The tdxup program on the target.
    type: path
    default: tdxup
seealso:
  - module: tdxup.tdx.tdxup_update
"""

EXAMPLES = r"""
- name: Read the host's TDX module state
  tdxup.tdx.tdxup_facts:

- name: Only hosts that can still update
  ansible.builtin.assert:
    that:
      - ansible_facts.tdxup.update_possible
      - ansible_facts.tdxup.num_remaining_updates | int > 1
    fail_msg: "{{ ansible_facts.tdxup.reason | default('no updates left') }}"
"""

RETURN = r"""
ansible_facts:
  description: The facts set.
  returned: always
  type: complex
  contains:
    tdxup:
      description:
        - C(tdxup status --json) as is, with C(status_rc), C(update_possible)
          and C(module_lost) added.
        - Among its keys C(module_version), C(seamldr_version),
          C(num_remaining_updates), C(update_available), C(reason) (why no
          update is possible, when none is), C(upload_status), C(last_error)
          and C(kernel_release).
      returned: always
      type: dict
      sample:
        module_version: 1.5.24
        seamldr_version: 2.0.0
        num_remaining_updates: 16
        update_available: true
        upload_status: idle
        status_rc: 0
        update_possible: true
        module_lost: false
rc:
  description: tdxup's exit status (0 can update, 3 cannot, 6 module lost).
  returned: always
  type: int
  sample: 0
"""

import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysroot=dict(type="path"),
            tdxup=dict(type="path", default="tdxup"),
        ),
        supports_check_mode=True,
    )
    cmd = [module.params["tdxup"], "status", "--json"]
    if module.params["sysroot"]:
        cmd += ["--sysroot", module.params["sysroot"]]
    rc, out, err = module.run_command(cmd)
    try:
        facts = json.loads(out)
    except ValueError:
        facts = None
    if rc not in (0, 3, 6) or not isinstance(facts, dict):
        module.fail_json(msg="tdxup status exited %d: %s" % (rc, err.strip() or out.strip()),
                         rc=rc, cmd=cmd)
    facts.update(status_rc=rc, update_possible=rc == 0, module_lost=rc == 6)
    module.exit_json(changed=False, ansible_facts=dict(tdxup=facts), rc=rc)


if __name__ == "__main__":
    main()
