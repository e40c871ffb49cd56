// Group commit of submissions; see submission_writer.h.
#include "gateway/submission_writer.h"

#include <Poco/Logger.h>

namespace faxgate::gateway {

SubmissionWriter::SubmissionWriter(Store& store, size_t maxBatch,
                                   std::function<void(const std::vector<int64_t>&)> onCommitted)
    : store_(store), maxBatch_(maxBatch), onCommitted_(std::move(onCommitted)) {}

SubmissionWriter::~SubmissionWriter() { stop(); }

void SubmissionWriter::start() {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void SubmissionWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    condition_.notify_all();
    if (thread_.joinable()) thread_.join();
}

CommittedSubmission SubmissionWriter::commit(NewSubmission submission) {
    std::future<CommittedSubmission> committed;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw StoreError("the gateway is shutting down");
        queue_.push_back(Pending{std::move(submission), {}});
        committed = queue_.back().committed.get_future();
    }
    condition_.notify_one();
    return committed.get();
}

void SubmissionWriter::run() {
    for (;;) {
        std::vector<Pending> batch;
        {
            std::unique_lock lock(mutex_);
            condition_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, nothing left
            while (!queue_.empty() && batch.size() < maxBatch_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        std::vector<NewSubmission> submissions;
        submissions.reserve(batch.size());
        for (Pending& pending : batch) submissions.push_back(std::move(pending.submission));
        std::vector<int64_t> ids;
        std::vector<std::vector<int64_t>> jobIds;
        try {
            ids = store_.commitSubmissions(submissions, &jobIds);
        } catch (...) {
            // Nothing was accepted: every waiting session answers with a temporary error.
            Poco::Logger::get("intake").error("commit of %z submissions failed", batch.size());
            for (Pending& pending : batch) {
                pending.committed.set_exception(std::current_exception());
            }
            continue;
        }
        for (size_t i = 0; i < batch.size(); ++i) {
            batch[i].committed.set_value({ids.at(i), std::move(jobIds.at(i))});
        }
        if (onCommitted_) onCommitted_(ids);
    }
}

}  // namespace faxgate::gateway
