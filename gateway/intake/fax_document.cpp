// Rendering a parsed mail into one fax document; see fax_document.h.
#include "gateway/intake/fax_document.h"

#include <string_view>
#include <utility>

#include "common/text_template.h"
#include "gateway/image/fax_tiff.h"
#include "gateway/image/renderers.h"

namespace faxgate::gateway {

namespace {

// Rounds of "render the cover, count, render again" before giving up. The count only changes
// when the printed number gets a digit longer and that pushes text onto another page, so two
// rounds nearly always settle it; the bound only guards against a pathological template.
constexpr int kMaxCoverRounds = 4;

std::string tooManyPages(int maxPages) {
    return "the document has more than " + std::to_string(maxPages) + " pages";
}

std::string describe(const MailAttachment& attachment) {
    if (attachment.fileName.empty()) return "an attachment (" + attachment.contentType + ")";
    return "attachment '" + attachment.fileName + "'";
}

std::vector<FaxPage> renderAttachment(const MailAttachment& attachment, FaxResolution resolution,
                                      int maxPages) {
    switch (attachment.kind) {
        case DocumentKind::Pdf:
            return renderPdf(attachment.data, resolution, maxPages);
        case DocumentKind::PostScript:
            return renderPostScript(attachment.data, resolution, maxPages);
        case DocumentKind::Tiff:
            return renderTiff(attachment.data, resolution, maxPages);
        case DocumentKind::Png:
        case DocumentKind::Jpeg:
            return renderRasterImage(attachment.data, resolution);
        case DocumentKind::Unknown:
            break;
    }
    if (attachment.contentType.starts_with("text/")) {
        return renderText(attachment.data, resolution, maxPages);
    }
    throw IntakeError(describe(attachment) +
                      " is not a supported type: send PDF, TIFF, PNG, JPEG or PostScript");
}

std::string joinRecipients(const std::vector<std::string>& recipients) {
    std::string joined;
    for (const std::string& recipient : recipients) {
        if (!joined.empty()) joined += ", ";
        joined += recipient;
    }
    return joined;
}

bool isBlank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The cover template's lines before its first empty line are the heading, printed bold.
struct CoverText {
    std::string heading;
    std::string text;
};

CoverText splitHeading(const std::string& expanded) {
    size_t blankLine = expanded.find("\n\n");
    if (blankLine == std::string::npos) return {"", expanded};
    return {expanded.substr(0, blankLine), expanded.substr(blankLine + 2)};
}

class DocumentBuilder {
  public:
    DocumentBuilder(const ParsedMail& mail, const CoverPageInfo& cover,
                    const ConversionOptions& options)
        : mail_(mail), cover_(cover), options_(options) {}

    FaxDocument build() {
        if (options_.maxPages < 1) throw IntakeError("the page limit must be at least 1");
        std::vector<FaxPage> attachmentPages = renderAttachments();
        std::vector<FaxPage> frontPages;
        if (options_.coverPage) {
            frontPages = renderCover(static_cast<int>(attachmentPages.size()));
        } else if (!isBlank(mail_.bodyText)) {
            frontPages = renderText(mail_.bodyText, options_.resolution,
                                    remainingPages(attachmentPages.size()));
        }
        checkTotal(frontPages.size() + attachmentPages.size());
        if (frontPages.empty() && attachmentPages.empty()) {
            throw IntakeError("the mail has nothing to fax");
        }
        std::vector<FaxPage> pages = std::move(frontPages);
        pages.reserve(pages.size() + attachmentPages.size());
        for (FaxPage& page : attachmentPages) pages.push_back(std::move(page));
        FaxDocument document;
        document.pages = static_cast<int>(pages.size());
        document.tiff = writeFaxTiff(pages);
        return document;
    }

  private:
    // Pages still allowed after `used` pages; refuses the document when none are left.
    int remainingPages(size_t used) const {
        if (used >= static_cast<size_t>(options_.maxPages)) {
            throw IntakeError(tooManyPages(options_.maxPages));
        }
        return options_.maxPages - static_cast<int>(used);
    }

    void checkTotal(size_t total) const {
        if (total > static_cast<size_t>(options_.maxPages)) {
            throw IntakeError(tooManyPages(options_.maxPages));
        }
    }

    std::vector<FaxPage> renderAttachments() const {
        std::vector<FaxPage> pages;
        // The cover needs at least one page of the budget.
        const size_t reserved = options_.coverPage ? 1 : 0;
        for (const MailAttachment& attachment : mail_.attachments) {
            int budget = remainingPages(pages.size() + reserved);
            std::vector<FaxPage> rendered;
            try {
                rendered = renderAttachment(attachment, options_.resolution, budget);
            } catch (const ImageError& e) {
                throw ImageError(describe(attachment) + ": " + e.what());
            }
            if (rendered.empty()) throw IntakeError(describe(attachment) + " has no pages");
            checkTotal(pages.size() + rendered.size() + reserved);
            for (FaxPage& page : rendered) pages.push_back(std::move(page));
        }
        return pages;
    }

    std::vector<FaxPage> renderCoverWithTotal(const std::string& coverTemplate, int totalPages,
                                              int budget) const {
        TemplateValues values{
            {"sender", cover_.sender},
            {"recipients", joinRecipients(cover_.recipients)},
            {"subject", cover_.subject},
            {"date", cover_.dateText},
            {"pages", std::to_string(totalPages)},
            {"body", mail_.bodyText},
        };
        CoverText text = splitHeading(expandTemplate(coverTemplate, values));
        return renderText(text.text, text.heading, options_.resolution, budget);
    }

    // Renders the cover until the total it prints equals the real total.
    std::vector<FaxPage> renderCover(int attachmentPageCount) const {
        const std::string coverTemplate = loadTemplate(options_.templatesDir, kCoverPageTemplate);
        const int budget = remainingPages(static_cast<size_t>(attachmentPageCount));
        int coverPageCount = 1;
        for (int round = 0; round < kMaxCoverRounds; ++round) {
            const int printedTotal = attachmentPageCount + coverPageCount;
            std::vector<FaxPage> pages;
            try {
                pages = renderCoverWithTotal(coverTemplate, printedTotal, budget);
            } catch (const ImageError& e) {
                throw ImageError(std::string("the cover page: ") + e.what());
            }
            if (pages.empty()) throw IntakeError("the cover page came out empty");
            if (static_cast<int>(pages.size()) == coverPageCount) return pages;
            coverPageCount = static_cast<int>(pages.size());
        }
        throw IntakeError("the cover page could not be laid out: its length keeps changing");
    }

    const ParsedMail& mail_;
    const CoverPageInfo& cover_;
    const ConversionOptions& options_;
};

}  // namespace

FaxDocument convertMail(const ParsedMail& mail, const CoverPageInfo& cover,
                        const ConversionOptions& options) {
    return DocumentBuilder(mail, cover, options).build();
}

}  // namespace faxgate::gateway
