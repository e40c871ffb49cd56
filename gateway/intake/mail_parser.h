// Mail intake, first half: from the raw bytes of a submitted mail (RFC 5322 + MIME) to the
// things to fax - the body text and the attached documents, decoded and identified. The
// second half, fax_document.h, renders them.
//
// What counts:
//   - Body text: the text/plain parts that are not attachments, in mail order (in a
//     multipart/alternative the text/plain alternative is preferred; an HTML-only body is
//     reduced to plain text). Converted to UTF-8 from its declared charset.
//   - Attachments: every other part with a body: Content-Disposition "attachment", "inline"
//     with a file name, or any non-text type; also those of forwarded mails
//     (message/rfc822). A forwarded mail's text is the body text only when the outer mail
//     has none of its own.
//   - An attachment's kind comes from its bytes (sniffDocumentKind), never from its name:
//     PDF, PostScript, TIFF, PNG and JPEG are accepted, text/* attachments become text
//     pages, anything else refuses the whole mail with a reason naming the file.
//
// Robustness: parseMail never throws. The raw message is walked by our own MIME splitter
// with every limit of IntakeLimits checked before the bytes they cover are looked at.
// mimetic 0.9.8's parser is not used for the structure: it rewrites the Content-Type it
// reads (so the original parameters are lost), it cannot split a boundary containing ';'
// (0 parts, reproduced), it recurses without a bound and has known out-of-bounds reads.
// mimetic's Base64 and quoted-printable decoders are used, on input validated first.
//
// Diagnostics: ParseOutcome::error, a sentence for the sender ("attachment 'report.docx'
// (application/msword) is not a supported type: send PDF, TIFF, PNG, JPEG or PostScript").
//
// Threading: parseMail is reentrant; it keeps no state between calls.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/image/renderers.h"

namespace faxgate::gateway {

struct MailAttachment {
    std::string fileName;     // UTF-8, without any directory part; empty if the mail gives none
    std::string contentType;  // "type/subtype" as declared, lower-case
    DocumentKind kind = DocumentKind::Unknown;  // from the bytes; Unknown only for a text
                                                // attachment (contentType "text/...")
    std::string data;  // decoded bytes; for a text attachment its text in UTF-8
};

struct ParsedMail {
    std::string subject;    // RFC 2047 decoded, UTF-8
    std::string from;       // From header, display name decoded: "Jörg Example <jx@example.com>"
    std::string messageId;  // Message-ID header as written, with its angle brackets
    std::string date;       // Date header as written
    std::string bodyText;   // UTF-8, LF line ends; empty when the mail has no (non-blank) text
    std::vector<MailAttachment> attachments;  // in mail order
};

// Limits on a submitted mail, checked while walking it, before the parts they limit are
// decoded. The message size itself is limited by the SMTP server before intake.
struct IntakeLimits {
    size_t maxAttachments = 20;         // documents taken from one mail (forwarded ones count)
    size_t maxMimeDepth = 8;            // nesting of multiparts and forwarded mails; the
                                        // message itself is level 1
    size_t maxParts = 100;              // MIME entities walked, the message itself included
    size_t maxHeaderBytes = 64 * 1024;  // bytes of one header block (the message's or a part's)
};

struct ParseOutcome {
    std::optional<ParsedMail> mail;  // set on success
    std::string error;               // on failure: the reason in plain words for the sender
};

ParseOutcome parseMail(std::string_view rawMessage, const IntakeLimits& limits);

}  // namespace faxgate::gateway
