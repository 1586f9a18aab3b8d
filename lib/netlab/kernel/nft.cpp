// The lab's nftables table, read and written through libnftables' JSON API in
// the calling thread's namespace (see nft_ctx.hpp for why a fresh context per call).
//
// Design:
// - Family inet: one table carries IPv4 and IPv6 NAT (needs Linux >= 5.2; the
//   snat/dnat statements name their family, so each applies to its own packets).
// - Three base chains, always present: postrouting (srcnat: masquerade, snat),
//   prerouting (dstnat: dnat) and output (-100: dnat for the node's own
//   connections to its local addresses, as Docker does).
// - Canonical form: the JSON objects `list table` prints (table, chains, rules,
//   and anything else found in the table), handles dropped, counters zeroed,
//   dumped compact with sorted keys. nat_canonical() builds the same objects
//   without asking the kernel, so any edit by hand compares different.
// - Every write is one batch: add + delete table (so a missing table is no
//   error), then the new objects: the kernel applies all of it or nothing.
#include <netlab/kernel/nft.hpp>
#include <netlab/kernel/nft_ctx.hpp>
#include <netlab/kernel/nft_json.hpp>

namespace netlab {
namespace {

using nlohmann::json;


Expected<bool> table_exists(const std::string& table) {
  auto out = nft_run_json({{"nftables", {{{"list", {{"tables", {{"family", k_nat_family}}}}}}}}});
  if (!out) return std::unexpected(out.error());
  if (!out->is_object() || !out->contains("nftables")) return false;
  for (const json& o : (*out)["nftables"])
    if (o.contains("table") && o["table"].value("name", "") == table) return true;
  return false;
}

Expected<void> run_batch(const std::string& table, const json& batch) {
  auto out = nft_run_json(batch);
  if (!out) return fail("table " + std::string(k_nat_family) + " " + table + ": " + out.error().message);
  return {};
}

} // namespace

std::string nat_table_name(std::string_view lab) { return "netlab-" + std::string(lab); }

Expected<std::optional<std::string>> nft_read_table(const std::string& table) {
  // Asking for the list first tells "no such table" apart from real errors.
  auto exists = table_exists(table);
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) return std::optional<std::string>{};
  auto out = nft_run_json({{"nftables", {{{"list", {{"table", table_ref(table)}}}}}}});
  if (!out) return fail("table " + std::string(k_nat_family) + " " + table + ": " + out.error().message);
  std::string canonical = nat_canonical_from_listing(*out);
  if (canonical.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{std::move(canonical)};
}

Expected<std::string> nft_read_ruleset() {
  auto out = nft_run_json({{"nftables", {{{"list", {{"ruleset", nullptr}}}}}}});
  if (!out) return fail("nft list ruleset: " + out.error().message);
  return out->dump();
}

Expected<std::string> nft_read_ruleset_text() {
  auto out = nft_run_text("list ruleset");
  if (!out) return fail("nft list ruleset: " + out.error().message);
  return out;
}

std::string nat_canonical(const std::string& table, const std::vector<NatRule>& rules) {
  if (rules.empty()) return "";
  return nat_canonical_objects(nat_table_objects(table, rules));
}

Expected<void> nft_replace_table(const std::string& table, const std::vector<NatRule>& rules) {
  for (const NatRule& r : rules)
    if (auto problem = nat_rule_problem(r); !problem.empty()) return fail("table " + table + ": " + problem);
  // diff refuses an unmarked table already; this closes the window between observe and apply.
  auto now = nft_read_table(table);
  if (!now) return std::unexpected(now.error());
  if (*now && !nat_table_marked(**now, table))
    return fail("nft table " + std::string(k_nat_family) + " " + table + " exists and is not netlab's; left alone");
  json objects = rules.empty() ? json::array() : nat_table_objects(table, rules);
  return run_batch(table, nat_replace_batch(table, objects));
}

Expected<void> nft_restore_table(const std::string& table, const std::optional<std::string>& canonical) {
  if (!canonical || canonical->empty()) return run_batch(table, nat_replace_batch(table, json::array()));
  json objects = json::parse(*canonical, nullptr, false);
  if (!objects.is_array()) return fail("table " + table + ": saved NAT table is not a JSON array");
  // Only ever recreate objects of this very table, whatever the saved text says.
  for (const json& o : objects) {
    if (!o.is_object() || o.size() != 1) return fail("table " + table + ": malformed saved object");
    const json& body = o.begin().value();
    bool ours = body.value("family", "") == k_nat_family &&
                (o.contains("table") ? body.value("name", "") : body.value("table", "")) == table;
    if (!ours) return fail("table " + table + ": saved object belongs to another table: " + o.dump());
  }
  return run_batch(table, nat_replace_batch(table, objects));
}

} // namespace netlab
