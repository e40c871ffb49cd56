// Tests of the result report and requeue notice: verdicts (never "sent" without a confirmed
// page), subjects, headers, CRLF, RFC 2047 subjects, and the PDF attachment round trip.
#include "gateway/delivery/result_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mimetic/mimetic.h>

#include <regex>
#include <stdexcept>

#include "common/text_template.h"
#include "gateway/delivery/job_outcome.h"

namespace faxgate::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTemplates = std::string(FAXGATE_SOURCE_DIR) + "/templates";
constexpr int64_t kNowMs = 1732540000000;  // 2024-11-25 13:06:40 UTC

std::string decodeBase64(std::string_view text) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '\r' || c == '\n' || c == '=') continue;
        size_t value = kAlphabet.find(c);
        if (value == std::string::npos) throw std::runtime_error("bad base64 character");
        buffer = (buffer << 6) | uint32_t(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

// The header section, unfolded, as name -> value (first occurrence).
struct Headers {
    std::map<std::string, std::string> fields;
    std::vector<std::string> rawLines;
    std::string body;
};

Headers splitMessage(const std::string& message) {
    Headers headers;
    size_t end = message.find("\r\n\r\n");
    if (end == std::string::npos) throw std::runtime_error("no end of headers");
    headers.body = message.substr(end + 4);
    std::string section = message.substr(0, end + 2);
    std::string current;
    size_t pos = 0;
    auto flush = [&] {
        if (current.empty()) return;
        size_t colon = current.find(':');
        std::string name = current.substr(0, colon);
        std::string value = current.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        headers.fields.emplace(name, value);
        current.clear();
    };
    while (pos < section.size()) {
        size_t lineEnd = section.find("\r\n", pos);
        std::string line = section.substr(pos, lineEnd - pos);
        headers.rawLines.push_back(line);
        pos = lineEnd + 2;
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            current += line;  // unfold: the CRLF goes, the white space stays
        } else {
            flush();
            current = line;
        }
    }
    flush();
    return headers;
}

// Decodes a header value made of "=?UTF-8?B?...?=" words separated by white space.
std::string decodeEncodedWords(const std::string& value) {
    static const std::regex kWord(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)");
    std::string out;
    for (auto it = std::sregex_iterator(value.begin(), value.end(), kWord);
         it != std::sregex_iterator(); ++it) {
        out += decodeBase64((*it)[1].str());
    }
    return out;
}

void expectCrlfOnly(const std::string& message) {
    for (size_t i = 0; i < message.size(); ++i) {
        if (message[i] == '\n') {
            ASSERT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at offset " << i;
        }
        if (message[i] == '\r') {
            ASSERT_TRUE(i + 1 < message.size() && message[i + 1] == '\n')
                << "bare CR at offset " << i;
        }
    }
    ASSERT_GE(message.size(), 2u);
    EXPECT_EQ(message.substr(message.size() - 2), "\r\n");
}

Job makeJob(int64_t id, const std::string& number, JobState state, int pagesSent, int pagesTotal,
            const std::string& lastResult, const std::string& lastReason = {}) {
    Job job;
    job.id = id;
    job.submissionId = 7;
    job.owner = "alice";
    job.number = number;
    job.state = state;
    job.pagesSent = pagesSent;
    job.pagesTotal = pagesTotal;
    job.node = "node-1";
    job.line = "sim-1";
    job.lastResult = lastResult;
    job.lastReason = lastReason;
    job.updatedMs = kNowMs - 1000;
    return job;
}

Attempt makeAttempt(int64_t jobId, int number, const std::string& result, int pages,
                    const std::string& reason = {}) {
    Attempt attempt;
    attempt.jobId = jobId;
    attempt.number = number;
    attempt.nodeId = "node-1";
    attempt.line = "sim-1";
    attempt.dispatchedMs = kNowMs - 600000 + number * 60000;
    attempt.endedMs = attempt.dispatchedMs + 62000;
    attempt.result = result;
    attempt.pages = pages;
    attempt.reason = reason;
    return attempt;
}

