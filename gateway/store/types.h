// The gateway's data: users, nodes, submissions (one accepted mail), jobs (one per
// destination number), attempts, communication records and mails waiting to go out.
// Plain values; the Store interface (store.h) persists them. Times are milliseconds since
// the Unix epoch, durations are milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faxgate::gateway {

enum class Role { User, Admin };
std::string toString(Role role);
std::optional<Role> roleFromString(const std::string& text);

struct User {
    std::string id;                  // login name, also the SMTP/IMAP user ID
    std::string passwordHash;        // see password_hash.h; never the password
    Role role = Role::User;
    std::string email;               // external address for result mails; empty = none
    std::string defaultNode;         // per-user node table: this node first; empty = priority table
    std::string resolution = "fine"; // "fine" (204x196) or "normal" (204x98)
    bool coverPage = true;           // put a cover page in front of the document
};

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
    std::string url;                 // base URL of the node's HTTP API
    std::string secret;              // shared secret the node says hello with
    int priority = 100;              // priority table: lower is tried first
    int keepLinesForReceive = 0;     // this many idle lines are never used for sending
    RetryPolicy retry;
};

// One accepted mail. Its jobs share its document.
enum class SubmissionState { Converting, Ready, Failed };
std::string toString(SubmissionState state);
std::optional<SubmissionState> submissionStateFromString(const std::string& text);

struct Submission {
    int64_t id = 0;
    std::string owner;               // authenticated user ID
    std::string envelopeFrom;        // MAIL FROM, where the result goes by default
    std::string subject;
    std::string messageId;           // Message-ID header of the submitted mail, if any
    SubmissionState state = SubmissionState::Converting;
    std::string failureReason;       // set when the conversion failed
    bool reported = false;           // the result mail has been queued
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
    std::string number;              // normalised: digits with an optional leading '+'
    JobState state = JobState::Converting;
    int priority = 0;                // lower is more urgent; broadcasts can be bulk (> 0)
    int dials = 0;                   // attempts that reached a node and dialled
    int connectedTries = 0;          // attempts where a fax session started
    int pagesTotal = 0;
    int pagesSent = 0;               // confirmed by the far end in the best attempt
    int64_t createdMs = 0;
    int64_t notBeforeMs = 0;         // RetryWait: not dispatched before this time
    int64_t killAtMs = 0;            // failed as timed out when still not done at this time
    std::string node;                // node of the current/last attempt
    std::string line;
    std::string lastResult;          // result code of the last attempt (see node-protocol.md)
    std::string lastReason;          // plain words
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
    std::string number;              // the remote number
    std::string remoteCsid;
    int pages = 0;                   // confirmed pages
    int pagesTotal = 0;
    int64_t durationMs = 0;
    int bitRate = 0;
    bool ecm = false;
    std::string result;              // ok, busy, no_answer, no_carrier, failed, cancelled
    std::string reason;
    int64_t startedMs = 0;
    int64_t endedMs = 0;
};

// One try of a job: dispatch to a node, and what came of it.
struct Attempt {
    int64_t jobId = 0;
    int number = 0;                  // 1, 2, ... per job
    std::string nodeId;
    std::string line;
    int64_t dispatchedMs = 0;
    int64_t endedMs = 0;             // 0 while in progress
    std::string result;              // as in records, plus "unreachable" for dispatch failures
    std::string reason;
    int pages = 0;
    std::string recordId;            // the record that ended it, if any
};

// A mail waiting in the outbox to be relayed.
struct OutboxMail {
    int64_t id = 0;
    std::string from;
    std::vector<std::string> to;
    std::string data;                // the whole message, CRLF line ends
    int tries = 0;
    int64_t nextTryMs = 0;
    std::string lastError;
};

// A message in a user's mailbox on the gateway (read over IMAP).
struct MailboxMessage {
    int64_t uid = 0;
    std::string user;
    std::string folder;              // "INBOX" or "Sent Faxes"
    std::string data;
    int64_t internalDateMs = 0;
    std::string flags;               // space separated, e.g. "\\Seen"
};

}  // namespace faxgate::gateway
