#pragma once
// One libnftables call on a fresh context. The context's netlink socket is
// opened by nft_ctx_new() in the calling thread's network namespace, so a
// context is never cached or shared: each call gets its own, made right here.
#include <netlab/util/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace netlab {

/// Runs a libnftables JSON batch ({"nftables":[...]}) in the calling thread's
/// namespace; returns nft's JSON output (null for commands that print nothing),
/// or an Error carrying nft's own error text.
Expected<nlohmann::json> nft_run_json(const nlohmann::json& batch);

/// Runs one nft command in text syntax (`list ruleset`) with rule handles in
/// the output; returns what nft prints. For what JSON does not show: the
/// arguments of iptables-nft's xt targets (SNAT, DNAT), which only the text
/// listing translates.
Expected<std::string> nft_run_text(const std::string& command);

} // namespace netlab
