// Composition of result reports and requeue notices; see result_report.h.
#include "gateway/delivery/result_report.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "common/text_template.h"
#include "gateway/delivery/job_outcome.h"
#include "gateway/delivery/mail_format.h"

namespace faxgate::gateway {
namespace {

// Bounds on what users and nodes put into our text, so that one odd value cannot make a line
// too long for SMTP (998 bytes) or a subject unreadable.
constexpr size_t kMaxSubjectTextBytes = 200;
constexpr size_t kMaxNumberBytes = 40;
constexpr size_t kMaxNodeBytes = 40;
constexpr size_t kMaxReasonBytes = 300;
// A job has at most a few dozen attempts under any sane retry policy; more are summarised.
constexpr size_t kMaxAttemptsListed = 50;
// RFC 5322 2.1.1: a line must not exceed 998 bytes; longer text lines force base64.
constexpr size_t kMaxLineBytes = 998;

void requireAddress(const std::string& address, const char* what) {
    if (!isPlainAddress(address)) {
        throw std::invalid_argument(std::string("result mail: ") + what + " \"" +
                                    cleanLine(address, 80) + "\" is not a plain mail address");
    }
}

void requireHostname(const std::string& hostname) {
    bool usable = !hostname.empty() && hostname.size() <= 253;
    for (char c : hostname) {
        if (!(std::isalnum(uint8_t(c)) || c == '-' || c == '.')) usable = false;
    }
    if (!usable) {
        throw std::invalid_argument("result mail: gateway hostname \"" + cleanLine(hostname, 80) +
                                    "\" is not a host name");
    }
}

std::string plural(int count, const char* singular, const char* pluralForm) {
    return std::to_string(count) + " " + (count == 1 ? singular : pluralForm);
}

std::string originalSubject(const Submission& submission) {
    return cleanLine(submission.subject, kMaxSubjectTextBytes);
}

std::string withOriginalSubject(std::string subject, const Submission& submission) {
    std::string original = originalSubject(submission);
    if (!original.empty()) subject += " - " + original;
    return subject;
}

std::string numberOf(const Job& job) {
    std::string number = cleanLine(job.number, kMaxNumberBytes);
    return number.empty() ? "(no number)" : number;
}

std::string padRight(std::string text, size_t width) {
    size_t count = characterCount(text);
    if (count < width) text.append(width - count, ' ');
    return text;
}

// A small plain-text table: columns padded to their widest cell, two spaces apart.
std::string formatTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], characterCount(row[i]));
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line = "  ";
        for (size_t i = 0; i < row.size(); ++i) {
            line += i + 1 < row.size() ? padRight(row[i], widths[i] + 2) : row[i];
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    if (!out.empty()) out.pop_back();  // the template supplies the last line end
    return out;
}

const std::vector<Attempt>& attemptsOf(const ReportContext& context, int64_t jobId) {
    static const std::vector<Attempt> kNone;
    auto it = context.attempts.find(jobId);
    return it == context.attempts.end() ? kNone : it->second;
}

// The attempt that sent the job: the last one with result "ok".
const Attempt* successfulAttempt(const std::vector<Attempt>& attempts) {
    for (auto it = attempts.rbegin(); it != attempts.rend(); ++it) {
        if (it->result == "ok") return &*it;
    }
    return nullptr;
}

std::string nodeAndLine(const std::string& node, const std::string& line) {
    std::string text = cleanLine(node, kMaxNodeBytes);
    if (text.empty()) return "-";
    std::string lineText = cleanLine(line, kMaxNodeBytes);
    if (!lineText.empty()) text += "/" + lineText;
    return text;
}

std::string pagesCell(const Job& job) {
    if (job.pagesTotal > 0) {
        return std::to_string(job.pagesSent) + "/" + std::to_string(job.pagesTotal);
    }
    return std::to_string(job.pagesSent);
}

