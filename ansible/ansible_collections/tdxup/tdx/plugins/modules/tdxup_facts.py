#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# `tdxup status --json` as the fact tdxup: readable, with why not, so that
# health gates can assert on it. Nothing is written.

DOCUMENTATION = r"""
module: tdxup_facts
short_description: The TDX module's runtime-update state as facts (tdxup status)
description:
  - Runs C(tdxup status --json) and sets the fact C(tdxup) to its JSON
    (module_version, seamldr_version, num_remaining_updates,
    update_available, reason, upload_status, last_error, kernel_release)
    plus status_rc, update_possible (rc 0) and module_lost (rc 6).
  - A host that cannot update (rc 3) or whose module is lost (rc 6) still
    gives facts: gates decide. No tdx_host device or no JSON fails.
options:
  sysroot:
    description: The host's files under this directory (default C(/)).
    type: path
  tdxup:
    description: The tdxup program.
    type: path
    default: tdxup
"""

RETURN = r"""
ansible_facts:
  description: tdxup, the status JSON with status_rc, update_possible and module_lost.
  type: dict
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
