// Tests for the SQLite store through the Store interface: each test opens a fresh database
// file in its own temporary directory, and several close and reopen it to check that what
// a method wrote is really on disk.
#include "gateway/store/store.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/sqlite_store.h"
#include "tests/gateway/store/store_fixture.h"

namespace faxgate::gateway {
namespace {

class SqliteStoreTest : public testing::TempStoreTest {
  protected:
    static NewSubmission submission(const std::string& owner, std::vector<std::string> numbers,
                                    int64_t createdMs = 1000) {
        NewSubmission s;
        s.owner = owner;
        s.envelopeFrom = owner + "@example.org";
        s.subject = "Invoice " + owner;
        s.messageId = "<" + owner + "@example.org>";
        s.rawMessage = "Subject: Invoice\r\n\r\nHello " + owner + "\r\n";
        s.numbers = std::move(numbers);
        s.priority = 5;
        s.killTimeMs = 3600000;
        s.createdMs = createdMs;
        return s;
    }

    static std::string allBytes() {
        std::string bytes;
        for (int repeat = 0; repeat < 3; ++repeat) {
            for (int value = 0; value < 256; ++value) bytes.push_back(static_cast<char>(value));
        }
        return bytes;
    }
};

User sampleUser(const std::string& id) {
    User user;
    user.id = id;
    user.passwordHash = "pbkdf2-sha256$1$x$y";
    user.role = Role::Admin;
    user.email = id + "@example.org";
    user.defaultNode = "node-2";
    user.resolution = "normal";
    user.coverPage = false;
    return user;
}

TEST_F(SqliteStoreTest, UsersAddFindUpdate) {
    EXPECT_FALSE(store_->findUser("alice").has_value());
    store_->addUser(sampleUser("alice"));

    auto found = store_->findUser("alice");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->passwordHash, "pbkdf2-sha256$1$x$y");
    EXPECT_EQ(found->role, Role::Admin);
    EXPECT_EQ(found->email, "alice@example.org");
    EXPECT_EQ(found->defaultNode, "node-2");
    EXPECT_EQ(found->resolution, "normal");
    EXPECT_FALSE(found->coverPage);

    found->role = Role::User;
    found->resolution = "fine";
    found->coverPage = true;
    found->email = "";
    store_->updateUser(*found);
    const auto updated = store_->findUser("alice");
    ASSERT_TRUE(updated.has_value());
    EXPECT_EQ(updated->role, Role::User);
    EXPECT_EQ(updated->resolution, "fine");
    EXPECT_TRUE(updated->coverPage);
    EXPECT_EQ(updated->email, "");

    store_->addUser(sampleUser("bob"));
    const auto users = store_->listUsers();
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0].id, "alice");
    EXPECT_EQ(users[1].id, "bob");
}