ReportContext makeContext() {
    ReportContext context;
    context.submission.id = 7;
    context.submission.owner = "alice";
    context.submission.envelopeFrom = "alice@example.com";
    context.submission.subject = "Quarterly report";
    context.submission.messageId = "<abc.123@client.example.com>";
    context.submission.state = SubmissionState::Ready;
    context.submission.createdMs = kNowMs - 3600000;
    context.owner.id = "alice";
    context.owner.email = "alice@example.com";
    context.gatewayHostname = "gw.fax.local";
    context.fromAddress = "faxgate@fax.local";
    context.toAddress = "alice@example.com";
    context.nowMs = kNowMs;
    return context;
}

ReportContext doneContext() {
    ReportContext context = makeContext();
    context.jobs = {makeJob(11, "0312345678", JobState::Done, 3, 3, "ok")};
    context.attempts[11] = {makeAttempt(11, 1, "busy", 0, "line busy"),
                            makeAttempt(11, 2, "ok", 3)};
    return context;
}

TEST(ResultReport, DoneReportsPagesNodeAndAttempts) {
    std::string message = composeResultReport(doneContext(), kTemplates);
    expectCrlfOnly(message);
    Headers headers = splitMessage(message);
    EXPECT_EQ(headers.fields["Subject"], "Fax to 0312345678: sent (3 pages) - Quarterly report");
    EXPECT_THAT(headers.body, HasSubstr("Your fax to 0312345678 was sent: 3 pages were confirmed"));
    EXPECT_THAT(headers.body, HasSubstr("0312345678: sent, 3 pages confirmed in 1 min 2 s via "
                                        "node-1/sim-1"));
    // The table row and both attempts, each with its result and reason.
    EXPECT_TRUE(
        std::regex_search(headers.body, std::regex(R"(0312345678 +sent +3/3 +node-1/sim-1)")));
    EXPECT_TRUE(std::regex_search(
        headers.body,
        std::regex(R"(#1 +\d{4}-\d\d-\d\d [0-9:]+ UTC +node-1/sim-1 +busy +0 pages +line busy)")));
    EXPECT_TRUE(std::regex_search(headers.body, std::regex(R"(#2 .*sent +3 pages)")));
    EXPECT_THAT(headers.body, HasSubstr("submission 7"));
    EXPECT_THAT(headers.body, Not(HasSubstr("{{")));
}

TEST(ResultReport, HeadersArePresentAndCorrect) {
    std::string message = composeResultReport(doneContext(), kTemplates);
    Headers headers = splitMessage(message);
    EXPECT_EQ(headers.fields["From"], "Fax gateway <faxgate@fax.local>");
    EXPECT_EQ(headers.fields["To"], "alice@example.com");
    EXPECT_EQ(headers.fields["Date"], "Mon, 25 Nov 2024 13:06:40 +0000");
    EXPECT_TRUE(
        std::regex_match(headers.fields["Message-ID"],
                         std::regex(R"(<faxgate\.result\.7\.[0-9a-f]{16}@gw\.fax\.local>)")))
        << headers.fields["Message-ID"];
    EXPECT_EQ(headers.fields["In-Reply-To"], "<abc.123@client.example.com>");
    EXPECT_EQ(headers.fields["References"], "<abc.123@client.example.com>");
    EXPECT_EQ(headers.fields["MIME-Version"], "1.0");
    EXPECT_EQ(headers.fields["Auto-Submitted"], "auto-replied");
    EXPECT_EQ(headers.fields["Content-Type"], "text/plain; charset=utf-8");
    EXPECT_EQ(headers.fields["Content-Transfer-Encoding"], "7bit");
    for (const std::string& line : headers.rawLines) EXPECT_LE(line.size(), 78u) << line;

    // Two reports never share a Message-ID.
    EXPECT_NE(splitMessage(composeResultReport(doneContext(), kTemplates)).fields["Message-ID"],
              headers.fields["Message-ID"]);
}

TEST(ResultReport, NoInReplyToWithoutUsableMessageId) {
    ReportContext context = doneContext();
    context.submission.messageId = "";
    Headers headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields.count("In-Reply-To"), 0u);
    EXPECT_EQ(headers.fields.count("References"), 0u);

    context.submission.messageId = "no-at-sign\r\nBcc: evil@example.com";
    headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields.count("In-Reply-To"), 0u);
    EXPECT_EQ(headers.fields.count("Bcc"), 0u);

    context.submission.messageId = "bare.id@client";  // brackets are added
    headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields["In-Reply-To"], "<bare.id@client>");
}

