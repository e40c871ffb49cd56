// What IMAP tells about one stored RFC 5322 message: ENVELOPE, BODYSTRUCTURE / BODY, and the
// bytes of a body section (1, 1.2, HEADER, TEXT, MIME, HEADER.FIELDS[.NOT]).
//
// A small MIME walker of our own indexes the stored bytes once (header fields, part bounds,
// content types); sections are served from the original bytes by offset, nothing is
// re-serialised, so a client's signature checks and attachment bytes stay exact. Malformed
// input never throws: a part without a blank line is all header, a multipart without its
// boundary is a single part, and nesting beyond kMaxImapMimeDepth is treated as opaque.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/imap/imap_parser.h"

namespace faxgate::gateway {

inline constexpr size_t kMaxImapMimeDepth = 20;    // nested multiparts / messages
inline constexpr size_t kMaxImapMimeParts = 1000;  // parts in one message

// Formats `text` as an IMAP string: quoted when it is printable 7-bit, else a literal.
std::string imapString(std::string_view text);
// As imapString, or NIL for an empty value.
std::string imapNString(std::string_view text);

// Immutable after construction; safe to read from several threads.
class ImapMessage {
  public:
    explicit ImapMessage(std::string data);
    ~ImapMessage();
    ImapMessage(const ImapMessage&) = delete;
    ImapMessage& operator=(const ImapMessage&) = delete;

    const std::string& data() const { return data_; }
    // The parenthesised ENVELOPE of the top-level message.
    std::string envelope() const;
    // BODYSTRUCTURE (extensible = true) or BODY (false).
    std::string bodyStructure(bool extensible) const;
    // The bytes of a section; empty if the section does not exist.
    std::string section(const ImapSection& section) const;
    // The top-level header block (with its blank line) and the text after it.
    std::string_view header() const;
    std::string_view text() const;
    // Unfolded values of all top-level fields named `name` (case-insensitive), joined by
    // ", "; empty if there is none.
    std::string headerValue(std::string_view name) const;

    struct Part;

  private:
    std::string data_;
    std::unique_ptr<Part> root_;
};

}  // namespace faxgate::gateway
