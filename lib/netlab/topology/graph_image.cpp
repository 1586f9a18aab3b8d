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

// One Graphviz context for the whole process, never freed: Graphviz 2.42's pango
// plugin keeps a pointer to the last font name, which lives in the context's
// font cache, and compares it on the next layout; a second context after the
// first was freed reads freed memory (AddressSanitizer finds it).
GVC_t* shared_context() {
  static GVC_t* context = gvContext();
  return context;
}

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

  GVC_t* gvc = shared_context();
  if (!gvc) return fail("graphviz: cannot create a context");
  std::unique_ptr<Agraph_t, GraphDeleter> graph(agmemread(dot.c_str()));
  if (!graph) return fail("graphviz: cannot read the generated graph: " + trimmed(g_messages));
  if (gvLayout(gvc, graph.get(), "dot") != 0)
    return fail("graphviz: dot layout failed: " + trimmed(g_messages));
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc, graph.get(), format, &data, &length);
  gvFreeLayout(gvc, graph.get());
  if (rc != 0 || data == nullptr) {
    if (data) gvFreeRenderData(data);
    return fail(std::string("graphviz: cannot render ") + format + " (is its plugin installed? `dot -c` registers them): " +
                trimmed(g_messages));
  }
  std::string out(data, length);
  gvFreeRenderData(data);
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

} // namespace netlab

// Under LeakSanitizer (the ASan test build): Graphviz's font stack keeps its
// caches (fontconfig's, pango's, libgvc's font dictionary in the shared
// context above) until the process ends, by design. They are not netlab's
// leaks; everything netlab allocates here is freed by RAII above.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\nleak:libgvc.so\nleak:libgvplugin_\nleak:libpango\nleak:libcairo\n"
         "leak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libfreetype.so\nleak:libcgraph.so\n";
}

// ... and says nothing of them: the suppression statistics LeakSanitizer
// prints at exit would land in the output of a command that succeeded.
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
