// The outbox sends the mails the gateway queued in the store (result reports, notices) through
// a MailTransport, and tries again with back-off until they go out or are given up. Like
// Postfix's qmgr + smtp pair in one thread: the store is the queue, so nothing is lost across
// restarts, and a mail is marked sent only after the relay accepted it.
//
// Scheduling: wake() after enqueueing makes the worker look at once; otherwise it sleeps until
// the earliest retry time it knows of (mails it deferred itself, plus those it found waiting
// when it started), and at most maxIdleMs, which also picks up mails another process queued
// without waking us. A failed try waits firstRetryDelayMs, doubling per try up to
// maxRetryDelayMs. A mail refused permanently (5xx), or still not sent after maxAgeMs of
// retrying, is given up: logged at error level and taken out of the queue with its error
// (Store::markMailFailed).
//
// The mail's age is measured by its retry schedule (the delays of the tries it failed),
// because OutboxMail has no creation time; while the gateway is down no time is counted.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/delivery/mail_transport.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct OutboxOptions {
    // Delay after the first failed try; doubled for each further failure.
    int64_t firstRetryDelayMs = 60 * 1000;
    // The delay between tries never grows beyond this.
    int64_t maxRetryDelayMs = 3600 * 1000;
    // A mail that has been retried this long is given up.
    int64_t maxAgeMs = 5LL * 24 * 3600 * 1000;
    // Mails taken from the store per query; a full batch is followed by another at once.
    int batchSize = 50;
    // The worker looks at the store at least this often, even when it knows of no mail.
    int64_t maxIdleMs = 5 * 60 * 1000;
    // After a store error the worker waits this long before looking again.
    int64_t storeErrorDelayMs = 10 * 1000;
};

// Thread-safety: wake(), start() and stop() may be called from any thread. Passes over the
// queue (processDue(), and the worker's) are serialised by an internal lock; the transport is
// only ever called from one pass at a time.
class Outbox {
  public:
    using Clock = std::function<int64_t()>;  // milliseconds since the Unix epoch

    // `store` and `transport` must outlive the Outbox. `nowMs` defaults to the system clock.
    Outbox(Store& store, MailTransport& transport, OutboxOptions options = {}, Clock nowMs = {});
    ~Outbox();  // stops the worker
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // Starts the worker thread; a second call does nothing.
    void start();
    // Asks the worker to finish the mail it is sending and joins it. A send in progress is
    // bounded by the transport's own time-out.
    void stop();
    // New mail is waiting: the worker looks at the queue now instead of at its next timer.
    void wake();

    // One pass: sends every mail that is due now and records the outcomes in the store.
    // Returns the time at which the next pass is wanted. The worker calls this; tests call it
    // directly with an injected clock. Store errors propagate as StoreError.
    int64_t processDue();

    // The delay before the next try of a mail that has now failed `failures` times (>= 1).
    int64_t retryDelayMs(int failures) const;
    // The time a mail that failed `failures` times has been waiting in total: its age.
    int64_t retrySpanMs(int failures) const;

  private:
    void run();
    void deliver(const OutboxMail& mail, int64_t nowMs);
    void giveUp(const OutboxMail& mail, const std::string& error);

    Store& store_;
    MailTransport& transport_;
    const OutboxOptions options_;
    const Clock nowMs_;

    std::mutex passMutex_;                  // one pass at a time
    std::map<int64_t, int64_t> retryAtMs_;  // mail ID -> next try, for mails we know wait
    bool seeded_ = false;                   // retryAtMs_ has been filled from the store

    std::mutex wakeMutex_;
    std::condition_variable wakeSignal_;
    bool wakeRequested_ = false;  // REQUIRES: wakeMutex_
    bool stopping_ = false;       // REQUIRES: wakeMutex_
    std::thread worker_;
};

}  // namespace faxgate::gateway
