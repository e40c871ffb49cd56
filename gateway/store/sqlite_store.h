// The SQLite store backend: the gateway's default, embedded Store (see store.h).
//
// One database file holds users, nodes, submissions with their raw mail, fax documents, jobs,
// attempts, communication records, the outbox and the gateway-side mailboxes. The file runs in
// WAL mode with synchronous=FULL, so a method that returned has reached the disk; foreign keys
// are enforced. The schema is versioned (table schema_version): opening a store created by an
// older gateway migrates it, opening one from a newer gateway fails with a StoreError.
//
// Diagnostics: every failure is a StoreError whose message names the operation and, where it
// applies, the object ("store: storeDocument: no submission 42"), followed by SQLite's own
// words for database errors. Invalid arguments (an empty user ID, a fax number with letters,
// a recipient containing a line break) are StoreErrors too, raised before anything is written.
#pragma once

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/store/store.h"

namespace faxgate::gateway {

struct SqliteStoreOptions {
    // How long a write waits for another connection to the same file (the admin tool) to
    // release its lock before failing with "database is locked".
    int busyTimeoutMs = 5000;
};

// Largest row count one list call returns (listJobs, listRecords, dueMails); larger limits
// are refused so a careless caller cannot pull the whole database into memory.
inline constexpr int kMaxStoreListLimit = 100000;
// Longest user, node, folder or record ID accepted.
inline constexpr std::size_t kMaxStoreIdBytes = 255;
// Longest fax number accepted (E.164 allows 15 digits; room for national prefixes).
inline constexpr std::size_t kMaxFaxNumberBytes = 32;

// Thread-safety: one SQLite connection guarded by one mutex. Every public method takes the
// mutex for its whole transaction, so methods may be called from any thread; they run one at
// a time, which SQLite would impose on writers anyway. Write transactions start with
// BEGIN IMMEDIATE so that a second process (the admin tool) waits in busy_timeout instead of
// failing half-way through. Reads run in a deferred transaction: a consistent snapshot.
class SqliteStore : public Store {
  public:
    // Opens the database at `path`, creating the file and schema if missing. Throws StoreError.
    explicit SqliteStore(const std::string& path, const SqliteStoreOptions& options = {});
    ~SqliteStore() override;

    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    // The schema version this build creates and migrates older files to.
    static int currentSchemaVersion();

    void addUser(const User& user) override;
    void updateUser(const User& user) override;
    std::optional<User> findUser(const std::string& id) override;
    std::vector<User> listUsers() override;

    void upsertNode(const Node& node) override;
    std::optional<Node> findNode(const std::string& id) override;
    std::vector<Node> listNodes() override;

    using Store::commitSubmissions;
    std::vector<int64_t> commitSubmissions(const std::vector<NewSubmission>& batch,
                                           std::vector<std::vector<int64_t>>* jobIds) override;
    std::optional<Submission> findSubmission(int64_t id) override;
    std::vector<Submission> submissionsInState(SubmissionState state) override;
    std::string loadRawMessage(int64_t submissionId) override;
    void storeDocument(int64_t submissionId, const std::string& tiff, int pages,
                       int64_t nowMs) override;
    void failSubmission(int64_t submissionId, const std::string& reason, int64_t nowMs) override;
    std::string loadDocument(int64_t submissionId) override;
    void markReported(int64_t submissionId) override;

    std::optional<Job> findJob(int64_t id) override;
    std::vector<Job> listJobs(const JobFilter& filter) override;
    std::vector<Job> jobsOfSubmission(int64_t submissionId) override;
    void updateJob(const Job& job) override;

    void startAttempt(const Job& job, const Attempt& attempt) override;
    // Stores the attempt as given (inserting it if startAttempt never did, e.g. a dispatch
    // that failed before the node accepted it) and the job; a record whose ID is already
    // known is ignored, as the node may post the same record twice.
    void finishAttempt(const Job& job, const Attempt& attempt,
                       const std::optional<CommunicationRecord>& record) override;
    std::vector<Attempt> attemptsOf(int64_t jobId) override;

    bool addRecord(const CommunicationRecord& record) override;
    bool hasRecord(const std::string& recordId) override;
    // Newest first.
    std::vector<CommunicationRecord> listRecords(int limit) override;

