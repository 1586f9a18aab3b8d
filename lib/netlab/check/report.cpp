#include <netlab/check/report.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab {

namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

std::string_view type_text(Check::Type t) {
  switch (t) {
  case Check::Type::ping: return "ping";
  case Check::Type::tcp: return "tcp";
  case Check::Type::peer: return "peer";
  }
  return "ping";
}

nlohmann::json check_json(const CheckResult& r) {
  const Check& c = r.check;
  // A peer check's target is where the other end must be, NODE:IFNAME.
  nlohmann::json j = {
      {"name", r.label()},
      {"from", c.from},
      {"type", type_text(c.type)},
      {"target", c.type == Check::Type::peer ? c.peer_is.str() : c.target.str()},
  };
  if (c.type == Check::Type::tcp) j["port"] = c.port;
  if (c.type == Check::Type::peer) j["peer"] = c.iface;
  if (c.listen) j["listen"] = *c.listen;
  if (c.seen_from) j["seen_from"] = c.seen_from->str();
  j["expect"] = c.expect_pass ? "pass" : "fail";
  j["timeout_s"] = c.timeout_s;
  j["passed"] = r.passed;
  j["outcome"] = std::string(to_string(r.probe.outcome));
  j["rtt_ms"] = r.probe.rtt_ms ? nlohmann::json(*r.probe.rtt_ms) : nlohmann::json(nullptr);
  j["message"] = r.message;
  j["elapsed_s"] = r.elapsed_s;
  if (!r.why.empty()) j["why"] = r.why;
  return j;
}

std::string testcase_xml(std::string_view lab, const CheckResult& r) {
  std::string head = "    <testcase classname=\"" + xml_escape(lab) + "\" name=\"" + xml_escape(r.label()) +
                     "\" time=\"" + seconds_text(r.elapsed_s) + "\"";
  if (r.passed) return head + "/>\n";
  const std::string message = r.why.empty() ? r.message : r.why + "; " + r.message;
  return head + ">\n      <failure message=\"" + xml_escape(message) + "\" type=\"" +
         std::string(to_string(r.probe.outcome)) + "\">" + xml_escape(message) + "</failure>\n    </testcase>\n";
}

} // namespace

std::string check_line(const CheckResult& r) {
  std::string line = (r.passed ? "PASS " : "FAIL ") + r.label();
  if (!r.why.empty()) return line + ": " + r.why + "; " + r.message;
  if (!r.message.empty()) return line + ": " + r.message;
  if (r.probe.rtt_ms) return line + " (" + format_rtt(*r.probe.rtt_ms) + ")";
  return line;
}

nlohmann::json checks_json(std::string_view lab, const std::vector<CheckResult>& results) {
  CheckSummary s = summarize(results);
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& r : results) checks.push_back(check_json(r));
  return {{"lab", std::string(lab)}, {"passed", s.passed}, {"failed", s.failed}, {"checks", std::move(checks)}};
}

std::string junit_xml(std::string_view lab, const std::vector<CheckResult>& results) {
  CheckSummary s = summarize(results);
  double total = 0.0;
  for (const auto& r : results) total += r.elapsed_s;
  std::string suite_attrs = "name=\"" + xml_escape(lab) + "\" tests=\"" + std::to_string(results.size()) +
                            "\" failures=\"" + std::to_string(s.failed) + "\" errors=\"0\" skipped=\"0\" time=\"" +
                            seconds_text(total) + "\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites " + suite_attrs + ">\n";
  out += "  <testsuite " + suite_attrs + ">\n";
  for (const auto& r : results) out += testcase_xml(lab, r);
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    // Kept as references so attribute values survive normalisation.
    case '\n': out += "&#10;"; break;
    case '\r': out += "&#13;"; break;
    case '\t': out += "&#9;"; break;
    default:
      // Other control characters are not allowed in XML 1.0 at all, even escaped.
      out += static_cast<unsigned char>(ch) < 0x20 ? '?' : ch;
    }
  }
  return out;
}

} // namespace netlab