TEST_F(SqliteStoreTest, DuplicateUserAndBadUsersAreErrors) {
    store_->addUser(sampleUser("alice"));
    try {
        store_->addUser(sampleUser("alice"));
        FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("alice already exists"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(store_->updateUser(sampleUser("nobody")), StoreError);
    EXPECT_THROW(store_->addUser(sampleUser("")), StoreError);
    User badResolution = sampleUser("carol");
    badResolution.resolution = "superfine";
    EXPECT_THROW(store_->addUser(badResolution), StoreError);
    EXPECT_EQ(store_->listUsers().size(), 1u);
}

TEST_F(SqliteStoreTest, NodesAreOrderedByPriorityThenIdAndUpserted) {
    Node a;
    a.id = "node-b";
    a.url = "http://127.0.0.1:8082";
    a.secret = "s2";
    a.priority = 10;
    Node b = a;
    b.id = "node-a";
    b.priority = 10;
    Node c = a;
    c.id = "node-z";
    c.priority = 1;
    c.keepLinesForReceive = 2;
    c.retry.killTimeMs = 7200000;
    c.retry.maxDials = 4;
    c.retry.maxConnectedTries = 2;
    c.retry.busyRetryMs = 60000;
    c.retry.failureRetryMs = 90000;
    store_->upsertNode(a);
    store_->upsertNode(b);
    store_->upsertNode(c);

    auto nodes = store_->listNodes();
    ASSERT_EQ(nodes.size(), 3u);
    EXPECT_EQ(nodes[0].id, "node-z");
    EXPECT_EQ(nodes[1].id, "node-a");
    EXPECT_EQ(nodes[2].id, "node-b");
    EXPECT_EQ(nodes[0].keepLinesForReceive, 2);
    EXPECT_EQ(nodes[0].retry.killTimeMs, 7200000);
    EXPECT_EQ(nodes[0].retry.maxDials, 4);
    EXPECT_EQ(nodes[0].retry.maxConnectedTries, 2);
    EXPECT_EQ(nodes[0].retry.busyRetryMs, 60000);
    EXPECT_EQ(nodes[0].retry.failureRetryMs, 90000);

    c.priority = 50;
    c.url = "http://127.0.0.1:9999";
    store_->upsertNode(c);
    nodes = store_->listNodes();
    ASSERT_EQ(nodes.size(), 3u);
    EXPECT_EQ(nodes[2].id, "node-z");
    EXPECT_EQ(store_->findNode("node-z")->url, "http://127.0.0.1:9999");
    EXPECT_FALSE(store_->findNode("node-q").has_value());
}

TEST_F(SqliteStoreTest, GroupCommitTellsTheJobIdsOfEachSubmission) {
    std::vector<std::vector<int64_t>> jobIds;
    const std::vector<std::string> numbers = {"0311", "0322", "0333"};
    const auto ids = store_->commitSubmissions(
        {submission("carol", numbers), submission("dave", {"0344"})}, &jobIds);
    ASSERT_EQ(jobIds.size(), 2u);
    ASSERT_EQ(jobIds[0].size(), 3u);
    for (size_t i = 0; i < numbers.size(); ++i) {
        EXPECT_EQ(store_->findJob(jobIds[0][i])->submissionId, ids[0]);
        EXPECT_EQ(store_->findJob(jobIds[0][i])->number, numbers[i]);
    }
    ASSERT_EQ(jobIds[1].size(), 1u);
    EXPECT_EQ(store_->findJob(jobIds[1][0])->submissionId, ids[1]);
}

TEST_F(SqliteStoreTest, GroupCommitCreatesSubmissionsAndJobs) {
    const auto ids =
        store_->commitSubmissions({submission("alice", {"0312345678", "+4930123456"}, 1000),
                                   submission("bob", {"0399"}, 2000)});
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_LT(ids[0], ids[1]);

    const auto first = store_->findSubmission(ids[0]);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->owner, "alice");
    EXPECT_EQ(first->envelopeFrom, "alice@example.org");
    EXPECT_EQ(first->subject, "Invoice alice");
    EXPECT_EQ(first->messageId, "<alice@example.org>");
    EXPECT_EQ(first->state, SubmissionState::Converting);
    EXPECT_FALSE(first->reported);
    EXPECT_EQ(first->createdMs, 1000);
    EXPECT_EQ(store_->loadRawMessage(ids[0]), "Subject: Invoice\r\n\r\nHello alice\r\n");

    const auto jobs = store_->jobsOfSubmission(ids[0]);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].number, "0312345678");
    EXPECT_EQ(jobs[1].number, "+4930123456");
    for (const Job& job : jobs) {
        EXPECT_EQ(job.submissionId, ids[0]);
        EXPECT_EQ(job.owner, "alice");
        EXPECT_EQ(job.state, JobState::Converting);
        EXPECT_EQ(job.priority, 5);
        EXPECT_EQ(job.createdMs, 1000);
        EXPECT_EQ(job.killAtMs, 1000 + 3600000);
    }
    EXPECT_EQ(store_->jobsOfSubmission(ids[1]).size(), 1u);
    EXPECT_EQ(store_->submissionsInState(SubmissionState::Converting).size(), 2u);
}

