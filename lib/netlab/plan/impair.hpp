#pragma once
// Link impairment as the kernel holds it: which qdiscs an Impairment needs, how
// tbf is sized, how want and have compare, and how it reads (plan lines, `tc`
// commands, refusals). Pure; shared by diff, describe, the engine and the
// netlink kernel.
//
// Layout on a link's egress:
//   rate only           tbf 1: root
//   any netem field     netem 2: root
//   netem field + rate  netem 2: root, tbf 3: parent 2:1
// Each layout has its own handle so that moving from one to another is one
// atomic "replace the root" (the kernel refuses to change a qdisc's kind in place).
#include <netlab/plan/action.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netlab {

/// tc handle majors of netlab's qdiscs (`tc qdisc show` prints "tbf 1: root").
inline constexpr uint32_t k_tbf_root_major = 1;
inline constexpr uint32_t k_netem_root_major = 2;
inline constexpr uint32_t k_tbf_child_major = 3; ///< under netem, at class 2:1

/// The netem queue length when the file sets no `limit` (netem's and tc's default).
inline constexpr uint32_t k_netem_default_limit = 1000;

/// How tbf is given a rate: bytes per second, the bucket, and the queue in bytes.
struct TbfShape {
  uint32_t rate_bytes = 0;  ///< rate_bps / 8
  uint32_t burst_bytes = 0; ///< 2 ms at the rate, at least two full frames, at most 4 s of tokens
  uint32_t limit_bytes = 0; ///< burst plus 50 ms of queue at the rate
};

/// tbf parameters for `rate_bps` on a link whose MTU is `mtu`.
TbfShape tbf_shape(uint64_t rate_bps, uint32_t mtu);

/// The impairment without zero values (0% loss is no loss); empty means "no qdisc".
Impairment effective_impairment(const Impairment& i);

/// True when `i` needs netem: delay, jitter, loss, duplicate or limit.
bool needs_netem(const Impairment& i);

/// True when `i` needs any qdisc (false for an empty or all-zero impairment).
bool shapes_traffic(const Impairment& i);

/// Equal as far as the kernel can hold them: rate in bytes/s, times to the
/// microsecond, probabilities in netem's 1/2^32 steps, netem's default limit.
bool same_impairment(const Impairment& want, const Impairment& have);

/// netem's probability unit (UINT32_MAX is 100%) from and to a percentage.
uint32_t netem_probability(double percent);
double netem_percent(uint32_t probability);

/// "rate 10mbit delay 20ms jitter 5ms loss 1% duplicate 0.5% limit 1000"; "none" when empty.
std::string impair_text(const Impairment& i);

/// Qdisc kinds `i` needs, root first: {"tbf"}, {"netem"} or {"netem", "tbf"}.
std::vector<std::string> qdiscs_for(const Impairment& i);

/// The file's keys of `i` that need qdisc `kind` ("delay", "loss" for netem; "rate" for tbf).
std::vector<std::string> fields_needing(const Impairment& i, std::string_view kind);

/// One line per interface whose impairment needs a qdisc in `missing`
/// ((kind, config option) pairs): "ns1:eth0 impair delay needs the netem
/// qdisc (CONFIG_NET_SCH_NETEM), which this kernel lacks; nothing was changed".
std::vector<std::string> missing_qdisc_problems(const std::vector<Action>& actions,
                                                const std::vector<std::pair<std::string, std::string>>& missing);

/// Qdisc kinds the SetImpair actions among `actions` need, each once.
std::vector<std::string> qdiscs_needed(const std::vector<Action>& actions);

/// The `tc` commands that do `a` by hand; `tc` targets its namespace ("tc -n ns1").
std::vector<std::string> tc_commands(const SetImpair& a, const std::string& tc);

} // namespace netlab
