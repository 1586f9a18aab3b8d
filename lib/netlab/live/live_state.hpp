#pragma once
// The data behind `netlab graph --serve`: the lab's findings (as `status` judges
// them) folded onto what the picture draws (namespaces, interfaces, veth links),
// with each link's counters and each namespace's kernel view (interfaces,
// addresses, routes). live_state_json is pure; read_live_state observes.
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/diff.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace netlab {

/// How bad a state is, for colouring a thing many findings touch: the worst wins
/// (ok < extra < different, conflict < missing).
int state_rank(Finding::State s);

/// The state document of docs/json.md "graph --serve": {"lab", "converged",
/// "nodes": [{"name", "id", "state", "findings", "kernel"}], "interfaces":
/// [{"path", "id", "state"}], "links": [{"a", "b", "id", "state", "counters"}],
/// "findings": [the ones not ok]}. `have` supplies counters and the kernel view.
nlohmann::json live_state_json(const Topology& want, const Plan& plan, const Observed& have);

/// Observes the lab `want` describes (with its memory from /run/netlab), diffs it
/// and returns live_state_json as text. Fails as `status` would.
Expected<std::string> read_live_state(Kernel& kernel, const Topology& want);

} // namespace netlab
