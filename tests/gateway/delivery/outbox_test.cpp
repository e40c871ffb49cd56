// Tests of the outbox: retry schedule (1 min doubling to 1 h), giving up on permanent errors
// and old mails, the next-pass time, and wake() on a running worker. The clock is injected,
// so nothing sleeps; the one threaded test waits for an event, with a deadline only so that
// a bug fails the test instead of hanging it.
#include "gateway/delivery/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>

#include "tests/gateway/delivery/fake_store.h"

namespace faxgate::gateway {
namespace {

using testing::FakeStore;
using ::testing::HasSubstr;

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kStartMs = 1732540000000;

// Answers with scripted outcomes (then success), remembers what it was given.
class FakeTransport : public MailTransport {
  public:
    SendOutcome send(const OutboxMail& mail) override {
        std::lock_guard<std::mutex> lock(mutex_);
        sent_.push_back(mail);
        changed_.notify_all();
        if (throwNext_) {
            throwNext_ = false;
            throw std::runtime_error("socket exploded");
        }
        if (script_.empty()) return {true, false, {}};
        SendOutcome outcome = script_.front();
        script_.pop_front();
        return outcome;
    }
    void answer(SendOutcome outcome) {
        std::lock_guard<std::mutex> lock(mutex_);
        script_.push_back(outcome);
    }
    void throwOnce() {
        std::lock_guard<std::mutex> lock(mutex_);
        throwNext_ = true;
    }
    size_t calls() {
        std::lock_guard<std::mutex> lock(mutex_);
        return sent_.size();
    }
    std::vector<OutboxMail> sent() {
        std::lock_guard<std::mutex> lock(mutex_);
        return sent_;
    }
    // Waits until at least `count` sends happened; false after a generous deadline.
    bool waitForCalls(size_t count) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(20),
                                 [&] { return sent_.size() >= count; });
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<SendOutcome> script_;
    std::vector<OutboxMail> sent_;
    bool throwNext_ = false;
};

const SendOutcome kTemporary{false, false, "relay smtp://127.0.0.1:1: connection refused"};
const SendOutcome kPermanent{false, true, "relay smtp://relay: RCPT failed: 550 (last reply 550)"};

OutboxMail mailTo(const std::string& to, int64_t nextTryMs) {
    OutboxMail mail;
    mail.from = "faxgate@fax.local";
    mail.to = {to};
    mail.data = "Subject: test\r\n\r\nhello\r\n";
    mail.nextTryMs = nextTryMs;
    return mail;
}

class OutboxTest : public ::testing::Test {
  protected:
    FakeStore store;
    FakeTransport transport;
    int64_t nowMs = kStartMs;
};

TEST_F(OutboxTest, SendsDueMailAndMarksItSent) {
    int64_t id = store.enqueueMail(mailTo("alice@example.com", nowMs));
    store.enqueueMail(mailTo("later@example.com", nowMs + 3 * kMinuteMs));
    Outbox outbox(store, transport, {}, [this] { return nowMs; });

    int64_t next = outbox.processDue();
    ASSERT_EQ(transport.calls(), 1u);
    EXPECT_EQ(transport.sent()[0].to, std::vector<std::string>{"alice@example.com"});
    EXPECT_TRUE(store.mail(id).sent);
    // The waiting mail found at start-up sets the next pass.
    EXPECT_EQ(next, kStartMs + 3 * kMinuteMs);
}

TEST_F(OutboxTest, RetryDelayDoublesFromOneMinuteToOneHour) {
    Outbox outbox(store, transport, {}, [this] { return nowMs; });
    std::vector<int64_t> expectedMinutes{1, 2, 4, 8, 16, 32, 60, 60, 60};
    for (size_t i = 0; i < expectedMinutes.size(); ++i) {
        EXPECT_EQ(outbox.retryDelayMs(int(i) + 1), expectedMinutes[i] * kMinuteMs) << i;
    }
    EXPECT_EQ(outbox.retrySpanMs(0), 0);
    EXPECT_EQ(outbox.retrySpanMs(3), 7 * kMinuteMs);
    EXPECT_EQ(outbox.retrySpanMs(8), (63 + 120) * kMinuteMs);
    EXPECT_GT(outbox.retrySpanMs(1000000000), 0);  // no overflow
}

TEST_F(OutboxTest, TemporaryFailureIsRetriedOnSchedule) {
    int64_t id = store.enqueueMail(mailTo("alice@example.com", nowMs));
    Outbox outbox(store, transport, {}, [this] { return nowMs; });
    transport.answer(kTemporary);
    transport.answer(kTemporary);

    EXPECT_EQ(outbox.processDue(), kStartMs + kMinuteMs);
    EXPECT_EQ(store.mail(id).mail.tries, 1);
    EXPECT_EQ(store.mail(id).mail.nextTryMs, kStartMs + kMinuteMs);
    EXPECT_EQ(store.mail(id).mail.lastError, kTemporary.error);
    EXPECT_FALSE(store.mail(id).sent);

    // Not due yet: nothing is sent a second before the retry time.
    nowMs = kStartMs + kMinuteMs - 1000;
    EXPECT_EQ(outbox.processDue(), kStartMs + kMinuteMs);
    EXPECT_EQ(transport.calls(), 1u);

    nowMs = kStartMs + kMinuteMs;
    EXPECT_EQ(outbox.processDue(), nowMs + 2 * kMinuteMs);  // second failure: 2 minutes
    EXPECT_EQ(store.mail(id).mail.tries, 2);

    nowMs += 2 * kMinuteMs;
    int64_t next = outbox.processDue();  // third try succeeds
    EXPECT_EQ(transport.calls(), 3u);
    EXPECT_TRUE(store.mail(id).sent);
    EXPECT_EQ(next, nowMs + OutboxOptions{}.maxIdleMs);
}

TEST_F(OutboxTest, PermanentFailureIsGivenUpWithItsError) {
    int64_t id = store.enqueueMail(mailTo("nobody@example.com", nowMs));
    Outbox outbox(store, transport, {}, [this] { return nowMs; });
    transport.answer(kPermanent);
    outbox.processDue();
    FakeStore::StoredMail stored = store.mail(id);
    EXPECT_TRUE(stored.failed);
    EXPECT_FALSE(stored.sent);
    EXPECT_EQ(stored.mail.lastError, kPermanent.error);

    nowMs += 24 * 3600 * 1000;
    outbox.processDue();
    EXPECT_EQ(transport.calls(), 1u);  // never tried again
}

TEST_F(OutboxTest, OldMailIsGivenUpAfterMaxAge) {
    OutboxOptions options;
    options.maxAgeMs = 10 * kMinuteMs;  // tries at 0, +1, +3, +7 min; the 4th failure ends it
    int64_t id = store.enqueueMail(mailTo("alice@example.com", nowMs));
    Outbox outbox(store, transport, options, [this] { return nowMs; });
    for (int i = 0; i < 10; ++i) transport.answer(kTemporary);

    for (int pass = 0; pass < 10 && !store.mail(id).failed; ++pass) {
        nowMs = outbox.processDue();
    }
    FakeStore::StoredMail stored = store.mail(id);
    EXPECT_TRUE(stored.failed);
    EXPECT_EQ(transport.calls(), 4u);
    EXPECT_EQ(nowMs - OutboxOptions{}.maxIdleMs, kStartMs + 7 * kMinuteMs);  // last try time
    EXPECT_THAT(stored.mail.lastError, HasSubstr("given up after 4 tries"));
    EXPECT_THAT(stored.mail.lastError, HasSubstr("connection refused"));
}

TEST_F(OutboxTest, TransportExceptionIsATemporaryFailure) {
    int64_t id = store.enqueueMail(mailTo("alice@example.com", nowMs));
    Outbox outbox(store, transport, {}, [this] { return nowMs; });
    transport.throwOnce();
    outbox.processDue();
    EXPECT_EQ(store.mail(id).mail.tries, 1);
    EXPECT_THAT(store.mail(id).mail.lastError, HasSubstr("socket exploded"));
    EXPECT_FALSE(store.mail(id).failed);
}

TEST_F(OutboxTest, DrainsMoreThanOneBatchAndForgetsRemovedMails) {
    OutboxOptions options;
    options.batchSize = 2;
    for (int i = 0; i < 5; ++i) store.enqueueMail(mailTo("user@example.com", nowMs));
    int64_t deferred = store.enqueueMail(mailTo("deferred@example.com", nowMs + 1));
    Outbox outbox(store, transport, options, [this] { return nowMs; });
    EXPECT_EQ(outbox.processDue(), nowMs + 1);
    EXPECT_EQ(transport.calls(), 5u);

    // An administrator removes the waiting mail: its retry time must not keep the outbox busy.
    store.removeMail(deferred);
    nowMs += 1;
    EXPECT_EQ(outbox.processDue(), nowMs + options.maxIdleMs);
    EXPECT_EQ(transport.calls(), 5u);
}

TEST_F(OutboxTest, OptionsAreValidated) {
    OutboxOptions options;
    options.firstRetryDelayMs = 0;
    EXPECT_THROW({ Outbox outbox(store, transport, options); }, std::invalid_argument);
    options = {};
    options.maxRetryDelayMs = options.firstRetryDelayMs - 1;
    EXPECT_THROW({ Outbox outbox(store, transport, options); }, std::invalid_argument);
    options = {};
    options.batchSize = 0;
    EXPECT_THROW({ Outbox outbox(store, transport, options); }, std::invalid_argument);
}

TEST_F(OutboxTest, WakeSendsNewMailAtOnceAndStopJoins) {
    OutboxOptions options;
    options.maxIdleMs = 3600 * 1000;           // only wake() can make the worker look again
    Outbox outbox(store, transport, options);  // the system clock
    outbox.start();
    outbox.start();  // harmless

    // The worker's first pass finds nothing; then it sleeps for an hour unless woken.
    int64_t first = store.enqueueMail(mailTo("first@example.com", 0));
    outbox.wake();
    ASSERT_TRUE(transport.waitForCalls(1));
    int64_t second = store.enqueueMail(mailTo("second@example.com", 0));
    outbox.wake();
    ASSERT_TRUE(transport.waitForCalls(2));
    outbox.stop();
    EXPECT_TRUE(store.mail(first).sent);
    EXPECT_TRUE(store.mail(second).sent);
    EXPECT_EQ(transport.sent()[1].to, std::vector<std::string>{"second@example.com"});
    outbox.stop();  // harmless
}

}  // namespace
}  // namespace faxgate::gateway