TEST_F(SqliteStoreTest, GroupCommitIsAllOrNothing) {
    EXPECT_TRUE(store_->commitSubmissions({}).empty());
    EXPECT_THROW(
        store_->commitSubmissions({submission("alice", {"0312"}), submission("bob", {"03-12"})}),
        StoreError);
    EXPECT_THROW(store_->commitSubmissions({submission("alice", {})}), StoreError);
    NewSubmission noKillTime = submission("alice", {"0312"});
    noKillTime.killTimeMs = 0;
    EXPECT_THROW(store_->commitSubmissions({noKillTime}), StoreError);
    EXPECT_TRUE(store_->submissionsInState(SubmissionState::Converting).empty());
    EXPECT_TRUE(store_->listJobs({}).empty());
}

TEST_F(SqliteStoreTest, StoreDocumentQueuesJobsAndBlobsRoundTrip) {
    NewSubmission binary = submission("alice", {"0312", "0313"});
    binary.rawMessage = allBytes();
    const int64_t id = store_->commitSubmissions({binary})[0];
    EXPECT_EQ(store_->loadRawMessage(id), allBytes());

    // A job cancelled during conversion must stay cancelled.
    Job cancelled = store_->jobsOfSubmission(id)[1];
    cancelled.state = JobState::Cancelled;
    store_->updateJob(cancelled);

    const std::string tiff = std::string("II*\0", 4) + allBytes();
    store_->storeDocument(id, tiff, 3, 5000);
    EXPECT_EQ(store_->loadDocument(id), tiff);
    EXPECT_EQ(store_->findSubmission(id)->state, SubmissionState::Ready);
    const auto jobs = store_->jobsOfSubmission(id);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].state, JobState::Queued);
    EXPECT_EQ(jobs[0].pagesTotal, 3);
    EXPECT_EQ(jobs[0].updatedMs, 5000);
    EXPECT_EQ(jobs[1].state, JobState::Cancelled);

    // The conversion result is taken once.
    EXPECT_THROW(store_->storeDocument(id, tiff, 3, 6000), StoreError);
    EXPECT_THROW(store_->failSubmission(id, "late", 6000), StoreError);
    EXPECT_THROW(store_->storeDocument(id + 100, tiff, 3, 6000), StoreError);
    EXPECT_THROW(store_->loadDocument(id + 100), StoreError);
    EXPECT_THROW(store_->loadRawMessage(id + 100), StoreError);
}

TEST_F(SqliteStoreTest, EmptyRawMessageRoundTrips) {
    NewSubmission empty = submission("alice", {"0312"});
    empty.rawMessage.clear();
    const int64_t id = store_->commitSubmissions({empty})[0];
    EXPECT_EQ(store_->loadRawMessage(id), "");
}

TEST_F(SqliteStoreTest, LargeDocumentRoundTrips) {
    const int64_t id = store_->commitSubmissions({submission("alice", {"0312"})})[0];
    std::string tiff(8 * 1024 * 1024, '\0');
    uint32_t state = 12345;
    for (char& byte : tiff) {
        state = state * 1103515245u + 12345u;  // any byte pattern will do; not all zeros
        byte = static_cast<char>(state >> 24);
    }
    store_->storeDocument(id, tiff, 40, 1);
    reopen();
    EXPECT_TRUE(store_->loadDocument(id) == tiff);  // not EXPECT_EQ: no 8 MB diff on failure
}