TEST(ResultReport, FailedBusyNamesTheReason) {
    ReportContext context = makeContext();
    context.jobs = {makeJob(11, "0312345678", JobState::Failed, 0, 2, "busy")};
    context.attempts[11] = {makeAttempt(11, 1, "busy", 0), makeAttempt(11, 2, "busy", 0)};
    std::string message = composeResultReport(context, kTemplates);
    expectCrlfOnly(message);
    Headers headers = splitMessage(message);
    EXPECT_EQ(headers.fields["Subject"], "Fax to 0312345678: FAILED (busy) - Quarterly report");
    EXPECT_THAT(headers.body, HasSubstr("was not sent: the number was busy."));
    EXPECT_TRUE(
        std::regex_search(headers.body, std::regex(R"(#2 .* busy +0 pages +the number was busy)")));
}

TEST(ResultReport, DoneWithZeroPagesIsAFailure) {
    ReportContext context = makeContext();
    context.jobs = {makeJob(11, "0312345678", JobState::Done, 0, 3, "ok")};
    context.attempts[11] = {makeAttempt(11, 1, "ok", 0)};
    Headers headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields["Subject"],
              "Fax to 0312345678: FAILED (no page confirmed) - Quarterly report");
    EXPECT_THAT(headers.body, HasSubstr("no page was confirmed"));
    EXPECT_THAT(headers.body, Not(HasSubstr("was sent")));
    EXPECT_THAT(headers.fields["Subject"], Not(HasSubstr("sent (")));
}

TEST(ResultReport, DoneWithMissingPagesIsAFailure) {
    ReportContext context = makeContext();
    context.jobs = {makeJob(11, "0312345678", JobState::Done, 2, 3, "ok")};
    Headers headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields["Subject"],
              "Fax to 0312345678: FAILED (incomplete) - Quarterly report");
    EXPECT_THAT(headers.body, HasSubstr("only 2 of 3 pages were confirmed"));
}

TEST(ResultReport, BroadcastCountsSentDestinations) {
    ReportContext context = makeContext();
    context.jobs = {makeJob(11, "0311111111", JobState::Done, 2, 2, "ok"),
                    makeJob(12, "0322222222", JobState::Failed, 0, 2, "no_answer"),
                    makeJob(13, "0333333333", JobState::Done, 2, 2, "ok")};
    context.attempts[11] = {makeAttempt(11, 1, "ok", 2)};
    context.attempts[12] = {makeAttempt(12, 1, "no_answer", 0)};
    context.attempts[13] = {makeAttempt(13, 1, "ok", 2)};
    std::string message = composeResultReport(context, kTemplates);
    expectCrlfOnly(message);
    Headers headers = splitMessage(message);
    EXPECT_EQ(headers.fields["Subject"], "Fax broadcast: 2 of 3 sent - Quarterly report");
    EXPECT_THAT(headers.body, HasSubstr("sent to 2 of 3 numbers"));
    EXPECT_TRUE(std::regex_search(headers.body, std::regex(R"(0322222222 +no answer +0/2)")));
    EXPECT_THAT(headers.body, HasSubstr("0322222222: no answer - nobody answered"));
    EXPECT_THAT(headers.body, HasSubstr("0311111111: sent, 2 pages confirmed"));
    EXPECT_THAT(headers.body, HasSubstr("0333333333: sent, 2 pages confirmed"));
}

TEST(ResultReport, ConversionFailureNamesTheReason) {
    ReportContext context = makeContext();
    context.submission.state = SubmissionState::Failed;
    context.submission.failureReason = "the attachment is an encrypted PDF";
    context.jobs = {makeJob(11, "0312345678", JobState::Failed, 0, 0, "conversion_failed")};
    Headers headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields["Subject"],
              "Fax to 0312345678: FAILED (conversion failed) - Quarterly report");
    EXPECT_THAT(headers.body, HasSubstr("could not be turned into fax pages"));
    EXPECT_THAT(headers.body, HasSubstr("the attachment is an encrypted PDF"));
    EXPECT_THAT(headers.body, HasSubstr("no call was made"));

    context.jobs.clear();  // failed before jobs existed
    headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields["Subject"], "Fax: FAILED (conversion failed) - Quarterly report");
}

