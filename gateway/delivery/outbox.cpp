// The outbox worker: retry schedule, passes over the queue, waking; see outbox.h.
#include "gateway/delivery/outbox.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

namespace faxgate::gateway {
namespace {

// "Every mail, whenever it is due": how the first pass finds mails waiting from a previous run.
constexpr int64_t kFarFutureMs = std::numeric_limits<int64_t>::max() / 2;
// The first pass learns the retry times of at most this many waiting mails; any others are
// found by the maxIdleMs look-ups.
constexpr int kSeedLimit = 1000;
// A pass stops after this many full batches so that stop() and wake() stay responsive even
// when the store keeps returning due mails.
constexpr int kMaxBatchesPerPass = 20;

Poco::Logger& logger() { return Poco::Logger::get("gateway.delivery.outbox"); }

int64_t systemNowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string recipientsOf(const OutboxMail& mail) {
    std::string text;
    for (const std::string& to : mail.to) {
        if (!text.empty()) text += ",";
        text += to;
    }
    return text;
}

}  // namespace

Outbox::Outbox(Store& store, MailTransport& transport, OutboxOptions options, Clock nowMs)
    : store_(store),
      transport_(transport),
      options_(options),
      nowMs_(nowMs ? std::move(nowMs) : Clock(systemNowMs)) {
    if (options_.firstRetryDelayMs <= 0 || options_.maxRetryDelayMs < options_.firstRetryDelayMs) {
        throw std::invalid_argument(
            "outbox: firstRetryDelayMs must be > 0 and not above maxRetryDelayMs");
    }
    if (options_.maxAgeMs <= 0) throw std::invalid_argument("outbox: maxAgeMs must be > 0");
    if (options_.batchSize <= 0) throw std::invalid_argument("outbox: batchSize must be > 0");
    if (options_.maxIdleMs <= 0 || options_.storeErrorDelayMs <= 0) {
        throw std::invalid_argument("outbox: maxIdleMs and storeErrorDelayMs must be > 0");
    }
}

Outbox::~Outbox() { stop(); }

void Outbox::start() {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    if (worker_.joinable()) return;
    stopping_ = false;
    wakeRequested_ = false;  // the worker's first pass runs at once anyway
    worker_ = std::thread([this] { run(); });
}

void Outbox::stop() {
    {
        std::lock_guard<std::mutex> lock(wakeMutex_);
        if (!worker_.joinable()) return;
        stopping_ = true;
    }
    wakeSignal_.notify_all();
    worker_.join();
    std::lock_guard<std::mutex> lock(wakeMutex_);
    worker_ = std::thread();
}

void Outbox::wake() {
    {
        std::lock_guard<std::mutex> lock(wakeMutex_);
        wakeRequested_ = true;
    }
    wakeSignal_.notify_all();
}

int64_t Outbox::retryDelayMs(int failures) const {
    int64_t delay = options_.firstRetryDelayMs;
    for (int i = 1; i < failures && delay < options_.maxRetryDelayMs; ++i) delay *= 2;
    return std::min(delay, options_.maxRetryDelayMs);
}

int64_t Outbox::retrySpanMs(int failures) const {
    int64_t span = 0;
    int counted = 0;
    // Doubling phase: at most ~63 steps before the delay reaches its cap.
    while (counted < failures && retryDelayMs(counted + 1) < options_.maxRetryDelayMs) {
        span += retryDelayMs(counted + 1);
        ++counted;
    }
    // Capped phase: every further failure adds the maximum delay.
    int64_t remaining = int64_t(failures - counted);
    if (remaining > 0) {
        if (remaining > (kFarFutureMs - span) / options_.maxRetryDelayMs) return kFarFutureMs;
        span += remaining * options_.maxRetryDelayMs;
    }
    return span;
}

int64_t Outbox::processDue() {
    std::lock_guard<std::mutex> passLock(passMutex_);
    int64_t passStartMs = nowMs_();
    if (!seeded_) {
        for (const OutboxMail& mail : store_.dueMails(kFarFutureMs, kSeedLimit)) {
            if (mail.nextTryMs > passStartMs) retryAtMs_[mail.id] = mail.nextTryMs;
        }
        seeded_ = true;
    }

    bool drained = false;
    for (int batch = 0; batch < kMaxBatchesPerPass; ++batch) {
        std::vector<OutboxMail> due = store_.dueMails(nowMs_(), options_.batchSize);
        for (const OutboxMail& mail : due) {
            {
                std::lock_guard<std::mutex> lock(wakeMutex_);
                if (stopping_) return nowMs_();
            }
            deliver(mail, nowMs_());
        }
        if (int(due.size()) < options_.batchSize) {
            drained = true;
            break;
        }
    }
    int64_t nowMs = nowMs_();
    if (!drained) return nowMs;  // more is due: go on at once

    // Every due mail was returned, so a known retry time in the past belongs to a mail that
    // left the queue by other means (an administrator removed it): forget it.
    for (auto it = retryAtMs_.begin(); it != retryAtMs_.end();) {
        it = it->second <= passStartMs ? retryAtMs_.erase(it) : std::next(it);
    }
    int64_t nextMs = nowMs + options_.maxIdleMs;
    for (const auto& [id, retryMs] : retryAtMs_) nextMs = std::min(nextMs, retryMs);
    return nextMs;
}

void Outbox::deliver(const OutboxMail& mail, int64_t nowMs) {
    SendOutcome outcome;
    try {
        outcome = transport_.send(mail);
    } catch (const std::exception& error) {
        outcome = {false, false, std::string("transport failed: ") + error.what()};
    }
    if (outcome.ok) {
        store_.markMailSent(mail.id);
        retryAtMs_.erase(mail.id);
        logger().information("outbox: mail " + std::to_string(mail.id) + " to " +
                             recipientsOf(mail) + " sent (try " + std::to_string(mail.tries + 1) +
                             ")");
        return;
    }
    if (outcome.permanent) {
        giveUp(mail, outcome.error);
        return;
    }
    int failures = mail.tries + 1;
    if (retrySpanMs(failures) > options_.maxAgeMs) {
        giveUp(mail, outcome.error + "; given up after " + std::to_string(failures) + " tries");
        return;
    }
    int64_t nextTryMs = nowMs + retryDelayMs(failures);
    store_.markMailRetry(mail.id, nextTryMs, outcome.error);
    retryAtMs_[mail.id] = nextTryMs;
    logger().warning("outbox: mail " + std::to_string(mail.id) + " to " + recipientsOf(mail) +
                     " deferred (try " + std::to_string(failures) + "): " + outcome.error +
                     "; next try in " + std::to_string((nextTryMs - nowMs) / 1000) + " s");
}

void Outbox::giveUp(const OutboxMail& mail, const std::string& error) {
    store_.markMailFailed(mail.id, error);
    retryAtMs_.erase(mail.id);
    logger().error("outbox: mail " + std::to_string(mail.id) + " to " + recipientsOf(mail) +
                   " given up: " + error);
}

void Outbox::run() {
    for (;;) {
        int64_t nextMs;
        try {
            nextMs = processDue();
        } catch (const std::exception& error) {
            logger().error(std::string("outbox: cannot read or update the queue: ") + error.what());
            nextMs = nowMs_() + options_.storeErrorDelayMs;
        }
        std::unique_lock<std::mutex> lock(wakeMutex_);
        if (!stopping_ && !wakeRequested_) {
            int64_t waitMs = std::min(nextMs - nowMs_(), options_.maxIdleMs);
            if (waitMs > 0) {
                wakeSignal_.wait_for(lock, std::chrono::milliseconds(waitMs),
                                     [this] { return stopping_ || wakeRequested_; });
            }
        }
        if (stopping_) return;
        wakeRequested_ = false;
    }
}

}  // namespace faxgate::gateway
