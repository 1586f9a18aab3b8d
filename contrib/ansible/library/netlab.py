#!/usr/bin/python3
# netlab Ansible module: one machine's part of a lab, through netlab's own --json CLI.
# Copy it (with ../action_plugins/netlab.py) next to a playbook, or into ANSIBLE_LIBRARY.
from __future__ import annotations

DOCUMENTATION = r"""
module: netlab
short_description: Converge, check, test or remove this machine's part of a netlab lab
description:
  - Runs C(netlab --json VERB FILE --host HOST) on the managed machine and reports
    its JSON document. changed is true when netlab's document lists changes.
  - Check mode runs C(netlab plan) (or, for state=absent, C(netlab status)) and changes nothing.
  - The action plugin of the same name defaults host to C(inventory_hostname).
options:
  topology: {description: Path of the topology file on the managed machine., required: true, type: path}
  host:
    description:
      - The machine's name in the file's C(hosts:) section (C(--host)).
      - The empty string runs netlab on the whole file (a single-machine lab).
    type: str
  state:
    description:
      - present C(up), absent C(down), status C(status) (never changes anything,
        reports converged), tested C(test) (fails when a check fails).
    choices: [present, absent, status, tested]
    default: present
    type: str
  netlab: {description: The netlab binary (a name on PATH or a path)., default: netlab, type: str}
  instance: {description: Run on the independent copy C(LAB@INSTANCE) (C(-i))., type: str}
  content:
    description:
      - The topology's text, used instead of the file at topology (the playbooks pass
        it in check mode, where the copy task has not written the file).
    type: str
"""

EXAMPLES = r"""
- name: This machine's part of the lab
  netlab: {topology: /etc/netlab/lab.yaml}
- name: Its checks
  netlab: {topology: /etc/netlab/lab.yaml, state: tested}
"""

RETURN = r"""
exit_code:
  description:
    - netlab's exit code (0 ok, 1 failure, 2 invalid file or usage, 3 drift or a failed check).
    - Not named rc, which Ansible takes for failed when it is not 0 (drift is a result of status, not a failure).
  type: int
document: {description: netlab's whole --json document., type: dict}
changes: {description: One line per kernel change (as netlab up prints them)., type: list}
converged: {description: "status: every object of this machine's part is as the file says.", type: bool}
passed: {description: "tested: the checks that passed.", type: int}
failed_checks: {description: "tested: the checks that failed.", type: int}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

VERB = {"present": "up", "absent": "down", "status": "status", "tested": "test"}


def run_netlab(module, verb, topology):
    p = module.params
    argv = [module.get_bin_path(p["netlab"], required=True), "--json", verb, topology]
    if p["host"]:
        argv += ["--host", p["host"]]
    if p["instance"]:
        argv += ["--instance", p["instance"]]
    rc, out, err = module.run_command(argv)
    if rc < 0:  # killed (the OOM killer, a user): what it made stays, and a re-run finishes it
        module.fail_json(msg="netlab %s was killed by signal %d; run it again to converge" % (verb, -rc),
                         exit_code=rc, cmd=argv, stderr=err)
    try:
        doc = json.loads(out)
    except ValueError:
        module.fail_json(msg="netlab printed no JSON document (exit %d): %s" % (rc, err.strip() or out.strip()),
                         exit_code=rc, cmd=argv, stderr=err)
    error = doc.get("error")
    if error is not None:
        # netlab's own words: the message as on stderr, then every problem of the file.
        error = error if isinstance(error, dict) else {"message": str(error)}
        lines = [d.get("file", "") + ":%s:%s: %s" % (d.get("line"), d.get("col"), d.get("message"))
                 for d in error.get("diagnostics", [])]
        module.fail_json(msg="\n".join([error.get("message", "netlab failed")] + error.get("details", []) + lines),
                         exit_code=rc, cmd=argv, document=doc, stderr=err)
    return rc, doc


def main():
    module = AnsibleModule(
        argument_spec=dict(
            topology=dict(type="path", required=True),
            host=dict(type="str"),
            state=dict(type="str", default="present", choices=list(VERB)),
            netlab=dict(type="str", default="netlab"),
            instance=dict(type="str"),
            content=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    topology = p["topology"]
    if p["content"] is not None:
        # Same base name: netlab names a lab after its file when the file has no `name:`.
        topology = os.path.join(module.tmpdir, os.path.basename(topology))
        with open(topology, "w") as f:
            f.write(p["content"])

    state = p["state"]
    verb = VERB[state]
    if module.check_mode and state == "present":
        verb = "plan"
    elif module.check_mode and state == "absent":
        verb = "status"  # down has no dry run: whatever of the lab exists is what down would remove
    rc, doc = run_netlab(module, verb, topology)
    result = dict(exit_code=rc, document=doc, changed=False)

    if verb in ("up", "plan", "down"):
        changes = doc.get("changes", [])
        result.update(changed=bool(changes), changes=[c.get("text", "") for c in changes])
        if verb == "up" and doc.get("unconverged"):
            module.fail_json(msg="netlab up finished but %d object(s) still differ" % len(doc["unconverged"]), **result)
    elif verb == "status" and state == "absent":
        # What exists is what down would remove; status also reports objects inside a
        # missing namespace (its lo "different"), which are not there either.
        objects = doc.get("objects", [])
        gone = {o.get("node") for o in objects if o["path"] == o.get("node") and o["state"] == "missing"}
        present = [o["path"] for o in objects if o["state"] != "missing" and o.get("node") not in gone]
        result.update(changed=bool(present), changes=["- " + path for path in present])
    elif verb == "status":
        result["converged"] = bool(doc.get("converged"))
    elif verb == "test":
        result.update(passed=doc.get("passed", 0), failed_checks=doc.get("failed", 0))
        if rc != 0:
            failed = [c for c in doc.get("checks", []) if not c.get("passed")]
            lines = ["FAIL %s: %s" % (c.get("name"), c.get("message") or c.get("outcome")) for c in failed]
            module.fail_json(msg="%d passed, %d failed\n%s" % (result["passed"], result["failed_checks"],
                                                              "\n".join(lines)), **result)

    if rc not in (0, 3):  # 3 is drift for status, handled above for test
        module.fail_json(msg="netlab %s exited %d" % (verb, rc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