TEST_F(SqliteStoreTest, FailSubmissionFailsItsJobs) {
    const auto ids = store_->commitSubmissions(
        {submission("alice", {"0312", "0313"}), submission("bob", {"0314"})});
    store_->failSubmission(ids[0], "unsupported attachment type application/zip", 7000);

    const auto failed = store_->findSubmission(ids[0]);
    EXPECT_EQ(failed->state, SubmissionState::Failed);
    EXPECT_EQ(failed->failureReason, "unsupported attachment type application/zip");
    for (const Job& job : store_->jobsOfSubmission(ids[0])) {
        EXPECT_EQ(job.state, JobState::Failed);
        EXPECT_EQ(job.lastResult, "conversion_failed");
        EXPECT_EQ(job.lastReason, "unsupported attachment type application/zip");
        EXPECT_EQ(job.updatedMs, 7000);
    }
    EXPECT_EQ(store_->jobsOfSubmission(ids[1])[0].state, JobState::Converting);
    EXPECT_EQ(store_->submissionsInState(SubmissionState::Failed).size(), 1u);

    EXPECT_FALSE(failed->reported);
    store_->markReported(ids[0]);
    EXPECT_TRUE(store_->findSubmission(ids[0])->reported);
    EXPECT_THROW(store_->markReported(ids[1] + 100), StoreError);
}

TEST_F(SqliteStoreTest, ListJobsHonoursTheFilter) {
    const auto ids = store_->commitSubmissions(
        {submission("alice", {"01", "02", "03"}), submission("bob", {"04", "05"})});
    store_->storeDocument(ids[1], "tiff", 1, 10);
    Job done = store_->jobsOfSubmission(ids[1])[0];
    done.state = JobState::Done;
    store_->updateJob(done);

    EXPECT_EQ(store_->listJobs({}).size(), 5u);
    JobFilter byOwner;
    byOwner.owner = "alice";
    EXPECT_EQ(store_->listJobs(byOwner).size(), 3u);
    JobFilter queued;
    queued.state = JobState::Queued;
    const auto queuedJobs = store_->listJobs(queued);
    ASSERT_EQ(queuedJobs.size(), 1u);
    EXPECT_EQ(queuedJobs[0].number, "05");
    JobFilter active;
    active.activeOnly = true;
    active.owner = "bob";
    EXPECT_EQ(store_->listJobs(active).size(), 1u);
    JobFilter limited;
    limited.limit = 2;
    const auto firstTwo = store_->listJobs(limited);
    ASSERT_EQ(firstTwo.size(), 2u);
    EXPECT_LT(firstTwo[0].id, firstTwo[1].id);
    EXPECT_EQ(firstTwo[0].number, "01");
    limited.limit = 0;
    EXPECT_THROW(store_->listJobs(limited), StoreError);
}

TEST_F(SqliteStoreTest, UpdateJobWritesEveryMutableField) {
    const int64_t id = store_->commitSubmissions({submission("alice", {"0312"})})[0];
    Job job = store_->jobsOfSubmission(id)[0];
    job.state = JobState::RetryWait;
    job.priority = 9;
    job.dials = 3;
    job.connectedTries = 2;
    job.pagesTotal = 4;
    job.pagesSent = 1;
    job.notBeforeMs = 123456789012345;
    job.killAtMs = 223456789012345;
    job.node = "node-1";
    job.line = "sim-1";
    job.lastResult = "busy";
    job.lastReason = "the number was busy";
    job.updatedMs = 99;
    store_->updateJob(job);
    const auto read = store_->findJob(job.id);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->state, JobState::RetryWait);
    EXPECT_EQ(read->priority, 9);
    EXPECT_EQ(read->dials, 3);
    EXPECT_EQ(read->connectedTries, 2);
    EXPECT_EQ(read->pagesTotal, 4);
    EXPECT_EQ(read->pagesSent, 1);
    EXPECT_EQ(read->notBeforeMs, 123456789012345);
    EXPECT_EQ(read->killAtMs, 223456789012345);
    EXPECT_EQ(read->node, "node-1");
    EXPECT_EQ(read->line, "sim-1");
    EXPECT_EQ(read->lastResult, "busy");
    EXPECT_EQ(read->lastReason, "the number was busy");
    EXPECT_EQ(read->updatedMs, 99);
    EXPECT_EQ(read->owner, "alice");
    EXPECT_EQ(read->number, "0312");

    Job missing = job;
    missing.id = job.id + 1000;
    EXPECT_THROW(store_->updateJob(missing), StoreError);
    EXPECT_FALSE(store_->findJob(job.id + 1000).has_value());
}

