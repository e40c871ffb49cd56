// Pieces of an outgoing RFC 5322 / MIME message that the result mails are built from: header
// fields with RFC 2047 encoding and folding, base64 bodies in 76-character CRLF lines, dates,
// Message-IDs, and the clean-up of text that came from users or nodes before it goes into a
// header or a body line.
//
// We write MIME directly rather than with mimetic: mimetic 0.9.8 uses bare LF in base64 bodies
// and its QP encoder mangles UTF-8 (FIELD-NOTES.md), and a result mail is only a text part and
// at most one attachment. Everything here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace faxgate::gateway {

// `data` in base64, 76 characters per line, each line ended by CRLF (RFC 2045 6.8).
std::string encodeBase64Lines(std::string_view data);

// "Name: value" CRLF, folded to lines of at most 78 characters where the value has spaces.
// A value with non-ASCII bytes (UTF-8) is written as RFC 2047 "B" encoded words of at most
// 75 characters, split between characters, never inside one.
std::string headerField(std::string_view name, std::string_view value);

// An RFC 5322 date-time in UTC, e.g. "Mon, 25 Nov 2024 14:05:45 +0000". Independent of the
// process locale.
std::string rfc5322Date(int64_t timeMs);

// A time for people to read in a mail body: "2024-11-25 14:05:45 UTC".
std::string readableTime(int64_t timeMs);

// A duration for people: "45 s", "2 min 5 s", "1 h 3 min".
std::string readableDuration(int64_t durationMs);

// `bytes` random bytes as lower-case hex: MIME boundaries, Message-IDs.
std::string randomToken(size_t bytes);

// A new globally unique Message-ID with angle brackets: "<faxgate.<tag>.<random>@host>".
std::string newMessageId(std::string_view tag, std::string_view hostname);

// `messageId` with angle brackets, or empty if it is not a usable msg-id (no '@', white space,
// control characters, or longer than 250 bytes): such a value must not go into a header.
std::string normaliseMessageId(std::string_view messageId);

// One line of text safe for a header or a table cell: control characters (CR, LF, TAB...)
// become spaces, runs of spaces shrink to one, invalid UTF-8 bytes become '?', and the result
// is cut to at most `maxBytes` bytes at a character boundary ("..." marks a cut).
std::string cleanLine(std::string_view text, size_t maxBytes);

// Every line end (CRLF, bare LF, bare CR) turned into CRLF.
std::string toCrlf(std::string_view text);

// A plain addr-spec "local@domain" as used in envelopes and To/From: not empty, at most 254
// bytes, exactly one '@' with text on both sides, no white space, control characters or
// any of the characters <>()[],;:"\ .
bool isPlainAddress(std::string_view address);

// True when every byte is ASCII (below 0x80).
bool isAscii(std::string_view text);

// The number of characters (UTF-8 code points) in `text`: column width for tables.
size_t characterCount(std::string_view text);

}  // namespace faxgate::gateway
