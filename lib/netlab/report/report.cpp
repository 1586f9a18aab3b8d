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
  json j{{"state", to_string(f.state)}, {"path", f.path}, {"node", f.path.substr(0, f.path.find('/'))}};
  if (!f.want.empty()) j["want"] = f.want;
  if (!f.have.empty()) j["have"] = f.have;
  return j;
}

json plan_json(const std::string& lab, const Plan& plan, bool with_explain) {
  json actions = json::array();
  for (const auto& a : plan.actions) actions.push_back(action_json(a, with_explain));
  return {{"lab", lab}, {"changes", actions}};
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

json error_json(const std::string& message, ExitCode code) {
  return {{"message", message}, {"exit_code", static_cast<int>(code)}};
}

json reconcile_json(const std::string& lab, const ReconcileReport& r) {
  json actions = json::array();
  const size_t completed = r.applied.failed_index.value_or(r.applied.done); // the stretch before any failure
  for (size_t i = 0; i < r.plan.actions.size() && i < completed; ++i)
    actions.push_back(action_json(r.plan.actions[i], false));
  json unconverged = json::array();
  for (const auto& f : r.unconverged) unconverged.push_back(finding_json(f));
  json j{{"lab", lab},
         {"changes", actions},
         {"elapsed_ms", r.elapsed_ms},
         {"ok", r.applied.ok() && r.unconverged.empty()},
         {"unconverged", unconverged}};
  if (r.applied.error) {
    const Action& failed = r.plan.actions[*r.applied.failed_index];
    json e = error_json("failed: " + describe(failed) + ": " + r.applied.error->message, ExitCode::failure);
    e["failed_change"] = action_json(failed, false);
    e["rolled_back"] = r.applied.rolled_back;
    e["undo_errors"] = r.applied.undo_errors;
    j["error"] = e;
  } else if (!r.unconverged.empty()) {
    j["error"] = error_json("applied, but the kernel still differs", ExitCode::failure);
  }
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
