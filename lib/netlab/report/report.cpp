#include <netlab/report/report.hpp>

#include <netlab/plan/describe.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab {

using nlohmann::json;

std::string format_finding(const Finding& f) {
  char state[16];
  std::snprintf(state, sizeof state, "%-9s", std::string(to_string(f.state)).c_str());
  std::string line = std::string(state) + " " + f.path;
  switch (f.state) {
  case Finding::State::different:
  case Finding::State::conflict: line += ": want " + f.want + ", have " + f.have; break;
  case Finding::State::missing:
    if (!f.want.empty()) line += ": want " + f.want;
    break;
  case Finding::State::extra:
    if (!f.have.empty()) line += ": " + f.have + " (owned, no longer declared)";
    break;
  case Finding::State::ok: break;
  }
  return line;
}

json finding_json(const Finding& f) {
  json j{{"state", to_string(f.state)}, {"path", f.path}};
  if (!f.want.empty()) j["want"] = f.want;
  if (!f.have.empty()) j["have"] = f.have;
  return j;
}

json action_json(const Action& a, bool with_explain) {
  json j{{"node", action_ns(a).node}, {"change", describe(a)}};
  if (with_explain) j["commands"] = explain(a);
  return j;
}

json status_json(const std::string& lab, const Plan& plan) {
  json objects = json::array();
  bool converged = true;
  for (const auto& f : plan.findings) {
    objects.push_back(finding_json(f));
    converged = converged && f.state == Finding::State::ok;
  }
  return {{"lab", lab}, {"converged", converged}, {"objects", objects}};
}

json reconcile_json(const std::string& lab, const ReconcileReport& r) {
  json actions = json::array();
  const size_t completed = r.applied.failed_index.value_or(r.applied.done); // the stretch before any failure
  for (size_t i = 0; i < r.plan.actions.size() && i < completed; ++i)
    actions.push_back(action_json(r.plan.actions[i], false));
  json j{{"lab", lab}, {"changes", actions}, {"elapsed_ms", r.elapsed_ms}, {"ok", r.applied.ok()}};
  if (r.applied.error) {
    j["error"] = r.applied.error->message;
    j["failed_change"] = describe(r.plan.actions[*r.applied.failed_index]);
    j["rolled_back"] = r.applied.rolled_back;
    j["undo_errors"] = r.applied.undo_errors;
  }
  json unconverged = json::array();
  for (const auto& f : r.unconverged) unconverged.push_back(finding_json(f));
  j["unconverged"] = unconverged;
  return j;
}

std::string summary_line(size_t changes, double ms) {
  char buf[64];
  if (changes == 0) {
    std::snprintf(buf, sizeof buf, "no changes (%.0f ms)", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%zu change%s in %.0f ms", changes, changes == 1 ? "" : "s", ms);
  }
  return buf;
}

} // namespace netlab
