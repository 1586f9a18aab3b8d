#pragma once
// Text from outside (kernel aliases, lab names from the command line or a
// state dir) made safe to print: a hostile name must not drive the terminal.
#include <string>
#include <string_view>

namespace netlab {

/// `text` with every byte that could move the cursor, recolour or otherwise
/// drive a terminal shown as "\xNN": C0 controls (newline, ESC...), DEL, C1
/// controls (U+0080..U+009F) and bytes that are not valid UTF-8. Printable
/// ASCII and valid UTF-8 pass unchanged; "\" itself is shown as "\\".
std::string escape_for_terminal(std::string_view text);

} // namespace netlab
