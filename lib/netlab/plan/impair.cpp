#include <netlab/plan/impair.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace netlab {

namespace {

constexpr uint64_t k_ethernet_header = 14; ///< tbf counts whole frames, the MTU does not
constexpr uint64_t k_burst_ms = 2;         ///< tokens for 2 ms: enough for timer slack at 10gbit
constexpr uint64_t k_max_burst_s = 4;      ///< the kernel keeps at most 2^32 ns of tokens
constexpr uint64_t k_queue_ms = 50;        ///< tbf's `latency`: queue this long before dropping
constexpr uint32_t k_delay_slack_us = 2;   ///< netem keeps times in 64 ns ticks; libnl rounds down twice
constexpr double k_percent_slack = 1e-6;   ///< netem keeps probabilities in 1/2^32 steps

uint32_t clamp_u32(uint64_t v) {
  return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
}

std::string rate_text(uint64_t bps) {
  if (bps % 1'000'000'000 == 0) return std::to_string(bps / 1'000'000'000) + "gbit";
  if (bps % 1'000'000 == 0) return std::to_string(bps / 1'000'000) + "mbit";
  if (bps % 1'000 == 0) return std::to_string(bps / 1'000) + "kbit";
  return std::to_string(bps) + "bit";
}

std::string time_text(uint32_t us) {
  if (us % 1'000'000 == 0 && us > 0) return std::to_string(us / 1'000'000) + "s";
  if (us % 1'000 == 0) return std::to_string(us / 1'000) + "ms";
  return std::to_string(us) + "us";
}

std::string percent_text(double pct) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g%%", pct);
  return buf;
}

bool near(std::optional<double> a, std::optional<double> b) {
  return std::abs(a.value_or(0) - b.value_or(0)) <= k_percent_slack;
}

bool near(std::optional<uint32_t> a, std::optional<uint32_t> b) {
  int64_t d = static_cast<int64_t>(a.value_or(0)) - static_cast<int64_t>(b.value_or(0));
  return std::abs(d) <= k_delay_slack_us;
}

std::string tbf_args(uint64_t rate_bps, uint32_t mtu) {
  TbfShape s = tbf_shape(rate_bps, mtu);
  return "tbf rate " + rate_text(static_cast<uint64_t>(s.rate_bytes) * 8) + " burst " + std::to_string(s.burst_bytes) +
         " limit " + std::to_string(s.limit_bytes);
}

std::string netem_args(const Impairment& i) {
  std::string out = "netem limit " + std::to_string(i.limit_pkts.value_or(k_netem_default_limit));
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on `" " + std::string` here.
  if (i.delay_us) out.append(" delay ").append(time_text(*i.delay_us));
  if (i.delay_us && i.jitter_us) out.append(" ").append(time_text(*i.jitter_us));
  if (i.loss_pct) out += " loss " + percent_text(*i.loss_pct);
  if (i.duplicate_pct) out += " duplicate " + percent_text(*i.duplicate_pct);
  return out;
}

std::string handle(uint32_t major) {
  return std::to_string(major) + ":";
}

} // namespace

TbfShape tbf_shape(uint64_t rate_bps, uint32_t mtu) {
  const uint64_t rate = std::max<uint64_t>(rate_bps / 8, 1);
  const uint64_t frame = (mtu ? mtu : 1500) + k_ethernet_header;
  uint64_t burst = std::max(rate * k_burst_ms / 1000, 2 * frame);
  burst = std::min(burst, rate * k_max_burst_s);
  return TbfShape{clamp_u32(rate), clamp_u32(burst), clamp_u32(burst + rate * k_queue_ms / 1000)};
}

Impairment effective_impairment(const Impairment& i) {
  Impairment out = i;
  if (out.delay_us == 0u) out.delay_us.reset();
  if (out.jitter_us == 0u || !out.delay_us) out.jitter_us.reset();
  if (out.loss_pct == 0.0) out.loss_pct.reset();
  if (out.duplicate_pct == 0.0) out.duplicate_pct.reset();
  return out;
}

bool needs_netem(const Impairment& i) {
  Impairment e = effective_impairment(i);
  return e.delay_us || e.loss_pct || e.duplicate_pct || e.limit_pkts;
}

bool shapes_traffic(const Impairment& i) {
  return needs_netem(i) || i.rate_bps;
}

