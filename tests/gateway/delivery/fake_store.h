// An in-memory Store for the delivery tests: users, submissions, jobs, attempts, the outbox
// and mailboxes, with the semantics the delivery module relies on (markMailRetry counts a try,
// markMailSent/markMailFailed take a mail out of the queue). Methods the delivery module does
// not use throw std::logic_error, so a test that reaches one fails loudly.
// Thread-safe (one lock), because the Outbox worker calls it from its own thread.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "gateway/store/store.h"

namespace faxgate::gateway::testing {

class FakeStore : public Store {
  public:
    struct StoredMail {
        OutboxMail mail;
        bool sent = false;
        bool failed = false;
    };

    // Test set-up and inspection.
    void putSubmission(const Submission& submission, const std::vector<Job>& jobs) {
        std::lock_guard<std::mutex> lock(mutex_);
        submissions_[submission.id] = submission;
        jobs_[submission.id] = jobs;
    }
    void putAttempts(int64_t jobId, const std::vector<Attempt>& attempts) {
        std::lock_guard<std::mutex> lock(mutex_);
        attempts_[jobId] = attempts;
    }
    std::vector<StoredMail> mails() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<StoredMail> out;
        for (const auto& [id, mail] : mails_) out.push_back(mail);
        return out;
    }
    StoredMail mail(int64_t id) {
        std::lock_guard<std::mutex> lock(mutex_);
        return mails_.at(id);
    }
    void removeMail(int64_t id) {
        std::lock_guard<std::mutex> lock(mutex_);
        mails_.erase(id);
    }
    int dueQueries() {
        std::lock_guard<std::mutex> lock(mutex_);
        return dueQueries_;
    }