CommunicationRecord sampleRecord(const std::string& recordId, int64_t jobId, int attempt) {
    CommunicationRecord record;
    record.recordId = recordId;
    record.jobId = jobId;
    record.attempt = attempt;
    record.nodeId = "node-1";
    record.line = "sim-1";
    record.number = "0312";
    record.remoteCsid = "+81 3 1234 5678";
    record.pages = 2;
    record.pagesTotal = 2;
    record.durationMs = 61000;
    record.bitRate = 14400;
    record.ecm = true;
    record.result = "ok";
    record.reason = "all pages confirmed by the receiver";
    record.startedMs = 1732512345678;
    record.endedMs = 1732512406678;
    return record;
}

TEST_F(SqliteStoreTest, AttemptsAndRecords) {
    const int64_t id = store_->commitSubmissions({submission("alice", {"0312"})})[0];
    store_->storeDocument(id, "tiff", 2, 10);
    Job job = store_->jobsOfSubmission(id)[0];

    job.state = JobState::Dispatched;
    job.node = "node-1";
    job.line = "sim-1";
    Attempt attempt;
    attempt.jobId = job.id;
    attempt.number = 1;
    attempt.nodeId = "node-1";
    attempt.line = "sim-1";
    attempt.dispatchedMs = 100;
    store_->startAttempt(job, attempt);
    EXPECT_EQ(store_->findJob(job.id)->state, JobState::Dispatched);
    auto attempts = store_->attemptsOf(job.id);
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].endedMs, 0);
    EXPECT_EQ(attempts[0].dispatchedMs, 100);
    EXPECT_THROW(store_->startAttempt(job, attempt), StoreError);  // same number twice

    const CommunicationRecord record = sampleRecord("node-1-1-7", job.id, 1);
    job.state = JobState::Done;
    job.pagesSent = 2;
    job.lastResult = "ok";
    attempt.endedMs = 200;
    attempt.result = "ok";
    attempt.reason = "all pages confirmed by the receiver";
    attempt.pages = 2;
    attempt.recordId = record.recordId;
    store_->finishAttempt(job, attempt, record);

    EXPECT_EQ(store_->findJob(job.id)->state, JobState::Done);
    attempts = store_->attemptsOf(job.id);
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].endedMs, 200);
    EXPECT_EQ(attempts[0].result, "ok");
    EXPECT_EQ(attempts[0].pages, 2);
    EXPECT_EQ(attempts[0].recordId, "node-1-1-7");
    EXPECT_TRUE(store_->hasRecord("node-1-1-7"));

    const auto records = store_->listRecords(10);
    ASSERT_EQ(records.size(), 1u);
    const CommunicationRecord& stored = records[0];
    EXPECT_EQ(stored.recordId, record.recordId);
    EXPECT_EQ(stored.direction, "send");
    EXPECT_EQ(stored.jobId, job.id);
    EXPECT_EQ(stored.attempt, 1);
    EXPECT_EQ(stored.nodeId, "node-1");
    EXPECT_EQ(stored.line, "sim-1");
    EXPECT_EQ(stored.number, "0312");
    EXPECT_EQ(stored.remoteCsid, "+81 3 1234 5678");
    EXPECT_EQ(stored.pages, 2);
    EXPECT_EQ(stored.pagesTotal, 2);
    EXPECT_EQ(stored.durationMs, 61000);
    EXPECT_EQ(stored.bitRate, 14400);
    EXPECT_TRUE(stored.ecm);
    EXPECT_EQ(stored.result, "ok");
    EXPECT_EQ(stored.reason, record.reason);
    EXPECT_EQ(stored.startedMs, 1732512345678);
    EXPECT_EQ(stored.endedMs, 1732512406678);

    // The node posts the same record again: ignored, nothing else changes.
    CommunicationRecord repeat = record;
    repeat.result = "failed";
    EXPECT_FALSE(store_->addRecord(repeat));
    store_->finishAttempt(job, attempt, repeat);
    ASSERT_EQ(store_->listRecords(10).size(), 1u);
    EXPECT_EQ(store_->listRecords(10)[0].result, "ok");

    // A reception record has no job.
    CommunicationRecord reception = sampleRecord("node-1-2-8", 0, 0);
    reception.direction = "receive";
    EXPECT_TRUE(store_->addRecord(reception));
    const auto newestFirst = store_->listRecords(1);
    ASSERT_EQ(newestFirst.size(), 1u);
    EXPECT_EQ(newestFirst[0].recordId, "node-1-2-8");
    EXPECT_FALSE(store_->hasRecord("node-9-9-9"));
}

