// Mail-to-fax conversion workers; see conversion_worker.h.
#include "gateway/conversion_worker.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gateway/image/fax_page.h"
#include "gateway/intake/fax_document.h"

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("intake"); }

}  // namespace

ConversionWorker::ConversionWorker(Store& store, ConversionSettings settings, int threads,
                                   Callback onReady, Callback onFailed)
    : store_(store),
      settings_(std::move(settings)),
      threadCount_(threads < 1 ? 1 : threads),
      onReady_(std::move(onReady)),
      onFailed_(std::move(onFailed)) {}

ConversionWorker::~ConversionWorker() { stop(); }

void ConversionWorker::start() {
    std::vector<int64_t> pending;
    for (const Submission& submission : store_.submissionsInState(SubmissionState::Converting)) {
        pending.push_back(submission.id);
    }
    if (!pending.empty())
        logger().information("%z accepted mails still to convert", pending.size());
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    enqueue(pending);
    for (int i = 0; i < threadCount_; ++i) threads_.emplace_back([this] { run(); });
}

void ConversionWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    condition_.notify_all();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
}

void ConversionWorker::enqueue(const std::vector<int64_t>& submissionIds) {
    {
        std::lock_guard lock(mutex_);
        queue_.insert(queue_.end(), submissionIds.begin(), submissionIds.end());
    }
    condition_.notify_all();
}

void ConversionWorker::run() {
    // Rendering yields the CPU to the listeners: under a burst of mail, answering SMTP
    // clients (and committing their mails) comes first, and the conversion catches up as
    // soon as the burst is over. Linux applies nice values per thread.
    if (settings_.niceness > 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), settings_.niceness);
    }
    for (;;) {
        int64_t submissionId = 0;
        {
            std::unique_lock lock(mutex_);
            condition_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            // On stop, what is left stays Converting in the store and is picked up next start.
            if (stopping_) return;
            submissionId = queue_.front();
            queue_.pop_front();
        }
        try {
            convert(submissionId);
        } catch (const std::exception& e) {
            // A store failure: leave the submission Converting, it is retried at next start.
            logger().error("submission %Ld: conversion not finished: %s", submissionId,
                           std::string(e.what()));
        }
    }
}

void ConversionWorker::convert(int64_t submissionId) {
    std::optional<Submission> submission = store_.findSubmission(submissionId);
    if (!submission || submission->state != SubmissionState::Converting) return;
    std::optional<User> owner = store_.findUser(submission->owner);
    const int64_t startMs = Poco::Timestamp().epochMicroseconds() / 1000;

    std::string failure;
    FaxDocument document;
    ParseOutcome parsed = parseMail(store_.loadRawMessage(submissionId), settings_.limits);
    if (!parsed.mail) {
        failure = parsed.error;
    } else {
        CoverPageInfo cover;
        cover.sender = parsed.mail->from.empty() ? submission->envelopeFrom : parsed.mail->from;
        for (const Job& job : store_.jobsOfSubmission(submissionId)) {
            cover.recipients.push_back(job.number);
        }
        cover.subject = parsed.mail->subject;
        cover.dateText = Poco::DateTimeFormatter::format(
            Poco::Timestamp::fromEpochTime(submission->createdMs / 1000), "%Y-%m-%d %H:%M UTC");
        ConversionOptions options;
        options.resolution =
            owner && owner->resolution == "normal" ? FaxResolution::Normal : FaxResolution::Fine;
        options.coverPage = owner ? owner->coverPage : true;
        options.maxPages = settings_.maxPages;
        options.templatesDir = settings_.templatesDir;
        try {
            document = convertMail(*parsed.mail, cover, options);
        } catch (const std::runtime_error& e) {
            // ImageError, IntakeError, TemplateError: the reason is in words for the sender.
            failure = e.what();
        }
    }
    const int64_t nowMs = Poco::Timestamp().epochMicroseconds() / 1000;
    if (!failure.empty()) {
        logger().warning("submission %Ld from %s: conversion failed: %s", submissionId,
                         submission->owner, failure);
        store_.failSubmission(submissionId, failure, nowMs);
        if (onFailed_) onFailed_(submissionId);
        return;
    }
    store_.storeDocument(submissionId, document.tiff, document.pages, nowMs);
    logger().information("submission %Ld from %s: %d pages converted in %Ld ms", submissionId,
                         submission->owner, document.pages, nowMs - startMs);
    if (onReady_) onReady_(submissionId);
}

}  // namespace faxgate::gateway