// The calls made for one job, one line each, indented under a heading line.
std::string attemptLines(const std::vector<Attempt>& attempts) {
    if (attempts.empty()) return "    no call was made\n";
    std::vector<std::vector<std::string>> rows;
    size_t listed = std::min(attempts.size(), kMaxAttemptsListed);
    for (size_t i = 0; i < listed; ++i) {
        const Attempt& attempt = attempts[i];
        std::string result;
        std::string reason;
        if (attempt.endedMs == 0 && attempt.result.empty()) {
            result = "in progress";
        } else {
            ResultWords words = describeResult(attempt.result);
            result = words.label;
            reason = cleanLine(attempt.reason, kMaxReasonBytes);
            if (reason.empty()) reason = words.sentence;
        }
        rows.push_back({"#" + std::to_string(attempt.number), readableTime(attempt.dispatchedMs),
                        nodeAndLine(attempt.nodeId, attempt.line), result,
                        plural(attempt.pages, "page", "pages"), reason});
    }
    std::string table = formatTable(rows);
    // formatTable indents by two; attempts sit one level deeper than their destination.
    std::string out;
    size_t pos = 0;
    while (pos <= table.size()) {
        size_t end = table.find('\n', pos);
        if (end == std::string::npos) end = table.size();
        out += "  " + table.substr(pos, end - pos) + "\n";
        pos = end + 1;
    }
    if (attempts.size() > listed) {
        out += "    ... and " + std::to_string(attempts.size() - listed) + " more calls\n";
    }
    return out;
}

// The heading line of one destination in the attempts section, with the facts of a
// successful transmission (pages confirmed, duration, node, time).
std::string destinationHeading(const Job& job, const JobOutcome& outcome,
                               const std::vector<Attempt>& attempts) {
    std::string heading = numberOf(job) + ": " + outcome.label;
    if (outcome.kind == OutcomeKind::Sent) {
        const Attempt* sent = successfulAttempt(attempts);
        heading += ", " + plural(job.pagesSent, "page", "pages") + " confirmed";
        if (sent != nullptr && sent->endedMs > sent->dispatchedMs) {
            heading += " in " + readableDuration(sent->endedMs - sent->dispatchedMs);
        }
        heading += " via " + (sent != nullptr ? nodeAndLine(sent->nodeId, sent->line)
                                              : nodeAndLine(job.node, job.line));
        heading += " at " + readableTime(sent != nullptr && sent->endedMs > 0 ? sent->endedMs
                                                                              : job.updatedMs);
    } else {
        heading += " - " + outcome.reason;
    }
    return heading + "\n";
}

struct Verdicts {
    std::vector<JobOutcome> outcomes;  // parallel to context.jobs
    int sent = 0;
};

Verdicts judge(const ReportContext& context) {
    Verdicts verdicts;
    for (const Job& job : context.jobs) {
        verdicts.outcomes.push_back(outcomeOf(context.submission, job));
        if (verdicts.outcomes.back().kind == OutcomeKind::Sent) ++verdicts.sent;
    }
    return verdicts;
}

std::string reportSubject(const ReportContext& context, const Verdicts& verdicts) {
    const auto& jobs = context.jobs;
    std::string subject;
    if (jobs.empty()) {
        subject = "Fax: FAILED (" + conversionFailure(context.submission).label + ")";
    } else if (jobs.size() == 1) {
        const JobOutcome& outcome = verdicts.outcomes.front();
        subject = "Fax to " + numberOf(jobs.front()) + ": ";
        switch (outcome.kind) {
            case OutcomeKind::Sent:
                subject += "sent (" + plural(jobs.front().pagesSent, "page", "pages") + ")";
                break;
            case OutcomeKind::Cancelled:
                subject += "cancelled";
                break;
            case OutcomeKind::InProgress:
                subject += "in progress";
                break;
            default:
                subject += "FAILED (" + outcome.label + ")";
                break;
        }
    } else if (context.submission.state == SubmissionState::Failed) {
        subject = "Fax broadcast: FAILED (" + conversionFailure(context.submission).label + ")";
    } else {
        subject = "Fax broadcast: " + std::to_string(verdicts.sent) + " of " +
                  std::to_string(jobs.size()) + " sent";
    }
    return withOriginalSubject(subject, context.submission);
}