TEST(ResultReport, TimedOutRejectedAndCancelled) {
    struct Case {
        JobState state;
        std::string result;
        std::string subject;
        std::string words;
    };
    std::vector<Case> cases{
        {JobState::Failed, "timed_out", "FAILED (timed out)", "within its time limit"},
        {JobState::Failed, "killed", "FAILED (stopped)", "stopped before it could be sent"},
        {JobState::Failed, "rejected", "FAILED (rejected)", "the number was refused"},
        {JobState::Failed, "too_many_dials", "FAILED (too many dials)", "maximum number of times"},
        {JobState::Failed, "unreachable", "FAILED (no fax node)", "no fax node could be reached"},
        {JobState::Cancelled, "cancelled", "cancelled", "the fax was cancelled"},
    };
    for (const Case& c : cases) {
        ReportContext context = makeContext();
        context.submission.subject.clear();
        context.jobs = {makeJob(11, "0312345678", c.state, 0, 1, c.result)};
        Headers headers = splitMessage(composeResultReport(context, kTemplates));
        EXPECT_EQ(headers.fields["Subject"], "Fax to 0312345678: " + c.subject) << c.result;
        EXPECT_THAT(headers.body, HasSubstr(c.words)) << c.result;
    }
    EXPECT_EQ(outcomeOf(Submission{}, makeJob(1, "1", JobState::Failed, 0, 1, "timed_out")).kind,
              OutcomeKind::TimedOut);
    EXPECT_EQ(outcomeOf(Submission{}, makeJob(1, "1", JobState::Failed, 0, 1, "rejected")).kind,
              OutcomeKind::Rejected);
    EXPECT_EQ(outcomeOf(Submission{}, makeJob(1, "1", JobState::RetryWait, 0, 1, "busy")).kind,
              OutcomeKind::InProgress);
}

TEST(ResultReport, Utf8SubjectIsEncodedAndBodyIs8bit) {
    ReportContext context = doneContext();
    context.submission.subject = "Übersicht Q3 – Bericht für Müller, bitte sofort weiterleiten ✓";
    std::string message = composeResultReport(context, kTemplates);
    expectCrlfOnly(message);
    Headers headers = splitMessage(message);
    for (const std::string& line : headers.rawLines) {
        for (char c : line) ASSERT_LT(uint8_t(c), 0x80) << "non-ASCII in header line " << line;
        EXPECT_LE(line.size(), 78u) << line;
    }
    EXPECT_THAT(headers.fields["Subject"], HasSubstr("=?UTF-8?B?"));
    EXPECT_EQ(decodeEncodedWords(headers.fields["Subject"]),
              "Fax to 0312345678: sent (3 pages) - " + context.submission.subject);
    EXPECT_EQ(headers.fields["Content-Transfer-Encoding"], "8bit");
    EXPECT_THAT(headers.body, HasSubstr(context.submission.subject));
}

TEST(ResultReport, HeaderInjectionThroughSubjectIsImpossible) {
    ReportContext context = doneContext();
    context.submission.subject = "Hello\r\nBcc: evil@example.com\r\n\r\nbody";
    Headers headers = splitMessage(composeResultReport(context, kTemplates));
    EXPECT_EQ(headers.fields.count("Bcc"), 0u);
    EXPECT_EQ(headers.fields["Subject"],
              "Fax to 0312345678: sent (3 pages) - Hello Bcc: evil@example.com body");
}

