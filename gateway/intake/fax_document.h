// Mail intake, second half: rendering a parsed mail (mail_parser.h) into the one multi-page
// G4 TIFF that all jobs of the submission share.
//
// Page order: the cover page (templates/cover-page.txt, which carries the body text and may
// run over several pages) first, then every attachment in mail order. Without a cover page a
// non-blank body text becomes text pages in front of the attachments. The page count printed
// on the cover is the real total: attachments are rendered first, then the cover is rendered
// until the number it prints matches the pages it takes.
//
// Diagnostics: ImageError (from the renderers) or IntakeError, with a reason in plain words
// for the sender; TemplateError (common/text_template.h) if the cover template is missing
// or broken, which is the administrator's problem, not the sender's.
//
// Threading: reentrant; the renderers may use threads of their own.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/image/fax_page.h"
#include "gateway/intake/mail_parser.h"

namespace faxgate::gateway {

// A mail that cannot become a fax document; what() is the reason for the sender.
class IntakeError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// What the cover page says besides the mail's body.
struct CoverPageInfo {
    std::string sender;  // who the fax is from, e.g. "Jörg Example <jx@example.com>"
    std::vector<std::string> recipients;  // the fax numbers, as the sender wrote them
    std::string subject;                  // the mail's subject
    std::string dateText;                 // when it was submitted, already formatted
};

struct ConversionOptions {
    FaxResolution resolution = FaxResolution::Fine;  // vertical resolution of every page
    bool coverPage = true;     // put a cover page (with the body text) in front
    int maxPages = 200;        // pages of the whole document, cover included; more is refused
    std::string templatesDir;  // directory holding cover-page.txt; needed when coverPage is set
};

// The finished document: a multi-page G4 TIFF (see gateway/image/fax_tiff.h).
struct FaxDocument {
    std::string tiff;
    int pages = 0;  // pages in `tiff`
};

// Name of the cover page template inside ConversionOptions::templatesDir.
inline constexpr const char* kCoverPageTemplate = "cover-page.txt";

// Renders body and attachments to one multi-page G4 TIFF. Throws ImageError/IntakeError with
// the reason in plain words, TemplateError if the cover template cannot be used.
FaxDocument convertMail(const ParsedMail& mail, const CoverPageInfo& cover,
                        const ConversionOptions& options);

}  // namespace faxgate::gateway