std::string reportSummary(const ReportContext& context, const Verdicts& verdicts) {
    const auto& jobs = context.jobs;
    if (jobs.empty() || context.submission.state == SubmissionState::Failed) {
        return "Your fax could not be sent: " + conversionFailure(context.submission).reason + ".";
    }
    if (jobs.size() == 1) {
        const JobOutcome& outcome = verdicts.outcomes.front();
        if (outcome.kind == OutcomeKind::Sent) {
            return "Your fax to " + numberOf(jobs.front()) +
                   " was sent: " + plural(jobs.front().pagesSent, "page was", "pages were") +
                   " confirmed by the receiving fax machine.";
        }
        return "Your fax to " + numberOf(jobs.front()) + " was not sent: " + outcome.reason + ".";
    }
    std::string summary = "Your fax broadcast was sent to " + std::to_string(verdicts.sent) +
                          " of " + std::to_string(jobs.size()) + " numbers.";
    if (verdicts.sent < int(jobs.size())) summary += " See below for the numbers that failed.";
    return summary;
}

std::string destinationsTable(const ReportContext& context, const Verdicts& verdicts) {
    if (context.jobs.empty()) return {};
    std::vector<std::vector<std::string>> rows{{"Number", "Result", "Pages", "Node", "Time"}};
    for (size_t i = 0; i < context.jobs.size(); ++i) {
        const Job& job = context.jobs[i];
        rows.push_back({numberOf(job), verdicts.outcomes[i].label, pagesCell(job),
                        nodeAndLine(job.node, job.line), readableTime(job.updatedMs)});
    }
    return formatTable(rows);
}

std::string attemptsSection(const ReportContext& context, const Verdicts& verdicts) {
    std::string out;
    for (size_t i = 0; i < context.jobs.size(); ++i) {
        const Job& job = context.jobs[i];
        const auto& attempts = attemptsOf(context, job.id);
        if (i > 0) out += "\n";
        out += "  " + destinationHeading(job, verdicts.outcomes[i], attempts);
        out += attemptLines(attempts);
    }
    if (!out.empty()) out.pop_back();
    return out;
}

// The templates' shared values.
TemplateValues commonValues(const ReportContext& context) {
    std::string subject = originalSubject(context.submission);
    return {
        {"subject", subject.empty() ? "(no subject)" : subject},
        {"submitted", readableTime(context.submission.createdMs)},
        {"submission_id", std::to_string(context.submission.id)},
        {"hostname", context.gatewayHostname},
    };
}

std::string transferEncodingFor(const std::string& text) {
    size_t lineStart = 0;
    while (lineStart < text.size()) {
        size_t end = text.find("\r\n", lineStart);
        if (end == std::string::npos) end = text.size();
        if (end - lineStart > kMaxLineBytes) return "base64";
        lineStart = end + 2;
    }
    return isAscii(text) ? "7bit" : "8bit";
}

std::string textPart(const std::string& bodyText) {
    std::string text = toCrlf(bodyText);
    if (text.size() < 2 || text.compare(text.size() - 2, 2, "\r\n") != 0) text += "\r\n";
    std::string encoding = transferEncodingFor(text);
    std::string part =
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: " +
        encoding + "\r\n\r\n";
    part += encoding == "base64" ? encodeBase64Lines(text) : text;
    return part;
}

// A boundary that cannot occur in the parts: random, and checked anyway.
std::string boundaryFor(const std::string& content) {
    for (;;) {
        std::string boundary = "=_faxgate_" + randomToken(12);
        if (content.find(boundary) == std::string::npos) return boundary;
    }
}

