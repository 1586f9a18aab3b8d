#include <netlab/topology/graph.hpp>
#include <netlab/topology/graph_image.hpp>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>
#include <mutex>

namespace netlab {
namespace {

// Graphviz reports through a process-wide callback; one render at a time
// collects its messages here instead of letting them reach stderr.
std::mutex g_render_mutex;
std::string g_messages;

int collect_message(char* text) {
  g_messages += text;
  return 0;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct ContextDeleter {
  void operator()(GVC_t* c) const { gvFreeContext(c); }
};
struct GraphDeleter {
  void operator()(Agraph_t* g) const { agclose(g); }
};

Expected<std::string> render_with_graphviz(const std::string& dot, const char* format) {
  std::lock_guard lock(g_render_mutex);
  g_messages.clear();
  agusererrf previous = agseterrf(collect_message);
  struct Restore {
    agusererrf f;
    ~Restore() { agseterrf(f); }
  } restore{previous};

  std::unique_ptr<GVC_t, ContextDeleter> gvc(gvContext());
  if (!gvc) return fail("graphviz: cannot create a context");
  std::unique_ptr<Agraph_t, GraphDeleter> graph(agmemread(dot.c_str()));
  if (!graph) return fail("graphviz: cannot read the generated graph: " + trimmed(g_messages));
  if (gvLayout(gvc.get(), graph.get(), "dot") != 0)
    return fail("graphviz: dot layout failed: " + trimmed(g_messages));
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc.get(), graph.get(), format, &data, &length);
  gvFreeLayout(gvc.get(), graph.get());
  if (rc != 0 || data == nullptr) {
    if (data) gvFreeRenderData(data);
    return fail(std::string("graphviz: cannot render ") + format + " (is its plugin installed? `dot -c` registers them): " +
                trimmed(g_messages));
  }
  std::string out(data, length);
  gvFreeRenderData(data);
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += ch;
    }
  }
  return out;
}

// The SVG without its XML prolog and DOCTYPE, fit to sit inside an HTML body.
std::string inline_svg(const std::string& svg) {
  auto start = svg.find("<svg");
  return start == std::string::npos ? svg : svg.substr(start);
}

std::string html_page(const Topology& topo, const std::string& svg) {
  std::string title = html_escape("netlab lab " + topo.name);
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title +
         "</title>\n<style>\nbody { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; }\n"
         "svg { max-width: 100%; height: auto; }\n</style>\n</head>\n<body>\n<h1>" +
         title + "</h1>\n" + inline_svg(svg) + "</body>\n</html>\n";
}

} // namespace

std::optional<ImageFormat> parse_image_format(std::string_view word) {
  if (word == "svg") return ImageFormat::svg;
  if (word == "png") return ImageFormat::png;
  if (word == "html") return ImageFormat::html;
  return std::nullopt;
}

Expected<std::string> render_image(const Topology& topo, ImageFormat format) {
  std::string dot = render_dot(topo);
  switch (format) {
  case ImageFormat::svg: return render_with_graphviz(dot, "svg");
  case ImageFormat::png: return render_with_graphviz(dot, "png");
  case ImageFormat::html: {
    auto svg = render_with_graphviz(dot, "svg");
    if (!svg) return svg;
    return html_page(topo, *svg);
  }
  }
  return fail("unknown image format");
}

} // namespace netlab
