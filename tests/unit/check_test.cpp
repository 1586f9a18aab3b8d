// Judging checks against `expect`, and the text / JSON / JUnit shapes of a run.
// No kernel: results are built by hand.
#include <netlab/check/report.hpp>
#include <netlab/check/run.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace netlab;

namespace {

Check make_check(Check::Type type, const std::string& target, uint16_t port = 0, bool expect_pass = true) {
  Check c;
  c.from = "ns1";
  c.type = type;
  c.target = *IpAddr::parse(target);
  c.port = port;
  c.expect_pass = expect_pass;
  return c;
}

ProbeResult ok(double rtt) { return {ProbeOutcome::ok, rtt, {}}; }
ProbeResult bad(ProbeOutcome o, const std::string& message) { return {o, std::nullopt, message}; }

} // namespace

TEST_CASE("a check passes when the probe outcome matches expect", "[check]") {
  auto ping = make_check(Check::Type::ping, "192.168.10.3");
  auto r = judge(ping, ok(0.21));
  CHECK(r.passed);
  CHECK(r.message.empty());
  CHECK(check_line(r) == "PASS ns1 ping 192.168.10.3 (0.2 ms)");

  auto tcp = make_check(Check::Type::tcp, "10.0.0.2", 80);
  r = judge(tcp, bad(ProbeOutcome::refused, "connection refused"));
  CHECK_FALSE(r.passed);
  CHECK(check_line(r) == "FAIL ns1 tcp 10.0.0.2:80: connection refused (expected pass)");
}

TEST_CASE("expect: fail inverts the verdict", "[check]") {
  auto c = make_check(Check::Type::ping, "10.255.0.1", 0, false);
  auto r = judge(c, bad(ProbeOutcome::timeout, "no reply within 2 s"));
  CHECK(r.passed);
  CHECK(check_line(r) == "PASS ns1 ping 10.255.0.1: no reply within 2 s, as expected");

  r = judge(c, ok(0.5));
  CHECK_FALSE(r.passed);
  CHECK(check_line(r) == "FAIL ns1 ping 10.255.0.1: reply in 0.5 ms (expected fail)");

  auto tcp = make_check(Check::Type::tcp, "10.0.0.2", 22, false);
  CHECK(judge(tcp, ok(1.25)).message == "connected in 1.2 ms (expected fail)");
}

TEST_CASE("a probe that could not run fails whatever was expected", "[check]") {
  for (bool expect_pass : {true, false}) {
    auto c = make_check(Check::Type::ping, "10.0.0.2", 0, expect_pass);
    auto r = judge(c, bad(ProbeOutcome::error, "namespace 'ns1' (/run/netns/ns1): No such file or directory"));
    CHECK_FALSE(r.passed);
    CHECK(r.message == "namespace 'ns1' (/run/netns/ns1): No such file or directory");
  }
}

TEST_CASE("labels bracket IPv6 tcp targets", "[check]") {
  CHECK(judge(make_check(Check::Type::tcp, "fd00::2", 443), ok(1)).label() == "ns1 tcp [fd00::2]:443");
  CHECK(judge(make_check(Check::Type::ping, "fd00::2"), ok(1)).label() == "ns1 ping fd00::2");
  CHECK(endpoint_text(*IpAddr::parse("10.1.2.3"), 9999) == "10.1.2.3:9999");
}

TEST_CASE("summary counts and closing line", "[check]") {
  std::vector<CheckResult> results{
      judge(make_check(Check::Type::ping, "10.0.0.1"), ok(0.1)),
      judge(make_check(Check::Type::ping, "10.0.0.2"), bad(ProbeOutcome::timeout, "no reply within 2 s")),
      judge(make_check(Check::Type::ping, "10.0.0.3", 0, false), bad(ProbeOutcome::timeout, "no reply")),
  };
  auto s = summarize(results);
  CHECK(s.passed == 2);
  CHECK(s.failed == 1);
  CHECK(s.str() == "2 passed, 1 failed");
  CHECK(summarize({}).str() == "0 passed, 0 failed");
}