bool same_impairment(const Impairment& want, const Impairment& have) {
  Impairment w = effective_impairment(want), h = effective_impairment(have);
  if (needs_netem(w) != needs_netem(h)) return false;
  if (w.rate_bps.has_value() != h.rate_bps.has_value()) return false;
  if (w.rate_bps && *w.rate_bps / 8 != *h.rate_bps / 8) return false;
  if (!needs_netem(w)) return true;
  return near(w.delay_us, h.delay_us) && near(w.jitter_us, h.jitter_us) && near(w.loss_pct, h.loss_pct) &&
         near(w.duplicate_pct, h.duplicate_pct) &&
         w.limit_pkts.value_or(k_netem_default_limit) == h.limit_pkts.value_or(k_netem_default_limit);
}

uint32_t netem_probability(double percent) {
  double p = std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(UINT32_MAX);
  return static_cast<uint32_t>(std::llround(p));
}

double netem_percent(uint32_t probability) {
  return static_cast<double>(probability) * 100.0 / static_cast<double>(UINT32_MAX);
}

std::string impair_text(const Impairment& i) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
  if (i.rate_bps) add("rate " + rate_text(*i.rate_bps));
  if (i.delay_us) add("delay " + time_text(*i.delay_us));
  if (i.jitter_us) add("jitter " + time_text(*i.jitter_us));
  if (i.loss_pct) add("loss " + percent_text(*i.loss_pct));
  if (i.duplicate_pct) add("duplicate " + percent_text(*i.duplicate_pct));
  if (i.limit_pkts) add("limit " + std::to_string(*i.limit_pkts));
  return out.empty() ? "none" : out;
}

std::vector<std::string> qdiscs_for(const Impairment& i) {
  Impairment e = effective_impairment(i);
  std::vector<std::string> out;
  if (needs_netem(e)) out.emplace_back("netem");
  if (e.rate_bps) out.emplace_back("tbf");
  return out;
}

std::vector<std::string> fields_needing(const Impairment& i, std::string_view kind) {
  Impairment e = effective_impairment(i);
  std::vector<std::string> out;
  if (kind == "tbf" && e.rate_bps) out.emplace_back("rate");
  if (kind != "netem") return out;
  if (e.delay_us) out.emplace_back("delay");
  if (e.jitter_us) out.emplace_back("jitter");
  if (e.loss_pct) out.emplace_back("loss");
  if (e.duplicate_pct) out.emplace_back("duplicate");
  if (e.limit_pkts) out.emplace_back("limit");
  return out;
}

std::vector<std::string> qdiscs_needed(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions)
    if (const auto* s = std::get_if<SetImpair>(&a); s && s->want)
      for (auto& kind : qdiscs_for(*s->want))
        if (std::ranges::find(out, kind) == out.end()) out.push_back(std::move(kind));
  return out;
}

std::vector<std::string> missing_qdisc_problems(const std::vector<Action>& actions,
                                                const std::vector<std::pair<std::string, std::string>>& missing) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    const auto* s = std::get_if<SetImpair>(&a);
    if (!s || !s->want) continue;
    for (const auto& [kind, option] : missing) {
      auto fields = fields_needing(*s->want, kind);
      if (fields.empty()) continue;
      std::string names;
      for (const auto& f : fields)
        names += (names.empty() ? "" : ", ") + f;
      out.push_back(s->ns.node + ":" + s->link + " impair " + names + (fields.size() == 1 ? " needs" : " need") +
                    " the " + kind + " qdisc (" + option + "), which this kernel lacks; nothing was changed");
    }
  }
  return out;
}

std::vector<std::string> tc_commands(const SetImpair& a, const std::string& tc) {
  const std::string dev = tc + " qdisc ";
  const std::string on = " dev " + a.link + " ";
  Impairment w = effective_impairment(a.want.value_or(Impairment{}));
  if (!shapes_traffic(w)) return {dev + "del" + on + "root"};
  if (!needs_netem(w))
    return {dev + "replace" + on + "root handle " + handle(k_tbf_root_major) + " " + tbf_args(*w.rate_bps, a.mtu)};
  std::vector<std::string> out{dev + "replace" + on + "root handle " + handle(k_netem_root_major) + " " +
                               netem_args(w)};
  const std::string child = "parent " + handle(k_netem_root_major) + "1 handle " + handle(k_tbf_child_major);
  if (w.rate_bps)
    out.push_back(dev + "replace" + on + child + " " + tbf_args(*w.rate_bps, a.mtu));
  else if (a.old && a.old->rate_bps && needs_netem(*a.old))
    out.push_back(dev + "del" + on + child);
  return out;
}

} // namespace netlab
