#pragma once
// "Did you mean ...?" for misspelt keys and names.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace netlab {

/// Levenshtein distance between `a` and `b`, ASCII case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` within `max_distance` edits (first one wins a tie), if any.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates,
                                         std::size_t max_distance = 2);

/// " (did you mean 'x'?)" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates,
                         std::size_t max_distance = 2);

} // namespace netlab
