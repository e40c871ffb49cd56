// Reducing an HTML mail body to plain text for the fax, for mails that come without a
// text/plain alternative. The goal is readable text, not a browser: tags are dropped, script
// and style content is dropped, block elements (p, div, br, li, tr, headings...) become line
// breaks so paragraphs stay apart, whitespace inside a paragraph is collapsed as a browser
// would (except in <pre>), and the common character entities are decoded.
#pragma once

#include <string>
#include <string_view>

namespace faxgate::gateway {

// `html` must already be UTF-8 (see charset.h). Never throws on malformed markup.
std::string htmlToText(std::string_view html);

}  // namespace faxgate::gateway
