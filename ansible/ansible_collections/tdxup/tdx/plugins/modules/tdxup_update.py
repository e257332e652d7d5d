#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A thin wrapper over `tdxup update --json`: the decisions (pre-checks, the
# build hold, retries, "nothing changed" against "module lost") are
# tdxup's; this file maps its exit status and JSON onto Ansible's result.

DOCUMENTATION = r"""
module: tdxup_update
short_description: Install a TDX module at runtime (TD-preserving) with tdxup
description:
  - Runs C(tdxup update --json) on the target. With I(version) (or a
    catalogue alone) it runs C(--ensure), so a host already running the
    version reports C(changed=false) without reading the image or catalogue.
  - Check mode runs C(tdxup update --check): every pre-check, the hold
    decision and the read-only probes of a real run (host lock, upload
    device), nothing written; C(changed) is then whether a real run would
    install.
  - Fails unless tdxup exits 0. Exit 6 (the module is lost, its TDs are
    gone) fails with I(module_lost=true) and a message saying so; exit 4
    (still busy at the deadline, nothing changed) with I(busy=true).
options:
  image:
    description: A TDX-BLOB on the target. With I(version), it must be that module.
    type: path
  catalog:
    description: An Intel-style catalogue directory on the target.
    type: path
  version:
    description:
      - X.Y.Z, the module the host is to run, or C(latest) (the catalogue's
        choice; needs I(catalog) and no I(image)). Default with I(catalog)
        and no I(image) is C(latest).
    type: str
  sysroot:
    description: The host's files under this directory (default C(/)).
    type: path
  retry_for:
    description: The device-busy retry window, a tdxup duration (C(30s), C(2m)).
    type: str
  hold_builds:
    description: Hold TD builds around the update (tdxup --hold-builds).
    type: str
    choices: [auto, "on", "off"]
  hold_timeout:
    description: How long to wait for TD builds in flight (tdxup --hold-timeout).
    type: str
  keep_updates:
    description: Refuse when fewer than this many updates would be left.
    type: int
  tdxup:
    description: The tdxup program.
    type: path
    default: tdxup
  extra_args:
    description: More tdxup update options, as given.
    type: list
    elements: str
    default: []
"""

RETURN = r"""
rc:
  description: tdxup's exit status (0 ok, 3 refused, 4 busy, 5 failed, 6 lost).
  type: int
result:
  description: tdxup's result (updated, current, dry-run, refused, busy, failed, lost, error).
  type: str
from_version:
  description: The module running before.
  type: str
to_version:
  description: The module installed, or that would be.
  type: str
module_lost:
  description: The module is lost (rc 6, or result lost in check mode, rc 3); TDs are gone, the host must reboot.
  type: bool
busy:
  description: Still busy when the window closed (rc 4); nothing changed.
  type: bool
update:
  description: The JSON tdxup printed, as is.
  type: dict
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
    res = dict(
        rc=rc,
        cmd=cmd,
        changed=bool(j.get(key, False)),
        result=j.get("result"),
        from_version=j.get("from"),
        to_version=j.get("to"),
        # A check finds a lost module too, but exits 3: only a real run exits 6.
        module_lost=rc == 6 or j.get("result") == "lost",
        busy=rc == 4,
        update=j,
        stderr=err,
    )
    reason = j.get("reason") or err.strip() or out.strip()
    if rc == 0:
        module.exit_json(msg="%s: %s" % (j.get("result", "ok"), reason), **res)
    msg = RC_MESSAGES.get(rc, "tdxup update exited %d" % rc)
    module.fail_json(msg="%s: %s" % (msg, reason), **res)


if __name__ == "__main__":
    main()