TEST_F(SqliteStoreTest, RecordsOfAUserAreItsJobsCallsAndTheFaxesRoutedToIt) {
    const auto ids =
        store_->commitSubmissions({submission("al", {"01"}), submission("alice", {"02"})});
    const int64_t alJob = store_->jobsOfSubmission(ids[0])[0].id;
    const int64_t aliceJob = store_->jobsOfSubmission(ids[1])[0].id;
    auto add = [&](const std::string& recordId, int64_t jobId, const std::string& routedTo) {
        CommunicationRecord record = sampleRecord(recordId, jobId, jobId > 0 ? 1 : 0);
        record.direction = jobId > 0 ? "send" : "receive";
        record.routedTo = routedTo;
        EXPECT_TRUE(store_->addRecord(record)) << recordId;
    };
    add("sent-al", alJob, "");
    add("sent-alice", aliceJob, "");
    add("in-al-bob", 0, "al,bob");
    add("in-alice", 0, "alice");
    add("in-bob-al", 0, "bob,al");
    add("in-similar", 0, "xal,alx,ali");  // "al" only as a part of other IDs
    add("in-blocked", 0, "blocked");
    add("in-failed", 0, "");  // a failed reception goes to nobody

    auto found = [&](RecordFilter filter) {
        std::string out;
        for (const CommunicationRecord& r : store_->findRecords(filter)) {
            out += (out.empty() ? "" : " ") + r.recordId;
        }
        return out;
    };
    RecordFilter filter;
    filter.user = "al";
    EXPECT_EQ(found(filter), "in-bob-al in-al-bob sent-al");  // newest first
    filter.user = "alice";
    EXPECT_EQ(found(filter), "in-alice sent-alice");
    filter.user = "bob";
    EXPECT_EQ(found(filter), "in-bob-al in-al-bob");
    filter.user = "blocked";  // a blocked fax is delivered to nobody
    EXPECT_EQ(found(filter), "");
    filter.user = "nobody";
    EXPECT_EQ(found(filter), "");
    // With the other conditions.
    filter.user = "al";
    filter.direction = "send";
    EXPECT_EQ(found(filter), "sent-al");
    filter.direction = "receive";
    filter.limit = 1;
    EXPECT_EQ(found(filter), "in-bob-al");
}

TEST_F(SqliteStoreTest, FinishAttemptWithoutStartInsertsIt) {
    const int64_t id = store_->commitSubmissions({submission("alice", {"0312"})})[0];
    Job job = store_->jobsOfSubmission(id)[0];
    job.state = JobState::RetryWait;
    Attempt unreachable;
    unreachable.jobId = job.id;
    unreachable.number = 1;
    unreachable.nodeId = "node-1";
    unreachable.dispatchedMs = 10;
    unreachable.endedMs = 11;
    unreachable.result = "unreachable";
    unreachable.reason = "connection refused";
    store_->finishAttempt(job, unreachable, std::nullopt);
    const auto attempts = store_->attemptsOf(job.id);
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].result, "unreachable");
    EXPECT_EQ(attempts[0].reason, "connection refused");
    EXPECT_TRUE(store_->listRecords(10).empty());

    // An attempt for a job that does not exist changes nothing.
    Job ghost = job;
    ghost.id = job.id + 50;
    Attempt ghostAttempt = unreachable;
    ghostAttempt.jobId = ghost.id;
    EXPECT_THROW(store_->finishAttempt(ghost, ghostAttempt, sampleRecord("r-1", ghost.id, 1)),
                 StoreError);
    EXPECT_FALSE(store_->hasRecord("r-1"));
}

