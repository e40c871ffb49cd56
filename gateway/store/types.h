// The gateway's data: users, nodes, submissions (one accepted mail), jobs (one per
// destination number), attempts, communication records and mails waiting to go out.
// Plain values; the Store interface (store.h) persists them. Times are milliseconds since
// the Unix epoch, durations are milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faxgate::gateway {

enum class Role { User, Admin };
std::string toString(Role role);
std::optional<Role> roleFromString(const std::string& text);

struct User {
    std::string id;            // login name, also the SMTP/IMAP user ID
    std::string passwordHash;  // see password_hash.h; never the password
    Role role = Role::User;
    std::string email;        // external address for result mails; empty = none
    std::string defaultNode;  // per-user node table: this node first; empty = priority table
    std::string resolution = "fine";       // "fine" (204x196) or "normal" (204x98)
    bool coverPage = true;                 // put a cover page in front of the document
    std::string attachmentFormat = "pdf";  // received faxes attached as "pdf", "tiff" or "both"
};

// True for the attachment formats a user may choose: "pdf", "tiff", "both".
bool isAttachmentFormat(const std::string& format);

// How often and when a failed call is tried again. Defaults are HylaFAX's.
struct RetryPolicy {
    int64_t killTimeMs = 3 * 3600 * 1000;  // give up this long after the job was queued
    int maxDials = 12;                     // calls placed, whatever their outcome
    int maxConnectedTries = 3;             // calls where a fax session started
    int64_t busyRetryMs = 180 * 1000;      // wait after busy / no answer
    int64_t failureRetryMs = 300 * 1000;   // wait after any other failure
};

struct Node {
    std::string id;
    std::string url;              // base URL of the node's HTTP API
    std::string secret;           // shared secret the node says hello with
    int priority = 100;           // priority table: lower is tried first
    int keepLinesForReceive = 0;  // this many idle lines are never used for sending
    RetryPolicy retry;
    // The secret before the last change of `secret`: still accepted at hello until the node has
    // applied the settings version that carried the new one (docs/settings.md). Empty = none.
    std::string previousSecret;
};

// Versioned settings (docs/settings.md): each registration of a scope's settings is kept as
// one version, so a change can be seen and rolled back. Versions count 1, 2, ... per scope.
struct SettingsVersion {
    std::string scope;  // "node:<id>", "priority", "user-nodes", "routing", "gateway",
                        //   "users"
    int64_t version = 0;
    std::string document;   // JSON, secrets removed
    int64_t timeMs = 0;     // who, when, from where and which action: the audit entry
    std::string adminUser;  //   that created this version
    std::string clientAddress;
    std::string action;
};

// What a node last reported about its settings (heartbeat, hello, or the answer to a push).
struct NodeSettingsStatus {
    std::string nodeId;
    int64_t appliedVersion = 0;  // 0 = the node runs on its own configuration file
    int64_t appliedMs = 0;       // when the node reported appliedVersion first
    std::string error;           // the node's refusal of the last version pushed; empty = none
    int64_t errorVersion = 0;    // the version `error` is about
};

// One accepted mail. Its jobs share its document.
enum class SubmissionState { Converting, Ready, Failed };
std::string toString(SubmissionState state);
std::optional<SubmissionState> submissionStateFromString(const std::string& text);

struct Submission {
    int64_t id = 0;
    std::string owner;         // authenticated user ID
    std::string envelopeFrom;  // MAIL FROM, where the result goes by default
    std::string subject;
    std::string messageId;  // Message-ID header of the submitted mail, if any
    SubmissionState state = SubmissionState::Converting;
    std::string failureReason;  // set when the conversion failed
    bool reported = false;      // the result mail has been queued
    int64_t createdMs = 0;
};

enum class JobState { Converting, Queued, RetryWait, Dispatched, Done, Failed, Cancelled };
std::string toString(JobState state);
std::optional<JobState> jobStateFromString(const std::string& text);
bool isFinal(JobState state);

struct Job {
    int64_t id = 0;
    int64_t submissionId = 0;
    std::string owner;
    std::string number;  // normalised: digits with an optional leading '+'
    JobState state = JobState::Converting;
    int priority = 0;        // lower is more urgent; broadcasts can be bulk (> 0)
    int dials = 0;           // attempts that reached a node and dialled
    int connectedTries = 0;  // attempts where a fax session started
    int pagesTotal = 0;
    int pagesSent = 0;  // confirmed by the far end in the best attempt
    int64_t createdMs = 0;
    int64_t notBeforeMs = 0;  // RetryWait: not dispatched before this time
    int64_t killAtMs = 0;     // failed as timed out when still not done at this time
    std::string node;         // node of the current/last attempt
    std::string line;
    std::string lastResult;  // result code of the last attempt (see node-protocol.md)
    std::string lastReason;  // plain words
    int64_t updatedMs = 0;
};