    // Users
    void addUser(const User& user) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!users_.emplace(user.id, user).second) throw StoreError("user exists: " + user.id);
    }
    void updateUser(const User& user) override {
        std::lock_guard<std::mutex> lock(mutex_);
        users_[user.id] = user;
    }
    std::optional<User> findUser(const std::string& id) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = users_.find(id);
        if (it == users_.end()) return std::nullopt;
        return it->second;
    }
    std::vector<User> listUsers() override { unused("listUsers"); }

    void upsertNode(const Node&) override { unused("upsertNode"); }
    std::optional<Node> findNode(const std::string&) override { unused("findNode"); }
    std::vector<Node> listNodes() override { unused("listNodes"); }

    std::vector<int64_t> commitSubmissions(const std::vector<NewSubmission>&,
                                           std::vector<std::vector<int64_t>>*) override {
        unused("commitSubmissions");
    }
    std::optional<Submission> findSubmission(int64_t id) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = submissions_.find(id);
        if (it == submissions_.end()) return std::nullopt;
        return it->second;
    }
    std::vector<Submission> submissionsInState(SubmissionState) override {
        unused("submissionsInState");
    }
    std::string loadRawMessage(int64_t) override { unused("loadRawMessage"); }
    void storeDocument(int64_t, const std::string&, int, int64_t) override {
        unused("storeDocument");
    }
    void failSubmission(int64_t, const std::string&, int64_t) override { unused("failSubmission"); }
    std::string loadDocument(int64_t) override { unused("loadDocument"); }
    void markReported(int64_t submissionId) override {
        std::lock_guard<std::mutex> lock(mutex_);
        submissions_.at(submissionId).reported = true;
    }

    std::optional<Job> findJob(int64_t) override { unused("findJob"); }
    std::vector<Job> listJobs(const JobFilter&) override { unused("listJobs"); }
    std::vector<Job> jobsOfSubmission(int64_t submissionId) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = jobs_.find(submissionId);
        return it == jobs_.end() ? std::vector<Job>{} : it->second;
    }
    void updateJob(const Job&) override { unused("updateJob"); }

    void startAttempt(const Job&, const Attempt&) override { unused("startAttempt"); }
    void finishAttempt(const Job&, const Attempt&,
                       const std::optional<CommunicationRecord>&) override {
        unused("finishAttempt");
    }
    std::vector<Attempt> attemptsOf(int64_t jobId) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = attempts_.find(jobId);
        return it == attempts_.end() ? std::vector<Attempt>{} : it->second;
    }

    bool addRecord(const CommunicationRecord&) override { unused("addRecord"); }
    bool hasRecord(const std::string&) override { unused("hasRecord"); }
    std::vector<CommunicationRecord> listRecords(int) override { unused("listRecords"); }

    // Outbox
    int64_t enqueueMail(const OutboxMail& mail) override {
        std::lock_guard<std::mutex> lock(mutex_);
        StoredMail stored{mail};
        stored.mail.id = ++lastMailId_;
        mails_[stored.mail.id] = stored;
        return stored.mail.id;
    }
    std::vector<OutboxMail> dueMails(int64_t nowMs, int limit) override {
        std::lock_guard<std::mutex> lock(mutex_);
        ++dueQueries_;
        std::vector<OutboxMail> due;
        for (const auto& [id, stored] : mails_) {
            if (!stored.sent && !stored.failed && stored.mail.nextTryMs <= nowMs) {
                due.push_back(stored.mail);
            }
        }
        std::stable_sort(due.begin(), due.end(), [](const OutboxMail& a, const OutboxMail& b) {
            return a.nextTryMs < b.nextTryMs;
        });
        if (int(due.size()) > limit) due.resize(size_t(limit));
        return due;
    }
    void markMailSent(int64_t id) override {
        std::lock_guard<std::mutex> lock(mutex_);
        mails_.at(id).sent = true;
    }
    void markMailRetry(int64_t id, int64_t nextTryMs, const std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        StoredMail& stored = mails_.at(id);
        stored.mail.tries += 1;
        stored.mail.nextTryMs = nextTryMs;
        stored.mail.lastError = error;
    }
    void markMailFailed(int64_t id, const std::string& error) override {
        std::lock_guard<std::mutex> lock(mutex_);
        StoredMail& stored = mails_.at(id);
        stored.failed = true;
        stored.mail.tries += 1;
        stored.mail.lastError = error;
    }

    int64_t appendToMailbox(const MailboxMessage& message) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& folder = mailboxes_[{message.user, message.folder}];
        MailboxMessage stored = message;
        stored.uid = int64_t(folder.size()) + 1;
        folder.push_back(stored);
        return stored.uid;
    }
    std::vector<MailboxMessage> listMailbox(const std::string& user,
                                            const std::string& folder) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = mailboxes_.find({user, folder});
        return it == mailboxes_.end() ? std::vector<MailboxMessage>{} : it->second;
    }

    // Mailboxes (IMAP), simply: UIDs are positions + 1, so expunge and copy are not offered.
    uint32_t mailboxUidValidity(const std::string&, const std::string&) override { return 1; }
    int64_t mailboxUidNext(const std::string& user, const std::string& folder) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = mailboxes_.find({user, folder});
        return it == mailboxes_.end() ? 1 : int64_t(it->second.size()) + 1;
    }
    std::vector<MailboxMessage> listMailboxHeaders(const std::string& user,
                                                   const std::string& folder) override {
        std::vector<MailboxMessage> messages = listMailbox(user, folder);
        for (auto& message : messages) {
            message.size = int64_t(message.data.size());
            message.data.clear();
        }
        return messages;
    }
    std::optional<MailboxMessage> loadMailboxMessage(const std::string& user,
                                                     const std::string& folder,
                                                     int64_t uid) override {
        for (const auto& message : listMailbox(user, folder)) {
            if (message.uid == uid) return message;
        }
        return std::nullopt;
    }
    bool setMailboxFlags(const std::string& user, const std::string& folder, int64_t uid,
                         const std::string& flags) override {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& message : mailboxes_[{user, folder}]) {
            if (message.uid == uid) {
                message.flags = flags;
                return true;
            }
        }
        return false;
    }
    std::vector<int64_t> expungeMailbox(const std::string&, const std::string&,
                                        const std::optional<std::vector<int64_t>>&) override {
        unused("expungeMailbox");
    }
    std::optional<int64_t> copyToMailbox(const std::string&, const std::string&, int64_t,
                                         const std::string&) override {
        unused("copyToMailbox");
    }

    // Routing and receptions: not used by the delivery tests (inbound tests use SQLite).
    RoutingRules loadRoutingRules() override { unused("loadRoutingRules"); }
    void replaceRoutingRules(const RoutingRules&) override { unused("replaceRoutingRules"); }
    std::optional<CommunicationRecord> findRecord(const std::string&) override {
        unused("findRecord");
    }
    bool storeReception(const CommunicationRecord&, const std::vector<MailboxMessage>&,
                        const std::vector<OutboxMail>&) override {
        unused("storeReception");
    }

    // Administration: the changes go through the plain methods, the entries into a list.
    std::vector<CommunicationRecord> findRecords(const RecordFilter&) override {
        unused("findRecords");
    }
    int64_t addUserAudited(const User& user, const AuditEntry& entry) override {
        addUser(user);
        return addAuditEntry(entry);
    }
    int64_t updateUserAudited(const User& user, const AuditEntry& entry) override {
        updateUser(user);
        return addAuditEntry(entry);
    }
    int64_t addNodeAudited(const Node&, const AuditEntry&) override { unused("addNodeAudited"); }
    int64_t updateNodeAudited(const Node&, const AuditEntry&) override {
        unused("updateNodeAudited");
    }
    int64_t setNodeOrder(const std::vector<std::string>&, const AuditEntry&) override {
        unused("setNodeOrder");
    }
    int64_t setUserNodesAudited(const std::map<std::string, std::string>&,
                                const AuditEntry&) override {
        unused("setUserNodesAudited");
    }
    int64_t replaceRoutingRulesAudited(const RoutingRules&, const AuditEntry&) override {
        unused("replaceRoutingRulesAudited");
    }
    int64_t replaceSettingsSecretsAudited(const std::string&,
                                          const std::map<std::string, std::string>&,
                                          const AuditEntry&) override {
        unused("replaceSettingsSecretsAudited");
    }
    // Snapshots are not versioned here: the delivery module never registers settings.
    int64_t addAuditEntry(const AuditEntry& entry) override {
        std::lock_guard<std::mutex> lock(mutex_);
        audit_.push_back(entry);
        audit_.back().id = static_cast<int64_t>(audit_.size());
        return 0;
    }
    std::vector<AuditEntry> listAuditEntries(int limit) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<AuditEntry> entries(audit_.rbegin(), audit_.rend());
        if (entries.size() > static_cast<size_t>(limit)) entries.resize(static_cast<size_t>(limit));
        return entries;
    }
    std::optional<SettingsVersion> latestSettings(const std::string&) override {
        unused("latestSettings");
    }
    std::optional<SettingsVersion> findSettingsVersion(const std::string&, int64_t) override {
        unused("findSettingsVersion");
    }
    std::vector<SettingsVersion> listSettingsVersions(const std::string&, int) override {
        unused("listSettingsVersions");
    }
    std::map<std::string, std::string> loadSettingsSecrets(const std::string&) override {
        unused("loadSettingsSecrets");
    }
    void recordNodeSettingsStatus(const NodeSettingsStatus&) override {
        unused("recordNodeSettingsStatus");
    }
    std::optional<NodeSettingsStatus> findNodeSettingsStatus(const std::string&) override {
        unused("findNodeSettingsStatus");
    }

  private:
    [[noreturn]] static void unused(const char* method) {
        throw std::logic_error(std::string("FakeStore::") + method + " is not used by delivery");
    }

    std::mutex mutex_;
    std::map<std::string, User> users_;
    std::map<int64_t, Submission> submissions_;
    std::map<int64_t, std::vector<Job>> jobs_;
    std::map<int64_t, std::vector<Attempt>> attempts_;
    std::map<int64_t, StoredMail> mails_;
    int64_t lastMailId_ = 0;
    int dueQueries_ = 0;
    std::map<std::pair<std::string, std::string>, std::vector<MailboxMessage>> mailboxes_;
    std::vector<AuditEntry> audit_;
};

}  // namespace faxgate::gateway::testing