TEST_F(SqliteStoreTest, OutboxDueRetryAndSent) {
    OutboxMail mail;
    mail.from = "fax-gateway@example.org";
    mail.to = {"alice@example.org", "audit@example.org"};
    mail.data = "Subject: Fax sent\r\n\r\n" + allBytes();
    mail.nextTryMs = 1000;
    const int64_t first = store_->enqueueMail(mail);
    mail.to = {"bob@example.org"};
    mail.nextTryMs = 500;
    const int64_t second = store_->enqueueMail(mail);

    EXPECT_TRUE(store_->dueMails(499, 10).empty());
    auto due = store_->dueMails(1000, 10);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[0].id, second);  // earliest first
    EXPECT_EQ(due[1].id, first);
    EXPECT_EQ(due[1].to, (std::vector<std::string>{"alice@example.org", "audit@example.org"}));
    EXPECT_EQ(due[1].from, "fax-gateway@example.org");
    EXPECT_EQ(due[1].data, mail.data);
    EXPECT_EQ(due[1].tries, 0);
    EXPECT_EQ(store_->dueMails(1000, 1).size(), 1u);

    store_->markMailRetry(first, 5000, "451 try again later");
    due = store_->dueMails(1000, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, second);
    due = store_->dueMails(5000, 10);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[1].id, first);
    EXPECT_EQ(due[1].tries, 1);
    EXPECT_EQ(due[1].lastError, "451 try again later");

    store_->markMailSent(second);
    due = store_->dueMails(10000, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, first);
    EXPECT_THROW(store_->markMailSent(second), StoreError);
    EXPECT_THROW(store_->markMailRetry(second, 1, "x"), StoreError);

    // Giving up: the mail leaves the queue but is not forgotten by a retry or send later.
    const int64_t third = store_->enqueueMail(mail);
    store_->markMailFailed(third, "550 no such user");
    due = store_->dueMails(10000, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, first);
    EXPECT_THROW(store_->markMailRetry(third, 1, "x"), StoreError);
    EXPECT_THROW(store_->markMailSent(third), StoreError);
    EXPECT_THROW(store_->markMailFailed(third, "again"), StoreError);

    OutboxMail bad = mail;
    bad.to = {"evil@example.org\r\nRCPT TO:<x@y>"};
    EXPECT_THROW(store_->enqueueMail(bad), StoreError);
    bad.to = {};
    EXPECT_THROW(store_->enqueueMail(bad), StoreError);
}

TEST_F(SqliteStoreTest, MailboxUidsRisePerUserAndFolder) {
    MailboxMessage message;
    message.user = "alice";
    message.folder = "INBOX";
    message.data = allBytes();
    message.internalDateMs = 1732512345678;
    message.flags = "\\Seen";
    message.uid = 777;  // ignored: the store assigns UIDs
    EXPECT_EQ(store_->appendToMailbox(message), 1);
    EXPECT_EQ(store_->appendToMailbox(message), 2);
    message.folder = "Sent Faxes";
    EXPECT_EQ(store_->appendToMailbox(message), 1);
    message.user = "bob";
    message.folder = "INBOX";
    EXPECT_EQ(store_->appendToMailbox(message), 1);
    message.user = "alice";
    EXPECT_EQ(store_->appendToMailbox(message), 3);

    const auto inbox = store_->listMailbox("alice", "INBOX");
    ASSERT_EQ(inbox.size(), 3u);
    EXPECT_EQ(inbox[0].uid, 1);
    EXPECT_EQ(inbox[2].uid, 3);
    EXPECT_EQ(inbox[0].user, "alice");
    EXPECT_EQ(inbox[0].folder, "INBOX");
    EXPECT_EQ(inbox[0].data, allBytes());
    EXPECT_EQ(inbox[0].internalDateMs, 1732512345678);
    EXPECT_EQ(inbox[0].flags, "\\Seen");
    EXPECT_EQ(store_->listMailbox("alice", "Sent Faxes").size(), 1u);
    EXPECT_TRUE(store_->listMailbox("carol", "INBOX").empty());

    reopen();
    EXPECT_EQ(store_->appendToMailbox(message), 4);
}