std::string composeMessage(const ReportContext& context, const std::string& idTag,
                           const std::string& subject, const std::string& bodyText,
                           const std::string& pdf, const std::string& pdfName) {
    requireAddress(context.fromAddress, "from address");
    requireAddress(context.toAddress, "to address");
    requireHostname(context.gatewayHostname);

    std::string message;
    message += headerField("From", "Fax gateway <" + context.fromAddress + ">");
    message += headerField("To", context.toAddress);
    message += headerField("Subject", subject);
    message += headerField("Date", rfc5322Date(context.nowMs));
    message += headerField("Message-ID", newMessageId(idTag, context.gatewayHostname));
    std::string inReplyTo = normaliseMessageId(context.submission.messageId);
    if (!inReplyTo.empty()) {
        message += headerField("In-Reply-To", inReplyTo);
        message += headerField("References", inReplyTo);
    }
    message += "Auto-Submitted: auto-replied\r\n";
    message += headerField("X-Faxgate-Submission", std::to_string(context.submission.id));
    message += "MIME-Version: 1.0\r\n";

    std::string text = textPart(bodyText);
    if (pdf.empty()) return message + text;

    std::string attachment = "Content-Type: application/pdf; name=\"" + pdfName +
                             "\"\r\n"
                             "Content-Disposition: attachment; filename=\"" +
                             pdfName +
                             "\"\r\n"
                             "Content-Transfer-Encoding: base64\r\n\r\n" +
                             encodeBase64Lines(pdf);
    std::string boundary = boundaryFor(text);
    message += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
    message += "This is a MIME message: the fax report and the document as faxed.\r\n";
    message += "--" + boundary + "\r\n" + text;
    message += "\r\n--" + boundary + "\r\n" + attachment;
    message += "\r\n--" + boundary + "--\r\n";
    return message;
}

}  // namespace

std::string composeResultReport(const ReportContext& context, const std::string& templatesDir) {
    Verdicts verdicts = judge(context);
    TemplateValues values = commonValues(context);
    values["summary"] = reportSummary(context, verdicts);
    values["destinations"] = destinationsTable(context, verdicts);
    values["attempts"] = attemptsSection(context, verdicts);
    values["conversion_error"] = context.submission.state == SubmissionState::Failed
                                     ? cleanLine(context.submission.failureReason.empty()
                                                     ? describeResult("conversion_failed").sentence
                                                     : context.submission.failureReason,
                                                 kMaxReasonBytes)
                                     : std::string();

    std::string pdf;
    std::string attachmentNote;
    if (context.attachedPdf.size() > kMaxAttachedPdfBytes) {
        attachmentNote = "The document as faxed is too large to attach to this mail (" +
                         std::to_string(context.attachedPdf.size() / (1024 * 1024)) + " MB).";
    } else if (!context.attachedPdf.empty()) {
        pdf = context.attachedPdf;
        attachmentNote = "The document as faxed is attached as a PDF.";
    }
    values["attachment_note"] = attachmentNote;

    std::string body = expandTemplate(loadTemplate(templatesDir, "result-report.txt"), values);
    return composeMessage(context, "result." + std::to_string(context.submission.id),
                          reportSubject(context, verdicts), body, pdf,
                          "fax-" + std::to_string(context.submission.id) + ".pdf");
}

std::string composeRequeueNotice(const ReportContext& context, const Job& job,
                                 const std::string& templatesDir) {
    ResultWords words = describeResult(job.lastResult);
    std::string reason = resultReason(job.lastResult, job.lastReason);

    TemplateValues values = commonValues(context);
    values["number"] = numberOf(job);
    values["reason"] = reason;
    values["job_id"] = std::to_string(job.id);
    values["next_try"] = job.notBeforeMs > 0 ? readableTime(job.notBeforeMs) : std::string();
    std::string attempts = attemptLines(attemptsOf(context, job.id));
    if (!attempts.empty() && attempts.back() == '\n') attempts.pop_back();
    values["attempts"] = attempts;

    std::string body = expandTemplate(loadTemplate(templatesDir, "result-requeue.txt"), values);
    std::string subject = withOriginalSubject(
        "Fax to " + numberOf(job) + ": not sent yet (" + words.label + "), trying again",
        context.submission);
    return composeMessage(context, "notice." + std::to_string(job.id), subject, body, {}, {});
}

}  // namespace faxgate::gateway
