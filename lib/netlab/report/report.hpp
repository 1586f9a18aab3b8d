#pragma once
// Turning plans, findings and results into text or JSON. Pure: returns
// strings/values; the app decides where they go.
#include <netlab/apply/engine.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace netlab {

/// One status line: "ok        ns1/vethB", "different ns2/vethD/mtu: want 1400, have 1500".
std::string format_finding(const Finding& f);

nlohmann::json finding_json(const Finding& f);
nlohmann::json action_json(const Action& a, bool with_explain);

/// `status --json`: {"lab", "converged", "objects": [...]}
nlohmann::json status_json(const std::string& lab, const Plan& plan);

/// `up --json` / `down --json`.
nlohmann::json reconcile_json(const std::string& lab, const ReconcileReport& r);

/// "12 changes in 40 ms", "no changes (12 ms)".
std::string summary_line(size_t changes, double ms);

} // namespace netlab
