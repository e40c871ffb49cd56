// Reading MIME header fields the way mail clients write them, which is more than RFC 5322
// and RFC 2045 alone: RFC 2047 encoded words ("=?UTF-8?B?...?=") in Subject, display names and
// (non-standard but common) file names; RFC 2231 parameters (filename*=UTF-8''%E2%82%AC.pdf and
// continuations filename*0*=, filename*1=); quoted parameter values containing ';'.
//
// mimetic 0.9.8 handles none of these (see FIELD-NOTES.md), so mail_parser.cpp reads raw
// header values and decodes them with the functions here. All results are UTF-8. None of
// these functions throws on malformed input: what cannot be decoded is kept as it was.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace faxgate::gateway {

// A structured field such as Content-Type or Content-Disposition, split into its value and
// parameters.
struct ParameterizedValue {
    std::string value;                              // lower-cased, e.g. "multipart/mixed"
    std::map<std::string, std::string> parameters;  // lower-cased names; RFC 2231 values joined
                                                    // and converted to UTF-8, quotes removed
};

// Splits an (unfolded) structured field value. RFC 2231 forms take precedence over a plain
// parameter of the same name, because clients send both and the plain one is the lossy
// fallback.
ParameterizedValue parseParameterizedValue(std::string_view fieldValue);

// Decodes the RFC 2047 encoded words in an unstructured header value (Subject, a display
// name, a file name) to UTF-8. Whitespace between two adjacent encoded words is dropped as
// RFC 2047 section 6.2 requires; 8-bit text outside encoded words is taken as UTF-8 if valid,
// otherwise as Windows-1252. Control characters become spaces.
std::string decodeEncodedWords(std::string_view text);

// Decodes %XX escapes (RFC 2231 values, RFC 3986); a '%' not followed by two hex digits is
// kept literally.
std::string percentDecode(std::string_view text);

}  // namespace faxgate::gateway
