// The mail that brings a received fax to a user: "Fax from +81 3 9876 5432 (0398765432),
// 3 pages", a text part from templates/inbound-fax.txt describing the reception record, and
// the fax as a PDF and/or TIFF attachment, per the user's attachmentFormat. The same bytes go
// into the user's mailbox on the gateway and, for users with an external address, to the
// outbox.
//
// Everything from the node (CSID, numbers, reason) is cleaned (cleanLine) before it goes into
// a header or the body: a remote fax machine chooses its CSID. The message has CRLF line ends
// throughout, base64 attachments in 76-character lines.
//
// Diagnostics: std::invalid_argument for an unusable from/to address or hostname;
// TemplateError if the template cannot be read or names an unknown placeholder.
// Thread-safety: InboundMailComposer is immutable after construction; compose() is const and
// may be called from several threads.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/store/types.h"

namespace faxgate::gateway {

struct InboundMailOptions {
    // Directory holding inbound-fax.txt.
    std::string templatesDir = "templates";
    // From: of the mails (plain addr-spec).
    std::string fromAddress = "faxgate@fax.local";
    // Host name for Message-IDs and the signature; also the domain of the To: address of
    // users without an external address.
    std::string hostname = "fax.local";
};

// The fax in the forms a user may want. `pdf` may be empty when no user of this reception
// wants PDF or the TIFF could not be wrapped (then the TIFF is attached instead, see compose).
struct FaxImages {
    std::string tiff;  // as received; empty for a failed reception
    std::string pdf;
};

class InboundMailComposer {
  public:
    // Loads the template now, so a missing file shows at start-up. Throws (see above).
    explicit InboundMailComposer(InboundMailOptions options);

    // The whole message for `user`. A user who wants PDF gets the TIFF instead when `images.pdf`
    // is empty (the fax is never lost for a format); a failed reception has no attachment.
    std::string compose(const CommunicationRecord& record, const User& user,
                        const FaxImages& images, int64_t nowMs) const;

    // "Fax from +81 3 9876 5432 (0398765432), 3 pages" (see the .cpp for the variants).
    static std::string subjectFor(const CommunicationRecord& record);
    // "fax-20241125-140545-0398765432" (+ ".pdf" / ".tif"): the reception's start time in UTC
    // and the caller's digits ("unknown" without a caller number).
    static std::string attachmentBaseName(const CommunicationRecord& record);

  private:
    InboundMailOptions options_;
    std::string template_;
};

}  // namespace faxgate::gateway
