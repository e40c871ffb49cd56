// Charset conversion for mail intake: every piece of text taken from a mail (bodies, header
// words, file names) is turned into UTF-8 here before anything else sees it, so the rest of
// the gateway only ever handles UTF-8.
//
// Conversion never fails: a byte sequence that is invalid in the declared charset becomes
// U+FFFD, and a charset that is unknown or missing is treated as "UTF-8 if the bytes are valid
// UTF-8, otherwise Windows-1252" (what mail clients do in practice with unlabelled 8-bit text).
#pragma once

#include <string>
#include <string_view>

namespace faxgate::gateway {

// The bytes `text`, declared to be in `charset` (a MIME charset name such as "ISO-8859-1",
// "Shift_JIS", "iso-2022-jp"; case-insensitive, may be empty), as UTF-8.
std::string toUtf8(std::string_view text, std::string_view charset);

// True if `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(std::string_view text);

// Appends the UTF-8 encoding of `codePoint` (which must be a Unicode scalar value).
void appendUtf8(std::string& out, char32_t codePoint);

}  // namespace faxgate::gateway
