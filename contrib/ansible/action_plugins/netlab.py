# Action side of the netlab module: only a module's action plugin sees the inventory,
# so this is where `host` gets its default, the machine's inventory name (which
# `netlab inventory` makes the same as the name in the file's `hosts:`).
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        args.setdefault("host", (task_vars or {}).get("inventory_hostname"))
        result.update(self._execute_module(module_name="netlab", module_args=args, task_vars=task_vars))
        return result
