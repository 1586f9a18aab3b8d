# Filters that fold every machine's netlab result into one report (Jinja would need
# a loop of set/namespace tricks for the same lines). A machine with no result failed
# or was unreachable before its netlab task ran: it counts against the lab.
from __future__ import annotations


def _results(hostvars, hosts, var):
    return [(h, hostvars[h].get(var) if h in hostvars else None) for h in hosts]


def netlab_status_report(hostvars, hosts, var="netlab_status"):
    """One line per machine, then the lab's: converged on how many machines."""
    lines, converged = [], 0
    for host, r in _results(hostvars, hosts, var):
        if not r or "document" not in r:
            lines.append("%s: no status (%s)" % (host, (r or {}).get("msg", "the machine failed earlier")))
            continue
        objects = r["document"].get("objects", [])
        bad = ["%s %s" % (o["path"], o["state"]) for o in objects if o.get("state") != "ok"]
        if r.get("converged"):
            converged += 1
            lines.append("%s: converged (%d objects)" % (host, len(objects)))
        else:
            lines.append("%s: NOT converged, %d of %d objects differ: %s"
                         % (host, len(bad), len(objects), ", ".join(bad[:5]) + (", ..." if len(bad) > 5 else "")))
    lines.append("converged on %d of %d machines" % (converged, len(hosts)))
    return lines


def netlab_test_report(hostvars, hosts, var="netlab_test"):
    """Each machine's counts and failed checks, then `N passed, M failed` over all of them."""
    lines, passed, failed = [], 0, 0
    for host, r in _results(hostvars, hosts, var):
        if not r or "document" not in r:
            failed += 1  # its checks could not run: one failure, not silence
            lines.append("%s: checks not run (%s)" % (host, (r or {}).get("msg", "the machine failed earlier")))
            continue
        doc = r["document"]
        passed += doc.get("passed", 0)
        failed += doc.get("failed", 0)
        lines.append("%s: %d passed, %d failed" % (host, doc.get("passed", 0), doc.get("failed", 0)))
        lines += ["  FAIL %s: %s" % (c.get("name"), c.get("message") or c.get("outcome"))
                  for c in doc.get("checks", []) if not c.get("passed")]
    lines.append("%d passed, %d failed" % (passed, failed))
    return lines


class FilterModule:
    def filters(self):
        return {"netlab_status_report": netlab_status_report, "netlab_test_report": netlab_test_report}
