#pragma once
// Finished pictures of a topology, for documents and slides: Graphviz's own
// library (libgvc) lays out render_dot()'s graph and writes SVG or PNG; HTML is
// one self-contained page around the SVG. Pure apart from Graphviz: no files.
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace netlab {

enum class ImageFormat { svg, png, html };

/// "svg", "png" or "html"; nullopt for any other word.
std::optional<ImageFormat> parse_image_format(std::string_view word);

/// True for formats whose bytes are not text (they must not go to a terminal).
inline bool is_binary(ImageFormat f) { return f == ImageFormat::png; }

/// The lab drawn by Graphviz's dot layout. Fails (with Graphviz's own message)
/// only if the library cannot lay out or render, e.g. a missing plugin.
Expected<std::string> render_image(const Topology& topo, ImageFormat format);

/// `s` with & < > " escaped, for HTML text and attribute values.
std::string html_escape(std::string_view s);

} // namespace netlab
