#pragma once
// The three shapes of a check run: one text line per check, JSON, JUnit XML.
// Pure formatting; the app decides where the text goes.
#include <netlab/check/run.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace netlab {

/// "PASS ns1 ping 192.168.10.3 (0.2 ms)" / "FAIL ns1 tcp 10.0.0.2:80: connection refused (expected pass)".
std::string check_line(const CheckResult& result);

/// {"lab", "passed", "failed", "checks": [{from, type, target, port?, expect, passed, outcome, rtt_ms?, message, ...}]}.
nlohmann::json checks_json(std::string_view lab, const std::vector<CheckResult>& results);

/// A JUnit XML report: one testsuite named after the lab, one testcase per check,
/// a <failure> element carrying the message of each failed check.
std::string junit_xml(std::string_view lab, const std::vector<CheckResult>& results);

/// Escapes text for XML content and attribute values (&, <, >, ", ', control characters).
std::string xml_escape(std::string_view text);

} // namespace netlab