    int64_t enqueueMail(const OutboxMail& mail) override;
    // Mails whose nextTryMs has come, earliest first.
    std::vector<OutboxMail> dueMails(int64_t nowMs, int limit) override;
    // The three below act on queued mails only; any other ID is a StoreError.
    // Removes the mail from the outbox.
    void markMailSent(int64_t id) override;
    // Counts a failed try and schedules the next one.
    void markMailRetry(int64_t id, int64_t nextTryMs, const std::string& error) override;
    // Counts the final try; the mail stays in the file (state 'failed') for inspection.
    void markMailFailed(int64_t id, const std::string& error) override;

    // message.uid is ignored: the store assigns the next UID of (user, folder). UIDs are
    // never reused, even after a message is removed.
    int64_t appendToMailbox(const MailboxMessage& message) override;
    std::vector<MailboxMessage> listMailbox(const std::string& user,
                                            const std::string& folder) override;

    // Mailboxes (IMAP) (sqlite_store_mailbox.cpp).
    uint32_t mailboxUidValidity(const std::string& user, const std::string& folder) override;
    int64_t mailboxUidNext(const std::string& user, const std::string& folder) override;
    std::vector<MailboxMessage> listMailboxHeaders(const std::string& user,
                                                   const std::string& folder) override;
    std::optional<MailboxMessage> loadMailboxMessage(const std::string& user,
                                                     const std::string& folder,
                                                     int64_t uid) override;
    bool setMailboxFlags(const std::string& user, const std::string& folder, int64_t uid,
                         const std::string& flags) override;
    std::vector<int64_t> expungeMailbox(
        const std::string& user, const std::string& folder,
        const std::optional<std::vector<int64_t>>& onlyUids) override;
    std::optional<int64_t> copyToMailbox(const std::string& user, const std::string& fromFolder,
                                         int64_t uid, const std::string& toFolder) override;

    // Routing and receptions (sqlite_store_routing.cpp).
    RoutingRules loadRoutingRules() override;
    void replaceRoutingRules(const RoutingRules& rules) override;
    int64_t replaceRoutingRulesAudited(const RoutingRules& rules, const AuditEntry& entry) override;
    std::optional<CommunicationRecord> findRecord(const std::string& recordId) override;
    bool storeReception(const CommunicationRecord& record,
                        const std::vector<MailboxMessage>& messages,
                        const std::vector<OutboxMail>& mails) override;

    // Administration (sqlite_store_admin.cpp).
    std::vector<CommunicationRecord> findRecords(const RecordFilter& filter) override;
    int64_t addUserAudited(const User& user, const AuditEntry& entry) override;
    int64_t updateUserAudited(const User& user, const AuditEntry& entry) override;
    int64_t addNodeAudited(const Node& node, const AuditEntry& entry) override;
    int64_t updateNodeAudited(const Node& node, const AuditEntry& entry) override;
    int64_t setNodeOrder(const std::vector<std::string>& order, const AuditEntry& entry) override;
    int64_t setUserNodesAudited(const std::map<std::string, std::string>& nodeOfUser,
                                const AuditEntry& entry) override;
    int64_t replaceSettingsSecretsAudited(const std::string& scope,
                                          const std::map<std::string, std::string>& secrets,
                                          const AuditEntry& entry) override;
    int64_t addAuditEntry(const AuditEntry& entry) override;
    std::vector<AuditEntry> listAuditEntries(int limit) override;
    std::optional<SettingsVersion> latestSettings(const std::string& scope) override;
    std::optional<SettingsVersion> findSettingsVersion(const std::string& scope,
                                                       int64_t version) override;
    std::vector<SettingsVersion> listSettingsVersions(const std::string& scope, int limit) override;
    std::map<std::string, std::string> loadSettingsSecrets(const std::string& scope) override;
    void recordNodeSettingsStatus(const NodeSettingsStatus& status) override;
    std::optional<NodeSettingsStatus> findNodeSettingsStatus(const std::string& nodeId) override;

  private:
    template <typename Body>
    auto readTransaction(const char* operation, Body&& body);
    template <typename Body>
    auto writeTransaction(const char* operation, Body&& body);
    void applyPragmas(const SqliteStoreOptions& options);
    void migrate();

    const std::string path_;
    std::mutex mutex_;
    Poco::Data::Session session_;  // REQUIRES: mutex_ held (after construction)
};

// As openSqliteStore(path), with explicit options.
std::unique_ptr<Store> openSqliteStore(const std::string& path, const SqliteStoreOptions& options);

}  // namespace faxgate::gateway
