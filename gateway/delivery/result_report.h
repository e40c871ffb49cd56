// The result mail a sender gets once every job of a submission is final, and the short notice
// sent when one destination failed a try and waits for the next. Both are complete RFC 5322
// MIME messages with CRLF line ends, ready for the outbox and the user's "Sent Faxes" folder.
//
// The words come from templates (templates/result-report.txt, templates/result-requeue.txt,
// expanded with common/text_template.h); what counts as sent or failed comes from
// job_outcome.h. The text part is UTF-8, sent as 7bit, 8bit or base64 (never quoted-printable).
// Headers: From, To, Subject (RFC 2047 when not ASCII), Date, Message-ID, In-Reply-To and
// References (the submission's Message-ID when known), MIME-Version, Auto-Submitted:
// auto-replied (RFC 3834) so that no mail system answers it back.
//
// Diagnostics: std::invalid_argument when an address or the hostname is unusable;
// faxgate::TemplateError when a template is missing or names an unknown placeholder.
// Pure functions apart from reading the templates; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/store/types.h"

namespace faxgate::gateway {

// Larger PDFs are not attached (the body says so): a result mail must stay deliverable by
// ordinary mail servers, whose limits are commonly 25-50 MB after base64's 4/3 growth.
constexpr size_t kMaxAttachedPdfBytes = 16 * 1024 * 1024;

struct ReportContext {
    Submission submission;
    User owner;
    std::vector<Job> jobs;
    std::map<int64_t, std::vector<Attempt>> attempts;  // by job ID, in attempt order
    std::string gatewayHostname;                       // for Message-ID (and the signature)
    std::string fromAddress;                           // plain addr-spec, e.g. "faxgate@fax.local"
    std::string toAddress;                             // plain addr-spec of the report's recipient
    std::string attachedPdf;  // optional: the sent document as PDF; empty = none
    int64_t nowMs = 0;        // the report's Date
};

// The report on the whole submission, from `templatesDir`/result-report.txt.
std::string composeResultReport(const ReportContext& context, const std::string& templatesDir);

// A notice that `job` failed a try and is queued again, from `templatesDir`/result-requeue.txt.
// `context.jobs` and `context.attachedPdf` are not used; the attempts of `job` are.
std::string composeRequeueNotice(const ReportContext& context, const Job& job,
                                 const std::string& templatesDir);

}  // namespace faxgate::gateway
