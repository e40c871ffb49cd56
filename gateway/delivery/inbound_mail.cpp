// Composition of received-fax mails; see inbound_mail.h.
#include "gateway/delivery/inbound_mail.h"

#include <ctime>
#include <stdexcept>
#include <vector>

#include "common/text_template.h"
#include "gateway/delivery/mail_format.h"

namespace faxgate::gateway {
namespace {

// Longest value from a node that goes into a header or a body line.
constexpr size_t kMaxFieldBytes = 200;
// RFC 5322 line limit; a longer body line forces base64 for the text part.
constexpr size_t kMaxLineBytes = 998;

std::string resultInWords(const std::string& result) {
    if (result == "ok") return "received completely";
    if (result == "partial") return "the call ended early; the pages received are attached";
    if (result == "failed") return "failed: nothing usable was received";
    return cleanLine(result, kMaxFieldBytes);
}

std::string pagesText(int pages) {
    return std::to_string(pages) + (pages == 1 ? " page" : " pages");
}

std::string digitsOf(const std::string& number) {
    std::string digits;
    for (char c : number) {
        if (c >= '0' && c <= '9') digits += c;
        if (digits.size() >= 32) break;
    }
    return digits;
}

std::string compactUtc(int64_t timeMs) {
    const std::time_t seconds = static_cast<std::time_t>(timeMs / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%d-%H%M%S", &utc);
    return buffer;
}

std::string boundaryFor(const std::string& content) {
    for (;;) {
        std::string boundary = "=_faxgate_" + randomToken(12);
        if (content.find(boundary) == std::string::npos) return boundary;
    }
}

std::string textPart(const std::string& bodyText) {
    std::string text = toCrlf(bodyText);
    if (text.size() < 2 || text.compare(text.size() - 2, 2, "\r\n") != 0) text += "\r\n";
    std::string encoding = isAscii(text) ? "7bit" : "8bit";
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find("\r\n", start);
        if (end - start > kMaxLineBytes) encoding = "base64";
        start = end + 2;
    }
    return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + encoding +
           "\r\n\r\n" + (encoding == "base64" ? encodeBase64Lines(text) : text);
}

std::string attachmentPart(const std::string& contentType, const std::string& fileName,
                           const std::string& data) {
    return "Content-Type: " + contentType + "; name=\"" + fileName +
           "\"\r\nContent-Disposition: attachment; filename=\"" + fileName +
           "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encodeBase64Lines(data);
}

}  // namespace

InboundMailComposer::InboundMailComposer(InboundMailOptions options)
    : options_(std::move(options)) {
    if (!isPlainAddress(options_.fromAddress)) {
        throw std::invalid_argument("inbound mail: from address '" + options_.fromAddress +
                                    "' is not a plain address");
    }
    if (!isPlainAddress("postmaster@" + options_.hostname)) {
        throw std::invalid_argument("inbound mail: hostname '" + options_.hostname +
                                    "' is not usable in addresses");
    }
    template_ = loadTemplate(options_.templatesDir, "inbound-fax.txt");
}

std::string InboundMailComposer::subjectFor(const CommunicationRecord& record) {
    const std::string csid = cleanLine(record.remoteCsid, 40);
    const std::string caller =
        cleanLine(record.callerNumber.empty() ? record.number : record.callerNumber, 40);
    std::string sender;
    if (!csid.empty() && !caller.empty() && csid != caller) {
        sender = csid + " (" + caller + ")";
    } else if (!csid.empty()) {
        sender = csid;
    } else if (!caller.empty()) {
        sender = caller;
    } else {
        sender = "an unknown sender";
    }
    if (record.result == "failed") return "Failed fax reception from " + sender;
    std::string subject = "Fax from " + sender + ", " + pagesText(record.pages);
    if (record.result == "partial") subject += " (incomplete)";
    return subject;
}

std::string InboundMailComposer::attachmentBaseName(const CommunicationRecord& record) {
    std::string caller =
        digitsOf(record.callerNumber.empty() ? record.number : record.callerNumber);
    if (caller.empty()) caller = "unknown";
    return "fax-" + compactUtc(record.startedMs) + "-" + caller;
}

std::string InboundMailComposer::compose(const CommunicationRecord& record, const User& user,
                                         const FaxImages& images, int64_t nowMs) const {
    const std::string toAddress =
        !user.email.empty() ? user.email : user.id + "@" + options_.hostname;
    if (!isPlainAddress(toAddress)) {
        throw std::invalid_argument("inbound mail: address '" + toAddress + "' of user " + user.id +
                                    " is not a plain address");
    }
    const bool hasImage = record.result != "failed" && !images.tiff.empty();
    const bool wantPdf = user.attachmentFormat != "tiff";
    const bool wantTiff = user.attachmentFormat != "pdf";
    const bool attachPdf = hasImage && wantPdf && !images.pdf.empty();
    // No PDF for a PDF-only user: the TIFF rather than nothing.
    const bool attachTiff = hasImage && (wantTiff || !attachPdf);
    const std::string baseName = attachmentBaseName(record);

    const std::string dash = "-";
    auto orDash = [&](const std::string& value) {
        std::string cleaned = cleanLine(value, kMaxFieldBytes);
        return cleaned.empty() ? dash : cleaned;
    };
    TemplateValues values;
    values["summary"] = subjectFor(record) + ".";
    values["received"] = readableTime(record.startedMs);
    values["caller"] = orDash(record.callerNumber.empty() ? record.number : record.callerNumber);
    values["csid"] = orDash(record.remoteCsid);
    values["called"] = orDash(record.calledNumber);
    values["line"] = orDash(record.line);
    values["node"] = orDash(record.nodeId);
    values["pages"] = record.pagesTotal > record.pages ? std::to_string(record.pages) + " of " +
                                                             std::to_string(record.pagesTotal)
                                                       : std::to_string(record.pages);
    values["duration"] = readableDuration(record.durationMs);
    values["bit_rate"] = record.bitRate > 0 ? std::to_string(record.bitRate) + " bit/s" : dash;
    values["ecm"] = record.ecm ? "yes" : "no";
    values["result"] = resultInWords(record.result);
    values["reason"] = cleanLine(record.reason, kMaxFieldBytes);
    values["record_id"] = cleanLine(record.recordId, kMaxFieldBytes);
    values["hostname"] = options_.hostname;
    std::string note;
    if (attachPdf && attachTiff) {
        note = "The fax is attached as PDF and as TIFF.";
    } else if (attachPdf) {
        note = "The fax is attached as PDF.";
    } else if (attachTiff) {
        note = wantPdf ? "The fax is attached as TIFF (it could not be converted to PDF)."
                       : "The fax is attached as TIFF.";
    }
    values["attachment_note"] = note;
    const std::string text = textPart(expandTemplate(template_, values));

    std::string message;
    message += headerField("From", "Fax gateway <" + options_.fromAddress + ">");
    message += headerField("To", toAddress);
    message += headerField("Subject", subjectFor(record));
    message += headerField("Date", rfc5322Date(nowMs));
    message += headerField("Message-ID", newMessageId("fax-in", options_.hostname));
    message += headerField("X-Faxgate-Record", cleanLine(record.recordId, kMaxFieldBytes));
    message += "MIME-Version: 1.0\r\n";
    if (!attachPdf && !attachTiff) {
        message += text;
        return message;
    }
    std::vector<std::string> attachments;
    if (attachPdf) {
        attachments.push_back(attachmentPart("application/pdf", baseName + ".pdf", images.pdf));
    }
    if (attachTiff) {
        attachments.push_back(attachmentPart("image/tiff", baseName + ".tif", images.tiff));
    }
    const std::string boundary = boundaryFor(text);
    message += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
    message += "This is a MIME message: a received fax.\r\n";
    message += "--" + boundary + "\r\n" + text;
    for (const std::string& attachment : attachments) {
        message += "\r\n--" + boundary + "\r\n" + attachment;
    }
    message += "\r\n--" + boundary + "--\r\n";
    return message;
}

}  // namespace faxgate::gateway
