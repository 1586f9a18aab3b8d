#pragma once
// Turning plans, findings and results into text or JSON. Pure: returns
// strings/values; the app decides where they go. The JSON shapes are
// documented in docs/json.md and schema/json/*.schema.json.
#include <netlab/apply/engine.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace netlab {

/// The "schema_version" every --json document carries; bumped when a field
/// changes meaning or goes away (adding fields does not bump it).
inline constexpr int k_json_schema_version = 1;

/// One status line: "ok        ns1/vethB", "different ns2/vethD/mtu: want 1400, have 1500".
std::string format_finding(const Finding& f);

/// {"state", "path", "node", "want"?, "have"?}
nlohmann::json finding_json(const Finding& f);

/// An action as data: {"op", "object", "node", "name", "peer"?, "fields"?, "old"?,
/// "in_create"?, "text", "commands"? (with_explain)}.
nlohmann::json action_json(const Action& a, bool with_explain);

/// `plan --json`: {"lab", "changes": [action...]}
nlohmann::json plan_json(const std::string& lab, const Plan& plan, bool with_explain);

/// `status --json`: {"lab", "converged", "objects": [...]}
nlohmann::json status_json(const std::string& lab, const Plan& plan);

/// `up --json` / `down --json`: {"lab", "ok", "changes", "elapsed_ms", "unconverged", "error"?}.
nlohmann::json reconcile_json(const std::string& lab, const ReconcileReport& r);

/// The error object of a failed run: {"message", "exit_code"}.
nlohmann::json error_json(const std::string& message, ExitCode code);

/// "12 changes in 40 ms", "no changes (12 ms)".
std::string summary_line(size_t changes, double ms);

} // namespace netlab
