#include "common.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/live/listen.hpp>
#include <netlab/live/page.hpp>
#include <netlab/live/server.hpp>
#include <netlab/topology/graph.hpp>
#include <netlab/topology/graph_image.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace netlab::app {
namespace {

struct GraphArgs {
  std::string file;
  std::string lab; ///< -l LAB (--serve): the file the lab was brought up with
  std::string format = "mermaid";
  std::string output; ///< -o FILE; empty: stdout
  bool serve = false;
  std::string listen = "127.0.0.1:8080";
  bool allow_remote = false;
  int period_ms = 500; ///< --interval: how often the lab is read again
};

/// The picture in `format`: Mermaid and DOT are text netlab writes itself,
/// svg/png/html come from Graphviz's library.
Expected<std::string> picture(const Topology& t, const std::string& format) {
  if (format == "mermaid") return render_mermaid(t);
  if (format == "dot") return render_dot(t);
  return render_image(t, *parse_image_format(format));
}

bool binary_format(const std::string& format) {
  auto f = parse_image_format(format);
  return f && is_binary(*f);
}

/// Writes `bytes` to `path` (replacing it), or to stdout when `path` is empty.
Expected<void> write_out(const std::string& path, const std::string& bytes) {
  if (path.empty()) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
      return fail(errno_text(errno));
    return {};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail("cannot write " + path + ": " + errno_text(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return fail("cannot write " + path + ": " + errno_text(errno));
  return {};
}

/// `graph --json`: the lab's nodes, their interfaces and the links, as data.
nlohmann::json graph_json(const Topology& t) {
  nlohmann::json nodes = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& n : t.nodes) {
    nlohmann::json ifaces = nlohmann::json::array();
    for (const auto& i : n.interfaces) {
      nlohmann::json j{{"name", i.name}, {"kind", std::string(to_string(i.kind))}};
      if (i.master) j["master"] = *i.master;
      j["addresses"] = nlohmann::json::array();
      for (const auto& a : i.addresses) j["addresses"].push_back(a.str());
      ifaces.push_back(j);
    }
    nodes.push_back({{"name", n.name}, {"kind", std::string(to_string(n.kind))}, {"interfaces", ifaces}});
  }
  for (const auto& l : t.links)
    links.push_back(
        {{"a", {{"node", l.a.node}, {"name", l.a.iface}}}, {"b", {{"node", l.b.node}, {"name", l.b.iface}}}});
  return {{"lab", t.name}, {"nodes", nodes}, {"links", links}};
}

/// --serve: the live page until SIGINT/SIGTERM. Reads the kernel; changes nothing.
int run_serve(const GraphArgs& args, Globals& g) {
  if (args.file.empty() == args.lab.empty())
    return report(Error{"graph --serve needs exactly one of FILE or -l LAB", ExitCode::usage});
  if (g.json) return report(Error{"graph --serve prints no JSON: the page's /state is the document", ExitCode::usage});
  auto where = parse_listen(args.listen);
  if (!where) return report(Error{where.error().message, ExitCode::usage});
  if (!where->loopback && !args.allow_remote)
    return report(Error{"--listen " + args.listen + " is not a loopback address: anyone who reaches it sees the lab's "
                        "kernel state; add --allow-remote to serve it anyway", ExitCode::usage});
  std::string file = args.file;
  if (file.empty()) {
    auto found = file_of_lab(args.lab, g);
    if (!found) return report(found.error());
    file = *found;
  }
  auto topo = load_topology(file, g);
  if (!topo) return g.exit_code;
  auto memory = load_lab_state(topo->name);
  if (!memory) return report(memory.error());
  if (auto ok = check_host_netns(*memory, g); !ok) return report(ok.error());
  auto page = live_page(*topo);
  if (!page) return report(page.error());
  LiveServer server(std::move(*page));
  if (auto bound = server.bind(*where); !bound) return report(bound.error());
  stop_on_signals();
  std::signal(SIGPIPE, SIG_IGN); // a browser that closes its event stream is a failed write, not the end
  server.start();
  const std::string host = where->host.find(':') != std::string::npos ? "[" + where->host + "]" : where->host;
  if (!g.quiet)
    std::printf("serving lab '%s' on http://%s:%d/ (read-only; Ctrl-C stops)\n", topo->name.c_str(), host.c_str(),
                server.port());
  std::fflush(stdout);
  serve_lab(*topo, server, std::chrono::milliseconds(args.period_ms), [] { return stop_requested(); });
  server.stop();
  return static_cast<int>(ExitCode::ok);
}

int run_graph(const GraphArgs& args, Globals& g) {
  if (args.serve) return run_serve(args, g);
  if (!args.lab.empty() || args.allow_remote)
    return report(Error{"-l LAB and --allow-remote go with --serve", ExitCode::usage});
  if (args.file.empty()) return report(Error{"graph needs FILE", ExitCode::usage});
  bool binary = binary_format(args.format);
  if (binary && g.json)
    return report(Error{"--json carries the picture as text: " + args.format + " is binary (write it with -o FILE)", ExitCode::usage});
  if (binary && args.output.empty() && isatty(STDOUT_FILENO))
    return report(Error{args.format + " is binary and stdout is a terminal: write it with -o FILE or redirect stdout", ExitCode::usage});
  auto topo = load_topology(args.file, g); // prints "FILE:LINE:COL: message" lines, as compilers do
  if (!topo) return g.exit_code;
  auto text = picture(*topo, args.format);
  if (!text) return report(text.error());
  if (g.json) {
    nlohmann::json doc = graph_json(*topo);
    doc["format"] = args.format;
    doc["text"] = *text;
    if (!args.output.empty()) {
      if (auto w = write_out(args.output, *text); !w) return report(w.error());
      doc["output"] = args.output;
    }
    print_json(doc);
    return static_cast<int>(ExitCode::ok);
  }
  if (auto w = write_out(args.output, *text); !w) return report(w.error());
  return static_cast<int>(ExitCode::ok);
}

} // namespace

void add_graph(CLI::App& app, Globals& g) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph", "Draw the lab: Mermaid or DOT text, an SVG, PNG or HTML picture, or a "
                                          "live page (--serve)");
  cmd->add_option("FILE", args->file, "Topology file");
  add_instance_flag(cmd, g);
  cmd->add_option("--format", args->format,
                  "mermaid (default), dot, or a picture laid out by Graphviz: svg, png, html (one page)")
      ->check(CLI::IsMember({"mermaid", "dot", "svg", "png", "html"}));
  cmd->add_option("-o,--output", args->output, "Write to this file instead of stdout (png needs it on a terminal)");
  cmd->add_flag("--serve", args->serve,
                "Serve a live page of the lab over HTTP: coloured by its state as status judges it, with link "
                "counters; Ctrl-C stops");
  cmd->add_option("-l,--lab", args->lab, "The lab that is up, for --serve (the copy of its file kept in /run/netlab/LAB)");
  cmd->add_option("--listen", args->listen, "Where --serve listens (default 127.0.0.1:8080; port 0: any free port)")
      ->type_name("ADDRESS:PORT");
  cmd->add_flag("--allow-remote", args->allow_remote,
                "Let --serve listen on an address other than loopback (whoever reaches it sees the lab)");
  cmd->add_option("--interval", args->period_ms, "How often --serve reads the lab, in milliseconds (default 500)")
      ->type_name("MS")
      ->check(CLI::Range(50, 60000));
  cmd->footer("Needs no privileges: only the file is read (--serve reads the kernel, as status does).\n"
              "--serve: one read-only page at /, the state as JSON at /state, and /events (Server-Sent Events)\n"
              "pushing each new state; loopback only unless --allow-remote.\n"
              "Exit: 0 drawn (or served until SIGINT/SIGTERM), 1 cannot write, render or listen, 2 invalid file or "
              "arguments.");
  cmd->callback([&g, args] { g.exit_code = run_graph(*args, g); });
}

} // namespace netlab::app