TEST_F(SqliteStoreTest, DataSurvivesReopening) {
    store_->addUser(sampleUser("alice"));
    Node node;
    node.id = "node-1";
    node.url = "http://127.0.0.1:8081";
    store_->upsertNode(node);
    const int64_t id = store_->commitSubmissions({submission("alice", {"0312"})})[0];
    store_->storeDocument(id, allBytes(), 2, 10);
    OutboxMail mail;
    mail.to = {"alice@example.org"};
    mail.data = "x";
    store_->enqueueMail(mail);
    store_->addRecord(sampleRecord("r-1", 0, 0));

    reopen();
    EXPECT_TRUE(store_->findUser("alice").has_value());
    EXPECT_TRUE(store_->findNode("node-1").has_value());
    EXPECT_EQ(store_->findSubmission(id)->state, SubmissionState::Ready);
    EXPECT_EQ(store_->loadDocument(id), allBytes());
    EXPECT_EQ(store_->jobsOfSubmission(id)[0].state, JobState::Queued);
    EXPECT_EQ(store_->dueMails(0, 10).size(), 1u);
    EXPECT_TRUE(store_->hasRecord("r-1"));

    // IDs are not reused after reopening.
    const int64_t next = store_->commitSubmissions({submission("alice", {"0313"})})[0];
    EXPECT_GT(next, id);
}

TEST_F(SqliteStoreTest, ConcurrentWritersFromManyThreads) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 25;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([this, t] {
            for (int i = 0; i < kPerThread; ++i) {
                store_->commitSubmissions({submission("user" + std::to_string(t), {"0312"})});
                MailboxMessage message;
                message.user = "shared";
                message.folder = "INBOX";
                message.data = "m";
                store_->appendToMailbox(message);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(store_->listJobs({}).size(), static_cast<std::size_t>(kThreads * kPerThread));
    const auto messages = store_->listMailbox("shared", "INBOX");
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(kThreads * kPerThread));
    for (std::size_t i = 0; i < messages.size(); ++i) {
        EXPECT_EQ(messages[i].uid, static_cast<int64_t>(i + 1));
    }
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
    store_.reset();
    {
        // What a future gateway would leave behind: a higher schema version.
        Poco::Data::Session session(Poco::Data::SQLite::Connector::KEY, path_);
        session << "UPDATE schema_version SET version = 99", Poco::Data::Keywords::now;
    }
    try {
        openSqliteStore(path_);
        FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
    }
}

TEST_F(SqliteStoreTest, FileIsInWalMode) {
    store_->addUser(sampleUser("alice"));
    Poco::Data::Session session(Poco::Data::SQLite::Connector::KEY, path_);
    std::string journalMode;
    session << "PRAGMA journal_mode", Poco::Data::Keywords::into(journalMode),
        Poco::Data::Keywords::now;
    EXPECT_EQ(journalMode, "wal");
    int version = 0;
    session << "SELECT version FROM schema_version", Poco::Data::Keywords::into(version),
        Poco::Data::Keywords::now;
    EXPECT_EQ(version, SqliteStore::currentSchemaVersion());
}

TEST_F(SqliteStoreTest, RefusesFilesThatAreNotDatabases) {
    const std::string garbagePath = (directory_ / "garbage.db").string();
    {
        std::ofstream garbage(garbagePath, std::ios::binary);
        garbage << std::string(8192, 'x');
    }
    try {
        openSqliteStore(garbagePath);
        FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find(garbagePath), std::string::npos) << e.what();
    }
    EXPECT_THROW(openSqliteStore((directory_ / "no-such-dir" / "x.db").string()), StoreError);
}

}  // namespace
}  // namespace faxgate::gateway
