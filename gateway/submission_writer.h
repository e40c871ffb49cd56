// Group commit of accepted mails. SMTP connection threads hand over one submission each and
// wait; one writer thread commits everything that is waiting in a single store transaction,
// so one disk flush covers many mails (Postfix's cleanup fsyncs per file; batching gives the
// same guarantee at a fraction of the flushes). A mail is acknowledged with 250 only after
// its transaction committed.
//
// Threading: commit() from any thread; the writer thread owns the store calls.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/store/store.h"

namespace faxgate::gateway {

// A committed submission: its ID and its jobs' IDs, in the order of its numbers.
struct CommittedSubmission {
    int64_t id = 0;
    std::vector<int64_t> jobIds;
};

class SubmissionWriter {
  public:
    // onCommitted gets the IDs of each committed batch (the conversion worker's queue).
    SubmissionWriter(Store& store, size_t maxBatch,
                     std::function<void(const std::vector<int64_t>&)> onCommitted);
    ~SubmissionWriter();
    void start();
    void stop();  // commits what is waiting, then returns

    // Blocks until the submission is durable. Throws StoreError on failure.
    CommittedSubmission commit(NewSubmission submission);

  private:
    struct Pending {
        NewSubmission submission;
        std::promise<CommittedSubmission> committed;
    };
    void run();

    Store& store_;
    const size_t maxBatch_;
    const std::function<void(const std::vector<int64_t>&)> onCommitted_;

    std::mutex mutex_;  // guards queue_ and stopping_
    std::condition_variable condition_;
    std::deque<Pending> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace faxgate::gateway
