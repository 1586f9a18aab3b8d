#include <netlab/live/page.hpp>

#include <netlab/live/page_html.hpp> // generated from page.html (lib/CMakeLists.txt)
#include <netlab/topology/graph_image.hpp>

namespace netlab {
namespace {

void replace_all(std::string& text, std::string_view what, const std::string& with) {
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
}

} // namespace

Expected<std::string> live_page(const Topology& topo) {
  auto svg = render_image(topo, ImageFormat::svg);
  if (!svg) return std::unexpected(svg.error());
  // Graphviz writes an XML declaration and a DOCTYPE first: inside HTML only <svg> belongs.
  const auto start = svg->find("<svg");
  std::string page(k_live_page_html);
  replace_all(page, "<!--NETLAB_LAB-->", html_escape(topo.name));
  replace_all(page, "<!--NETLAB_SVG-->", start == std::string::npos ? *svg : svg->substr(start));
  return page;
}

} // namespace netlab