TEST(ResultReport, PdfAttachmentDecodesToTheSameBytes) {
    ReportContext context = doneContext();
    std::string pdf = "%PDF-1.4\n";
    for (int i = 0; i < 5000; ++i) pdf += char(i * 7 % 256);  // every byte value, CR and LF too
    pdf += "\n%%EOF\n";
    context.attachedPdf = pdf;
    std::string message = composeResultReport(context, kTemplates);
    expectCrlfOnly(message);

    Headers headers = splitMessage(message);
    EXPECT_THAT(headers.fields["Content-Type"], HasSubstr("multipart/mixed; boundary="));

    mimetic::MimeEntity entity(message.begin(), message.end());
    ASSERT_EQ(entity.header().contentType().type(), "multipart");
    const auto& parts = entity.body().parts();
    ASSERT_EQ(parts.size(), 2u);
    const mimetic::MimeEntity* text = parts.front();
    const mimetic::MimeEntity* attachment = parts.back();
    EXPECT_EQ(text->header().contentType().subtype(), "plain");
    EXPECT_THAT(std::string(text->body()), HasSubstr("attached as a PDF"));
    EXPECT_EQ(attachment->header().contentType().type(), "application");
    EXPECT_EQ(attachment->header().contentType().subtype(), "pdf");
    EXPECT_EQ(attachment->header().contentTransferEncoding().mechanism(), "base64");

    // Base64 lines of at most 76 characters, and the bytes come back unchanged.
    size_t attachmentStart = message.find("Content-Type: application/pdf");
    ASSERT_NE(attachmentStart, std::string::npos);
    size_t bodyStart = message.find("\r\n\r\n", attachmentStart) + 4;
    size_t bodyEnd = message.find("\r\n--", bodyStart);
    std::string encoded = message.substr(bodyStart, bodyEnd - bodyStart);
    size_t pos = 0;
    while (pos < encoded.size()) {
        size_t end = encoded.find("\r\n", pos);
        if (end == std::string::npos) end = encoded.size();
        EXPECT_LE(end - pos, 76u);
        pos = end + 2;
    }
    EXPECT_EQ(decodeBase64(encoded), pdf);
    EXPECT_EQ(decodeBase64(std::string(attachment->body())), pdf);
}

TEST(ResultReport, TooLargePdfIsNotAttached) {
    ReportContext context = doneContext();
    context.attachedPdf.assign(kMaxAttachedPdfBytes + 1, 'x');
    std::string message = composeResultReport(context, kTemplates);
    Headers headers = splitMessage(message);
    EXPECT_EQ(headers.fields["Content-Type"], "text/plain; charset=utf-8");
    EXPECT_THAT(headers.body, HasSubstr("too large to attach"));
    EXPECT_LT(message.size(), 100000u);
}

TEST(ResultReport, RejectsUnusableAddressesAndMissingTemplates) {
    ReportContext context = doneContext();
    context.toAddress = "alice@example.com\r\nBcc: evil@example.com";
    EXPECT_THROW(composeResultReport(context, kTemplates), std::invalid_argument);
    context = doneContext();
    context.fromAddress = "";
    EXPECT_THROW(composeResultReport(context, kTemplates), std::invalid_argument);
    EXPECT_THROW(composeResultReport(doneContext(), "/nonexistent"), TemplateError);
}

TEST(RequeueNotice, SaysWhatFailedAndWhenItIsTriedAgain) {
    ReportContext context = makeContext();
    Job job = makeJob(11, "0312345678", JobState::RetryWait, 0, 2, "busy");
    job.notBeforeMs = kNowMs + 180000;
    context.attempts[11] = {makeAttempt(11, 1, "busy", 0)};
    std::string message = composeRequeueNotice(context, job, kTemplates);
    expectCrlfOnly(message);
    Headers headers = splitMessage(message);
    EXPECT_EQ(headers.fields["Subject"],
              "Fax to 0312345678: not sent yet (busy), trying again - Quarterly report");
    EXPECT_EQ(headers.fields["Auto-Submitted"], "auto-replied");
    EXPECT_THAT(headers.body, HasSubstr("has not gone through yet: the number was busy."));
    EXPECT_THAT(headers.body, HasSubstr("not before 2024-11-25 13:09:40 UTC"));
    EXPECT_THAT(headers.body, HasSubstr("job 11"));
    EXPECT_TRUE(std::regex_search(headers.body, std::regex(R"(#1 .* busy +0 pages)")));
    EXPECT_TRUE(
        std::regex_match(headers.fields["Message-ID"],
                         std::regex(R"(<faxgate\.notice\.11\.[0-9a-f]{16}@gw\.fax\.local>)")));

    // The node's own words are added to ours; without a retry time none is promised.
    job.lastResult = "failed";
    job.lastReason = "DCN after page 1";
    job.notBeforeMs = 0;
    headers = splitMessage(composeRequeueNotice(context, job, kTemplates));
    EXPECT_THAT(headers.body, HasSubstr("yet: the fax transmission started but failed "
                                        "(DCN after page 1)."));
    EXPECT_THAT(headers.body, HasSubstr("tried again automatically.\r\n"));
    EXPECT_THAT(headers.body, Not(HasSubstr("not before")));
}

}  // namespace
}  // namespace faxgate::gateway
