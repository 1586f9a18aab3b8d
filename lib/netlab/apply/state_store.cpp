#include <netlab/apply/state_store.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/file.h>

namespace netlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path lab_dir(const std::string& lab) { return fs::path(k_state_root) / lab; }

json route_to_json(const ObservedRoute& r) {
  json j{{"to", r.to.str()}, {"metric", r.metric}};
  if (r.via) j["via"] = r.via->str();
  if (r.dev) j["dev"] = *r.dev;
  return j;
}

ObservedRoute route_from_json(const json& j) {
  ObservedRoute r;
  r.to = Cidr::parse(j.at("to").get<std::string>()).value_or(Cidr{});
  r.metric = j.value("metric", 0u);
  r.protocol = k_route_protocol;
  if (j.contains("via")) r.via = IpAddr::parse(j["via"].get<std::string>());
  if (j.contains("dev")) r.dev = j["dev"].get<std::string>();
  return r;
}

json to_json(const LabState& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes) {
    json node{{"node", n.node}, {"kind", std::string(to_string(n.kind))}, {"path", n.path}};
    if (n.ns_id) node["ns_id"] = n.ns_id;
    nodes.push_back(std::move(node));
  }
  json routes = json::object();
  for (const auto& [node, rs] : s.foreign_ns_routes) {
    routes[node] = json::array();
    for (const auto& r : rs) routes[node].push_back(route_to_json(r));
  }
  return {{"version", 1},         {"lab", s.lab},
          {"source", s.source_path}, {"nodes", nodes},
          {"saved_sysctls", s.saved_sysctls}, {"foreign_ns_routes", routes},
          {"nat_nodes", s.nat_nodes}, {"ipv6_off", s.ipv6_off}, {"impaired_links", s.impaired_links},
          {"pending_links", s.pending_links}};
}

NodeKind kind_from(const std::string& k) {
  if (k == "host") return NodeKind::host;
  if (k == "external") return NodeKind::external;
  return NodeKind::netns;
}

LabState from_json(const json& j) {
  LabState s;
  s.lab = j.at("lab").get<std::string>();
  s.source_path = j.value("source", "");
  for (const auto& n : j.at("nodes"))
    s.nodes.push_back({n.at("node").get<std::string>(), kind_from(n.value("kind", "netns")), n.value("path", ""),
                       n.value("ns_id", uint64_t{0})});
  s.saved_sysctls = j.value("saved_sysctls", decltype(s.saved_sysctls){});
  const json routes = j.value("foreign_ns_routes", json::object()); // items() must not outlive it
  for (const auto& [node, rs] : routes.items())
    for (const auto& r : rs) s.foreign_ns_routes[node].push_back(route_from_json(r));
  s.nat_nodes = j.value("nat_nodes", std::vector<std::string>{});
  s.ipv6_off = j.value("ipv6_off", std::vector<std::string>{});
  s.impaired_links = j.value("impaired_links", decltype(s.impaired_links){});
  s.pending_links = j.value("pending_links", decltype(s.pending_links){});
  return s;
}

} // namespace

Expected<LabState> load_lab_state(const std::string& lab) {
  fs::path file = lab_dir(lab) / "state.json";
  std::ifstream in(file);
  if (!in) {
    if (errno == ENOENT) {
      LabState empty;
      empty.lab = lab;
      return empty;
    }
    return fail(file.string() + ": " + errno_text(errno));
  }
  try {
    return from_json(json::parse(in));
  } catch (const json::exception& e) {
    // Not "remove it": the file holds the original values of host sysctls that only `down` restores.
    return fail(file.string() + ": unreadable state (" + e.what() +
                "); it holds what 'down' restores (host sysctls, routes): repair it by hand, or move it aside and "
                "run 'netlab down -l " + lab + "', which then leaves host sysctls as they are");
  }
}

Expected<void> save_lab_state(const LabState& state) {
  std::error_code ec;
  fs::path dir = lab_dir(state.lab);
  fs::create_directories(dir, ec);
  if (ec) return fail(dir.string() + ": " + ec.message());
  fs::path tmp = dir / "state.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_json(state).dump(2) << '\n';
    if (!out) return fail(tmp.string() + ": " + errno_text(errno));
  }
  fs::rename(tmp, dir / "state.json", ec);
  if (ec) return fail((dir / "state.json").string() + ": " + ec.message());
  return {};
}

Expected<void> remove_lab_state(const std::string& lab) {
  std::error_code ec;
  fs::remove_all(lab_dir(lab), ec);
  if (ec) return fail(lab_dir(lab).string() + ": " + ec.message());
  return {};
}

std::vector<std::string> list_lab_states() {
  std::vector<std::string> labs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(k_state_root, ec))
    if (e.is_directory() && fs::exists(e.path() / "state.json")) labs.push_back(e.path().filename().string());
  std::ranges::sort(labs);
  return labs;
}

Expected<RunLock> RunLock::acquire() {
  std::error_code ec;
  fs::create_directories(k_state_root, ec);
  if (ec) return fail(std::string(k_state_root) + ": " + ec.message());
  std::string path = std::string(k_state_root) + "/.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail(path + ": " + errno_text(errno));
  if (flock(fd.get(), LOCK_EX) != 0) return fail(path + ": flock: " + errno_text(errno));
  return RunLock(std::move(fd));
}

} // namespace netlab