// A call a node made or received, as reported by the node (docs/node-protocol.md).
struct CommunicationRecord {
    std::string recordId;            // unique, chosen by the node
    std::string direction = "send";  // "send" or "receive"
    int64_t jobId = 0;               // 0 for receptions
    int attempt = 0;
    std::string nodeId;
    std::string line;
    std::string number;  // the remote number
    std::string remoteCsid;
    std::string calledNumber;  // receptions: our number that was called (DID), if known
    std::string callerNumber;  // receptions: the caller's number (CLIP), if known
    std::string routedTo;      // receptions: comma-separated user IDs, "blocked" or ""
    int pages = 0;             // confirmed pages
    int pagesTotal = 0;
    int64_t durationMs = 0;
    int bitRate = 0;
    bool ecm = false;
    std::string result;  // ok, busy, no_answer, no_carrier, failed, cancelled
    std::string reason;
    int64_t startedMs = 0;
    int64_t endedMs = 0;
};

// One try of a job: dispatch to a node, and what came of it.
struct Attempt {
    int64_t jobId = 0;
    int number = 0;  // 1, 2, ... per job
    std::string nodeId;
    std::string line;
    int64_t dispatchedMs = 0;
    int64_t endedMs = 0;  // 0 while in progress
    std::string result;   // as in records, plus "unreachable" for dispatch failures
    std::string reason;
    int pages = 0;
    std::string recordId;  // the record that ended it, if any
};

// A mail waiting in the outbox to be relayed.
struct OutboxMail {
    int64_t id = 0;
    std::string from;
    std::vector<std::string> to;
    std::string data;                // the whole message, CRLF line ends
    std::string transport = "smtp";  // how it leaves: "smtp" (the relay) or "imap_append"
    int tries = 0;
    int64_t nextTryMs = 0;
    std::string lastError;
};

// A message in a user's mailbox on the gateway (read over IMAP).
struct MailboxMessage {
    int64_t uid = 0;
    std::string user;
    std::string folder;  // "INBOX" or "Sent Faxes"
    std::string data;
    int64_t internalDateMs = 0;
    std::string flags;  // space separated, e.g. "\\Seen"
    int64_t size = 0;   // bytes of data; set by listMailboxHeaders (data empty)
};

// Routing of received faxes (gateway/routing/routing_table.h explains the order of rules).
enum class RouteField { Called, Caller, Csid };    // which part of the reception is matched
enum class RouteMatch { Exact, Prefix, Pattern };  // how the value is compared
std::string toString(RouteField field);            // "called", "caller", "csid"
std::string toString(RouteMatch match);            // "exact", "prefix", "pattern"
std::optional<RouteField> routeFieldFromString(const std::string& text);
std::optional<RouteMatch> routeMatchFromString(const std::string& text);

struct RoutingRule {
    int64_t id = 0;  // assigned by the store, kept across replaceRoutingRules
    RouteField field = RouteField::Called;
    RouteMatch match = RouteMatch::Exact;
    std::string value;               // number, prefix, or pattern ('?' one char, '*' any run)
    std::vector<std::string> users;  // user IDs the fax goes to; at least one
    int priority = 0;                // tie-break among equally specific rules: lower wins
    std::string notes;               // for administrators
};

// A blocked caller number or CSID: faxes from it are recorded, never delivered.
struct BlockEntry {
    RouteField field = RouteField::Caller;  // Caller or Csid
    RouteMatch match = RouteMatch::Exact;   // Exact or Prefix
    std::string value;
    std::string notes;
};

struct RoutingRules {
    std::vector<RoutingRule> rules;
    std::vector<std::string> defaultUsers;  // no rule matched: these users; empty = the admins
    std::vector<BlockEntry> blocked;
};

// Limits of the routing table, checked by the store (StoreError) and, naming the field, by the
// admin API. The table is read for every received fax, so it must stay small.
inline constexpr std::size_t kMaxRoutingEntries = 10000;  // rules plus block entries
inline constexpr std::size_t kMaxRouteValueBytes = 64;    // a rule's or block entry's value
inline constexpr std::size_t kMaxRouteNotesBytes = 1000;  // notes
inline constexpr std::size_t kMaxUsersPerRoute = 100;     // users of one rule or the default

}  // namespace faxgate::gateway