TEST_CASE("durations and round trips are printed compactly", "[check]") {
  CHECK(format_timeout(std::chrono::milliseconds(2000)) == "2 s");
  CHECK(format_timeout(std::chrono::milliseconds(500)) == "500 ms");
  CHECK(format_timeout(std::chrono::milliseconds(1500)) == "1.5 s");
  CHECK(format_rtt(0.04) == "0.04 ms");
  CHECK(format_rtt(12.34) == "12.3 ms");
}

TEST_CASE("xml_escape handles markup, quotes and control characters", "[check]") {
  CHECK(xml_escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
  CHECK(xml_escape("line1\nline2\ttab") == "line1&#10;line2&#9;tab");
  CHECK(xml_escape(std::string("bell\x07", 5)) == "bell?");
  CHECK(xml_escape("plain ünïcode") == "plain ünïcode");
}

TEST_CASE("JUnit XML has one testcase per check and failures with messages", "[check]") {
  auto failing = make_check(Check::Type::tcp, "10.0.0.2", 80);
  failing.from = "a<b";
  std::vector<CheckResult> results{
      judge(make_check(Check::Type::ping, "10.0.0.1"), ok(0.1)),
      judge(failing, bad(ProbeOutcome::refused, "connection refused")),
  };
  results[1].elapsed_s = 0.0015;
  std::string xml = junit_xml("lab&co", results);
  CHECK(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
  CHECK(xml.find("<testsuite name=\"lab&amp;co\" tests=\"2\" failures=\"1\"") != std::string::npos);
  CHECK(xml.find("<testcase classname=\"lab&amp;co\" name=\"ns1 ping 10.0.0.1\" time=\"0.000\"/>") !=
        std::string::npos);
  CHECK(xml.find("name=\"a&lt;b tcp 10.0.0.2:80\" time=\"0.002\">") != std::string::npos);
  CHECK(xml.find("<failure message=\"connection refused (expected pass)\" type=\"refused\">"
                 "connection refused (expected pass)</failure>") != std::string::npos);
  CHECK(xml.find("a<b") == std::string::npos);
  // Exactly one failure element and balanced testcase tags.
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = xml.find(needle); pos != std::string::npos; pos = xml.find(needle, pos + 1)) ++n;
    return n;
  };
  CHECK(count("<failure") == 1);
  CHECK(count("<testcase") == 2);
  CHECK(count("</testcase>") == 1); // the passing one is self-closed
}

TEST_CASE("JSON report shape", "[check]") {
  auto tcp = make_check(Check::Type::tcp, "fd00::2", 8080, false);
  tcp.listen = "ns2";
  std::vector<CheckResult> results{
      judge(make_check(Check::Type::ping, "10.0.0.1"), ok(0.25)),
      judge(tcp, bad(ProbeOutcome::timeout, "no answer within 2 s")),
  };
  auto j = checks_json("lab1", results);
  CHECK(j["lab"] == "lab1");
  CHECK(j["passed"] == 2);
  CHECK(j["failed"] == 0);
  REQUIRE(j["checks"].size() == 2);
  const auto& p = j["checks"][0];
  CHECK(p["name"] == "ns1 ping 10.0.0.1");
  CHECK(p["type"] == "ping");
  CHECK(p["from"] == "ns1");
  CHECK(p["target"] == "10.0.0.1");
  CHECK_FALSE(p.contains("port"));
  CHECK(p["expect"] == "pass");
  CHECK(p["passed"] == true);
  CHECK(p["outcome"] == "ok");
  CHECK(p["rtt_ms"] == 0.25);
  CHECK(p["message"] == "");
  const auto& t = j["checks"][1];
  CHECK(t["type"] == "tcp");
  CHECK(t["port"] == 8080);
  CHECK(t["listen"] == "ns2");
  CHECK(t["expect"] == "fail");
  CHECK(t["outcome"] == "timeout");
  CHECK(t["rtt_ms"].is_null());
  CHECK(t["passed"] == true);
}

TEST_CASE("running a check whose node is missing fails without touching the kernel", "[check]") {
  Topology topo;
  topo.name = "lab";
  auto c = make_check(Check::Type::ping, "10.0.0.1");
  c.from = "ghost";
  topo.checks.push_back(c);
  auto results = run_checks(topo);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].message == "no node 'ghost'");
}
