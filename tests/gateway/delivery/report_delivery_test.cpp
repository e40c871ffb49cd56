// Tests of ReportDelivery with the in-memory store: the mailbox copy, the outbox mail to the
// right address, idempotence, waiting for unfinished jobs, and mailbox-only operation.
#include "gateway/delivery/report_delivery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/gateway/delivery/fake_store.h"

namespace faxgate::gateway {
namespace {

using testing::FakeStore;
using ::testing::HasSubstr;

const std::string kTemplates = std::string(FAXGATE_SOURCE_DIR) + "/templates";
constexpr int64_t kNowMs = 1732540000000;

class NoTransport : public MailTransport {
  public:
    SendOutcome send(const OutboxMail&) override { return {false, false, "not used"}; }
};

class ReportDeliveryTest : public ::testing::Test {
  protected:
    ReportDeliveryTest() {
        User alice;
        alice.id = "alice";
        alice.email = "alice.external@example.com";
        store.addUser(alice);
    }

    void putSubmission(const std::string& envelopeFrom, JobState state, int pagesSent) {
        Submission submission;
        submission.id = 7;
        submission.owner = "alice";
        submission.envelopeFrom = envelopeFrom;
        submission.subject = "Invoice";
        submission.state = SubmissionState::Ready;
        Job job;
        job.id = 11;
        job.submissionId = 7;
        job.number = "0312345678";
        job.state = state;
        job.pagesSent = pagesSent;
        job.pagesTotal = 2;
        job.lastResult = state == JobState::Done ? "ok" : "busy";
        store.putSubmission(submission, {job});
        Attempt attempt;
        attempt.jobId = 11;
        attempt.number = 1;
        attempt.nodeId = "node-1";
        attempt.result = job.lastResult;
        attempt.pages = pagesSent;
        store.putAttempts(11, {attempt});
    }

    FakeStore store;
    NoTransport transport;
    // Never started: the tests look at what was queued, the outbox tests at sending.
    Outbox outbox{store, transport};
};

TEST_F(ReportDeliveryTest, FilesACopyAndQueuesTheReportToTheEnvelopeSender) {
    putSubmission("<alice@example.com>", JobState::Done, 2);
    ReportDelivery delivery(store, &outbox, kTemplates, "faxgate@fax.local", "gw.fax.local");
    delivery.deliverResult(7, kNowMs);

    std::vector<MailboxMessage> copies = store.listMailbox("alice", "Sent Faxes");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_THAT(copies[0].data, HasSubstr("Subject: Fax to 0312345678: sent (2 pages) - Invoice"));
    EXPECT_EQ(copies[0].flags, "");
    EXPECT_EQ(copies[0].internalDateMs, kNowMs);

    std::vector<FakeStore::StoredMail> mails = store.mails();
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].mail.from, "faxgate@fax.local");
    EXPECT_EQ(mails[0].mail.to, std::vector<std::string>{"alice@example.com"});
    EXPECT_EQ(mails[0].mail.nextTryMs, kNowMs);
    EXPECT_EQ(mails[0].mail.data, copies[0].data);
    EXPECT_THAT(mails[0].mail.data, HasSubstr("To: alice@example.com\r\n"));
    EXPECT_TRUE(store.findSubmission(7)->reported);
}

TEST_F(ReportDeliveryTest, IsIdempotent) {
    putSubmission("alice@example.com", JobState::Failed, 0);
    ReportDelivery delivery(store, &outbox, kTemplates, "faxgate@fax.local", "gw.fax.local");
    delivery.deliverResult(7, kNowMs);
    delivery.deliverResult(7, kNowMs + 1000);
    EXPECT_EQ(store.listMailbox("alice", "Sent Faxes").size(), 1u);
    EXPECT_EQ(store.mails().size(), 1u);
    EXPECT_THAT(store.mails()[0].mail.data, HasSubstr("FAILED (busy)"));
}

TEST_F(ReportDeliveryTest, FallsBackToTheOwnersAddress) {
    putSubmission("", JobState::Done, 2);
    ReportDelivery delivery(store, &outbox, kTemplates, "faxgate@fax.local", "gw.fax.local");
    delivery.deliverResult(7, kNowMs);
    ASSERT_EQ(store.mails().size(), 1u);
    EXPECT_EQ(store.mails()[0].mail.to, std::vector<std::string>{"alice.external@example.com"});
}

TEST_F(ReportDeliveryTest, WithoutRelayOnlyTheMailboxGetsTheReport) {
    putSubmission("alice@example.com", JobState::Done, 2);
    ReportDelivery delivery(store, nullptr, kTemplates, "faxgate@fax.local", "gw.fax.local");
    delivery.deliverResult(7, kNowMs);
    EXPECT_EQ(store.listMailbox("alice", "Sent Faxes").size(), 1u);
    EXPECT_TRUE(store.mails().empty());
    EXPECT_TRUE(store.findSubmission(7)->reported);
}

TEST_F(ReportDeliveryTest, NullSenderAndNoEmailMeansMailboxOnly) {
    User alice;
    alice.id = "alice";  // no external address
    store.updateUser(alice);
    putSubmission("<>", JobState::Done, 2);
    ReportDelivery delivery(store, &outbox, kTemplates, "faxgate@fax.local", "gw.fax.local");
    delivery.deliverResult(7, kNowMs);
    std::vector<MailboxMessage> copies = store.listMailbox("alice", "Sent Faxes");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_THAT(copies[0].data, HasSubstr("To: alice@gw.fax.local\r\n"));
    EXPECT_TRUE(store.mails().empty());
}

TEST_F(ReportDeliveryTest, WaitsUntilEveryJobIsFinal) {
    putSubmission("alice@example.com", JobState::RetryWait, 0);
    ReportDelivery delivery(store, &outbox, kTemplates, "faxgate@fax.local", "gw.fax.local");
    delivery.deliverResult(7, kNowMs);
    EXPECT_TRUE(store.listMailbox("alice", "Sent Faxes").empty());
    EXPECT_TRUE(store.mails().empty());
    EXPECT_FALSE(store.findSubmission(7)->reported);
}

TEST_F(ReportDeliveryTest, UnknownSubmissionAndBadSenderAreErrors) {
    ReportDelivery delivery(store, &outbox, kTemplates, "faxgate@fax.local", "gw.fax.local");
    EXPECT_THROW(delivery.deliverResult(99, kNowMs), std::invalid_argument);
    EXPECT_THROW(ReportDelivery(store, &outbox, kTemplates, "not an address", "gw"),
                 std::invalid_argument);
}

}  // namespace
}  // namespace faxgate::gateway
