// The store: everything the gateway must not lose. One interface, backends behind it
// (SQLite embedded by default; PostgreSQL later). Every method is one transaction: when it
// returns, its effect is durable (SQLite: WAL with synchronous=FULL).
//
// Thread-safety: every method may be called from any thread at any time; the backend
// serialises writes itself. Errors that are not part of normal operation (disk full, schema
// mismatch) are thrown as StoreError.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/store/types.h"

namespace faxgate::gateway {

class StoreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A settings change based on a version that is no longer the latest (someone registered
// another version meanwhile). Nothing was written.
class SettingsConflict : public StoreError {
  public:
    SettingsConflict(const std::string& what, int64_t latestVersion)
        : StoreError(what), latestVersion_(latestVersion) {}
    int64_t latestVersion() const { return latestVersion_; }

  private:
    int64_t latestVersion_;
};

// What the SMTP server hands over for one accepted mail: the raw message plus one job per
// fax number. commitSubmissions() writes a batch of these in one transaction (group commit).
struct NewSubmission {
    std::string owner;
    std::string envelopeFrom;
    std::string subject;
    std::string messageId;
    std::string rawMessage;  // the bytes as received (after dot-unstuffing)
    std::vector<std::string> numbers;
    int priority = 0;
    int64_t killTimeMs = 0;  // job kill time relative to createdMs
    int64_t createdMs = 0;
};

struct JobFilter {
    std::optional<std::string> owner;
    std::optional<JobState> state;
    bool activeOnly = false;  // Converting, Queued, RetryWait, Dispatched
    int limit = 1000;
};

// Administration: the records filter and the audit log (the admin API, gateway/api/admin_*).
struct RecordFilter {
    std::optional<std::string> nodeId;
    // Sent faxes of the user's jobs (jobs.owner) and received faxes routed to the user (one of
    // the IDs in records.routed_to, matched whole).
    std::optional<std::string> user;
    std::optional<std::string> number;     // the remote number, exact
    std::optional<std::string> direction;  // "send" or "receive"
    std::optional<int64_t> jobId;
    std::optional<int64_t> sinceMs;  // calls started at or after this time
    std::optional<int64_t> untilMs;  // calls started before this time
    int limit = 1000;
};

// The new version of a scope's settings that an audited change creates (docs/settings.md).
struct SettingsSnapshot {
    std::string scope;     // see SettingsVersion
    std::string document;  // JSON, secrets removed
    // When set, the change is refused with SettingsConflict unless this is still the scope's
    // latest version (0 = the scope has no version yet): optimistic locking for editors.
    std::optional<int64_t> baseVersion;
};

// One administrative change: who made it, from where, and what changed.
struct AuditEntry {
    int64_t id = 0;  // assigned by the store, rising
    int64_t timeMs = 0;
    std::string adminUser;
    std::string clientAddress;
    std::string action;   // "user.add", "node.change", "job.cancel", ...
    std::string target;   // the user, node or job concerned
    std::string changes;  // JSON object of the changed fields, secrets masked
    // When set, the change also stores this new settings version, in the same transaction.
    std::optional<SettingsSnapshot> snapshot;
    // Other scopes the same change alters (a user's default node is in both "users" and
    // "user-nodes"): each gets its next version too, in the same transaction.
    std::vector<SettingsSnapshot> relatedSnapshots;
};

class Store {
  public:
    virtual ~Store() = default;

    // Users
    virtual void addUser(const User& user) = 0;  // throws StoreError if it exists
    virtual void updateUser(const User& user) = 0;
    virtual std::optional<User> findUser(const std::string& id) = 0;
    virtual std::vector<User> listUsers() = 0;

    // Nodes, ordered by priority then ID: the priority table.
    virtual void upsertNode(const Node& node) = 0;
    virtual std::optional<Node> findNode(const std::string& id) = 0;
    virtual std::vector<Node> listNodes() = 0;

    // Submissions and jobs. Returns the new submission IDs in the order given; the jobs are
    // created in state Converting. All or nothing.
    // With `jobIds`, it also gets each submission's job IDs in the order of its numbers, so
    // the SMTP reply can name them without another read.
    virtual std::vector<int64_t> commitSubmissions(const std::vector<NewSubmission>& batch,
                                                   std::vector<std::vector<int64_t>>* jobIds) = 0;
    std::vector<int64_t> commitSubmissions(const std::vector<NewSubmission>& batch) {
        return commitSubmissions(batch, nullptr);
    }
    virtual std::optional<Submission> findSubmission(int64_t id) = 0;
    virtual std::vector<Submission> submissionsInState(SubmissionState state) = 0;
    virtual std::string loadRawMessage(int64_t submissionId) = 0;
    // Conversion done: stores the fax document (a multi-page TIFF) and queues the jobs.
    virtual void storeDocument(int64_t submissionId, const std::string& tiff, int pages,
                               int64_t nowMs) = 0;
    // Conversion failed: the submission and all its jobs fail with this reason.
    virtual void failSubmission(int64_t submissionId, const std::string& reason, int64_t nowMs) = 0;
    virtual std::string loadDocument(int64_t submissionId) = 0;
    virtual void markReported(int64_t submissionId) = 0;

    virtual std::optional<Job> findJob(int64_t id) = 0;
    virtual std::vector<Job> listJobs(const JobFilter& filter) = 0;
    virtual std::vector<Job> jobsOfSubmission(int64_t submissionId) = 0;
    virtual void updateJob(const Job& job) = 0;

    // Attempts. startAttempt stores the attempt and the job (now Dispatched) together.
    virtual void startAttempt(const Job& job, const Attempt& attempt) = 0;
    // Ends the attempt and updates the job, and stores the record if one is given.
    virtual void finishAttempt(const Job& job, const Attempt& attempt,
                               const std::optional<CommunicationRecord>& record) = 0;
    virtual std::vector<Attempt> attemptsOf(int64_t jobId) = 0;

    // Communication records. Returns false (and changes nothing) if the record ID is known.
    virtual bool addRecord(const CommunicationRecord& record) = 0;
    virtual bool hasRecord(const std::string& recordId) = 0;
    virtual std::vector<CommunicationRecord> listRecords(int limit) = 0;

    // Outbox of mails to relay.
    virtual int64_t enqueueMail(const OutboxMail& mail) = 0;
    virtual std::vector<OutboxMail> dueMails(int64_t nowMs, int limit) = 0;
    virtual void markMailSent(int64_t id) = 0;
    virtual void markMailRetry(int64_t id, int64_t nextTryMs, const std::string& error) = 0;
    // The outbox gave the mail up (permanent refusal or too old): it leaves the queue like a
    // sent mail (dueMails never returns it again) and `error` is kept as its last error.
    virtual void markMailFailed(int64_t id, const std::string& error) = 0;

    // Mailboxes on the gateway. Returns the new message's UID (per user and folder, rising).
    virtual int64_t appendToMailbox(const MailboxMessage& message) = 0;
    virtual std::vector<MailboxMessage> listMailbox(const std::string& user,
                                                    const std::string& folder) = 0;

    // Mailboxes (IMAP). A mailbox (user, folder) exists once it is first used; every method
    // below creates it empty if needed, so a user always sees the fixed folders.
    // UIDVALIDITY of the mailbox: chosen when it is created, never changed afterwards.
    virtual uint32_t mailboxUidValidity(const std::string& user, const std::string& folder) = 0;
    // The UID the next appended message will get.
    virtual int64_t mailboxUidNext(const std::string& user, const std::string& folder) = 0;
    // As listMailbox, without the bodies: data is empty and size holds its length.
    virtual std::vector<MailboxMessage> listMailboxHeaders(const std::string& user,
                                                           const std::string& folder) = 0;
    virtual std::optional<MailboxMessage> loadMailboxMessage(const std::string& user,
                                                             const std::string& folder,
                                                             int64_t uid) = 0;
    // Replaces the flags (space separated) of one message; false if there is no such message.
    virtual bool setMailboxFlags(const std::string& user, const std::string& folder, int64_t uid,
                                 const std::string& flags) = 0;
    // Removes the messages flagged \Deleted (only those among `onlyUids` when given) and
    // returns their UIDs, rising.
    virtual std::vector<int64_t> expungeMailbox(
        const std::string& user, const std::string& folder,
        const std::optional<std::vector<int64_t>>& onlyUids) = 0;
    // Copies one message (data, date, flags) to another folder of the same user; returns its
    // new UID, or nothing if the source message does not exist.
    virtual std::optional<int64_t> copyToMailbox(const std::string& user,
                                                 const std::string& fromFolder, int64_t uid,
                                                 const std::string& toFolder) = 0;

    // Routing and receptions (received faxes: gateway/routing/, gateway/delivery/inbound_*).
    // The routing table as a whole: rules (by priority, then ID), default route, block list.
    virtual RoutingRules loadRoutingRules() = 0;
    // Replaces the whole table in one transaction. Rules are validated (StoreError naming the
    // rule): a value, at least one user, known field/match combinations for block entries,
    // distinct rule IDs (0 = the store assigns one).
    virtual void replaceRoutingRules(const RoutingRules& rules) = 0;
    virtual std::optional<CommunicationRecord> findRecord(const std::string& recordId) = 0;
    // A received fax, all or nothing: stores the record (with its routedTo decision), files
    // `messages` into the mailboxes and queues `mails` in the outbox. Returns false and
    // changes nothing if the record ID is already known (the node posted it again).
    virtual bool storeReception(const CommunicationRecord& record,
                                const std::vector<MailboxMessage>& messages,
                                const std::vector<OutboxMail>& mails) = 0;

    // Administration. Each change is written together with its audit entry, in one
    // transaction: a change is never without its entry, nor an entry without its change.
    // Newest first; filters combine with AND.
    virtual std::vector<CommunicationRecord> findRecords(const RecordFilter& filter) = 0;
    // addUserAudited and addNodeAudited throw StoreError if the user or node exists,
    // the update methods if it does not.
    // Every audited change returns the settings version its entry's snapshot created (0 when
    // the entry has none); SettingsConflict if the snapshot's baseVersion is not the latest.
    virtual int64_t addUserAudited(const User& user, const AuditEntry& entry) = 0;
    virtual int64_t updateUserAudited(const User& user, const AuditEntry& entry) = 0;
    virtual int64_t addNodeAudited(const Node& node, const AuditEntry& entry) = 0;
    virtual int64_t updateNodeAudited(const Node& node, const AuditEntry& entry) = 0;
    // Gives the nodes priorities 10, 20, 30... in this order; `order` must name every node
    // exactly once (StoreError otherwise).
    virtual int64_t setNodeOrder(const std::vector<std::string>& order,
                                 const AuditEntry& entry) = 0;
    // The per-user node table as a whole: each user in `nodeOfUser` gets that node as default
    // node ("" = none), every other user none. StoreError naming a user or node that does not
    // exist.
    virtual int64_t setUserNodesAudited(const std::map<std::string, std::string>& nodeOfUser,
                                        const AuditEntry& entry) = 0;
    // replaceRoutingRules with its audit entry, in one transaction.
    virtual int64_t replaceRoutingRulesAudited(const RoutingRules& rules,
                                               const AuditEntry& entry) = 0;
    // The secrets of a settings scope (the relay password of "gateway"), which its versions
    // never hold: replaced as a whole ("name" -> value) together with the entry that registers
    // the scope's new version.
    virtual int64_t replaceSettingsSecretsAudited(const std::string& scope,
                                                  const std::map<std::string, std::string>& secrets,
                                                  const AuditEntry& entry) = 0;
    // For changes stored elsewhere (a job cancelled through the scheduler), and for settings
    // that live only as versions (the gateway's own settings, a node's line settings).
    virtual int64_t addAuditEntry(const AuditEntry& entry) = 0;
    // Newest first.
    virtual std::vector<AuditEntry> listAuditEntries(int limit) = 0;

    // Settings versions (docs/settings.md), written by the audited changes above.
    virtual std::optional<SettingsVersion> latestSettings(const std::string& scope) = 0;
    virtual std::optional<SettingsVersion> findSettingsVersion(const std::string& scope,
                                                               int64_t version) = 0;
    // Newest first.
    virtual std::vector<SettingsVersion> listSettingsVersions(const std::string& scope,
                                                              int limit) = 0;
    // The scope's secrets as last registered; empty if none.
    virtual std::map<std::string, std::string> loadSettingsSecrets(const std::string& scope) = 0;
    // What a node reported about its settings; replaces the node's previous status.
    virtual void recordNodeSettingsStatus(const NodeSettingsStatus& status) = 0;
    // Nothing if the node never reported.
    virtual std::optional<NodeSettingsStatus> findNodeSettingsStatus(const std::string& nodeId) = 0;
};

// Opens (and creates or migrates) the SQLite store at `path`.
std::unique_ptr<Store> openSqliteStore(const std::string& path);

}  // namespace faxgate::gateway
