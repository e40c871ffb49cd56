// Turns accepted mails into fax documents. The SMTP server has already refused what it could
// see was unsendable; what only shows while rendering (a PDF that does not open, too many
// pages) fails the submission here, and the sender gets a failure report instead of a 554.
//
// Work comes from the submission writer (new mails) and, at start-up, from the store (mails
// accepted before a crash or restart are converted then: nothing accepted is lost).
// Threading: `threads` workers take submission IDs from one queue guarded by mutex_.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/intake/mail_parser.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct ConversionSettings {
    int maxPages = 200;        // pages per document, cover page included
    std::string templatesDir;  // cover-page.txt lives here
    IntakeLimits limits;
    int niceness = 10;  // CPU priority of the conversion threads below the listeners
};

class ConversionWorker {
  public:
    using Callback = std::function<void(int64_t submissionId)>;

    // onReady: the document is stored and the jobs are queued. onFailed: the submission failed.
    ConversionWorker(Store& store, ConversionSettings settings, int threads, Callback onReady,
                     Callback onFailed);
    ~ConversionWorker();
    // Queues every submission still in state Converting, then starts the workers.
    void start();
    void stop();
    void enqueue(const std::vector<int64_t>& submissionIds);

  private:
    void run();
    void convert(int64_t submissionId);

    Store& store_;
    const ConversionSettings settings_;
    const int threadCount_;
    const Callback onReady_;
    const Callback onFailed_;

    std::mutex mutex_;  // guards queue_ and stopping_
    std::condition_variable condition_;
    std::deque<int64_t> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace faxgate::gateway
